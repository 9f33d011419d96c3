// tokenizer.json pre-tokenizers, one small type per `type`, modelled on huggingface/tokenizers
// tokenizers/src/pre_tokenizers/{byte_level,metaspace,whitespace,split,punctuation,digits,
// bert,delimiter,sequence}.rs.
import Seq2SeqIO

/// Cuts normalized text into pieces the model encodes one by one (tokenizer.json `pre_tokenizer`).
protocol PreTokenizer: Sendable {
    func preTokenize(_ pieces: [TextPiece]) -> [TextPiece]
}

/// Reads a `pre_tokenizer` entry; unknown types throw naming the type.
func makePreTokenizer(_ json: JSONNode) throws -> PreTokenizer {
    let type = try json.type("pre-tokenizer")
    switch type {
    case "ByteLevel":
        return ByteLevelPreTokenizer(addPrefixSpace: try json.bool("add_prefix_space", default: true),
                                     useRegex: try json.bool("use_regex", default: true))
    case "Metaspace": return try MetaspacePreTokenizer(json: json)
    case "Whitespace":
        return PatternSplit(pattern: .wordsAndSymbols, behavior: .removed, invert: true)
    case "WhitespaceSplit":
        return PatternSplit(pattern: .predicate(CharClass.isWhitespace), behavior: .removed, invert: false)
    case "Split":
        return PatternSplit(pattern: try TextPattern(json: try json.required("pattern")),
                            behavior: try SplitBehavior(json: try json.required("behavior")),
                            invert: try json.bool("invert", default: false))
    case "Punctuation":
        let behavior = try json.optional("behavior").map(SplitBehavior.init(json:)) ?? .isolated
        return PatternSplit(pattern: .predicate(CharClass.isPunctuation), behavior: behavior, invert: false)
    case "Digits":
        let individual = try json.bool("individual_digits", default: false)
        return PatternSplit(pattern: .predicate(CharClass.isNumber),
                            behavior: individual ? .isolated : .contiguous, invert: false)
    case "BertPreTokenizer":
        return PreTokenizerSequence(steps: [
            PatternSplit(pattern: .predicate(CharClass.isWhitespace), behavior: .removed, invert: false),
            PatternSplit(pattern: .predicate(CharClass.isPunctuation), behavior: .isolated, invert: false),
        ])
    case "CharDelimiterSplit":
        let delimiter = try json.character("delimiter")
        return PatternSplit(pattern: .literal([delimiter]), behavior: .removed, invert: false)
    case "Sequence":
        return PreTokenizerSequence(steps: try json.required("pretokenizers").array().map(makePreTokenizer))
    default:
        throw json.error("unknown pre-tokenizer type \"\(type)\" at \(json.at)")
    }
}

/// Splits pieces by a pattern and a behavior (Split, Whitespace, Punctuation, Digits, …).
struct PatternSplit: PreTokenizer, @unchecked Sendable {
    let pattern: TextPattern
    let behavior: SplitBehavior
    let invert: Bool

    func preTokenize(_ pieces: [TextPiece]) -> [TextPiece] {
        splitPieces(pieces) { subPieces($0, splitRanges($0.text, by: pattern, behavior: behavior, invert: invert)) }
    }
}

/// Several pre-tokenizers, applied in order.
struct PreTokenizerSequence: PreTokenizer {
    let steps: [PreTokenizer]

    func preTokenize(_ pieces: [TextPiece]) -> [TextPiece] { steps.reduce(pieces) { $1.preTokenize($0) } }
}

/// GPT-2's pre-tokenizer: optional leading space, the GPT-2 split, then bytes as characters.
struct ByteLevelPreTokenizer: PreTokenizer {
    let addPrefixSpace: Bool
    let useRegex: Bool

    func preTokenize(_ pieces: [TextPiece]) -> [TextPiece] {
        var out: [TextPiece] = []
        out.reserveCapacity(pieces.count * 8)
        for piece in pieces {
            if piece.addedToken != nil { out.append(piece); continue }
            var text = piece.text
            if addPrefixSpace && text.first != " " { text.insert(" ", at: 0) }
            let ranges = useRegex ? GPT2Pattern.matches(in: text) : [0..<text.count]
            for r in ranges where !r.isEmpty {
                out.append(TextPiece(text: ByteLevelAlphabet.encode(text[r]), atStart: piece.atStart && r.lowerBound == 0))
            }
        }
        return out
    }
}

/// SentencePiece-style spaces: ' ' becomes `replacement` (▁), a leading one is added as the
/// scheme says, and the text splits before each replacement.
struct MetaspacePreTokenizer: PreTokenizer {
    enum Prepend: String { case always, first, never }
    let replacement: Unicode.Scalar
    let prepend: Prepend
    let split: Bool

    init(json: JSONNode) throws {
        replacement = try json.character("replacement")
        let scheme = try json.string("prepend_scheme", default: "always")
        guard var p = Prepend(rawValue: scheme) else {
            throw json.error("unknown prepend_scheme \"\(scheme)\" at \(json.at)")
        }
        if try json.optional("add_prefix_space")?.bool() == false { p = .never }
        prepend = p
        split = try json.bool("split", default: true)
    }

    func preTokenize(_ pieces: [TextPiece]) -> [TextPiece] {
        splitPieces(pieces) { piece in
            var text = piece.text.map { $0 == " " ? replacement : $0 }
            let add: Bool
            switch prepend {
            case .always: add = text.first != replacement
            case .first: add = text.first != replacement && piece.atStart
            case .never: add = false
            }
            if add { text.insert(replacement, at: 0) }
            let whole = TextPiece(text: text, atStart: piece.atStart)
            guard split else { return [whole] }
            return subPieces(whole, splitRanges(text, by: .literal([replacement]), behavior: .mergedWithNext))
        }
    }
}

/// GPT-2's reversible map from bytes to printable characters (pre_tokenizers/byte_level.rs
/// `bytes_char`): printable Latin-1 bytes map to themselves, the others to U+0100 onwards.
enum ByteLevelAlphabet {
    /// The character of each byte.
    static let characters: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte of each character, indexed by scalar value (-1: not a byte character).
    static let bytes: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (b, c) in characters.enumerated() { table[Int(c.value)] = Int16(b) }
        return table
    }()

    /// The UTF-8 bytes of `s`, each as its character.
    static func encode<S: Sequence>(_ s: S) -> [Unicode.Scalar] where S.Element == Unicode.Scalar {
        var out: [Unicode.Scalar] = []
        for c in s {
            if c.value < 0x80 {
                out.append(characters[Int(c.value)])
            } else {
                UTF8.encode(c) { out.append(characters[Int($0)]) }
            }
        }
        return out
    }

    /// The byte of a byte character, or nil.
    @inline(__always) static func byte(_ c: Unicode.Scalar) -> UInt8? {
        c.value < 324 && bytes[Int(c.value)] >= 0 ? UInt8(bytes[Int(c.value)]) : nil
    }
}
