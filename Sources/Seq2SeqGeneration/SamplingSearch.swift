// Greedy search and multinomial sampling: one row per hypothesis, each step picks one token
// per row from its processed scores.
//
// Semantics follow Hugging Face transformers 5.24 generation/utils.py `_sample`: processors
// act on the raw logits, greedy takes the first argmax, sampling draws from the softmax.
// HF keeps finished rows and pads them; here they leave the session instead (same ids).
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
        var rng = SeededRandomGenerator(seed: plan.config.seed ?? 0)
        var scratch = [Float](repeating: 0, count: v)
        var results = [[Hypothesis?]](repeating: [Hypothesis?](repeating: nil, count: perSource), count: sources)

        var logits = try plan.feedPrompt(session)
        var rows = (0..<sources * perSource).map { Row(source: $0 / perSource, slot: $0 % perSource, ids: plan.prompt) }
        // Session row of each row: after the prompt, every source has one session row.
        var sessionRows = rows.map(\.source)
        var sessionRowCount = sources
        while true {
            for i in rows.indices {
                let (token, logProb) = scratch.withUnsafeMutableBufferPointer { row in
                    row.baseAddress!.update(from: logits.data + sessionRows[i] * v, count: v)
                    plan.processors.process(row, ids: rows[i].ids, source: rows[i].source)
                    return choose(row, rng: &rng)
                }
                rows[i].ids.append(token)
                rows[i].logProbs.append(logProb)
                if perSource == 1 { onToken?(rows[i].source, token) }
            }
            var keep: [Int] = []
            for (i, row) in rows.enumerated() {
                if plan.isEOS(row.ids[row.ids.count - 1]) || row.ids.count >= plan.maxLength {
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
}
