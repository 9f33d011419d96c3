// A fixed pool of worker threads for data-parallel loops over kernel work items.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSeq2SeqKernels

/// Runs `parallelFor` loops on all cores: the calling thread plus `threadCount - 1` workers.
///
/// Work items are handed out one at a time from a shared counter, so uneven items balance.
/// Loops do not nest: a `parallelFor` inside a work item runs serially on that thread, and so
/// does a loop started by another thread while the pool is busy with one (a server's models,
/// each decoding on its own thread, share the one pool safely).
/// Idle threads spin for a short while (100 µs) before they sleep, so loops that follow each
/// other closely (the GEMMs of a decode step) do not pay for a wake-up each.
/// A pool's threads never exit: make pools once (the shared one, a few in benchmarks).
public final class ThreadPool: @unchecked Sendable {
    /// The pool used by kernels unless told otherwise. Set its size with `ThreadPool.configure`.
    public nonisolated(unsafe) static var shared = ThreadPool(threads: ThreadPool.availableCores)

    /// Replaces the shared pool with one of `threads` threads (at least 1).
    public static func configure(threads: Int) {
        shared = ThreadPool(threads: max(1, threads))
    }

    /// Cores this process may run on.
    public static var availableCores: Int { max(1, Int(s2s_available_cores())) }

    /// Threads that run work, the caller included (fewer than asked when the system would not
    /// start more).
    public private(set) var threadCount: Int

    /// How long an idle thread spins before it sleeps: a wake-up from sleep costs tens of
    /// microseconds, as much as a whole decode-step GEMM.
    private static let spinNanoseconds = 100_000

    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var done = pthread_cond_t()
    /// Atomic words, a cache line apart: loop generation, next item, workers still busy.
    private let counters = UnsafeMutablePointer<Int>.allocate(capacity: 24)
    private var generation: UnsafeMutablePointer<Int> { counters }
    private var nextItem: UnsafeMutablePointer<Int> { counters + 8 }
    private var busyWorkers: UnsafeMutablePointer<Int> { counters + 16 }
    private var job: ((Int) -> Void)?
    private var jobCount = 0
    private var workers: [pthread_t] = []
    /// Held by the thread whose loop the workers run; others (and nested loops) run serially.
    private var owner = pthread_mutex_t()

    /// Most threads a pool runs: each holds a stack of several megabytes of address space.
    public static let maximumThreads = 256

    /// A pool of `threads` threads (at most `maximumThreads`), the caller included.
    public init(threads: Int) {
        threadCount = min(max(1, threads), Self.maximumThreads)
        counters.initialize(repeating: 0, count: 24)
        pthread_mutex_init(&mutex, nil)
        pthread_mutex_init(&owner, nil)
        pthread_cond_init(&wake, nil)
        pthread_cond_init(&done, nil)
        for _ in 1..<threadCount {
            // Each worker owns a reference: a pool and its threads live until the process ends.
            let context = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                Unmanaged<ThreadPool>.fromOpaque(raw!).takeUnretainedValue().workerLoop()
                return nil
            }, context)
            guard rc == 0 else {
                // Out of threads or memory for their stacks: run with the workers started so far.
                Unmanaged<ThreadPool>.fromOpaque(context).release()
                threadCount = workers.count + 1
                break
            }
            workers.append(thread)
        }
    }

    /// Calls `body(i)` for every `i` in `0..<count`, spread over the pool; returns when all ran.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 || threadCount == 1 || pthread_mutex_trylock(&owner) != 0 {
            for i in 0..<count { body(i) }
            return
        }
        defer { pthread_mutex_unlock(&owner) }
        withoutActuallyEscaping(body) { escaping in
            pthread_mutex_lock(&mutex)
            job = escaping
            jobCount = count
            s2s_atomic_store(nextItem, 0)
            s2s_atomic_store(busyWorkers, workers.count)
            s2s_atomic_store(generation, s2s_atomic_load(generation) &+ 1)
            pthread_cond_broadcast(&wake)
            pthread_mutex_unlock(&mutex)
            runItems(escaping)
            var busy = s2s_atomic_load(busyWorkers)
            while busy > 0 && s2s_spin_until_changed(busyWorkers, busy, Self.spinNanoseconds) != 0 {
                busy = s2s_atomic_load(busyWorkers)
            }
            pthread_mutex_lock(&mutex)
            while s2s_atomic_load(busyWorkers) > 0 { pthread_cond_wait(&done, &mutex) }
            job = nil
            pthread_mutex_unlock(&mutex)
        }
    }

    /// Splits `0..<count` into at most `threadCount` contiguous ranges and runs them in parallel.
    public func parallelChunks(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = max(1, min(threadCount, count / max(1, minimumChunk)))
        if chunks == 1 { if count > 0 { body(0..<count) }; return }
        parallelFor(chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }

    private func runItems(_ body: (Int) -> Void) {
        while true {
            let i = s2s_atomic_fetch_add(nextItem, 1)
            if i >= jobCount { return }
            body(i)
        }
    }

    /// Runs items of the current loop; its own function so the closure is released on return,
    /// before this worker reports itself done.
    private func runCurrentJob() {
        if let body = job { runItems(body) }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            if s2s_spin_until_changed(generation, seen, Self.spinNanoseconds) == 0 {
                pthread_mutex_lock(&mutex)
                while s2s_atomic_load(generation) == seen { pthread_cond_wait(&wake, &mutex) }
                pthread_mutex_unlock(&mutex)
            }
            seen = s2s_atomic_load(generation)
            runCurrentJob()
            pthread_mutex_lock(&mutex)
            if s2s_atomic_fetch_add(busyWorkers, -1) == 1 { pthread_cond_signal(&done) }
            pthread_mutex_unlock(&mutex)
        }
    }
}
