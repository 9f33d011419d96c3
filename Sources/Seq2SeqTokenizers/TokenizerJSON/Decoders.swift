// tokenizer.json decoders: token strings back to text, modelled on huggingface/tokenizers
// tokenizers/src/decoders/{mod,bpe,byte_fallback,ctc,fuse,strip,wordpiece,sequence}.rs,
// pre_tokenizers/{byte_level,metaspace}.rs and normalizers/replace.rs. A decoder maps the list
// of token strings to a new list (`decode_chain`); the text is that list joined. String work
// is done on Unicode scalars, as Rust does on `char`s.
import Seq2SeqIO

/// Maps token strings towards text (tokenizer.json `decoder`).
protocol TokenDecoder: Sendable {
    func decodeChain(_ tokens: [String]) -> [String]
}

/// Reads a `decoder` entry; unknown types throw naming the type.
func makeDecoder(_ json: JSONNode) throws -> TokenDecoder {
    let type = try json.type("decoder")
    switch type {
    case "ByteLevel": return ByteLevelDecoder()
    case "Metaspace":
        let m = try MetaspacePreTokenizer(json: json)
        return MetaspaceDecoder(replacement: m.replacement, dropFirst: m.prepend != .never)
    case "WordPiece":
        return WordPieceDecoder(prefix: try json.string("prefix", default: "##"), cleanup: try json.bool("cleanup", default: true))
    case "BPEDecoder": return BPEDecoder(suffix: try json.string("suffix", default: "</w>"))
    case "ByteFallback": return ByteFallbackDecoder()
    case "Fuse": return FuseDecoder()
    case "Strip":
        return StripDecoder(content: try json.character("content"), start: try json.int("start", default: 0),
                            stop: try json.int("stop", default: 0))
    case "Replace":
        return ReplaceDecoder(pattern: try TextPattern(json: try json.required("pattern")),
                              content: try json.required("content").string())
    case "CTC":
        return CTCDecoder(pad: try json.string("pad_token", default: "<pad>"),
                          delimiter: try json.string("word_delimiter_token", default: "|"),
                          cleanup: try json.bool("cleanup", default: true))
    case "Sequence":
        return DecoderSequence(steps: try json.required("decoders").array().map(makeDecoder))
    default:
        throw json.error("unknown decoder type \"\(type)\" at \(json.at)")
    }
}

/// `s` with every non-overlapping occurrence of `pattern` replaced, scalar by scalar.
func replacingScalars(_ s: String, _ pattern: String, _ with: String) -> String {
    let text = Array(s.unicodeScalars)
    let lit = Array(pattern.unicodeScalars)
    guard !lit.isEmpty, text.count >= lit.count else { return s }
    var out = String()
    var i = 0
    while i < text.count {
        if i + lit.count <= text.count && text[i] == lit[0] && text[i..<i + lit.count].elementsEqual(lit) {
            out += with
            i += lit.count
        } else {
            out.unicodeScalars.append(text[i])
            i += 1
        }
    }
    return out
}

/// Byte characters back to bytes, then UTF-8 (lossy); tokens that are not all byte characters
/// contribute their own UTF-8.
struct ByteLevelDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for token in tokens {
            let start = bytes.count
            var ok = true
            for c in token.unicodeScalars {
                guard let b = ByteLevelAlphabet.byte(c) else { ok = false; break }
                bytes.append(b)
            }
            if !ok {
                bytes.removeSubrange(start...)
                bytes += Array(token.utf8)
            }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}

/// ▁ back to spaces; in the first token the replacement is dropped when a prefix was added.
struct MetaspaceDecoder: TokenDecoder {
    let replacement: Unicode.Scalar
    let dropFirst: Bool

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            var out = String()
            for c in token.unicodeScalars {
                if c == replacement {
                    if !(i == 0 && dropFirst) { out.unicodeScalars.append(" ") }
                } else {
                    out.unicodeScalars.append(c)
                }
            }
            return out
        }
    }
}

/// "##" continuations glued on, other tokens after a space, optional punctuation cleanup.
struct WordPieceDecoder: TokenDecoder {
    let prefix: String
    let cleanup: Bool

