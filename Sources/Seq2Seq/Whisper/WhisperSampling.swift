// Sampling at a temperature as CTranslate2 runs it for Whisper's fallback — modelled on
// CTranslate2 `src/decoding.cc` (`GreedySearch` with a `RandomSampler`, the batch repeated
// `num_hypotheses` times) and `src/sampling.cc`: the logits processors act on the raw logits;
// the token is drawn from softmax(logits / T) over the whole vocabulary (top-k 0); the score
// it adds is its log-probability *without* the temperature, so that the average
// log-probability the fallback compares with its threshold does not depend on T.
import Foundation
import Seq2SeqGeneration
import Seq2SeqTensor

struct WhisperSampling {
    let temperature: Float
    let samples: Int
    let maxNewTokens: Int
    let endOfText: Int
    let processors: [LogitsProcessor]
    let seed: UInt64

    /// Draws `samples` continuations of `prompt`; ids without <|endoftext|>, scores normalized
    /// by length^lengthPenalty are left to the caller.
    func run(_ session: DecoderSession, prompt: [Int]) throws -> [Hypothesis] {
        let v = session.vocabularySize
        var rng = SeededRandomGenerator(seed: seed)
        try session.begin(rowsPerSource: 1)
        var logits = Tensor(zeros: [1, v])
        for token in prompt { logits = try session.step(tokens: [token]) }
        try session.reorder(rows: Array(repeating: 0, count: samples))
        var rows = (0..<samples).map { (slot: $0, ids: prompt, logProbs: [Float](), row: 0) }
        var done: [Hypothesis?] = Array(repeating: nil, count: samples)
        var scores = [Float](repeating: 0, count: v)
        for step in 0..<maxNewTokens {
            for i in rows.indices {
                let rowIndex = rows[i].row
                let (token, logProb) = scores.withUnsafeMutableBufferPointer { buffer -> (Int, Float) in
                    buffer.baseAddress!.update(from: logits.data + (step == 0 ? 0 : rowIndex) * v, count: v)
                    for p in processors { p.process(buffer, ids: rows[i].ids) }
                    return draw(buffer, rng: &rng)
                }
                rows[i].ids.append(token)
                rows[i].logProbs.append(logProb)
            }
            var keep: [Int] = []
            for (i, r) in rows.enumerated() {
                if r.ids.last == endOfText || step + 1 == maxNewTokens {
                    let ids = Array(r.ids.dropFirst(prompt.count))
                    done[r.slot] = Hypothesis(ids: ids, score: nil, tokenLogProbs: r.logProbs)
                } else {
                    keep.append(i)
                }
            }
            if keep.isEmpty { break }
            try session.reorder(rows: keep.map { step == 0 ? rows[$0].slot : rows[$0].row })
            rows = keep.enumerated().map { n, i in (rows[i].slot, rows[i].ids, rows[i].logProbs, n) }
            logits = try session.step(tokens: rows.map { $0.ids[$0.ids.count - 1] })
        }
        return done.compactMap { $0 }
    }

    /// A token drawn from softmax(scores / T), and its log-probability under softmax(scores).
    private func draw(_ scores: UnsafeMutableBufferPointer<Float>, rng: inout SeededRandomGenerator) -> (Int, Float) {
        var m = -Float.infinity
        for s in scores { m = max(m, s) }
        var plain: Double = 0, tempered: Double = 0
        for s in scores where s > -.infinity {
            plain += Double(expf(s - m))
            tempered += Double(expf((s - m) / temperature))
        }
        var u = rng.nextUnit() * tempered
        var token = 0
        for (i, s) in scores.enumerated() where s > -.infinity {
            token = i
            u -= Double(expf((s - m) / temperature))
            if u <= 0 { break }
        }
        return (token, scores[token] - m - Float(Foundation.log(plain)))
    }
}
