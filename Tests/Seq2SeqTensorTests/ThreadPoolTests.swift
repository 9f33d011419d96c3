// ThreadPool: every work item runs exactly once, chunks tile the range, nesting runs serially,
// loops from several threads at once each complete.
import XCTest
import Seq2SeqTensor

final class ThreadPoolTests: XCTestCase {
    func testParallelForRunsEveryItemOnce() {
        for threads in [1, 2, 3] {
            let pool = ThreadPool(threads: threads)
            for count in [0, 1, 2, 7, 1000] {
                let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
                hits.initialize(repeating: 0, count: max(count, 1))
                defer { hits.deallocate() }
                for _ in 0..<3 { pool.parallelFor(count) { hits[$0] += 1 } }
                XCTAssertEqual((0..<count).filter { hits[$0] != 3 }, [], "threads \(threads) count \(count)")
            }
        }
    }

    func testParallelChunksTileTheRange() {
        let pool = ThreadPool(threads: 2)
        for count in [0, 1, 5, 64, 1001] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
            hits.initialize(repeating: 0, count: max(count, 1))
            defer { hits.deallocate() }
            pool.parallelChunks(count, minimumChunk: 4) { range in for i in range { hits[i] += 1 } }
            XCTAssertEqual((0..<count).filter { hits[$0] != 1 }, [], "count \(count)")
        }
    }

    func testNestedLoopsRunSeriallyAndComplete() {
        let pool = ThreadPool(threads: 2)
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: 8 * 16)
        hits.initialize(repeating: 0, count: 8 * 16)
        defer { hits.deallocate() }
        pool.parallelFor(8) { i in pool.parallelFor(16) { j in hits[i * 16 + j] += 1 } }
        XCTAssertEqual((0..<128).filter { hits[$0] != 1 }, [])
    }

    /// Several threads start loops on one pool at once (a server's models, each on its own
    /// thread): every item of every loop runs exactly once.
    func testLoopsFromSeveralThreadsEachComplete() {
        let pool = ThreadPool(threads: 2)
        let callers = 4, loops = 200, count = 64
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: callers * count)
        hits.initialize(repeating: 0, count: callers * count)
        defer { hits.deallocate() }
        DispatchQueue.concurrentPerform(iterations: callers) { c in
            for _ in 0..<loops { pool.parallelFor(count) { i in hits[c * count + i] += 1 } }
        }
        XCTAssertEqual((0..<callers * count).filter { hits[$0] != loops }, [])
    }
}
