// A TER result and its sacreBLEU-style line — sacreBLEU 2.x `sacrebleu/metrics/ter.py`
// (`TERScore`, `_compute_score_from_stats`) and `sacrebleu/metrics/base.py` (`Score.format`).
import Foundation

/// A corpus or sentence TER score: edits (shifts included) per reference word, in percent.
public struct TERScore: Sendable, Equatable, CustomStringConvertible {
    /// Edits summed over the segments (each segment's best reference).
    public var edits: Int
    /// The segments' average reference lengths in words, summed.
    public var referenceLength: Double

    /// TER, in percent: edits over reference words; 100 for a non-empty hypothesis against
    /// empty references, 0 when both are empty.
    public var score: Double {
        if referenceLength > 0 { return 100 * Double(edits) / referenceLength }
        return edits > 0 ? 100 : 0
    }

    /// As sacreBLEU prints it: `TER = 58.63`.
    public var description: String { line() }
}