    func decodeChain(_ tokens: [String]) -> [String] {
        let p = Array(prefix.unicodeScalars)
        return tokens.enumerated().map { i, token in
            var t = token
            if i != 0 {
                let scalars = Array(token.unicodeScalars)
                if scalars.starts(with: p) {
                    t = String(String.UnicodeScalarView(scalars.dropFirst(p.count)))
                } else {
                    t = " " + token
                }
            }
            return cleanup ? WordPieceDecoder.cleanup(t) : t
        }
    }

    /// wordpiece.rs `cleanup`: spaces before punctuation and contractions removed.
    static func cleanup(_ s: String) -> String {
        let rules = [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                     (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")]
        return rules.reduce(s) { replacingScalars($0, $1.0, $1.1) }
    }
}

/// The end-of-word suffix becomes a space (nothing on the last token).
struct BPEDecoder: TokenDecoder {
    let suffix: String

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, t in replacingScalars(t, suffix, i == tokens.count - 1 ? "" : " ") }
    }
}

/// Runs of <0xXX> tokens back to their UTF-8 text (one "�" per byte when invalid).
struct ByteFallbackDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let s = String(validatingUTF8Bytes: pending) {
                out.append(s)
            } else {
                out += [String](repeating: "\u{FFFD}", count: pending.count)
            }
            pending.removeAll()
        }
        for token in tokens {
            if let b = ByteFallbackDecoder.byte(token) {
                pending.append(b)
            } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }

    /// The byte of a `<0xXX>` token.
    static func byte(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == UInt8(ascii: "<"), u[1] == UInt8(ascii: "0"), u[2] == UInt8(ascii: "x"),
              u[5] == UInt8(ascii: ">") else { return nil }
        return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }
}

extension String {
    /// The string of `bytes` when they are valid UTF-8.
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var s = String()
        while true {
            switch decoder.decode(&it) {
            case .scalarValue(let c): s.unicodeScalars.append(c)
            case .emptyInput: self = s; return
            case .error: return nil
            }
        }
    }
}

/// All tokens joined into one.
struct FuseDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined()] }
}

/// Removes up to `start` leading and `stop` trailing `content` characters from each token.
struct StripDecoder: TokenDecoder {
    let content: Unicode.Scalar
    let start: Int
    let stop: Int

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let s = Array(token.unicodeScalars)
            var lo = 0
            while lo < min(start, s.count), s[lo] == content { lo += 1 }
            var hi = s.count
            var removed = 0
            while removed < stop, hi > lo, s[hi - 1] == content { hi -= 1; removed += 1 }
            return String(String.UnicodeScalarView(s[lo..<hi]))
        }
    }
}

/// Replaces each match of a string or regex in every token.
struct ReplaceDecoder: TokenDecoder, @unchecked Sendable {
    let pattern: TextPattern
    let content: String

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let s = Array(token.unicodeScalars)
            var out = String()
            for (range, isMatch) in pattern.spans(in: s, invert: false) {
                if isMatch { out += content } else { out.unicodeScalars.append(contentsOf: s[range]) }
            }
            return out
        }
    }
}

/// CTC: repeated tokens collapsed, padding removed, word delimiters to spaces.
struct CTCDecoder: TokenDecoder {
    let pad: String
    let delimiter: String
    let cleanup: Bool

    func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var previous: String? = nil
        for token in tokens {
            if let previous, Array(previous.unicodeScalars) == Array(token.unicodeScalars) { continue }
            previous = token
            var t = replacingScalars(token, pad, "")
            if cleanup { t = replacingScalars(WordPieceDecoder.cleanup(t), delimiter, " ") }
            if !t.unicodeScalars.isEmpty { out.append(t) }
        }
        return out
    }
}

/// Several decoders, applied in order.
struct DecoderSequence: TokenDecoder {
    let steps: [TokenDecoder]

    func decodeChain(_ tokens: [String]) -> [String] { steps.reduce(tokens) { $1.decodeChain($0) } }
}
