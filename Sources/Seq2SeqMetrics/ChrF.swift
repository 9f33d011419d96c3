// chrF (Popović, 2015) and chrF++ (Popović, 2017) exactly as sacreBLEU 2.x computes them —
// ported from sacreBLEU 2.x's chrF definition, `sacrebleu/metrics/chrf.py` (`CHRF`:
// `_remove_punctuation`, `_extract_reference_info`, `_get_match_statistics`,
// `_compute_segment_statistics`, `_compute_f_score`) and `sacrebleu/metrics/helpers.py`:
// character n-grams of the segment with its whitespace removed, word n-grams (chrF++) of the
// words with one leading or trailing ASCII punctuation mark split off; match statistics summed
// over the corpus (per segment, the reference with the best F-score); then the F-beta of the
// precision and recall averaged over the orders that have n-grams on both sides.

/// sacreBLEU-compatible chrF: character order 6, word order 0 (2 for chrF++), beta 2,
/// whitespace removed, sacreBLEU 2.x's effective-order averaging.
///
///     let chrf = try ChrF().corpusScore(hypotheses: outputs, references: [references])
///     print(chrf)          // chrF2 = 57.12
public struct ChrF: Sendable {
    /// Highest character n-gram order (default 6).
    public var characterOrder: Int
    /// Highest word n-gram order (default 0; 2 is chrF++).
    public var wordOrder: Int
    /// Recall weighs `beta` times as much as precision (default 2).
    public var beta: Int
    /// Keep whitespace in the character n-grams (default false: removed, as sacreBLEU does).
    public var includeWhitespace: Bool
    /// chrF++.py / NLTK / Moses smoothing: average the per-order F-scores with 1e-16 for empty
    /// orders (default false: sacreBLEU 2.x's effective-order averaging of precision and recall).
    public var epsilonSmoothing: Bool

    /// sacreBLEU's `CHRF()` defaults; `wordOrder: 2` gives chrF++.
    public init(characterOrder: Int = 6, wordOrder: Int = 0, beta: Int = 2, includeWhitespace: Bool = false,
                epsilonSmoothing: Bool = false) {
        precondition(characterOrder + wordOrder >= 1, "chrF needs at least one n-gram order")
        self.characterOrder = characterOrder
        self.wordOrder = wordOrder
        self.beta = beta
        self.includeWhitespace = includeWhitespace
        self.epsilonSmoothing = epsilonSmoothing
    }

    /// chrF++ (sacreBLEU's `CHRF(word_order=2)`).
    public static var plusPlus: ChrF { ChrF(wordOrder: 2) }

    /// Corpus chrF. `references` holds one or more reference streams, each with one line per
    /// hypothesis; throws `EvaluationError` when their lengths differ.
    public func corpusScore(hypotheses: [String], references: [[String]]) throws -> ChrFScore {
        try EvaluationError.checkLengths(hypotheses: hypotheses.count, references: references.map(\.count))
        var sums = [Int](repeating: 0, count: 3 * (characterOrder + wordOrder))
        for (i, hypothesis) in hypotheses.enumerated() {
            let segment = statistics(hypothesis, references: references.map { $0[i] })
            for k in sums.indices { sums[k] += segment[k] }
        }
        return result(fScore(sums))
    }

    /// chrF of one hypothesis against its references.
    public func sentenceScore(hypothesis: String, references: [String]) -> ChrFScore {
        result(fScore(statistics(hypothesis, references: references)))
    }

    private func result(_ score: Double) -> ChrFScore {
        ChrFScore(score: score, characterOrder: characterOrder, wordOrder: wordOrder, beta: beta)
    }

    /// The n-gram counts of each order: characters 1…`characterOrder`, then words 1…`wordOrder`.
    private func ngrams(_ segment: String) -> [NGramCounts] {
        let text = PythonText.codePoints(segment)
        let characters = includeWhitespace ? text : text.filter { !PythonText.isSpace($0) }
        var counts = (0..<characterOrder).map { NGramCounts.characterNGrams(characters, order: $0 + 1) }
        if wordOrder > 0 {
            let words = Self.splittingPunctuation(PythonText.split(text))
            counts += (0..<wordOrder).map { NGramCounts.wordNGrams(words, order: $0 + 1) }
        }
        return counts
    }

    /// sacreBLEU's `_remove_punctuation`: a word longer than one code point that ends (else
    /// starts) with ASCII punctuation loses that mark to a word of its own; so "(hi)" gives
    /// "(hi" and ")".
    private static func splittingPunctuation(_ words: [[UInt32]]) -> [[UInt32]] {
        func isPunctuation(_ c: UInt32?) -> Bool {
            guard let c else { return false }
            return (0x21...0x2F).contains(c) || (0x3A...0x40).contains(c) || (0x5B...0x60).contains(c) || (0x7B...0x7E).contains(c)
        }
        return words.flatMap { word -> [[UInt32]] in
            guard word.count > 1 else { return [word] }
            if isPunctuation(word.last) { return [Array(word.dropLast()), [word[word.count - 1]]] }
            if isPunctuation(word.first) { return [[word[0]], Array(word.dropFirst())] }
            return [word]
        }
    }

    /// A segment's statistics against the reference with the best F-score (the first on
    /// ties): [hypothesis n-grams, reference n-grams, matches] for each order.
    private func statistics(_ hypothesis: String, references: [String]) -> [Int] {
        let hypothesisCounts = ngrams(hypothesis)
        var best: [Int] = [], bestScore = -1.0
        for reference in references {
            var stats: [Int] = []
            for (h, r) in zip(hypothesisCounts, ngrams(reference)) {
                stats += [r.isEmpty ? 0 : h.total, r.total, h.matches(in: r)]
            }
            let score = fScore(stats)
            if score > bestScore {
                best = stats
                bestScore = score
            }
        }
        return best
    }

    /// sacreBLEU's `_compute_f_score`, 0…100.
    private func fScore(_ stats: [Int]) -> Double {
        let order = characterOrder + wordOrder
        guard stats.count == 3 * order else { return 0 }
        let epsilon = 1e-16, factor = Double(beta * beta)
        var smoothed = 0.0, averagePrecision = 0.0, averageRecall = 0.0, effectiveOrder = 0
        for i in 0..<order {
            let hypothesisCount = stats[3 * i], referenceCount = stats[3 * i + 1], matched = Double(stats[3 * i + 2])
            let precision = hypothesisCount > 0 ? matched / Double(hypothesisCount) : epsilon
            let recall = referenceCount > 0 ? matched / Double(referenceCount) : epsilon
            let denominator = factor * precision + recall
            smoothed += denominator > 0 ? (1 + factor) * precision * recall / denominator : epsilon
            if hypothesisCount > 0 && referenceCount > 0 {
                averagePrecision += precision
                averageRecall += recall
                effectiveOrder += 1
            }
        }
        if epsilonSmoothing { return 100 * smoothed / Double(order) }
        if effectiveOrder > 0 {
            averagePrecision /= Double(effectiveOrder)
            averageRecall /= Double(effectiveOrder)
        }
        guard averagePrecision + averageRecall != 0 else { return 0 }
        let score = (1 + factor) * averagePrecision * averageRecall / (factor * averagePrecision + averageRecall)
        return 100 * score
    }
}
