// Corpus and sentence BLEU (Papineni et al., 2002) exactly as sacreBLEU 2.x computes it —
// ported from sacreBLEU 2.x's BLEU definition, `sacrebleu/metrics/bleu.py` (`BLEU`:
// `_extract_reference_info`, `_compute_segment_statistics`, `_get_closest_ref_len`,
// `compute_bleu`) and `sacrebleu/compat.py` (`corpus_bleu`, `sentence_bleu`): 13a tokens of
// the right-stripped segment, clipped n-gram matches against the maximum count over the
// references, the closest reference length (the shorter on ties), statistics summed over the
// corpus, then the smoothed geometric mean of the precisions times the brevity penalty.
import Foundation

/// sacreBLEU-compatible BLEU: tokenizer `13a`, n-grams up to order 4, `exp` smoothing.
///
///     let bleu = try BLEU().corpusScore(hypotheses: outputs, references: [references])
///     print(bleu)          // BLEU = 23.45 56.1/30.2/18.0/11.0 (BP = 1.000 ratio = …)
///     let one = BLEU.sentence(outputs[0], references: [references[0]])
public struct BLEU: Sendable {
    /// How precisions with no matched n-gram are smoothed (Chen and Cherry, 2014).
    public enum Smoothing: Sendable, Equatable {
        /// No smoothing: a zero precision makes BLEU 0.
        case none
        /// Method 1: a zero count becomes `value` (sacreBLEU's default 0.1).
        case floor(Double = 0.1)
        /// Method 2: `value` (default 1) added to the matches and totals of orders 2 and up.
        case addK(Double = 1)
        /// Method 3, mteval-v13a's: the k-th zero precision becomes 1 / (2^k · total). The default.
        case exponential
    }

    /// Highest n-gram order (default 4).
    public var maxOrder: Int
    /// Smoothing of zero precisions (default `.exponential`).
    public var smoothing: Smoothing
    /// Average only the orders for which the hypothesis has n-grams (stop at the first order
    /// with none); sacreBLEU's `effective_order`, off for corpus BLEU and on for sentence BLEU.
    public var effectiveOrder: Bool

    /// sacreBLEU's defaults (`corpus_bleu`): order 4, `exp` smoothing, no effective order.
    public init(maxOrder: Int = 4, smoothing: Smoothing = .exponential, effectiveOrder: Bool = false) {
        precondition(maxOrder >= 1, "BLEU needs an n-gram order of at least 1")
        self.maxOrder = maxOrder
        self.smoothing = smoothing
        self.effectiveOrder = effectiveOrder
    }

    /// sacreBLEU's `sentence_bleu`: `exp` smoothing with effective order, against one or more
    /// references.
    public static func sentence(_ hypothesis: String, references: [String]) -> BLEUScore {
        BLEU(effectiveOrder: true).sentenceScore(hypothesis: hypothesis, references: references)
    }

    /// Corpus BLEU. `references` holds one or more reference streams, each with one line per
    /// hypothesis (sacreBLEU's layout); throws `EvaluationError` when their lengths differ.
    public func corpusScore(hypotheses: [String], references: [[String]]) throws -> BLEUScore {
        try EvaluationError.checkLengths(hypotheses: hypotheses.count, references: references.map(\.count))
        var sums = [Int](repeating: 0, count: 2 + 2 * maxOrder)
        for (i, hypothesis) in hypotheses.enumerated() {
            let segment = statistics(hypothesis, references: references.map { $0[i] })
            for k in sums.indices { sums[k] += segment[k] }
        }
        return score(from: sums)
    }

    /// BLEU of one hypothesis against its references, with these options (use
    /// `BLEU.sentence` for sacreBLEU's sentence-level defaults).
    public func sentenceScore(hypothesis: String, references: [String]) -> BLEUScore {
        score(from: statistics(hypothesis, references: references))
    }

    /// A segment's sufficient statistics: [hypothesis length, reference length,
    /// matches of orders 1…N, totals of orders 1…N].
    private func statistics(_ hypothesis: String, references: [String]) -> [Int] {
        let tokenizer = Tokenizer13a()
        func tokens(_ line: String) -> [[UInt32]] {
            tokenizer.tokens(Array(PythonText.strip(PythonText.codePoints(line), trailingOnly: true)))
        }
        var referenceCounts = [NGramCounts](repeating: [:], count: maxOrder)
        var referenceLengths: [Int] = []
        for reference in references {
            let words = tokens(reference)
            referenceLengths.append(words.count)
            for n in 1...maxOrder {
                referenceCounts[n - 1].merge(.wordNGrams(words, order: n)) { Swift.max($0, $1) }
            }
        }
        let words = tokens(hypothesis)
        var matches: [Int] = [], totals: [Int] = []
        for n in 1...maxOrder {
            let counts = NGramCounts.wordNGrams(words, order: n)
            matches.append(counts.matches(in: referenceCounts[n - 1]))
            totals.append(counts.total)
        }
        return [words.count, Self.closestLength(to: words.count, among: referenceLengths)] + matches + totals
    }

    /// The reference length closest to `length`, the shorter one on ties (-1 without references).
    private static func closestLength(to length: Int, among lengths: [Int]) -> Int {
        var best = -1, bestDistance = -1
        for candidate in lengths {
            let distance = abs(length - candidate)
            if bestDistance == -1 || distance < bestDistance || (distance == bestDistance && candidate < best) {
                best = candidate
                bestDistance = distance
            }
        }
        return best
    }

    /// sacreBLEU's `compute_bleu` on summed statistics.
    private func score(from stats: [Int]) -> BLEUScore {
        let hypothesisLength = stats[0], referenceLength = stats[1]
        let counts = Array(stats[2..<2 + maxOrder]), totals = Array(stats[(2 + maxOrder)...])
        var brevityPenalty = 1.0
        if hypothesisLength < referenceLength {
            brevityPenalty = hypothesisLength > 0 ? exp(1 - Double(referenceLength) / Double(hypothesisLength)) : 0
        }
        var result = BLEUScore(score: 0, counts: counts, totals: totals, precisions: [Double](repeating: 0, count: maxOrder),
                               brevityPenalty: brevityPenalty, hypothesisLength: hypothesisLength,
                               referenceLength: referenceLength)
        guard counts.contains(where: { $0 != 0 }) else { return result }
        var exponentialFactor = 1.0
        var order = maxOrder
        for n in 1...maxOrder {
            var matched = Double(counts[n - 1]), total = Double(totals[n - 1])
            if case .addK(let k) = smoothing, n > 1 {
                matched += k
                total += k
            }
            if total == 0 { break }
            if effectiveOrder { order = n }
            if matched != 0 {
                result.precisions[n - 1] = 100 * matched / total
            } else if case .exponential = smoothing {
                exponentialFactor *= 2
                result.precisions[n - 1] = 100 / (exponentialFactor * total)
            } else if case .floor(let value) = smoothing {
                result.precisions[n - 1] = 100 * value / total
            }
        }
        // sacreBLEU's `my_log` floors log(0) at -9999999999.
        let logSum = result.precisions[..<order].reduce(0.0) { $0 + ($1 == 0 ? -9_999_999_999 : log($1)) }
        result.score = brevityPenalty * exp(logSum / Double(order))
        return result
    }
}
