// Hand-written matchers for the two pre-tokenization regexes most tokenizer.json files use, so
// that the common case needs no regex engine. They give the regex's matches (Oniguruma
// semantics, `\s` = White_Space), checked against Swift Regex on the corpus by the tests.
//  - GPT-2, the ByteLevel pre-tokenizer's pattern (huggingface/tokenizers
//    tokenizers/src/pre_tokenizers/byte_level.rs), also used by BART, RoBERTa and Whisper.
//  - The cl100k / Llama 3 pattern, found in `Split` pre-tokenizers.

/// The GPT-2 pattern, matched by hand.
enum GPT2Pattern {
    /// The pattern as tokenizer.json files spell it.
    static let source = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    private enum Kind { case letter, number, space, other }

    @inline(__always) private static func kind(_ c: Unicode.Scalar) -> Kind {
        if CharClass.isLetter(c) { return .letter }
        if CharClass.isNumber(c) { return .number }
        if CharClass.isWhitespace(c) { return .space }
        return .other
    }

    /// The matches in `s`; they cover every scalar of `s`.
    static func matches(in s: [Unicode.Scalar]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(s.count / 4 + 1)
        var i = 0
        let n = s.count
        while i < n {
            let end = matchEnd(s, from: i, count: n)
            out.append(i..<end)
            i = end
        }
        return out
    }

    /// Where the match starting at `i` ends.
    private static func matchEnd(_ s: [Unicode.Scalar], from i: Int, count n: Int) -> Int {
        let c = s[i]
        if c == "'" && i + 1 < n {
            let a = s[i + 1]
            if a == "s" || a == "t" || a == "m" || a == "d" { return i + 2 }
            if i + 2 < n {
                let b = s[i + 2]
                if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") { return i + 3 }
            }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
        var j = i
        if c == " " && i + 1 < n { j = i + 1 }
        let k = kind(s[j])
        if k != .space {
            var e = j + 1
            while e < n, kind(s[e]) == k { e += 1 }
            return e
        }
        // `\s+(?!\S)` then `\s+`: a whitespace run leaves its last scalar to the next match
        // when a non-space follows it.
        var e = i + 1
        while e < n, CharClass.isWhitespace(s[e]) { e += 1 }
        if e == n { return e }
        return e - i > 1 ? e - 1 : e
    }
}

/// The cl100k / Llama 3 pre-tokenization pattern, matched by hand.
enum Llama3Pattern {
    /// The pattern as tokenizer.json files spell it.
    static let source = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The matches in `s`; they cover every scalar of `s`.
    static func matches(in s: [Unicode.Scalar]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(s.count / 4 + 1)
        var i = 0
        while i < s.count {
            let end = matchEnd(s, from: i)
            out.append(i..<end)
            i = end
        }
        return out
    }

    @inline(__always) private static func isNewline(_ c: Unicode.Scalar) -> Bool { c == "\r" || c == "\n" }

    /// `[^\s\p{L}\p{N}]`.
    @inline(__always) private static func isOther(_ c: Unicode.Scalar) -> Bool {
        !CharClass.isWhitespace(c) && !CharClass.isLetter(c) && !CharClass.isNumber(c)
    }

    /// The length of a case-insensitive contraction at `i` ('s 't 're 've 'm 'll 'd), or 0.
    private static func contraction(_ s: [Unicode.Scalar], _ i: Int) -> Int {
        guard s[i] == "'", i + 1 < s.count else { return 0 }
        func lower(_ c: Unicode.Scalar) -> Unicode.Scalar {
            if c == "\u{17F}" { return "s" }
            return (0x41...0x5A).contains(c.value) ? Unicode.Scalar(c.value + 32)! : c
        }
        let a = lower(s[i + 1])
        if a == "s" || a == "t" || a == "m" || a == "d" { return 2 }
        guard i + 2 < s.count else { return 0 }
        let b = lower(s[i + 2])
        return (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") ? 3 : 0
    }

    private static func matchEnd(_ s: [Unicode.Scalar], from i: Int) -> Int {
        let n = s.count
        let c = s[i]
        let k = contraction(s, i)
        if k > 0 { return i + k }
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        var j = i
        if !CharClass.isLetter(c) && !isNewline(c) && !CharClass.isNumber(c) && i + 1 < n { j = i + 1 }
        if CharClass.isLetter(s[j]) {
            var e = j + 1
            while e < n, CharClass.isLetter(s[e]) { e += 1 }
            return e
        }
        // `\p{N}{1,3}`
        if CharClass.isNumber(c) {
            var e = i + 1
            while e < n, e - i < 3, CharClass.isNumber(s[e]) { e += 1 }
            return e
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        j = c == " " && i + 1 < n && isOther(s[i + 1]) ? i + 1 : i
        if isOther(s[j]) {
            var e = j + 1
            while e < n, isOther(s[e]) { e += 1 }
            while e < n, isNewline(s[e]) { e += 1 }
            return e
        }
        // `\s*[\r\n]+`: up to the last newline of the whitespace run.
        var e = i
        var lastNewline = -1
        while e < n, CharClass.isWhitespace(s[e]) {
            if isNewline(s[e]) { lastNewline = e }
            e += 1
        }
        if lastNewline >= 0 { return lastNewline + 1 }
        // `\s+(?!\S)`, then `\s+`.
        if e == n { return e }
        return e - i > 1 ? e - 1 : e
    }
}
