// Splitting text into pieces the way Hugging Face tokenizers does: a pattern yields
// alternating (range, is_match) spans covering the text, a behavior decides what becomes of
// the matches. Modelled on huggingface/tokenizers tokenizers/src/tokenizer/pattern.rs and
// NormalizedString::split in tokenizers/src/tokenizer/normalizer.rs. All positions count
// Unicode scalars (Rust `char`s), never grapheme clusters.
import Seq2SeqIO

/// One stretch of text on its way through the pipeline.
struct TextPiece {
    /// The text, as Unicode scalars.
    var text: [Unicode.Scalar]
    /// Whether the piece starts at offset 0 of the original input (Metaspace `first`).
    var atStart: Bool
    /// The added token this piece already is; such pieces skip the rest of the pipeline.
    var addedToken: Int? = nil
}

/// What a split does with the matches of its pattern.
enum SplitBehavior: String {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Reads a behavior name as tokenizer.json writes it (also accepts snake_case).
    init(json: JSONNode) throws {
        let name = try json.string()
        let camel = name.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        guard let b = SplitBehavior(rawValue: camel) else { throw json.error("unknown split behavior \"\(name)\" at \(json.at)") }
        self = b
    }
}

/// Where to cut a text: something that finds non-overlapping matches, left to right.
enum TextPattern {
    /// Each scalar for which the predicate holds is a match of its own.
    case predicate((Unicode.Scalar) -> Bool)
    /// Each maximal run of scalars for which the predicate holds is a match (`\s+`, `\p{L}+`).
    case runs((Unicode.Scalar) -> Bool)
    /// A literal string (Split / Replace with `{"String": …}`).
    case literal([Unicode.Scalar])
    /// The GPT-2 pattern, matched by hand (`GPT2Pattern`).
    case gpt2
    /// The cl100k / Llama 3 pattern, matched by hand (`Llama3Pattern`).
    case llama3
    /// `\w+|[^\w\s]+`, the Whitespace pre-tokenizer's pattern, matched by hand.
    case wordsAndSymbols
    /// Any other regular expression.
    case regex(Regex<AnyRegexOutput>)

    /// Reads `{"String": s}` or `{"Regex": r}`.
    init(json: JSONNode) throws {
        if let s = try json.optional("String") {
            let text = try s.string()
            self = .literal(Array(text.unicodeScalars))
        } else if let r = try json.optional("Regex") {
            self = try TextPattern(regex: try r.string(), json: r)
        } else {
            throw json.error("\(json.at) should hold \"String\" or \"Regex\"")
        }
    }

    /// A pattern for the regular expression `source`, hand-matched when it is a known one.
    init(regex source: String, json: JSONNode) throws {
        if source == GPT2Pattern.source { self = .gpt2; return }
        if source == Llama3Pattern.source { self = .llama3; return }
        if source == #"\w+|[^\w\s]+"# { self = .wordsAndSymbols; return }
        switch source {
        case #"\s+"#: self = .runs(CharClass.isWhitespace); return
        case #"\p{L}+"#, #"[\p{L}]+"#: self = .runs(CharClass.isLetter); return
        case #"\p{N}+"#, #"[\p{N}]+"#: self = .runs(CharClass.isNumber); return
        default: break
        }
        do {
            self = .regex(try Regex(source).matchingSemantics(.unicodeScalar))
        } catch {
            throw json.error("\(json.at): regular expression \"\(source)\" is not supported (\(error))")
        }
    }

    /// The matches in `s`, as scalar ranges, non-overlapping, in order.
    func matches(in s: [Unicode.Scalar]) -> [Range<Int>] {
        switch self {
        case .predicate(let p):
            return s.indices.filter { p(s[$0]) }.map { $0..<$0 + 1 }
        case .runs(let p):
            var out: [Range<Int>] = []
            var i = 0
            while i < s.count {
                guard p(s[i]) else { i += 1; continue }
                var j = i + 1
                while j < s.count, p(s[j]) { j += 1 }
                out.append(i..<j)
                i = j
            }
            return out
        case .literal(let lit):
            return literalMatches(lit, in: s)
        case .gpt2:
            return GPT2Pattern.matches(in: s)
        case .llama3:
            return Llama3Pattern.matches(in: s)
        case .wordsAndSymbols:
            return wordsAndSymbolsMatches(in: s)
        case .regex(let re):
            return regexMatches(re, in: s)
        }
    }

    /// `(range, isMatch)` spans covering all of `s` (pattern.rs `find_matches`).
    func spans(in s: [Unicode.Scalar], invert: Bool) -> [(Range<Int>, Bool)] {
        if s.isEmpty { return [(0..<0, false)] }
        var spans: [(Range<Int>, Bool)] = []
        var previous = 0
        for m in matches(in: s) {
            if previous != m.lowerBound { spans.append((previous..<m.lowerBound, invert)) }
            spans.append((m, !invert))
            previous = m.upperBound
        }
        if previous != s.count { spans.append((previous..<s.count, invert)) }
        return spans
    }
}

private func literalMatches(_ lit: [Unicode.Scalar], in s: [Unicode.Scalar]) -> [Range<Int>] {
    guard !lit.isEmpty, lit.count <= s.count else { return [] }
    var out: [Range<Int>] = []
    var i = 0
    while i + lit.count <= s.count {
        if s[i] == lit[0] && s[i..<i + lit.count].elementsEqual(lit) {
            out.append(i..<i + lit.count)
            i += lit.count
        } else {
            i += 1
        }
    }
    return out
}

