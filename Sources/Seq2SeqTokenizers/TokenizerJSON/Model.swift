// The model stage of a tokenizer.json pipeline: a piece of pre-tokenized text becomes tokens.
// Modelled on huggingface/tokenizers tokenizers/src/models/mod.rs.
import Foundation
import Seq2SeqIO

/// One token of an encoding: its id, and its text when that is not the vocabulary entry of the
/// id (an unknown stretch Unigram kept whole, an added token with the spaces it stripped).
struct EncodedToken {
    var id: Int
    var text: String? = nil
}

/// Turns one pre-tokenized piece into tokens (tokenizer.json `model`).
protocol TokenModel: Sendable {
    /// Appends the tokens of `piece` to `tokens`.
    func tokenize(_ piece: [Unicode.Scalar], into tokens: inout [EncodedToken]) throws
    /// The vocabulary entry of `id`.
    func token(for id: Int) -> String?
    /// The id of a vocabulary entry.
    func id(for token: String) -> Int?
    /// Number of entries.
    var count: Int { get }
    /// The largest id + 1.
    var idLimit: Int { get }
}

/// Reads a `model` entry; unknown types throw naming the type.
func makeModel(_ json: JSONNode) throws -> TokenModel {
    let type: String
    if try json.optional("type") != nil {
        type = try json.type("model")
    } else if try json.optional("merges") != nil {
        type = "BPE"
    } else if let vocab = try json.optional("vocab"), (try? vocab.array()) != nil {
        type = "Unigram"
    } else if try json.optional("continuing_subword_prefix") != nil {
        type = "WordPiece"
    } else {
        type = "WordLevel"
    }
    switch type {
    case "BPE": return try BPEModel(json: json)
    case "WordPiece": return try WordPieceModel(json: json)
    case "WordLevel": return try WordLevelModel(json: json)
    case "Unigram": return try UnigramModel(json: json)
    default: throw json.error("unknown model type \"\(type)\" at \(json.at)")
    }
}

/// Token strings ⇄ ids, compared by their exact UTF-8 bytes (not by canonical equivalence,
/// as Swift `String` would).
struct Vocabulary: Sendable {
    private(set) var ids: [[UInt8]: Int] = [:]
    private(set) var tokens: [String?] = []

    /// A vocabulary from (token, id) pairs in file order; a later duplicate token wins.
    init<S: Sequence>(_ pairs: S) where S.Element == (String, Int) {
        for (token, id) in pairs {
            ids[Array(token.utf8)] = id
            if id >= tokens.count { tokens += [String?](repeating: nil, count: id - tokens.count + 1) }
            tokens[id] = token
        }
    }

    /// Largest id a vocabulary may use (the largest real vocabularies hold ~256k tokens); ids are
    /// checked against it before the id table is sized.
    static let idLimit = 1 << 24

    /// Reads an object of token → id.
    init(json: JSONNode) throws {
        let pairs = try json.members().map { ($0, try $1.int()) }
        if let (token, bad) = pairs.first(where: { $0.1 < 0 || $0.1 >= Self.idLimit }) {
            throw json.error("\(json.at) gives \"\(token)\" the id \(bad), outside 0..<\(Self.idLimit)")
        }
        self.init(pairs)
    }

    @inline(__always) func id(_ bytes: [UInt8]) -> Int? { ids[bytes] }
    func id(_ token: String) -> Int? { ids[Array(token.utf8)] }
    func token(_ id: Int) -> String? { id >= 0 && id < tokens.count ? tokens[id] : nil }
    var count: Int { ids.count }
    var idLimit: Int { tokens.count }
}

/// A small lock-protected cache of word → tokens; it stops growing at `capacity`.
final class WordCache<Key: Hashable, Value>: @unchecked Sendable {
    private var entries: [Key: Value] = [:]
    private let lock = NSLock()
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func get(_ key: Key) -> Value? {
        lock.lock()
        defer { lock.unlock() }
        return entries[key]
    }

    func set(_ key: Key, _ value: Value) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count < capacity { entries[key] = value }
    }
}

/// The byte-fallback token of `byte`: `<0x41>` for 0x41.
func byteToken(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF".unicodeScalars)
    var s = "<0x"
    s.unicodeScalars.append(digits[Int(byte >> 4)])
    s.unicodeScalars.append(digits[Int(byte & 15)])
    return s + ">"
}
