// The rules `seq2seq train` chooses its defaults by (TrainingDefaults), value by value.
import Seq2Seq
import Seq2SeqTraining
import XCTest

final class TrainingDefaultsTests: XCTestCase {
    func testWarmupIsATenthOfTheRunUpTo4000Steps() {
        XCTAssertEqual(TrainingDefaults.warmup(maxSteps: 4000, ratio: nil).steps, 400)
        XCTAssertEqual(TrainingDefaults.warmup(maxSteps: 120, ratio: nil).steps, 12)
        XCTAssertEqual(TrainingDefaults.warmup(maxSteps: 3, ratio: nil).steps, 1)
        XCTAssertEqual(TrainingDefaults.warmup(maxSteps: 100_000, ratio: nil).steps, 4000)
        XCTAssertTrue(TrainingDefaults.warmup(maxSteps: 100_000, ratio: nil).reason.contains("ceiling"))
        XCTAssertEqual(TrainingDefaults.warmup(maxSteps: 100_000, ratio: 0.06).steps, 6000, "a ratio has no ceiling")
        XCTAssertEqual(TrainingDefaults.warmup(maxSteps: 40, ratio: 0.25).reason, "25% of 40 steps (--warmup-ratio)")
    }

    func testRecurringWordsSeparateClosedFromOpenVocabularies() {
        let dates = (0..<200).map { TextPair(source: "March \($0 % 28 + 1), 20\($0 % 10)0", target: "20\($0 % 10)0-03-\($0 % 28 + 1)") }
        XCTAssertEqual(TrainingDefaults.recurringWords(dates), 1 + 10, "March and the ten years recur; days and targets do not reach 10")
        XCTAssertEqual(TrainingDefaults.preset(recurringWords: 519, targetTokens: 119_754, maxSteps: 4000, batchTokens: 4096).preset, .tiny)
        XCTAssertEqual(TrainingDefaults.preset(recurringWords: 1713, targetTokens: 197_513, maxSteps: 4000, batchTokens: 4096).preset, .small)
        XCTAssertEqual(TrainingDefaults.preset(recurringWords: 60_000, targetTokens: 30_000_000, maxSteps: 100_000, batchTokens: 25_000).preset, .base)
        XCTAssertEqual(TrainingDefaults.preset(recurringWords: 60_000, targetTokens: 30_000_000, maxSteps: 2000, batchTokens: 4096).preset, .small,
                       "a short run does not pay for the base model")
        XCTAssertEqual(TrainingDefaults.minimumPieceFrequency(recurringWords: 519), 100)
        XCTAssertEqual(TrainingDefaults.minimumPieceFrequency(recurringWords: 1713), 20)
    }

    func testRegularisationLearningRateAndBatch() {
        XCTAssertEqual(TrainingDefaults.dropout(modelWidth: 256, targetTokens: 197_513), 0.3)
        XCTAssertEqual(TrainingDefaults.dropout(modelWidth: 64, targetTokens: 197_513), 0.1)
        XCTAssertEqual(TrainingDefaults.dropout(modelWidth: 64, targetTokens: 197_513, preNorm: true), 0)
        XCTAssertEqual(TrainingDefaults.dropout(modelWidth: 256, targetTokens: 197_513, preNorm: true), 0.3)
        XCTAssertEqual(TrainingDefaults.learningRate(modelWidth: 64, preNorm: true), 2e-3)
        XCTAssertEqual(TrainingDefaults.learningRate(modelWidth: 64), 1e-3)
        XCTAssertEqual(TrainingDefaults.learningRate(modelWidth: 256, preNorm: true), 1e-3)
        XCTAssertTrue(TrainingDefaults.preNorm(modelWidth: 64))
        XCTAssertFalse(TrainingDefaults.preNorm(modelWidth: 256))
        XCTAssertEqual(TrainingDefaults.dropout(modelWidth: 512, targetTokens: 5_000_000), 0.1)
        XCTAssertEqual(TrainingDefaults.learningRate(modelWidth: 256), 1e-3)
        XCTAssertEqual(TrainingDefaults.learningRate(modelWidth: 512), 5e-4)
        XCTAssertEqual(TrainingDefaults.batchTokens(corpusTokens: 1_000_000), 4096)
        XCTAssertEqual(TrainingDefaults.batchTokens(corpusTokens: 40_000), 1024)
        XCTAssertEqual(TrainingDefaults.batchTokens(corpusTokens: 3_000), 512)
    }
}