private func wordsAndSymbolsMatches(in s: [Unicode.Scalar]) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var i = 0
    while i < s.count {
        let c = s[i]
        if CharClass.isWhitespace(c) { i += 1; continue }
        let word = CharClass.isRustWord(c)
        var j = i + 1
        while j < s.count, !CharClass.isWhitespace(s[j]), CharClass.isRustWord(s[j]) == word { j += 1 }
        out.append(i..<j)
        i = j
    }
    return out
}

private func regexMatches(_ re: Regex<AnyRegexOutput>, in s: [Unicode.Scalar]) -> [Range<Int>] {
    var string = String()
    string.unicodeScalars.append(contentsOf: s)
    let view = string.unicodeScalars
    var out: [Range<Int>] = []
    var index = view.startIndex
    var offset = 0
    for m in string.matches(of: re) {
        let lower = offset + view.distance(from: index, to: m.range.lowerBound)
        let upper = lower + view.distance(from: m.range.lowerBound, to: m.range.upperBound)
        out.append(lower..<upper)
        index = m.range.upperBound
        offset = upper
    }
    return out
}

/// Cuts `s` by `pattern` and `behavior` (normalizer.rs `split`); empty pieces are dropped.
func splitRanges(_ s: [Unicode.Scalar], by pattern: TextPattern, behavior: SplitBehavior, invert: Bool = false) -> [Range<Int>] {
    let spans = pattern.spans(in: s, invert: invert)
    var kept: [Range<Int>] = []
    switch behavior {
    case .isolated:
        kept = spans.map(\.0)
    case .removed:
        kept = spans.filter { !$0.1 }.map(\.0)
    case .contiguous:
        var previousMatch = false
        for (r, isMatch) in spans {
            if isMatch == previousMatch, let last = kept.last {
                kept[kept.count - 1] = last.lowerBound..<r.upperBound
            } else {
                kept.append(r)
            }
            previousMatch = isMatch
        }
    case .mergedWithPrevious:
        var previousMatch = false
        for (r, isMatch) in spans {
            if isMatch && !previousMatch, let last = kept.last {
                kept[kept.count - 1] = last.lowerBound..<r.upperBound
            } else {
                kept.append(r)
            }
            previousMatch = isMatch
        }
    case .mergedWithNext:
        var previousMatch = false
        for (r, isMatch) in spans.reversed() {
            if isMatch && !previousMatch, let last = kept.last {
                kept[kept.count - 1] = r.lowerBound..<last.upperBound
            } else {
                kept.append(r)
            }
            previousMatch = isMatch
        }
        kept.reverse()
    }
    return kept.filter { !$0.isEmpty }
}

/// Splits every piece that is not yet an added token with `cut` (PreTokenizedString::split).
func splitPieces(_ pieces: [TextPiece], _ cut: (TextPiece) -> [TextPiece]) -> [TextPiece] {
    var out: [TextPiece] = []
    out.reserveCapacity(pieces.count)
    for piece in pieces {
        if piece.addedToken != nil { out.append(piece); continue }
        for p in cut(piece) where !p.text.isEmpty { out.append(p) }
    }
    return out
}

/// Splits `piece` at `ranges` (of its text) into new pieces.
func subPieces(_ piece: TextPiece, _ ranges: [Range<Int>]) -> [TextPiece] {
    ranges.map { TextPiece(text: Array(piece.text[$0]), atStart: piece.atStart && $0.lowerBound == 0) }
}

/// Unicode character classes with the meanings the Rust implementation gives them.
enum CharClass {
    /// Rust `char::is_whitespace` and Oniguruma `\s`: the White_Space property.
    @inline(__always) static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 { return c.value == 0x20 || (0x09...0x0D).contains(c.value) }
        return c.properties.isWhitespace
    }

    /// `\p{L}`.
    @inline(__always) static func isLetter(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 { return (0x41...0x5A).contains(c.value) || (0x61...0x7A).contains(c.value) }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `\p{N}` and Rust `char::is_numeric`.
    @inline(__always) static func isNumber(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 { return (0x30...0x39).contains(c.value) }
        switch c.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// BERT's punctuation: ASCII punctuation or a Unicode P* category.
    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 {
            return (0x21...0x2F).contains(c.value) || (0x3A...0x40).contains(c.value)
                || (0x5B...0x60).contains(c.value) || (0x7B...0x7E).contains(c.value)
        }
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// Rust regex `\w`: Alphabetic, marks, decimal digits, connector punctuation, joiners.
    static func isRustWord(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 {
            return (0x30...0x39).contains(c.value) || (0x41...0x5A).contains(c.value)
                || (0x61...0x7A).contains(c.value) || c.value == 0x5F
        }
        if c.value == 0x200C || c.value == 0x200D { return true }
        if c.properties.isAlphabetic { return true }
        switch c.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// General category Mark (Mn, Mc, Me).
    static func isMark(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x300 { return false }
        switch c.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// General category Mn.
    static func isNonspacingMark(_ c: Unicode.Scalar) -> Bool {
        c.value >= 0x300 && c.properties.generalCategory == .nonspacingMark
    }

    /// General category C* (Cc, Cf, Cs, Co, Cn).
    static func isOther(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 { return c.value < 0x20 || c.value == 0x7F }
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }
}
