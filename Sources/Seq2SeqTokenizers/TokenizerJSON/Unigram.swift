// The unigram language model (tokenizer.json `"type": "Unigram"`), modelled on
// huggingface/tokenizers tokenizers/src/models/unigram/{model,trie}.rs (`encode_optimized`):
// Viterbi over byte positions, each vocabulary piece scoring its log-probability; a character
// no piece starts with costs (lowest score − 10) as the unknown token; adjacent unknown
// stretches are fused; with byte_fallback an unknown stretch becomes <0xXX> bytes.
import Seq2SeqIO

/// Unigram: pieces with scores, an optional unknown id and byte fallback.
struct UnigramModel: TokenModel {
    let pieces: [(token: String, score: Double)]
    let vocab: Vocabulary
    let unkId: Int?
    let byteFallback: Bool
    let unkScore: Double
    /// A byte trie of the pieces: (node << 8 | byte) → child node.
    private let children: [Int: Int]
    /// Children of the root, by byte (-1: none).
    private let rootChildren: [Int]
    private let cache = WordCache<[Unicode.Scalar], [EncodedToken]>(capacity: 10_000)
    /// The piece id ending at each trie node (-1: none).
    private let terminal: [Int]

    init(json: JSONNode) throws {
        var pieces: [(token: String, score: Double)] = []
        for item in try json.required("vocab").array() {
            let pair = try item.array()
            guard pair.count == 2 else { throw item.error("\(item.at) should be [piece, score]") }
            pieces.append((try pair[0].string(), try pair[1].double()))
        }
        self.pieces = pieces
        vocab = Vocabulary(pieces.enumerated().map { ($1.token, $0) })
        unkId = try json.optional("unk_id")?.int()
        if let unkId, unkId < 0 || unkId >= pieces.count {
            throw json.error("\(json.at).unk_id \(unkId) is outside the vocabulary of \(pieces.count)")
        }
        byteFallback = try json.bool("byte_fallback", default: false)
        unkScore = (pieces.map(\.score).min() ?? 0) - 10
        var children: [Int: Int] = [:]
        var terminal = [-1]
        for piece in pieces {
            var node = 0
            for b in piece.token.utf8 {
                let key = node << 8 | Int(b)
                if let child = children[key] {
                    node = child
                } else {
                    children[key] = terminal.count
                    node = terminal.count
                    terminal.append(-1)
                }
            }
            terminal[node] = 0
        }
        // Each node's id is the one the token → id map gives (a later duplicate wins).
        for piece in pieces {
            var node = 0
            for b in piece.token.utf8 { node = children[node << 8 | Int(b)]! }
            terminal[node] = vocab.id(piece.token)!
        }
        self.children = children
        self.terminal = terminal
        rootChildren = (0..<256).map { children[$0] ?? -1 }
    }

    var count: Int { pieces.count }
    var idLimit: Int { pieces.count }
    func token(for id: Int) -> String? { id >= 0 && id < pieces.count ? pieces[id].token : nil }
    func id(for token: String) -> Int? { vocab.id(token) }

    func tokenize(_ piece: [Unicode.Scalar], into tokens: inout [EncodedToken]) throws {
        if piece.isEmpty { return }
        if let cached = cache.get(piece) { tokens += cached; return }
        var found: [EncodedToken] = []
        try segment(piece, into: &found)
        if piece.count < 256 { cache.set(piece, found) }
        tokens += found
    }

    private func segment(_ piece: [Unicode.Scalar], into tokens: inout [EncodedToken]) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(piece.count)
        for c in piece { UTF8.encode(c) { bytes.append($0) } }
        for stretch in try viterbi(bytes) {
            let text = Array(bytes[stretch])
            if let id = vocab.id(text) { tokens.append(EncodedToken(id: id)); continue }
            if byteFallback {
                let ids = text.compactMap { vocab.id(Array(byteToken(UInt8($0)).utf8)) }
                if ids.count == text.count { tokens += ids.map { EncodedToken(id: $0) }; continue }
            }
            guard let unkId else { throw TokenizerError("Unigram", "unknown text and no unk_id") }
            tokens.append(EncodedToken(id: unkId, text: String(decoding: text, as: UTF8.self)))
        }
    }

    /// The best segmentation of `bytes`, as byte ranges, unknown stretches fused.
    private func viterbi(_ bytes: [UInt8]) throws -> [Range<Int>] {
        let n = bytes.count
        var score = [Double](repeating: 0, count: n + 1)
        var from = [Int](repeating: -1, count: n + 1)
        var ids = [Int](repeating: 0, count: n + 1)
        var start = 0
        while start < n {
            let charLength = utf8Length(bytes[start])
            let base = score[start]
            var hasSingle = false
            var node = rootChildren[Int(bytes[start])]
            var end = start + 1
            while node >= 0 {
                let id = terminal[node]
                if id >= 0 {
                    let candidate = pieces[id].score + base
                    if from[end] < 0 || candidate > score[end] { score[end] = candidate; from[end] = start; ids[end] = id }
                    if end - start == charLength { hasSingle = true }
                }
                guard end < n, let child = children[node << 8 | Int(bytes[end])] else { break }
                node = child
                end += 1
            }
            if !hasSingle {
                guard let unkId else { throw TokenizerError("Unigram", "unknown text and no unk_id") }
                let target = min(start + charLength, n)
                let candidate = unkScore + base
                if from[target] < 0 || candidate > score[target] { score[target] = candidate; from[target] = start; ids[target] = unkId }
            }
            start += charLength
        }
        var out: [Range<Int>] = []
        var end = n
        var unkEnd = -1
        while end > 0 {
            let begin = from[end]
            if ids[end] == unkId {
                if unkEnd < 0 { unkEnd = end }
            } else {
                if unkEnd >= 0 { out.append(end..<unkEnd); unkEnd = -1 }
                out.append(begin..<end)
            }
            end = begin
        }
        if unkEnd >= 0 { out.append(0..<unkEnd) }
        return out.reversed()
    }

    @inline(__always) private func utf8Length(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }
}
