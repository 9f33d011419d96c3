// sacreBLEU's default BLEU tokenizer, `13a` (the mteval-v13a.pl tokenization WMT uses) —
// ported from sacreBLEU 2.x `sacrebleu/tokenizers/tokenizer_13a.py` (`Tokenizer13a`) and
// `sacrebleu/tokenizers/tokenizer_re.py` (`TokenizerRegexp`). Each regular expression there
// replaces two-character (or one-character) matches left to right without overlap, which is
// what the scans below do; `[0-9]` means the ASCII digits only, as in Python.

/// sacreBLEU's `13a` tokenizer: splits punctuation and symbols from words, keeps numbers such
/// as `1,000.50` and hyphenated words such as `state-of-the-art` whole.
///
///     Tokenizer13a()("Hello, world! It costs $1,000.50.")  // "Hello , world ! It costs $ 1,000.50 ."
public struct Tokenizer13a: Sendable {
    /// The tokenizer (it has no settings).
    public init() {}

    /// The tokens of `line`, joined by single spaces.
    public func callAsFunction(_ line: String) -> String {
        PythonText.string(Array(tokens(PythonText.codePoints(line)).joined(separator: [0x20])))
    }

    /// The tokens of `line` (code points), as `str.split()` of the tokenized line gives them.
    func tokens(_ line: [UInt32]) -> [[UInt32]] {
        var text = PythonText.replacing("<skipped>", with: "", in: line)
        text = PythonText.replacing("-\n", with: "", in: text)
        text = PythonText.replacing("\n", with: " ", in: text)
        if text.contains(ampersand) {
            for (entity, character) in [("&quot;", "\""), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">")] {
                text = PythonText.replacing(entity, with: character, in: text)
            }
        }
        text = [space] + text + [space]
        // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) → " \1 "
        text = text.flatMap { Self.isSymbol($0) ? [space, $0, space] : [$0] }
        // ([^0-9])([\.,]) → "\1 \2 "
        text = Self.substitutePairs(text, { !Self.isDigit($0) }, Self.isPeriodOrComma) { [$0, space, $1, space] }
        // ([\.,])([^0-9]) → " \1 \2"
        text = Self.substitutePairs(text, Self.isPeriodOrComma, { !Self.isDigit($0) }) { [space, $0, space, $1] }
        // ([0-9])(-) → "\1 \2 "
        text = Self.substitutePairs(text, Self.isDigit, { $0 == hyphen }) { [$0, space, $1, space] }
        return PythonText.split(text)
    }

    private var space: UInt32 { 0x20 }
    private var ampersand: UInt32 { 0x26 }
    private var hyphen: UInt32 { 0x2D }

    /// The first expression's class: `{|}~`, `[\]^_` and the backtick, space to `&`, `(` to
    /// `+`, `:` to `@`, and `/` — all ASCII punctuation except `'`, `,`, `-` and `.`.
    private static func isSymbol(_ c: UInt32) -> Bool {
        switch c {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: return true
        default: return false
        }
    }

    private static func isDigit(_ c: UInt32) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isPeriodOrComma(_ c: UInt32) -> Bool { c == 0x2E || c == 0x2C }

    /// `re.sub` of a two-character pattern: each match (`first` then `second`), found left to
    /// right and never overlapping the previous one, becomes `replacement(a, b)`.
    private static func substitutePairs(_ text: [UInt32], _ first: (UInt32) -> Bool, _ second: (UInt32) -> Bool,
                                        replacement: (UInt32, UInt32) -> [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.count + text.count / 4)
        var i = 0
        while i < text.count {
            if i + 1 < text.count, first(text[i]), second(text[i + 1]) {
                out += replacement(text[i], text[i + 1])
                i += 2
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }
}
