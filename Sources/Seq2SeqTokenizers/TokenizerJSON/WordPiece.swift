// WordPiece and WordLevel (tokenizer.json `"type": "WordPiece"` / `"WordLevel"`), modelled on
// huggingface/tokenizers tokenizers/src/models/{wordpiece,wordlevel}/mod.rs. WordPiece takes the
// longest vocabulary prefix, then the longest "##"-prefixed continuation, and so on; a word
// with a part no entry covers, or longer than max_input_chars_per_word, is one unknown token.
import Seq2SeqIO

/// WordPiece: greedy longest-match-first with a continuing-subword prefix.
struct WordPieceModel: TokenModel {
    let vocab: Vocabulary
    let unkToken: String
    let prefix: [UInt8]
    let maxChars: Int
    private let cache = WordCache<[Unicode.Scalar], [Int]>(capacity: 10_000)

    init(json: JSONNode) throws {
        vocab = try Vocabulary(json: try json.required("vocab"))
        unkToken = try json.string("unk_token", default: "[UNK]")
        prefix = Array(try json.string("continuing_subword_prefix", default: "##").utf8)
        maxChars = try json.int("max_input_chars_per_word", default: 100)
    }

    var count: Int { vocab.count }
    var idLimit: Int { vocab.idLimit }
    func token(for id: Int) -> String? { vocab.token(id) }
    func id(for token: String) -> Int? { vocab.id(token) }

    private func unknown() throws -> EncodedToken {
        guard let id = vocab.id(unkToken) else {
            throw TokenizerError("WordPiece", "unk_token \"\(unkToken)\" is not in the vocabulary")
        }
        return EncodedToken(id: id)
    }

    func tokenize(_ piece: [Unicode.Scalar], into tokens: inout [EncodedToken]) throws {
        if piece.isEmpty { return }
        if let ids = cache.get(piece) {
            for id in ids { tokens.append(EncodedToken(id: id)) }
            return
        }
        var found: [EncodedToken] = []
        try pieces(of: piece, into: &found)
        if piece.count < 256 { cache.set(piece, found.map(\.id)) }
        tokens += found
    }

    /// Longest vocabulary prefix first, then the longest prefixed continuation, and so on.
    private func pieces(of piece: [Unicode.Scalar], into tokens: inout [EncodedToken]) throws {
        if piece.count > maxChars { tokens.append(try unknown()); return }
        var bytes: [UInt8] = []
        var boundaries: [Int] = [0]
        for c in piece {
            UTF8.encode(c) { bytes.append($0) }
            boundaries.append(bytes.count)
        }
        var found: [EncodedToken] = []
        var start = 0
        var key: [UInt8] = []
        while start < boundaries.count - 1 {
            var end = boundaries.count - 1
            var match: Int? = nil
            while start < end {
                key.removeAll(keepingCapacity: true)
                if start > 0 { key += prefix }
                key += bytes[boundaries[start]..<boundaries[end]]
                if let id = vocab.id(key) { match = id; break }
                end -= 1
            }
            guard let match else { tokens.append(try unknown()); return }
            found.append(EncodedToken(id: match))
            start = end
        }
        tokens += found
    }
}

/// WordLevel: each piece is a vocabulary entry or the unknown token.
struct WordLevelModel: TokenModel {
    let vocab: Vocabulary
    let unkToken: String

    init(json: JSONNode) throws {
        vocab = try Vocabulary(json: try json.required("vocab"))
        unkToken = try json.string("unk_token", default: "<unk>")
    }

    var count: Int { vocab.count }
    var idLimit: Int { vocab.idLimit }
    func token(for id: Int) -> String? { vocab.token(id) }
    func id(for token: String) -> Int? { vocab.id(token) }

    func tokenize(_ piece: [Unicode.Scalar], into tokens: inout [EncodedToken]) throws {
        var key: [UInt8] = []
        for c in piece { UTF8.encode(c) { key.append($0) } }
        if let id = vocab.id(key) ?? vocab.id(unkToken) {
            tokens.append(EncodedToken(id: id))
        } else {
            throw TokenizerError("WordLevel", "token not in the vocabulary and unk_token \"\(unkToken)\" missing")
        }
    }
}
