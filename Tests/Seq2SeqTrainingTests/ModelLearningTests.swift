// End to end: a post-norm TransformerModel (the paper's layout) learns to reverse sequences,
// is exported, and our inference (`Seq2SeqModel`, greedy search) decodes the exported folder.
import Foundation
import Seq2Seq
import Seq2SeqTraining
import XCTest

final class ModelLearningTests: XCTestCase {
    func testTrainedModelReversesSequencesThroughOurInference() throws {
        // pad 0, end of sequence 2, decoder start 1; content ids 3...12.
        let configuration = TransformerConfiguration(vocabularySize: 13, modelWidth: 32, heads: 4, feedForwardWidth: 64,
                                                     encoderLayers: 1, decoderLayers: 1, dropout: 0, maxPositions: 16,
                                                     eosTokenId: 2, decoderStartTokenId: 1)
        let model = TransformerModel(configuration: configuration, seed: 2024)
        let optimizer = AdamW(parameters: model.parameters, learningRate: 0, beta2: 0.98, epsilon: 1e-9,
                              withoutWeightDecay: model.parametersWithoutWeightDecay)
        let schedule = LearningRateSchedule.inverseSquareRoot(peak: 3e-3, warmupSteps: 100)
        var random = TrainingRandom(seed: 9)
        func sequences(_ n: Int) -> [[Int32]] {
            (0..<n).map { _ in (0..<(3 + Int(random.next() % 4))).map { _ in Int32(3 + random.next() % 10) } }
        }
        model.isTraining = true
        let start = Date()
        var lastLoss: Float = 0
        for step in 1...2000 {
            let sources = sequences(32)
            let batch = TrainingBatch(sources: sources, targets: sources.map { $0.reversed() + [2] }, padTokenId: 0, decoderStartTokenId: 1)
            let loss = model.loss(for: batch)
            loss.backward()
            clipGradientNorm(model.parameters, maxNorm: 1)
            optimizer.learningRate = schedule.learningRate(step: step)
            optimizer.step()
            optimizer.zeroGradients()
            lastLoss = loss.scalar
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-reverse-\(ProcessInfo.processInfo.processIdentifier)")
        try model.export(to: directory)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inference = try Seq2SeqModel(directory: directory)
        var options = inference.generationDefaults
        options.numBeams = 1
        options.maxNewTokens = 10
        let test = sequences(200)
        let results = try inference.generate(sources: test.map { $0.map(Int.init) }, options: options, batchSize: 50)
        let correct = zip(test, results).filter { source, hypotheses in hypotheses[0].ids == source.reversed().map(Int.init) + [2] }.count
        print("reverse (TransformerModel → export → Seq2SeqModel greedy): \(correct)/\(test.count) exact, " +
              "final loss \(lastLoss), \(Int(Date().timeIntervalSince(start)))s")
        XCTAssertGreaterThanOrEqual(correct, 190)
    }
}
