// Splits running text into sentences for models trained on single sentences (Marian,
// Firefox Translations): after . ! ? … (and closing quotes or brackets) when whitespace and
// then an uppercase letter, a digit or an opening quote follow, except after common
// abbreviations and single initials.

/// A rule-based sentence splitter.
public struct SentenceSplitter: Sendable {
    /// Words ending in "." that do not end a sentence (lowercased, without the dot).
    public var abbreviations: Set<String> = [
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "approx", "no", "fig",
        "sra", "sr", "dra", "av", "pág", "nº", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    ]

    /// A splitter with the default abbreviations.
    public init() {}

    /// The sentences of `text`, each trimmed; text without a boundary comes back whole.
    public func split(_ text: String) -> [String] {
        let chars = Array(text)
        var sentences: [String] = []
        var start = 0, i = 0
        while i < chars.count {
            guard ".!?…".contains(chars[i]) else { i += 1; continue }
            var end = i + 1
            while end < chars.count, ".!?…\"'”’»)]".contains(chars[end]) { end += 1 }
            var next = end
            while next < chars.count, chars[next].isWhitespace { next += 1 }
            let boundary = next > end && next < chars.count && startsSentence(chars[next]) && !isAbbreviation(chars, dotAt: i)
            if boundary {
                appendTrimmed(chars[start..<end], to: &sentences)
                start = next
            }
            i = max(end, i + 1)
        }
        appendTrimmed(chars[start...], to: &sentences)
        return sentences.isEmpty ? [text.trimmingWhitespace()] : sentences
    }

    private func startsSentence(_ c: Character) -> Bool {
        c.isUppercase || c.isNumber || "\"'“‘«([¿¡".contains(c)
    }

    private func isAbbreviation(_ chars: [Character], dotAt i: Int) -> Bool {
        guard chars[i] == "." else { return false }
        var j = i
        while j > 0, !chars[j - 1].isWhitespace { j -= 1 }
        let word = String(chars[j..<i]).lowercased()
        return word.count == 1 && word.first!.isLetter || abbreviations.contains(word)
    }

    private func appendTrimmed(_ slice: ArraySlice<Character>, to sentences: inout [String]) {
        let s = String(slice).trimmingWhitespace()
        if !s.isEmpty { sentences.append(s) }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
