// Byte-pair encoding (tokenizer.json `"type": "BPE"`), modelled on huggingface/tokenizers
// tokenizers/src/models/bpe/{model,word,serialization}.rs: each character (with the
// continuing-subword prefix / end-of-word suffix) becomes a symbol, unknown ones fall back to
// <0xXX> bytes or the unknown token, then the lowest-ranked adjacent pair is merged, leftmost
// first, until no pair has a merge.
import Seq2SeqIO

/// BPE: vocabulary, ranked merges and the options of tokenizer.json.
struct BPEModel: TokenModel {
    let vocab: Vocabulary
    /// (left id, right id) packed → (rank, merged id).
    let merges: [UInt64: (rank: Int, id: Int)]
    let unkToken: String?
    let prefix: [UInt8]
    let suffix: [UInt8]
    let fuseUnk: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    /// Ids of `<0x00>` … `<0xFF>` (nil when absent).
    let byteIds: [Int?]
    private let cache = WordCache<[Unicode.Scalar], [Int]>(capacity: 10_000)

    init(json: JSONNode) throws {
        vocab = try Vocabulary(json: try json.required("vocab"))
        unkToken = try json.optional("unk_token")?.string()
        prefix = Array(try json.string("continuing_subword_prefix", default: "").utf8)
        suffix = Array(try json.string("end_of_word_suffix", default: "").utf8)
        fuseUnk = try json.bool("fuse_unk", default: false)
        byteFallback = try json.bool("byte_fallback", default: false)
        ignoreMerges = try json.bool("ignore_merges", default: false)
        if let dropout = try json.optional("dropout")?.double(), dropout > 0 {
            throw json.error("\(json.at).dropout \(dropout) is not supported (encoding would be random)")
        }
        let v = vocab
        byteIds = (0..<256).map { v.id(byteToken(UInt8($0))) }
        merges = try BPEModel.readMerges(json.optional("merges")?.array() ?? [], vocab: vocab, prefixLength: prefix.count)
    }

    /// Reads merges written as "a b" strings or [a, b] pairs.
    static func readMerges(_ items: [JSONNode], vocab: Vocabulary, prefixLength: Int) throws -> [UInt64: (rank: Int, id: Int)] {
        var merges: [UInt64: (rank: Int, id: Int)] = [:]
        merges.reserveCapacity(items.count)
        var rank = 0
        for item in items {
            let a: String, b: String
            if case .string(let line) = item.value {
                if line.hasPrefix("#version") { continue }
                let parts = line.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw item.error("\(item.at): merge \"\(line)\" is not two tokens") }
                (a, b) = (String(parts[0]), String(parts[1]))
            } else {
                let pair = try item.array()
                guard pair.count == 2 else { throw item.error("\(item.at) should be a pair of tokens") }
                (a, b) = (try pair[0].string(), try pair[1].string())
            }
            guard let left = vocab.id(a), let right = vocab.id(b) else {
                throw item.error("\(item.at): merge token \"\(vocab.id(a) == nil ? a : b)\" is not in the vocabulary")
            }
            let merged = Array(a.utf8) + Array(b.utf8).dropFirst(prefixLength)
            guard let id = vocab.id(merged) else {
                throw item.error("\(item.at): merged token \"\(String(decoding: merged, as: UTF8.self))\" is not in the vocabulary")
            }
            merges[UInt64(left) << 32 | UInt64(right)] = (rank, id)
            rank += 1
        }
        return merges
    }

    var count: Int { vocab.count }
    var idLimit: Int { vocab.idLimit }
    func token(for id: Int) -> String? { vocab.token(id) }
    func id(for token: String) -> Int? { vocab.id(token) }

    func tokenize(_ piece: [Unicode.Scalar], into tokens: inout [EncodedToken]) throws {
        if piece.isEmpty { return }
        if ignoreMerges, let id = vocab.id(utf8(piece)) { tokens.append(EncodedToken(id: id)); return }
        if let ids = cache.get(piece) {
            for id in ids { tokens.append(EncodedToken(id: id)) }
            return
        }
        let ids = merge(try symbols(piece))
        if piece.count < 256 { cache.set(piece, ids) }
        for id in ids { tokens.append(EncodedToken(id: id)) }
    }

    private func utf8(_ s: [Unicode.Scalar]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        for c in s { UTF8.encode(c) { out.append($0) } }
        return out
    }

    /// The initial symbols of a word (model.rs `merge_word` before merging).
    private func symbols(_ word: [Unicode.Scalar]) throws -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(word.count)
        var unk: Int? = nil
        var key: [UInt8] = []
        for (i, c) in word.enumerated() {
            key.removeAll(keepingCapacity: true)
            if i > 0 { key += prefix }
            UTF8.encode(c) { key.append($0) }
            if i == word.count - 1 { key += suffix }
            if let id = vocab.id(key) {
                if unk != nil { ids.append(unk!); unk = nil }
                ids.append(id)
                continue
            }
            if byteFallback {
                let bytes = key.compactMap { byteIds[Int($0)] }
                if bytes.count == key.count { ids += bytes; continue }
            }
            guard let unkToken else { continue }
            guard let unkId = vocab.id(unkToken) else {
                throw TokenizerError("BPE", "unk_token \"\(unkToken)\" is not in the vocabulary")
            }
            if unk != nil && !fuseUnk { ids.append(unk!) }
            unk = unkId
        }
        if let unk { ids.append(unk) }
        return ids
    }

    @inline(__always) private func rank(_ a: Int, _ b: Int) -> (rank: Int, id: Int)? {
        merges[UInt64(a) << 32 | UInt64(b)]
    }

    /// Merges the lowest-ranked adjacent pair (leftmost on ties) until none is left (word.rs `merge_all`).
    private func merge(_ start: [Int]) -> [Int] {
        var syms = start
        guard syms.count > 1 else { return syms }
        var ranks = (0..<syms.count - 1).map { rank(syms[$0], syms[$0 + 1]) }
        while true {
            var best = -1
            var bestRank = Int.max
            for (p, r) in ranks.enumerated() { if let r, r.rank < bestRank { bestRank = r.rank; best = p } }
            if best < 0 { break }
            syms[best] = ranks[best]!.id
            syms.remove(at: best + 1)
            ranks.remove(at: best)
            if best > 0 { ranks[best - 1] = rank(syms[best - 1], syms[best]) }
            if best < ranks.count { ranks[best] = rank(syms[best], syms[best + 1]) }
        }
        return syms
    }
}
