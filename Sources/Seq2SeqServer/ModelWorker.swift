// Dynamic batching: every model has one worker thread and a queue. A request becomes a job;
// the worker takes the oldest job, waits a short collection window for others that can be
// decoded with it (same options), takes them up to a batch size and a token budget, decodes
// them all in one run and hands each request its share of the results — the way CTranslate2's
// `translate_iterable` and text-generation-inference gather concurrent requests, instead of
// serving them one at a time behind a lock. Jobs that cannot share a run (scoring, speech,
// streaming) run alone, in arrival order.
import Foundation

/// What makes two jobs decodable together: equal keys run in one batch.
struct BatchKey: Hashable, @unchecked Sendable {
    /// The kind of run and every option that changes its output.
    let parts: [AnyHashable]
}

/// One request's work waiting for a model.
final class ModelJob: @unchecked Sendable {
    /// Jobs with equal keys are decoded together; nil runs alone.
    let key: BatchKey?
    /// Inputs (texts or id sequences) this job adds to a batch.
    let inputs: [Any]
    /// Source tokens, for the batch's token budget.
    let tokens: Int
    /// Work run alone (key nil).
    let solo: (() throws -> Any)?
    let enqueued = DispatchTime.now()
    private let lock = NSLock()
    private var continuation: CheckedContinuation<[Any], Error>?
    private var done = false

    /// A batchable job: `inputs` joined with other jobs' of the same key.
    init(key: BatchKey, inputs: [Any], tokens: Int) {
        self.key = key
        self.inputs = inputs
        self.tokens = tokens
        solo = nil
    }

    /// A job that runs `work` alone; its result is the single element of the result array.
    init(solo work: @escaping () throws -> Any) {
        key = nil
        inputs = []
        tokens = 0
        solo = work
    }

    /// Whether the job still wants its result.
    var isPending: Bool { lock.withLock { !done } }

    fileprivate func attach(_ c: CheckedContinuation<[Any], Error>) -> Bool {
        lock.withLock {
            if done { return false }
            continuation = c
            return true
        }
    }

    /// Resumes the waiting request once; later calls do nothing.
    func finish(_ result: Result<[Any], Error>) {
        let c: CheckedContinuation<[Any], Error>? = lock.withLock {
            if done { return nil }
            done = true
            defer { continuation = nil }
            return continuation
        }
        c?.resume(with: result)
    }
}

/// A model's queue and the thread that decodes it.
final class ModelWorker: @unchecked Sendable {
    /// Runs one batch: the key and every job's inputs, in order; returns one result per input.
    typealias BatchRunner = (BatchKey, [Any]) throws -> [Any]

    let name: String
    private let runBatch: BatchRunner
    private let maxQueued: Int
    private let window: Double
    private let maxBatchSize: Int
    private let maxBatchTokens: Int
    private let condition = NSCondition()
    private var queue: [ModelJob] = []
    private let metrics: ServerMetrics?

    init(name: String, options: ServerOptions, metrics: ServerMetrics?, runBatch: @escaping BatchRunner) {
        self.name = name
        self.runBatch = runBatch
        maxQueued = options.maxQueuedRequests
        window = options.batchWindow
        maxBatchSize = options.maxBatchSize
        maxBatchTokens = options.maxBatchTokens
        self.metrics = metrics
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "seq2seq-\(name)"
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// Jobs waiting (not yet running).
    var depth: Int { condition.withLock { queue.count } }

    /// Queues `job` and waits for its results. Throws 503 when the queue is full, 504 when
    /// `timeout` seconds pass first, `CancellationError` when the calling task is cancelled.
    func submit(_ job: ModelJob, timeout: Double) async throws -> [Any] {
        let timer = Task {
            try await Task.sleep(nanoseconds: UInt64(max(0, timeout) * 1e9))
            job.finish(.failure(ServerError(.gatewayTimeout, "the request took longer than \(Self.seconds(timeout)) (--request-timeout)")))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<[Any], Error>) in
                guard job.attach(c) else { return }
                let accepted: Bool = condition.withLock {
                    guard queue.count < maxQueued else { return false }
                    queue.append(job)
                    condition.broadcast()
                    return true
                }
                if accepted {
                    metrics?.queueDepth(model: name, depth)
                } else {
                    var full = ServerError(.serviceUnavailable, "model \(name) has \(maxQueued) requests waiting (--max-queue); try again shortly")
                    full.headers = [("Retry-After", "1")]
                    job.finish(.failure(full))
                }
            }
        } onCancel: {
            job.finish(.failure(CancellationError()))
        }
    }

    private static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : "\(s) s" }

    private func loop() {
        while true {
            let batch = nextBatch()
            metrics?.queueDepth(model: name, depth)
            let live = batch.filter(\.isPending)
            if live.isEmpty { continue }
            if let work = live[0].solo {
                live[0].finish(Result { [try work()] })
                continue
            }
            let inputs = live.flatMap(\.inputs)
            metrics?.batch(model: name, size: inputs.count)
            do {
                let results = try runBatch(live[0].key!, inputs)
                var start = 0
                for job in live {
                    job.finish(.success(Array(results[start..<start + job.inputs.count])))
                    start += job.inputs.count
                }
            } catch {
                for job in live { job.finish(.failure(error)) }
            }
        }
    }

    /// The oldest job and, when it can be batched, the jobs of the same key that arrive within
    /// the collection window, up to the batch size and token budget.
    private func nextBatch() -> [ModelJob] {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty { condition.wait() }
        let first = queue.removeFirst()
        guard let key = first.key else { return [first] }
        var batch = [first], size = first.inputs.count, tokens = first.tokens
        let closes = Date(timeIntervalSinceNow: max(0, window - Double(DispatchTime.now().uptimeNanoseconds - first.enqueued.uptimeNanoseconds) / 1e9))
        while true {
            var i = 0
            while i < queue.count && size < maxBatchSize {
                let job = queue[i]
                if job.key == key && size + job.inputs.count <= maxBatchSize && tokens + job.tokens <= maxBatchTokens {
                    batch.append(job)
                    size += job.inputs.count
                    tokens += job.tokens
                    queue.remove(at: i)
                } else {
                    i += 1
                }
            }
            if size >= maxBatchSize || !condition.wait(until: closes) { break }
        }
        return batch
    }
}
