// sacreBLEU's score line and reproducibility signature — sacreBLEU 2.x
// `sacrebleu/metrics/base.py` (`Score.format`, `Signature.format`) and each metric's
// `*Signature` class (`bleu.py`, `chrf.py`, `ter.py`).
import Foundation

/// The sacreBLEU version whose numbers, lines and signatures the metrics reproduce.
public let sacreBLEUVersion = "2.6.0"

/// A score printed as one line: `NAME[|SIGNATURE] = SCORE[ DETAILS]`, as sacreBLEU's
/// `Score.format` writes it.
public protocol ScoreLine {
    /// The metric's name as printed (`BLEU`, `chrF2`, `chrF2++`, `TER`, `WER`).
    var name: String { get }
    /// The score, 0…100 (TER and WER can exceed 100).
    var score: Double { get }
    /// What follows the score (BLEU's precisions and brevity penalty; WER's counts), or "".
    var details: String { get }
}

extension ScoreLine {
    /// The line with the score to `width` decimals (sacreBLEU's library prints 2, its command
    /// line 1) and, when given, the signature after the name:
    /// `BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 64.5 77.6/65.4/…`.
    public func line(width: Int = 2, signature: String? = nil) -> String {
        let head = signature.map { "\(name)|\($0)" } ?? name
        let value = String(format: "%.\(max(0, width))f", score)
        return details.isEmpty ? "\(head) = \(value)" : "\(head) = \(value) \(details)"
    }
}

/// Builds a signature: `nrefs` first, the metric's settings, `version` last; booleans as yes/no.
enum Signature {
    static func format(references: Int, _ settings: KeyValuePairs<String, String>) -> String {
        (["nrefs:\(references)"] + settings.map { "\($0.key):\($0.value)" } + ["version:\(sacreBLEUVersion)"])
            .joined(separator: "|")
    }

    static func yesNo(_ value: Bool) -> String { value ? "yes" : "no" }
}

extension BLEU {
    /// sacreBLEU's signature of these settings against `references` reference streams:
    /// `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`.
    public func signature(references: Int) -> String {
        let smooth: String
        switch smoothing {
        case .none: smooth = "none"
        case .floor(let v): smooth = String(format: "floor[%.2f]", v)
        case .addK(let v): smooth = String(format: "add-k[%.2f]", v)
        case .exponential: smooth = "exp"
        }
        return Signature.format(references: references, ["case": "mixed", "eff": Signature.yesNo(effectiveOrder),
                                                          "tok": "13a", "smooth": smooth])
    }
}

extension ChrF {
    /// sacreBLEU's signature: `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`.
    public func signature(references: Int) -> String {
        Signature.format(references: references, ["case": "mixed", "eff": Signature.yesNo(!epsilonSmoothing),
                                                  "nc": "\(characterOrder)", "nw": "\(wordOrder)",
                                                  "space": Signature.yesNo(includeWhitespace)])
    }
}

extension TER {
    /// sacreBLEU's signature: `nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0`.
    public func signature(references: Int) -> String {
        Signature.format(references: references, ["case": caseSensitive ? "mixed" : "lc", "tok": "tercom",
                                                  "norm": "no", "punct": "yes", "asian": "no"])
    }
}

extension BLEUScore: ScoreLine {
    public var name: String { "BLEU" }
}

extension ChrFScore: ScoreLine {
    public var details: String { "" }
}

extension TERScore: ScoreLine {
    public var name: String { "TER" }
    public var details: String { "" }
}

extension WordErrorRateScore: ScoreLine {
    public var name: String { "WER" }
}
