// Added tokens (tokenizer.json `added_tokens`), split out of the text before the pipeline runs,
// modelled on huggingface/tokenizers tokenizers/src/tokenizer/added_vocabulary.rs: tokens with
// `normalized: false` are found in the raw text first, then each remaining stretch is
// normalized and searched for the `normalized: true` ones. Matching is leftmost-longest;
// `single_word` rejects a match touching a word character, `lstrip`/`rstrip` swallow the
// whitespace beside it.
import Seq2SeqIO

/// One entry of `added_tokens`.
struct AddedToken {
    let content: String
    let scalars: [Unicode.Scalar]
    let id: Int
    let special: Bool
    let singleWord: Bool
    let lstrip: Bool
    let rstrip: Bool
    let normalized: Bool
}

/// The added tokens of a tokenizer and the splitting they do.
struct AddedVocabulary: Sendable {
    private(set) var tokens: [AddedToken] = []
    /// Content → id.
    private(set) var ids: [[UInt8]: Int] = [:]
    /// Id → content.
    private(set) var contents: [Int: String] = [:]
    /// Contents of the special tokens, skipped by `decode(skipSpecialTokens: true)`.
    private(set) var special: Set<[UInt8]> = []
    private var raw = AddedTokenMatcher(patterns: [])
    private var afterNormalization = AddedTokenMatcher(patterns: [])

    /// Reads `added_tokens`, giving ids as `AddedVocabulary::add_tokens` does: the model's id
    /// when the content is in its vocabulary, else the next id after the model's.
    init(json: JSONNode?, model: TokenModel, normalizer: TextNormalizer?) throws {
        var nextId = model.count
        var byId: [Int: AddedToken] = [:]
        var order: [Int] = []
        for entry in try json?.array() ?? [] {
            let content = try entry.required("content").string()
            if content.isEmpty { continue }
            let key = Array(content.utf8)
            let special = try entry.bool("special", default: false)
            let id: Int
            if let known = ids[key] ?? model.id(for: content) {
                id = known
            } else {
                id = nextId
                nextId += 1
            }
            let token = AddedToken(content: content, scalars: Array(content.unicodeScalars), id: id, special: special,
                                   singleWord: try entry.bool("single_word", default: false),
                                   lstrip: try entry.bool("lstrip", default: false),
                                   rstrip: try entry.bool("rstrip", default: false),
                                   normalized: try entry.bool("normalized", default: !special))
            ids[key] = id
            if special { self.special.insert(key) }
            if byId[id] == nil { order.append(id) }
            byId[id] = token
        }
        tokens = order.compactMap { byId[$0] }
        for t in tokens { contents[t.id] = t.content }
        raw = AddedTokenMatcher(patterns: tokens.filter { !$0.normalized }.map { ($0.scalars, $0) })
        afterNormalization = AddedTokenMatcher(patterns: tokens.filter(\.normalized).map { t in
            (normalizer?.normalize(t.scalars) ?? t.scalars, t)
        })
    }

    /// The text split into added tokens and normalized stretches (`extract_and_normalize`).
    func extractAndNormalize(_ text: [Unicode.Scalar], normalizer: TextNormalizer?) -> [TextPiece] {
        var pieces: [TextPiece] = []
        for piece in raw.split(TextPiece(text: text, atStart: true)) {
            if piece.addedToken != nil { pieces.append(piece); continue }
            let normalized = TextPiece(text: normalizer?.normalize(piece.text) ?? piece.text, atStart: piece.atStart)
            pieces += afterNormalization.split(normalized)
        }
        return pieces
    }
}

/// Leftmost-longest search for a set of added tokens (`find_matches`).
struct AddedTokenMatcher {
    /// Patterns, longest first, grouped by their first scalar.
    private var byFirst: [Unicode.Scalar: [([Unicode.Scalar], AddedToken)]] = [:]
    /// Whether some pattern starts with each ASCII scalar.
    private var asciiFirst = [Bool](repeating: false, count: 128)

    init(patterns: [([Unicode.Scalar], AddedToken)]) {
        for (p, t) in patterns where !p.isEmpty {
            byFirst[p[0], default: []].append((p, t))
            if p[0].value < 128 { asciiFirst[Int(p[0].value)] = true }
        }
        for k in byFirst.keys { byFirst[k]!.sort { $0.0.count > $1.0.count } }
    }

    /// The longest pattern matching at `i`.
    private func match(_ s: [Unicode.Scalar], at i: Int) -> ([Unicode.Scalar], AddedToken)? {
        if s[i].value < 128 && !asciiFirst[Int(s[i].value)] { return nil }
        guard let candidates = byFirst[s[i]] else { return nil }
        for (p, t) in candidates where i + p.count <= s.count && s[i..<i + p.count].elementsEqual(p) { return (p, t) }
        return nil
    }

    /// `piece` cut into stretches and added tokens; empty stretches are dropped.
    func split(_ piece: TextPiece) -> [TextPiece] {
        let s = piece.text
        guard !byFirst.isEmpty, !s.isEmpty else { return s.isEmpty ? [] : [piece] }
        var out: [TextPiece] = []
        var offset = 0
        var i = 0
        func emit(_ r: Range<Int>, _ token: AddedToken?) {
            guard !r.isEmpty else { return }
            out.append(TextPiece(text: Array(s[r]), atStart: piece.atStart && r.lowerBound == 0, addedToken: token?.id))
        }
        while i < s.count {
            guard let found = match(s, at: i) else { i += 1; continue }
            let (p, token) = found
            var start = i
            var stop = i + p.count
            i = stop
            if token.singleWord {
                let before = start == 0 || !CharClass.isRustWord(s[start - 1])
                let after = stop == s.count || !CharClass.isRustWord(s[stop])
                if !before || !after { continue }
            }
            if token.lstrip {
                var j = start
                while j > 0, CharClass.isWhitespace(s[j - 1]) { j -= 1 }
                start = max(j, offset)
            }
            if token.rstrip { while stop < s.count, CharClass.isWhitespace(s[stop]) { stop += 1 } }
            if offset < start { emit(offset..<start, nil) }
            emit(start..<stop, token)
            offset = stop
        }
        if offset < s.count { emit(offset..<s.count, nil) }
        return out
    }
}
