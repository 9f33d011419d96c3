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
        XCTAssertEqual(TrainingDefaults.minimumPieceFrequency(recurringWords: 1713), 15)
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

/// The end-of-run sentence about validation.
final class ValidationTrendTests: XCTestCase {
    private func validation(_ step: Int, bleu: Double, exact: Double, loss: Double) -> [String: Any] {
        ["step": step, "valid_bleu": bleu, "valid_exact_match": exact, "valid_loss": loss]
    }

    func testSaysWhatImproved() throws {
        let rising = [validation(1000, bleu: 40, exact: 10, loss: 2), validation(2000, bleu: 55.5, exact: 20, loss: 1.5)]
        XCTAssertEqual(ValidationTrend.sentence(records: rising, bestStep: 2000),
                       "validation was still improving at the end (BLEU 40.00 at step 1000 → BLEU 55.50 at step 2000): "
                       + "more steps would likely help (seq2seq train --resume --out RUN --max-steps N)")
        let exactOnly = [validation(1000, bleu: 0, exact: 10, loss: 2), validation(2000, bleu: 0, exact: 30, loss: 1.5)]
        XCTAssertTrue(try XCTUnwrap(ValidationTrend.sentence(records: exactOnly, bestStep: 2000))
            .contains("(exact match 10.0% at step 1000 → exact match 30.0% at step 2000)"))
        let lossOnly = [validation(1000, bleu: 90, exact: 50, loss: 1.2), validation(2000, bleu: 90, exact: 50, loss: 1.1)]
        XCTAssertTrue(try XCTUnwrap(ValidationTrend.sentence(records: lossOnly, bestStep: 2000))
            .contains("(loss 1.2000 at step 1000 → loss 1.1000 at step 2000)"))
    }

    func testACeilingIsNoReasonToTrainLonger() throws {
        let learned = [validation(1000, bleu: 99.9, exact: 99.8, loss: 1.06), validation(2000, bleu: 100, exact: 100, loss: 1.03),
                       validation(3000, bleu: 100, exact: 100, loss: 1.029)]
        XCTAssertEqual(ValidationTrend.sentence(records: learned, bestStep: 3000),
                       "validation reached BLEU 100.00 and 100% exact match at step 2000: the task is learned "
                       + "(the validation loss still falls: 1.0290 at step 3000)")
        XCTAssertEqual(ValidationTrend.sentence(records: learned, bestStep: 2000),
                       "validation stopped improving: best BLEU 100.00 at step 2000, 1 validation since without a better one")
        XCTAssertNil(ValidationTrend.sentence(records: [["step": 50, "loss": 3.0]], bestStep: nil))
    }
}
