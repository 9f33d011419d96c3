// Beam search as CTranslate2 runs it for Whisper — modelled on CTranslate2 `src/decoding.cc`
// (`BeamSearch::search`, `finalize_hypothesis_score`): 2 × beam candidates per step from the
// summed log-probabilities; a candidate among the first `beam` that ends the text is kept as a
// finished hypothesis and its place goes to the next unfinished candidate; the search stops
// once `beam × patience` hypotheses are finished (or at the length limit), and the best by
// summed log-probability / length^lengthPenalty (length without <|endoftext|>) wins. Hugging
// Face's beam search (Seq2SeqGeneration) differs in the length it normalizes by and in when
// it stops, which changes Whisper's results.
import Foundation
import Seq2SeqGeneration
import Seq2SeqTensor
import Seq2SeqAudio
import Seq2SeqIO
import Seq2SeqModels
import Seq2SeqTokenizers

struct WhisperBeamSearch {
    let beamSize: Int
    let patience: Float
    let endOfText: Int
    let lengthPenalty: Float
    let processors: [LogitsProcessor]

    private struct Beam {
        var ids: [Int]
        var logProbs: [Float]
        var score: Float
    }

    /// Decodes the session's sources, source `s` after `prompts[s]` (all prompts of one length)
    /// for at most `maxNewTokens[s]` tokens; returns each source's finished hypotheses (ids
    /// without <|endoftext|>, per-token log-probabilities with it), best first. Sources share
    /// every forward pass and leave it when their search ends; a source's result does not
    /// depend on the others (rows are independent in every layer).
    func run(_ session: DecoderSession, prompts: [[Int]], maxNewTokens: [Int]) throws -> [[Hypothesis]] {
        let v = session.vocabularySize, candidates = 2 * beamSize
        let maxFinished = max(1, Int((Float(beamSize) * patience).rounded()))
        let promptLength = prompts[0].count
        precondition(prompts.allSatisfy { $0.count == promptLength } && prompts.count == session.sourceCount,
                     "one prompt per source, all of one length")
        try session.begin(rowsPerSource: 1)
        var logits = try session.prefill(tokens: prompts)
        var beams = prompts.map { [Beam(ids: $0, logProbs: [], score: 0)] }
        var finished = Array(repeating: [Beam](), count: prompts.count)
        var active = Array(prompts.indices)  // sources still searching; their rows in this order, beams contiguous
        var step = 0
        while !active.isEmpty {
            var stillActive: [Int] = [], parentRows: [Int] = []
            var row = 0
            for s in active {
                let rows = beams[s].count
                let rowLogProbs = beams[s].indices.map { b in processedLogProbs(logits.data + (row + b) * v, count: v, ids: beams[s][b].ids) }
                let top = topCandidates(rowLogProbs, beams: beams[s], count: candidates)
                let isLast = step + 1 >= maxNewTokens[s]
                var next: [Beam] = [], parents: [Int] = []
                var secondary = beamSize
                for k in 0..<min(beamSize, top.count) {
                    var chosen = top[k]
                    let isEnd = chosen.token == endOfText
                    if isEnd || isLast {
                        var done = extend(beams[s][chosen.beam], chosen, rowLogProbs)
                        if isEnd { done.ids.removeLast() }
                        finished[s].append(done)
                        if let j = (secondary..<top.count).first(where: { top[$0].token != endOfText }) {
                            chosen = top[j]
                            secondary = j + 1
                        }
                    }
                    next.append(extend(beams[s][chosen.beam], chosen, rowLogProbs))
                    parents.append(chosen.beam)
                }
                if !(isLast || finished[s].count >= maxFinished) {
                    stillActive.append(s)
                    parentRows += parents.map { row + $0 }
                    beams[s] = next
                }
                row += rows
            }
            active = stillActive
            step += 1
            if active.isEmpty { break }
            try session.reorder(rows: parentRows)
            logits = try session.step(tokens: active.flatMap { s in beams[s].map { $0.ids[$0.ids.count - 1] } })
        }
        return finished.enumerated().map { s, done in
            done.map { beam -> (Hypothesis, Float) in
                let generated = Array(beam.ids.dropFirst(prompts[s].count))
                let score = beam.score / powf(Float(generated.count), lengthPenalty)
                return (Hypothesis(ids: generated, score: score, tokenLogProbs: beam.logProbs), score)
            }.sorted { $0.1 > $1.1 }.map(\.0)
        }
    }

    private struct Candidate {
        let beam: Int
        let token: Int
        let score: Float
    }

    /// Log-softmax of one row after the processors.
    private func processedLogProbs(_ row: UnsafeMutablePointer<Float>, count v: Int, ids: [Int]) -> [Float] {
        var scores = Array(UnsafeBufferPointer(start: row, count: v))
        scores.withUnsafeMutableBufferPointer { buffer in
            for p in processors { p.process(buffer, ids: ids) }
            var m = -Float.infinity
            for s in buffer { m = max(m, s) }
            var total: Float = 0
            for s in buffer where s > -.infinity { total += expf(s - m) }
            let shift = m + logf(total)
            for i in buffer.indices { buffer[i] -= shift }
        }
        return scores
    }

    /// The `count` best (beam, token) continuations by summed log-probability, best first.
    private func topCandidates(_ logProbs: [[Float]], beams: [Beam], count: Int) -> [Candidate] {
        var best: [Candidate] = []
        best.reserveCapacity(count + 1)
        for (b, row) in logProbs.enumerated() {
            let base = beams[b].score
            for (token, lp) in row.enumerated() where lp > -.infinity {
                let score = base + lp
                if best.count == count, let worst = best.last, score <= worst.score { continue }
                let at = best.firstIndex { score > $0.score } ?? best.count
                best.insert(Candidate(beam: b, token: token, score: score), at: at)
                if best.count > count { best.removeLast() }
            }
        }
        return best
    }

    private func extend(_ beam: Beam, _ c: Candidate, _ logProbs: [[Float]]) -> Beam {
        Beam(ids: beam.ids + [c.token], logProbs: beam.logProbs + [logProbs[c.beam][c.token]], score: c.score)
    }
}
