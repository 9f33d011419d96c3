// Sampling at a temperature as CTranslate2 runs it for Whisper's fallback — modelled on
// CTranslate2 `src/decoding.cc` (`GreedySearch` with a `RandomSampler`, the batch repeated
// `num_hypotheses` times) and `src/sampling.cc`: the logits processors act on the raw logits;
// the token is drawn from softmax(logits / T) over the whole vocabulary (top-k 0); the score
// it adds is its log-probability *without* the temperature, so that the average
// log-probability the fallback compares with its threshold does not depend on T.
import Foundation
import Seq2SeqGeneration
import Seq2SeqTensor
import Seq2SeqAudio
import Seq2SeqIO
import Seq2SeqModels
import Seq2SeqTokenizers

struct WhisperSampling {
    let temperature: Float
    let samples: Int
    let endOfText: Int
    let processors: [LogitsProcessor]
    let seed: UInt64

    /// Draws `samples` continuations of each source's prompt (all prompts of one length), at
    /// most `maxNewTokens[s]` tokens for source `s`; ids without <|endoftext|>, scores normalized
    /// by length^lengthPenalty are left to the caller. Each source draws from its own random
    /// stream seeded with `seed`, in its rows' order, so its samples do not depend on the
    /// other sources of the batch.
    func run(_ session: DecoderSession, prompts: [[Int]], maxNewTokens: [Int]) throws -> [[Hypothesis]] {
        let v = session.vocabularySize, n = prompts.count, promptLength = prompts[0].count
        precondition(prompts.allSatisfy { $0.count == promptLength } && n == session.sourceCount, "one prompt per source, all of one length")
        var generators = Array(repeating: SeededRandomGenerator(seed: seed), count: n)
        try session.begin(rowsPerSource: 1)
        var logits = try session.prefill(tokens: prompts)
        try session.reorder(rows: (0..<n).flatMap { Array(repeating: $0, count: samples) })
        // `row`: the logits row to read (at the first step, the source's prompt row).
        var rows = (0..<n).flatMap { s in (0..<samples).map { (source: s, slot: $0, ids: prompts[s], logProbs: [Float](), row: s) } }
        var done = Array(repeating: [Hypothesis?](repeating: nil, count: samples), count: n)
        var scores = [Float](repeating: 0, count: v)
        var step = 0
        while !rows.isEmpty {
            for i in rows.indices {
                let (token, logProb) = scores.withUnsafeMutableBufferPointer { buffer -> (Int, Float) in
                    buffer.baseAddress!.update(from: logits.data + rows[i].row * v, count: v)
                    for p in processors { p.process(buffer, ids: rows[i].ids) }
                    return draw(buffer, rng: &generators[rows[i].source])
                }
                rows[i].ids.append(token)
                rows[i].logProbs.append(logProb)
            }
            var keep: [Int] = []
            for (i, r) in rows.enumerated() {
                if r.ids.last == endOfText || step + 1 >= maxNewTokens[r.source] {
                    done[r.source][r.slot] = Hypothesis(ids: Array(r.ids.dropFirst(promptLength)), score: nil, tokenLogProbs: r.logProbs)
                } else {
                    keep.append(i)
                }
            }
            if keep.isEmpty { break }
            // After the first step the session's rows are the list's; before it, source-major slots.
            try session.reorder(rows: keep.map { step == 0 ? rows[$0].source * samples + rows[$0].slot : $0 })
            rows = keep.enumerated().map { k, i in (rows[i].source, rows[i].slot, rows[i].ids, rows[i].logProbs, k) }
            logits = try session.step(tokens: rows.map { $0.ids[$0.ids.count - 1] })
            step += 1
        }
        return done.map { $0.compactMap { $0 } }
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
