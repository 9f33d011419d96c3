// Greedy search and multinomial sampling: one row per hypothesis, each step picks one token
// per row from its processed scores.
//
// Semantics follow Hugging Face transformers 5.24 generation/utils.py `_sample`: processors
// act on the raw logits, greedy takes the first argmax, sampling draws from the softmax.
// HF keeps finished rows and pads them; here they leave the session instead (same ids).
// Under CTranslate2's semantics (`src/decoding.cc` `GreedySearch` with a `RandomSampler`,
// `src/sampling.cc`), as faster-whisper samples its fallback: the token is drawn from
// softmax(logits / T) over the whole vocabulary, its score is its log-probability without the
// temperature, and each source draws from its own random stream in its rows' order.
import Foundation
import Seq2SeqTensor

struct SamplingSearch {
    let plan: DecodePlan
    var onToken: ((_ source: Int, _ token: Int) -> Void)? = nil

    private struct Row {
        let source: Int
        let slot: Int
        var ids: [Int]
        var logProbs: [Float] = []
    }

    func run(_ session: DecoderSession) throws -> [[Hypothesis]] {
        let sources = session.sourceCount, v = session.vocabularySize
        let perSource = plan.config.doSample ? plan.config.numReturnSequences : 1
        // One stream for all (HF), or one per source (CTranslate2).
        let streamPerSource = plan.semantics != .huggingFace
        var rngs = Array(repeating: SeededRandomGenerator(seed: plan.config.seed ?? 0), count: streamPerSource ? sources : 1)
        var scratch = [Float](repeating: 0, count: v)
        var results = [[Hypothesis?]](repeating: [Hypothesis?](repeating: nil, count: perSource), count: sources)

        var logits = try plan.feedPrompt(session)
        var rows = (0..<sources * perSource).map { Row(source: $0 / perSource, slot: $0 % perSource, ids: plan.prompts[$0 / perSource]) }
        // Session row of each row: after the prompt, every source has one session row.
        var sessionRows = rows.map(\.source)
        var sessionRowCount = sources
        while true {
            for i in rows.indices {
                let (token, logProb) = scratch.withUnsafeMutableBufferPointer { row in
                    row.baseAddress!.update(from: logits.data + sessionRows[i] * v, count: v)
                    plan.processors.process(row, ids: rows[i].ids, source: rows[i].source)
                    return choose(row, rng: &rngs[streamPerSource ? rows[i].source : 0])
                }
                rows[i].ids.append(token)
                rows[i].logProbs.append(logProb)
                if perSource == 1 { onToken?(rows[i].source, token) }
            }
            var keep: [Int] = []
            for (i, row) in rows.enumerated() {
                if plan.isEOS(row.ids[row.ids.count - 1]) || row.ids.count >= plan.maxLength(row.source) {
                    results[row.source][row.slot] = Hypothesis(
                        ids: Array(row.ids.dropFirst(plan.promptLength)),
                        score: row.logProbs.reduce(0, +), tokenLogProbs: row.logProbs)
                } else {
                    keep.append(i)
                }
            }
            if keep.isEmpty { break }
            let wanted = keep.map { sessionRows[$0] }
            if wanted != Array(0..<sessionRowCount) { try session.reorder(rows: wanted) }
            rows = keep.map { rows[$0] }
            sessionRows = Array(rows.indices)
            sessionRowCount = rows.count
            logits = try session.step(tokens: rows.map { $0.ids[$0.ids.count - 1] })
            checkShape(logits, rows: rows.count, vocabulary: v)
        }
        return results.map { $0.compactMap { $0 } }
    }

    /// The next token of one processed row and its log-probability under softmax(row).
    private func choose(_ row: UnsafeMutableBufferPointer<Float>, rng: inout SeededRandomGenerator) -> (Int, Float) {
        guard plan.config.doSample else {
            let token = RowMath.argmax(row)
            return (token, RowMath.logSoftmax(of: token, in: row))
        }
        if plan.semantics != .huggingFace { return drawUntempered(row, rng: &rng) }
        let m = RowMath.maximum(row)
        var total: Double = 0
        for i in row.indices {
            let w = expf(row[i] - m)
            row[i] = w
            total += Double(w)
        }
        let token = RowMath.drawIndex(weights: UnsafeBufferPointer(row), total: total, u: rng.nextUnit())
        return (token, logf(row[token]) - Float(Foundation.log(total)))
    }

    /// CTranslate2: a token drawn from softmax(row / T), and its log-probability under softmax(row).
    private func drawUntempered(_ scores: UnsafeMutableBufferPointer<Float>, rng: inout SeededRandomGenerator) -> (Int, Float) {
        let temperature = plan.config.temperature
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
