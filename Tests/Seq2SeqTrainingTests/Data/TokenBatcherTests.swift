// Token batching: the budget holds, every pair once per epoch, padding and special ids are
// right, the sequence is fixed by the seed, and a saved state resumes at the same batch.
import Foundation
import Seq2SeqTraining
import XCTest

final class TokenBatcherTests: XCTestCase {
    /// 600 pairs of lengths 0…48 (source) and 1…40 (target); ids encode (pair, position).
    private func makePairs(count: Int = 600, seed: UInt64 = 7) -> [TokenizedPair] {
        var random = TrainingRandom(seed: seed)
        return (0 ..< count).map { i in
            let s = Int(random.next() % 49), t = Int(1 + random.next() % 40)
            return TokenizedPair(source: (0 ..< s).map { Int32(10_000 + i * 100 + $0) },
                                 target: (0 ..< t).map { Int32(20_000 + i * 100 + $0) })
        }
    }

    private let options = TokenBatcherOptions(maxTokens: 400, maxSentences: 12, maxLength: 40,
                                              startID: 0, eosID: 2, padID: 1, labelPadID: -100, seed: 3)

    func testLengthFilterCounts() throws {
        let pairs = makePairs()
        let batcher = try TokenBatcher(pairs: pairs, options: options)
        let empty = pairs.filter { $0.source.isEmpty }.count
        let tooLong = pairs.filter { !$0.source.isEmpty && ($0.source.count > 40 || $0.target.count + 1 > 40) }.count
        XCTAssertGreaterThan(empty, 0)
        XCTAssertGreaterThan(tooLong, 0)
        let statistics = batcher.statistics
        XCTAssertEqual([statistics.inputCount, statistics.keptCount, statistics.droppedTooLong, statistics.droppedEmptySource,
                        statistics.droppedOverBudget], [600, 600 - empty - tooLong, tooLong, empty, 0])
        let tight = try TokenBatcher(pairs: pairs, options: TokenBatcherOptions(maxTokens: 30, maxLength: nil, startID: 0, eosID: 2, padID: 1))
        XCTAssertEqual(tight.statistics.droppedOverBudget, pairs.filter { !$0.source.isEmpty && $0.source.count + $0.target.count + 1 > 30 }.count)
        XCTAssertEqual(tight.statistics.droppedTooLong, 0)
    }

    func testBudgetHoldsAndEveryPairOncePerEpoch() throws {
        let pairs = makePairs()
        var batcher = try TokenBatcher(pairs: pairs, options: options)
        let kept = Set(pairs.indices.filter { !pairs[$0].source.isEmpty && pairs[$0].source.count <= 40 && pairs[$0].target.count < 40 })
        var orders: [[Int]] = []
        for epoch in 0 ..< 3 {
            var seen: [Int] = []
            for position in 0 ..< batcher.batchesInEpoch {
                let batch = batcher.next()
                XCTAssertEqual(batch.epoch, epoch)
                XCTAssertEqual(batch.indexInEpoch, position)
                XCTAssertLessThanOrEqual(batch.paddedTokenCount, 400)
                XCTAssertLessThanOrEqual(batch.batchSize, 12)
                seen += batch.pairIndices
            }
            XCTAssertEqual(seen.count, kept.count)
            XCTAssertEqual(Set(seen), kept)
            orders.append(seen)
        }
        XCTAssertNotEqual(orders[0], orders[1])
        XCTAssertEqual(batcher.next().epoch, 3)
    }

