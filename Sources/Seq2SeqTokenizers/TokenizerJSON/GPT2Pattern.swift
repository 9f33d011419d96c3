// A hand-written matcher for the GPT-2 pre-tokenization pattern, the regex of the ByteLevel
// pre-tokenizer in huggingface/tokenizers tokenizers/src/pre_tokenizers/byte_level.rs:
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// It gives the same matches as the regex (Oniguruma, `\s` = White_Space) without a regex engine.

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
