// Word error rate as jiwer 4 computes it — ported from jiwer 4.0's WER definition,
// `jiwer/process.py` (`process_words`), `jiwer/transformations.py` (`wer_default`) and
// `jiwer/transforms.py` (`RemoveMultipleSpaces`, `Strip`, `ReduceToListOfListOfWords`,
// `ToLowerCase`, `RemovePunctuation`): WER = (S + D + I) / (H + S + D), the counts summed
// over the corpus before dividing, words compared code point by code point.

/// Word error rate against one reference per line, jiwer-compatible.
///
/// Words (jiwer's default, `wer_default`): every run of two or more whitespace characters
/// becomes one space, the line is stripped of whitespace at both ends, and words are what lies
/// between single spaces — so a lone tab or no-break space between two words does not split
/// them, exactly as in jiwer.
///
/// With `normalize` (for speech, where punctuation and case are not what is measured), before
/// that: the line is lowercased (Python's `str.lower`, full case mapping), every code point of
/// Unicode general category P (punctuation: `.,!?'"-–—()[]{}…¿¡«»` and the like) is removed —
/// not replaced, so "don't" becomes "dont" and "state-of-the-art" "stateoftheart" — and every
/// whitespace run, even a single tab, becomes one space. This is jiwer's
/// `Compose([ToLowerCase(), RemovePunctuation(), SubstituteRegexes({r"\s+": " "}), Strip(),
/// ReduceToListOfListOfWords()])`. Symbols (category S: `$ + = € 😀`) and digits are kept.
///
///     let wer = try WordErrorRate(normalize: true).corpusScore(hypotheses: transcripts, references: truths)
///     print(wer.errorRate)   // 0.125
public struct WordErrorRate: Sendable {
    /// Lowercase, remove punctuation and collapse whitespace first (default false).
    public var normalize: Bool

    /// jiwer's default word splitting, or with `normalize` the speech normalisation above.
    public init(normalize: Bool = false) { self.normalize = normalize }

    /// WER over the corpus: alignment counts summed over the lines, then divided. Throws
    /// `EvaluationError` when the line counts differ.
    public func corpusScore(hypotheses: [String], references: [String]) throws -> WordErrorRateScore {
        try EvaluationError.checkLengths(hypotheses: hypotheses.count, references: [references.count])
        var vocabulary: [[UInt32]: Int] = [:]
        var total = WordErrorRateScore(substitutions: 0, deletions: 0, insertions: 0, hits: 0, hypothesisWords: 0)
        for (hypothesis, reference) in zip(hypotheses, references) {
            let line = score(hypothesis, reference, vocabulary: &vocabulary)
            total.substitutions += line.substitutions
            total.deletions += line.deletions
            total.insertions += line.insertions
            total.hits += line.hits
            total.hypothesisWords += line.hypothesisWords
        }
        return total
    }

    /// WER of one line.
    public func sentenceScore(hypothesis: String, reference: String) -> WordErrorRateScore {
        var vocabulary: [[UInt32]: Int] = [:]
        return score(hypothesis, reference, vocabulary: &vocabulary)
    }

    /// The words of `text` as this metric splits (and, with `normalize`, normalises) them.
    public func words(_ text: String) -> [String] { words(PythonText.codePoints(text)).map { PythonText.string($0) } }

    private func score(_ hypothesis: String, _ reference: String, vocabulary: inout [[UInt32]: Int]) -> WordErrorRateScore {
        func ids(_ text: String) -> [Int] {
            words(PythonText.codePoints(text)).map { word in
                if let id = vocabulary[word] { return id }
                vocabulary[word] = vocabulary.count
                return vocabulary.count - 1
            }
        }
        let r = ids(reference), h = ids(hypothesis)
        let (s, d, i) = WordAlignment.counts(reference: r, hypothesis: h)
        return WordErrorRateScore(substitutions: s, deletions: d, insertions: i, hits: r.count - s - d, hypothesisWords: h.count)
    }

    private func words(_ text: [UInt32]) -> [[UInt32]] {
        var text = text
        if normalize { text = PythonText.lowercased(text).filter { !Self.isPunctuation($0) } }
        var collapsed: [UInt32] = []
        collapsed.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            guard PythonText.isSpace(text[i]) else {
                collapsed.append(text[i])
                i += 1
                continue
            }
            var end = i + 1
            while end < text.count && PythonText.isSpace(text[end]) { end += 1 }
            collapsed.append(normalize || end - i > 1 ? 0x20 : text[i])
            i = end
        }
        return PythonText.strip(collapsed).split(separator: 0x20).map(Array.init)
    }

    /// Unicode general category P* (connector, dash, open, close, initial, final, other).
    private static func isPunctuation(_ c: UInt32) -> Bool {
        switch Unicode.Scalar(c)?.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}