    func testBatchLayout() throws {
        let pairs = [TokenizedPair(source: [5, 6, 7], target: [8, 9]), TokenizedPair(source: [5], target: [8, 9, 10, 11])]
        var batcher = try TokenBatcher(pairs: pairs, options: TokenBatcherOptions(maxTokens: 100, startID: 0, eosID: 2, padID: 1))
        let batch = batcher.next()
        XCTAssertEqual(batcher.batchesInEpoch, 1)
        XCTAssertEqual(batch.pairIndices, [1, 0])   // sorted by source length
        XCTAssertEqual([batch.batchSize, batch.sourceLength, batch.targetLength], [2, 3, 5])
        XCTAssertEqual(batch.sourceIDs, [5, 1, 1,
                                         5, 6, 7])
        XCTAssertEqual(batch.decoderInputIDs, [0, 8, 9, 10, 11,
                                               0, 8, 9, 1, 1])
        XCTAssertEqual(batch.labels, [8, 9, 10, 11, 2,
                                      8, 9, 2, -100, -100])
        XCTAssertEqual(batch.sourceLengths, [1, 3])
        XCTAssertEqual(batch.targetLengths, [5, 3])
        XCTAssertEqual([batch.sourceTokenCount, batch.targetTokenCount, batch.paddedTokenCount], [4, 8, 16])
    }

    func testRowsHoldTheirPairs() throws {
        let pairs = makePairs()
        var batcher = try TokenBatcher(pairs: pairs, options: options)
        for _ in 0 ..< 20 {
            let batch = batcher.next()
            let (s, t) = (batch.sourceLength, batch.targetLength)
            for (row, i) in batch.pairIndices.enumerated() {
                let pair = pairs[i]
                XCTAssertEqual(Array(batch.sourceIDs[row * s ..< row * s + s]),
                               pair.source + Array(repeating: 1, count: s - pair.source.count))
                XCTAssertEqual(Array(batch.decoderInputIDs[row * t ..< row * t + t]),
                               [0] + pair.target + Array(repeating: 1, count: t - pair.target.count - 1))
                XCTAssertEqual(Array(batch.labels[row * t ..< row * t + t]),
                               pair.target + [2] + Array(repeating: -100, count: t - pair.target.count - 1))
            }
        }
    }

    func testSameSeedSameSequenceOtherSeedOther() throws {
        let pairs = makePairs()
        var a = try TokenBatcher(pairs: pairs, options: options)
        var b = try TokenBatcher(pairs: pairs, options: options)
        var other = options
        other.seed = 4
        var c = try TokenBatcher(pairs: pairs, options: other)
        let n = 2 * a.batchesInEpoch + 5
        let first = (0 ..< n).map { _ in a.next() }
        XCTAssertEqual(first, (0 ..< n).map { _ in b.next() })
        XCTAssertNotEqual(first.map(\.pairIndices), (0 ..< n).map { _ in c.next().pairIndices })
    }

    func testResumeFromSavedStateContinuesIdentically() throws {
        let pairs = makePairs()
        var original = try TokenBatcher(pairs: pairs, options: options)
        let perEpoch = original.batchesInEpoch
        for stop in [0, 5, perEpoch, perEpoch + 3, 2 * perEpoch - 1] {
            var running = try TokenBatcher(pairs: pairs, options: options)
            for _ in 0 ..< stop { _ = running.next() }
            let saved = try JSONDecoder().decode(BatcherState.self, from: JSONEncoder().encode(running.state))
            XCTAssertEqual(saved, running.state)
            var resumed = try TokenBatcher(pairs: pairs, options: options, resumingFrom: saved)
            for _ in 0 ..< perEpoch + 7 { XCTAssertEqual(resumed.next(), running.next(), "stopped after \(stop)") }
        }
        _ = original.next()
        XCTAssertEqual(original.state.position, 1)
    }

    func testUnusableInputThrows() {
        let opts = TokenBatcherOptions(maxTokens: 10, maxLength: 4, startID: 0, eosID: 2, padID: 1)
        XCTAssertThrowsError(try TokenBatcher(pairs: [TokenizedPair(source: [], target: [1]),
                                                      TokenizedPair(source: [1, 2, 3, 4, 5], target: [1])], options: opts))
        let pairs = [TokenizedPair(source: [1], target: [1])]
        guard let state = try? TokenBatcher(pairs: pairs + pairs, options: opts).state else { return XCTFail("no batcher") }
        XCTAssertThrowsError(try TokenBatcher(pairs: pairs, options: opts, resumingFrom: state)) { error in
            XCTAssertEqual("\(error)", "saved batcher state is for 2 pairs, not 1")
        }
    }
}
