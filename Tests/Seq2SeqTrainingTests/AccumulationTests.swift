// Gradient accumulation (`seq2seq train --accumulate N`) is exact: the gradients of two batches
// summed over two backward passes, each loss summed over its tokens and divided by the tokens
// of both (what `Trainer` does), equal the gradients of the one batch holding all their pairs;
// so does the AdamW step taken from them.
import Foundation
import Seq2SeqTensor
import Seq2SeqTraining
import XCTest

final class AccumulationTests: XCTestCase {
    private let configuration = TransformerConfiguration(vocabularySize: 20, modelWidth: 16, heads: 2, feedForwardWidth: 32,
                                                         encoderLayers: 2, decoderLayers: 2, dropout: 0, maxPositions: 16,
                                                         eosTokenId: 2, decoderStartTokenId: 1)

    /// `n` pairs of 2–8 content tokens each (ids 3…19), seeded; targets end with </s> (2).
    private func pairs(_ n: Int, seed: UInt64) -> [(source: [Int32], target: [Int32])] {
        var random = TrainingRandom(seed: seed)
        func sequence() -> [Int32] { (0..<(2 + Int(random.next() % 7))).map { _ in Int32(3 + random.next() % 17) } }
        return (0..<n).map { _ in (sequence() + [2], sequence() + [2]) }
    }

    private func batch(_ rows: [(source: [Int32], target: [Int32])]) -> TrainingBatch {
        TrainingBatch(sources: rows.map(\.source), targets: rows.map(\.target), padTokenId: 0, decoderStartTokenId: 1)
    }

    private func values(_ t: Tensor) -> [Float] { Array(UnsafeBufferPointer(start: t.data, count: t.count)) }

    private func gradients(_ model: TransformerModel) -> [[Float]] {
        model.parameters.map { $0.gradient.map(values) ?? [] }
    }

    func testTwoAccumulatedBatchesEqualOneBatchOfBoth() throws {
        let first = pairs(5, seed: 1), second = pairs(7, seed: 2)
        let tokens = (first + second).reduce(0) { $0 + $1.target.count }

        let accumulated = TransformerModel(configuration: configuration, seed: 7)
        for rows in [first, second] {
            scale(accumulated.loss(for: batch(rows), reduction: .sum), by: 1 / Float(tokens)).backward()
        }
        let whole = TransformerModel(configuration: configuration, seed: 7)
        scale(whole.loss(for: batch(first + second), reduction: .sum), by: 1 / Float(tokens)).backward()

        var largest: Float = 0
        for (a, b) in zip(gradients(accumulated), gradients(whole)) {
            XCTAssertEqual(a.count, b.count)
            for (x, y) in zip(a, b) {
                largest = max(largest, abs(x - y))
                XCTAssertEqual(x, y, accuracy: 1e-5 + 1e-4 * abs(y))
            }
        }
        XCTAssertGreaterThan(gradients(whole).joined().map(abs).max() ?? 0, 1e-3, "the gradients are not all zero")

        // One AdamW step from each gives the same parameters.
        for model in [accumulated, whole] {
            clipGradientNorm(model.parameters, maxNorm: 1)
            let optimizer = AdamW(parameters: model.parameters, learningRate: 1e-2, withoutWeightDecay: model.parametersWithoutWeightDecay)
            optimizer.step()
        }
        for (a, b) in zip(accumulated.parameters, whole.parameters) {
            for (x, y) in zip(values(a.value), values(b.value)) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        }
        print("accumulation: largest gradient difference \(largest)")
    }

    /// The same pairs split the other way (a different padding in each batch) give the same
    /// gradients: padding never reaches the loss.
    func testTheSplitDoesNotMatter() throws {
        let rows = pairs(12, seed: 3)
        let tokens = rows.reduce(0) { $0 + $1.target.count }
        var results: [[[Float]]] = []
        for cut in [1, 6, 11] {
            let model = TransformerModel(configuration: configuration, seed: 9)
            for part in [Array(rows[..<cut]), Array(rows[cut...])] {
                scale(model.loss(for: batch(part), reduction: .sum), by: 1 / Float(tokens)).backward()
            }
            results.append(gradients(model))
        }
        for other in results.dropFirst() {
            for (a, b) in zip(results[0], other) {
                for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5 + 1e-4 * abs(y)) }
            }
        }
    }
}
