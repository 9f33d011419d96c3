// A BLEU result and its sacreBLEU-style line — sacreBLEU 2.x `sacrebleu/metrics/bleu.py`
// (`BLEUScore`) and `sacrebleu/metrics/base.py` (`Score.format`).
import Foundation

/// A corpus or sentence BLEU score with the statistics it was computed from.
public struct BLEUScore: Sendable, Equatable, CustomStringConvertible {
    /// BLEU, 0…100.
    public var score: Double
    /// Matched (clipped) n-grams of each order, 1-grams first.
    public var counts: [Int]
    /// Hypothesis n-grams of each order.
    public var totals: [Int]
    /// n-gram precisions, 0…100 (smoothed as the options say; 0 past the last order with n-grams).
    public var precisions: [Double]
    /// The brevity penalty, 0…1.
    public var brevityPenalty: Double
    /// Hypothesis tokens.
    public var hypothesisLength: Int
    /// Reference tokens (for each segment, the reference closest in length; the shorter on ties).
    public var referenceLength: Int

    /// Hypothesis length over reference length (0 when there are no reference tokens).
    public var ratio: Double { referenceLength > 0 ? Double(hypothesisLength) / Double(referenceLength) : 0 }

    /// As sacreBLEU prints it:
    /// `BLEU = 23.45 56.1/30.2/18.0/11.0 (BP = 1.000 ratio = 1.012 hyp_len = 123 ref_len = 121)`.
    public var description: String { line() }

    /// The precisions and the brevity penalty: `56.1/30.2/18.0/11.0 (BP = 1.000 ratio = 1.012
    /// hyp_len = 123 ref_len = 121)`.
    public var details: String {
        precisions.map { String(format: "%.1f", $0) }.joined(separator: "/")
            + String(format: " (BP = %.3f ratio = %.3f ", brevityPenalty, ratio)
            + "hyp_len = \(hypothesisLength) ref_len = \(referenceLength))"
    }
}
