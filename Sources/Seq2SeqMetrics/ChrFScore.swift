// A chrF result and its sacreBLEU-style line — sacreBLEU 2.x `sacrebleu/metrics/chrf.py`
// (`CHRFScore`) and `sacrebleu/metrics/base.py` (`Score.format`).
import Foundation

/// A corpus or sentence chrF (or chrF++) score.
public struct ChrFScore: Sendable, Equatable, CustomStringConvertible {
    /// chrF, 0…100.
    public var score: Double
    /// Character n-gram order it was computed with.
    public var characterOrder: Int
    /// Word n-gram order (2 for chrF++).
    public var wordOrder: Int
    /// Weight of recall against precision.
    public var beta: Int

    /// sacreBLEU's metric name: `chrF2`, `chrF2++` for word order 2.
    public var name: String { "chrF\(beta)" + String(repeating: "+", count: wordOrder) }

    /// As sacreBLEU prints it: `chrF2 = 57.12`.
    public var description: String { line() }
}
