// SentencePiece's unigram segmentation: the best-scoring path (Viterbi) over every vocabulary
// piece found in the normalized text, with a penalised `<unk>` for characters no piece covers.
// Modelled on github.com/google/sentencepiece src/unigram_model.cc (Model::EncodeOptimized,
// the default encoder since 0.1.96); written anew here. Path scores are summed in Float,
// as sentencepiece 0.2.3 does, so that near-ties (runs of one repeated character) break the
// same way; a Double sum picks other segmentations there.

/// Scores below every piece's: `<unk>` costs the lowest NORMAL score minus this.
private let unknownPenalty: Float = 10

extension SentencePieceVocabulary {
    /// Best path of pieces over `text`, as byte ranges with ids (runs of unknowns not merged).
    func unigramSegments(_ text: UnsafeBufferPointer<UInt8>) -> [Segment] {
        let n = text.count
        guard n > 0 else { return [] }
        let unknownScore = minScore - unknownPenalty
        let userDefinedBonus = maxScore
        // Best path ending at each byte position: its score, the start of its last piece, its id.
        var bestScore = [Float](repeating: 0, count: n + 1)
        var bestStart = [Int](repeating: -1, count: n + 1)
        var bestID = [Int](repeating: -1, count: n + 1)
        types.withUnsafeBufferPointer { types in
            scores.withUnsafeBufferPointer { scores in
                var start = 0
                while start < n {
                    let scoreHere = bestScore[start]
                    let charLength = min(utf8Length(text[start]), n - start)
                    var coversChar = false
                    normalTrie.forEachPrefix(of: text, from: start) { end, id in
                        let type = types[id]
                        if type == .unused { return }
                        let length = end - start
                        let score: Float = type == .userDefined
                            ? Float(Double(Float(length) * userDefinedBonus) - 0.1)
                            : scores[id]
                        let candidate = score + scoreHere
                        if bestStart[end] == -1 || candidate > bestScore[end] {
                            bestScore[end] = candidate
                            bestStart[end] = start
                            bestID[end] = id
                        }
                        if length == charLength { coversChar = true }
                    }
                    if !coversChar {
                        let end = start + charLength
                        let candidate = unknownScore + scoreHere
                        if bestStart[end] == -1 || candidate > bestScore[end] {
                            bestScore[end] = candidate
                            bestStart[end] = start
                            bestID[end] = unkID
                        }
                    }
                    start += charLength
                }
            }
        }
        var segments: [Segment] = []
        var end = n
        while end > 0 {
            let start = bestStart[end]
            segments.append(Segment(start: start, end: end, id: bestID[end]))
            end = start
        }
        segments.reverse()
        return segments
    }
}
