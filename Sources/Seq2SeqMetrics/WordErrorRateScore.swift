// A word error rate with its alignment counts, as jiwer 4's `process_words` reports them.
import Foundation

/// Word error rate over a corpus or one sentence.
public struct WordErrorRateScore: Sendable, Equatable, CustomStringConvertible {
    /// Reference words replaced by other words.
    public var substitutions: Int
    /// Reference words missing from the hypothesis.
    public var deletions: Int
    /// Hypothesis words with no reference word.
    public var insertions: Int
    /// Reference words matched.
    public var hits: Int
    /// Hypothesis words.
    public var hypothesisWords: Int

    /// Reference words (hits + substitutions + deletions).
    public var referenceWords: Int { hits + substitutions + deletions }

    /// (S + D + I) / reference words, as jiwer's `wer`: 0 is perfect, and it can exceed 1.
    /// With no reference words at all it is the number of insertions, as in jiwer.
    public var errorRate: Double {
        referenceWords > 0 ? Double(substitutions + deletions + insertions) / Double(referenceWords) : Double(insertions)
    }

    /// The error rate in percent, the scale BLEU and chrF are printed on.
    public var score: Double { 100 * errorRate }

    /// `WER = 12.50 (S = 3 D = 1 I = 0 H = 28 ref_words = 32 hyp_words = 31)`, in percent.
    public var description: String { line() }

    /// The alignment counts: `(S = 3 D = 1 I = 0 H = 28 ref_words = 32 hyp_words = 31)`.
    public var details: String {
        "(S = \(substitutions) D = \(deletions) I = \(insertions) H = \(hits) ref_words = \(referenceWords) hyp_words = \(hypothesisWords))"
    }
}
