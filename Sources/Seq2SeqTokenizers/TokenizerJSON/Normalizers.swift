// tokenizer.json normalizers, one small type per `type`, modelled on huggingface/tokenizers
// tokenizers/src/normalizers/{unicode,utils,strip,replace,prepend,bert,byte_level}.rs.
// They work on Unicode scalars, as the Rust code works on `char`s.
import Foundation
import Seq2SeqIO

/// Rewrites text before it is split (tokenizer.json `normalizer`).
protocol TextNormalizer: Sendable {
    func normalize(_ s: [Unicode.Scalar]) -> [Unicode.Scalar]
}

/// Reads a `normalizer` entry; unknown types throw naming the type.
func makeNormalizer(_ json: JSONNode) throws -> TextNormalizer {
    let type = try json.type("normalizer")
    switch type {
    case "NFC": return UnicodeForm.nfc
    case "NFD": return UnicodeForm.nfd
    case "NFKC": return UnicodeForm.nfkc
    case "NFKD": return UnicodeForm.nfkd
    case "Lowercase": return Lowercase()
    case "Strip":
        return StripNormalizer(left: try json.bool("strip_left", default: true),
                               right: try json.bool("strip_right", default: true))
    case "StripAccents": return StripAccents()
    case "Replace":
        return ReplaceNormalizer(pattern: try TextPattern(json: try json.required("pattern")),
                                 content: Array(try json.required("content").string().unicodeScalars))
    case "Prepend": return PrependNormalizer(prefix: Array(try json.required("prepend").string().unicodeScalars))
    case "Sequence":
        return NormalizerSequence(steps: try json.required("normalizers").array().map(makeNormalizer))
    case "BertNormalizer":
        let lowercase = try json.bool("lowercase", default: true)
        return BertNormalizer(cleanText: try json.bool("clean_text", default: true),
                              chineseChars: try json.bool("handle_chinese_chars", default: true),
                              stripAccents: try json.optional("strip_accents")?.bool() ?? lowercase,
                              lowercase: lowercase)
    case "Precompiled":
        let encoded = try json.required("precompiled_charsmap").string()
        guard let data = Data(base64Encoded: encoded) else {
            throw json.error("\(json.at).precompiled_charsmap is not base64")
        }
        do {
            return PrecompiledNormalizer(map: try PrecompiledCharsMap(data: [UInt8](data)))
        } catch let e as TokenizerError {
            throw json.error("\(json.at) (Precompiled): \(e.problem)")
        }
    case "ByteLevel": return ByteLevelNormalizer()
    default:
        throw json.error("unknown normalizer type \"\(type)\" at \(json.at)")
    }
}

/// NFC, NFD, NFKC, NFKD.
enum UnicodeForm: TextNormalizer {
    case nfc, nfd, nfkc, nfkd

    func normalize(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if s.allSatisfy({ $0.value < 0x80 }) { return s }
        var string = String()
        string.unicodeScalars.append(contentsOf: s)
        let out: String
        switch self {
        case .nfc: out = string.precomposedStringWithCanonicalMapping
        case .nfd: out = string.decomposedStringWithCanonicalMapping
        case .nfkc: out = string.precomposedStringWithCompatibilityMapping
        case .nfkd: out = string.decomposedStringWithCompatibilityMapping
        }
        return Array(out.unicodeScalars)
    }
}

/// Full Unicode lowercase mapping of each scalar (Rust `char::to_lowercase`).
struct Lowercase: TextNormalizer {
    func normalize(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        for c in s {
            if c.value < 0x80 {
                out.append((0x41...0x5A).contains(c.value) ? Unicode.Scalar(c.value + 32)! : c)
            } else {
                out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }
}

/// Removes leading and/or trailing whitespace.
struct StripNormalizer: TextNormalizer {
    let left: Bool
    let right: Bool

    func normalize(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var lo = 0, hi = s.count
        if left { while lo < hi, CharClass.isWhitespace(s[lo]) { lo += 1 } }
        if right { while hi > lo, CharClass.isWhitespace(s[hi - 1]) { hi -= 1 } }
        return Array(s[lo..<hi])
    }
}

/// Removes combining marks (General_Category = Mark); meant to follow NFD or NFKD.
struct StripAccents: TextNormalizer {
    func normalize(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] { s.filter { !CharClass.isMark($0) } }
}

/// Replaces every match of a string or regex with `content`.
struct ReplaceNormalizer: TextNormalizer, @unchecked Sendable {
    let pattern: TextPattern
    let content: [Unicode.Scalar]

    func normalize(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        for (range, isMatch) in pattern.spans(in: s, invert: false) {
            if isMatch { out.append(contentsOf: content) } else { out.append(contentsOf: s[range]) }
        }
        return out
    }
}

/// Puts `prefix` in front of non-empty text.
struct PrependNormalizer: TextNormalizer {
    let prefix: [Unicode.Scalar]

    func normalize(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] { s.isEmpty ? s : prefix + s }
}

/// Several normalizers, applied in order.
struct NormalizerSequence: TextNormalizer {
    let steps: [TextNormalizer]

    func normalize(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] { steps.reduce(s) { $1.normalize($0) } }
}

/// BERT's cleanup: control characters out, whitespace to spaces, CJK ideographs spaced,
/// accents stripped, lowercase (normalizers/bert.rs).
struct BertNormalizer: TextNormalizer {
    let cleanText: Bool
    let chineseChars: Bool
    let stripAccents: Bool
    let lowercase: Bool

    func normalize(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var t = s
        if cleanText {
            t = t.compactMap { (c: Unicode.Scalar) -> Unicode.Scalar? in
                if c.value == 0 || c.value == 0xFFFD { return nil }
                let isTabOrNewline = c == "\t" || c == "\n" || c == "\r"
                if !isTabOrNewline && CharClass.isOther(c) { return nil }
                return isTabOrNewline || CharClass.isWhitespace(c) ? " " : c
            }
        }
        if chineseChars {
            var out: [Unicode.Scalar] = []
            out.reserveCapacity(t.count)
            for c in t {
                if BertNormalizer.isChinese(c) { out.append(" "); out.append(c); out.append(" ") } else { out.append(c) }
            }
            t = out
        }
        if stripAccents { t = UnicodeForm.nfd.normalize(t).filter { !CharClass.isNonspacingMark($0) } }
        if lowercase { t = Lowercase().normalize(t) }
        return t
    }

    static func isChinese(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }
}

/// SentencePiece's precompiled normalization rules (`precompiled_charsmap`).
struct PrecompiledNormalizer: TextNormalizer {
    let map: PrecompiledCharsMap

    func normalize(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var string = String()
        string.unicodeScalars.append(contentsOf: s)
        return Array(map.normalize(string).unicodeScalars)
    }
}

/// Maps every UTF-8 byte to its GPT-2 byte character (normalizers/byte_level.rs).
struct ByteLevelNormalizer: TextNormalizer {
    func normalize(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] { ByteLevelAlphabet.encode(s) }
}
