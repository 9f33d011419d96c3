// n-gram counting for BLEU and chrF — sacreBLEU 2.x `sacrebleu/metrics/helpers.py`
// (`extract_all_word_ngrams`, `extract_word_ngrams`, `extract_all_char_ngrams`). An n-gram is
// keyed by its code points; word n-grams join their words with a space, which no word contains.

/// Counts of the n-grams of one order, keyed by their code points.
typealias NGramCounts = [[UInt32]: Int]

extension Dictionary where Key == [UInt32], Value == Int {
    /// The word n-grams of order `n` of `words`, each key the words joined with spaces.
    static func wordNGrams(_ words: [[UInt32]], order n: Int) -> NGramCounts {
        var counts: NGramCounts = [:]
        guard n >= 1, words.count >= n else { return counts }
        for start in 0...(words.count - n) {
            counts[Array(words[start..<start + n].joined(separator: [0x20])), default: 0] += 1
        }
        return counts
    }

    /// The character n-grams of order `n` of `text` (code points).
    static func characterNGrams(_ text: [UInt32], order n: Int) -> NGramCounts {
        var counts: NGramCounts = [:]
        guard n >= 1, text.count >= n else { return counts }
        for start in 0...(text.count - n) { counts[Array(text[start..<start + n]), default: 0] += 1 }
        return counts
    }

    /// Σ min(count, other[n-gram]): the clipped matches of these n-grams in `other`.
    func matches(in other: NGramCounts) -> Int {
        var total = 0
        for (ngram, count) in self { if let c = other[ngram] { total += Swift.min(count, c) } }
        return total
    }

    /// The sum of the counts.
    var total: Int { values.reduce(0, +) }
}
