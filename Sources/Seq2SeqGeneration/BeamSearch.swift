// Beam search (and beam sampling), with Hugging Face's or CTranslate2's rules.
//
// Hugging Face: transformers 5.24 generation/utils.py `_beam_search` and its helpers
// `_get_top_k_continuations`, `_get_running_beams_for_next_iteration`,
// `_update_finished_beams`, `_check_early_stop_heuristic` and
// `_beam_search_has_unfinished_sequences`. Each source keeps `numBeams` running beams and
// `numBeams` finished slots; a step scores `max(2, 1 + nEOS) * numBeams` candidates.
// Sources HF would keep stepping without any possible change to their result are dropped
// from the session instead.
//
// CTranslate2: `src/decoding.cc` (`BeamSearch::search`, `finalize_hypothesis_score`), as
// faster-whisper runs Whisper: 2 × beam candidates per step from the summed log-probabilities;
// a candidate among the first `beam` that ends is kept as a finished hypothesis and its place
// goes to the next unfinished candidate; a source stops once `beam × patience` hypotheses are
// finished (or at its length limit), and hypotheses rank by summed log-probability /
// length^lengthPenalty (length without the EOS).
import Foundation
import Seq2SeqTensor

/// HF's stand-in for an impossible score.
private let blocked: Float = -1.0e9

struct BeamSearch {
    let plan: DecodePlan

    private struct Beam {
        var ids: [Int]
        var logProbs: [Float]
        /// Running: summed processed log-probs. Finished slot: length-normalized score.
        var score: Float
        var isFinished = false
    }

    private struct Candidate {
        let beam: Int
        let token: Int
        let score: Float
        let hitsStop: Bool
    }

    private struct SourceState {
        var running: [Beam]
        var finished: [Beam]
        var heuristicUnsatisfied = true
        var done = false
    }

    func run(_ session: DecoderSession) throws -> [[Hypothesis]] {
        if case .ctranslate2(let patience) = plan.semantics { return try runCTranslate2(session, patience: patience) }
        let n = plan.config.numBeams, v = session.vocabularySize
        var states = plan.prompts.map { prompt in
            let fresh = (0..<n).map { Beam(ids: prompt, logProbs: [], score: $0 == 0 ? 0 : blocked) }
            return SourceState(running: fresh, finished: fresh.map { var slot = $0; slot.score = blocked; return slot })
        }
        var rng = SeededRandomGenerator(seed: plan.config.seed ?? 0)
        let firstRows = UnsafeMutableBufferPointer<Float>.allocate(capacity: n * v)   // the first step's copies
        defer { firstRows.deallocate() }
        var active = Array(0..<session.sourceCount)
        var rowsPerSource = 1
        var logits = try plan.feedPrompt(session)
        var curLen = plan.promptLength

        while true {
            var parents: [[Int]] = []
            // The log-softmax of every session row at once, rows shared out over the threads.
            let scores = logits
            ThreadPool.shared.parallelFor(active.count * rowsPerSource) { r in
                RowMath.logSoftmax(UnsafeMutableBufferPointer(start: scores.data + r * v, count: v))
            }
            for (a, source) in active.enumerated() {
                // A source's n rows are contiguous once it has n rows: processed where they are.
                // Its first step has one row, copied for each beam.
                let rows: UnsafeMutableBufferPointer<Float>
                if rowsPerSource == n {
                    rows = UnsafeMutableBufferPointer(start: scores.data + a * n * v, count: n * v)
                } else {
                    rows = firstRows
                    for j in 0..<n { (rows.baseAddress! + j * v).update(from: scores.data + a * rowsPerSource * v, count: v) }
                }
                for j in 0..<n {
                    plan.processors.process(UnsafeMutableBufferPointer(rebasing: rows[(j * v)..<((j + 1) * v)]),
                                            ids: states[source].running[j].ids, source: source)
                }
                parents.append(step(&states[source], logProbs: UnsafeBufferPointer(rows), vocabulary: v, curLen: curLen,
                                    maxLength: plan.maxLength(source), rng: &rng))
            }
            curLen += 1
            var stillActive: [Int] = [], rows: [Int] = []
            for (a, source) in active.enumerated() where !states[source].done {
                stillActive.append(source)
                rows += parents[a].map { a * rowsPerSource + (rowsPerSource == 1 ? 0 : $0) }
            }
            if stillActive.isEmpty { break }
            try session.reorder(rows: rows)
            active = stillActive
            rowsPerSource = n
            logits = try session.step(tokens: active.flatMap { s in states[s].running.map { $0.ids[$0.ids.count - 1] } })
            checkShape(logits, rows: active.count * n, vocabulary: v)
        }
        return states.map { state in
            state.finished.prefix(plan.config.numReturnSequences).map {
                Hypothesis(ids: Array($0.ids.dropFirst(plan.promptLength)), score: $0.score, tokenLogProbs: $0.logProbs)
            }
        }
    }

    /// CTranslate2's beam search: processors on the raw logits, then the log-softmax; each
    /// source starts from one beam and leaves the session when its search ends. Hypotheses keep
    /// their EOS; the score's length does not count it.
    private func runCTranslate2(_ session: DecoderSession, patience: Float) throws -> [[Hypothesis]] {
        let beamSize = plan.config.numBeams, v = session.vocabularySize, candidates = 2 * beamSize
        let maxFinished = max(1, Int((Float(beamSize) * patience).rounded()))
        var logits = try plan.feedPrompt(session)
        var beams = plan.prompts.map { [Beam(ids: $0, logProbs: [], score: 0)] }
        var finished = Array(repeating: [Beam](), count: session.sourceCount)
        var active = Array(0..<session.sourceCount)  // sources still searching; their rows in this order, beams contiguous
        var rowLogProbs: [Float] = []
        while true {
            var stillActive: [Int] = [], parentRows: [Int] = []
            var row = 0
            for s in active {
                let rows = beams[s].count
                rowLogProbs.removeAll(keepingCapacity: true)
                for b in 0..<rows { appendProcessedLogProbs(logits.data + (row + b) * v, count: v, ids: beams[s][b].ids, source: s, to: &rowLogProbs) }
                let top = rowLogProbs.withUnsafeBufferPointer { bestAccumulated(beams[s], logProbs: $0, vocabulary: v, count: candidates) }
                    .prefix { $0.value > -.infinity }
                    .map { Candidate(beam: $0.index / v, token: $0.index % v, score: $0.value, hitsStop: plan.isEOS($0.index % v)) }
                let isLast = beams[s][0].ids.count + 1 >= plan.maxLength(s)
                var next: [Beam] = [], parents: [Int] = []
                var secondary = beamSize
                for k in 0..<min(beamSize, top.count) {
                    var chosen = top[k]
                    if chosen.hitsStop || isLast {
                        finished[s].append(extend(beams[s][chosen.beam], chosen, logProb: rowLogProbs[chosen.beam * v + chosen.token], score: chosen.score,
                                                  isFinished: true))
                        if let j = (secondary..<top.count).first(where: { !top[$0].hitsStop }) {
                            chosen = top[j]
                            secondary = j + 1
                        }
                    }
                    next.append(extend(beams[s][chosen.beam], chosen, logProb: rowLogProbs[chosen.beam * v + chosen.token], score: chosen.score, isFinished: false))
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
            if active.isEmpty { break }
            try session.reorder(rows: parentRows)
            logits = try session.step(tokens: active.flatMap { s in beams[s].map { $0.ids[$0.ids.count - 1] } })
            checkShape(logits, rows: parentRows.count, vocabulary: v)
        }
        let lengthPenalty = plan.config.lengthPenalty
        return finished.map { done in
            let ranked = done.enumerated().map { rank, beam -> (rank: Int, score: Float, hypothesis: Hypothesis) in
                let generated = Array(beam.ids.dropFirst(plan.promptLength))
                let length = generated.count - (generated.last.map(plan.isEOS) == true ? 1 : 0)
                let score = beam.score / powf(Float(length), lengthPenalty)
                return (rank, score, Hypothesis(ids: generated, score: score, tokenLogProbs: beam.logProbs))
            }
            // Best first; the earlier finished on ties.
            return ranked.sorted { $0.score > $1.score || ($0.score == $1.score && $0.rank < $1.rank) }.map(\.hypothesis)
        }
    }

    /// One row's log-softmax after the processors (CTranslate2's order), appended to `out`.
    private func appendProcessedLogProbs(_ row: UnsafeMutablePointer<Float>, count v: Int, ids: [Int], source: Int, to out: inout [Float]) {
        let start = out.count
        out.append(contentsOf: UnsafeBufferPointer(start: row, count: v))
        out.withUnsafeMutableBufferPointer { all in
            let buffer = UnsafeMutableBufferPointer(rebasing: all[start..<(start + v)])
            plan.processors.process(buffer, ids: ids, source: source)
            var m = -Float.infinity
            for s in buffer { m = max(m, s) }
            var total: Float = 0
            for s in buffer where s > -.infinity { total += expf(s - m) }
            let shift = m + logf(total)
            for i in buffer.indices { buffer[i] -= shift }
        }
    }

    /// One beam step of one source: picks candidates, updates finished slots, running beams and
    /// the stopping state. Returns the parent beam of each new running beam.
    private func step(_ state: inout SourceState, logProbs: UnsafeBufferPointer<Float>, vocabulary v: Int, curLen: Int, maxLength: Int,
                      rng: inout SeededRandomGenerator) -> [Int] {
        let n = plan.config.numBeams
        let k = max(2, 1 + plan.config.eosTokenIds.count) * n
        let candidates = topContinuations(state.running, logProbs: logProbs, vocabulary: v, count: k, curLen: curLen,
                                          maxLength: maxLength, rng: &rng)

        // `_update_finished_beams`: the top n candidates that hit a stopping criterion compete
        // with the finished slots, scored with the length penalty.
        let lengthFactor = Float(pow(Double(curLen + 1 - plan.promptLength), Double(plan.config.lengthPenalty)))
        let slotsFull = state.finished.allSatisfy(\.isFinished) && plan.config.earlyStopping == .always
        var merged = state.finished
        for (c, candidate) in candidates.enumerated() {
            let justFinished = candidate.hitsStop && c < n
            var score = candidate.score / lengthFactor
            if slotsFull { score += blocked }
            if !state.heuristicUnsatisfied { score += blocked }
            if !justFinished { score += blocked }
            merged.append(extend(state.running[candidate.beam], candidate, logProb: logProbs[candidate.beam * v + candidate.token], score: score,
                                 isFinished: justFinished))
        }
        state.finished = Array(best(merged.map(\.score), count: n).map { merged[$0] })

        // `_get_running_beams_for_next_iteration`: the best n candidates, finished ones blocked.
        let runningScores = candidates.map { $0.score + ($0.hitsStop ? blocked : 0) }
        let chosen = best(runningScores, count: n)
        let parents = chosen.map { candidates[$0].beam }
        state.running = chosen.map {
            extend(state.running[candidates[$0].beam], candidates[$0], logProb: logProbs[candidates[$0].beam * v + candidates[$0].token],
                   score: runningScores[$0], isFinished: false)
        }

        updateStopping(&state, curLen: curLen + 1, maxLength: maxLength, allHit: candidates.allSatisfy(\.hitsStop))
        return parents
    }

    /// `_check_early_stop_heuristic` and `_beam_search_has_unfinished_sequences`, per source.
    private func updateStopping(_ state: inout SourceState, curLen: Int, maxLength: Int, allHit: Bool) {
        let c = plan.config
        let bestLength = c.earlyStopping == .never && c.lengthPenalty > 0
            ? maxLength - plan.promptLength : curLen - plan.promptLength
        let bestRunning = state.running[0].score / Float(pow(Double(bestLength), Double(c.lengthPenalty)))
        let worstFinished = state.finished.map(\.score).min() ?? blocked
        let improvable = state.finished.contains { bestRunning > ($0.isFinished ? worstFinished : blocked) }
        state.heuristicUnsatisfied = state.heuristicUnsatisfied && improvable
        let allFinished = state.finished.allSatisfy(\.isFinished)
        state.done = !state.heuristicUnsatisfied || (allFinished && c.earlyStopping == .always) || allHit
    }

    /// `_get_top_k_continuations`: the `count` best (or sampled) continuations over all beams,
    /// by accumulated score, best first.
    private func topContinuations(_ running: [Beam], logProbs: UnsafeBufferPointer<Float>, vocabulary v: Int, count: Int, curLen: Int,
                                  maxLength: Int, rng: inout SeededRandomGenerator) -> [Candidate] {
        var picked: [(value: Float, index: Int)] = []
        if plan.config.doSample {
            var accumulated = Array(logProbs)
            for (j, beam) in running.enumerated() {
                for t in 0..<v { accumulated[j * v + t] += beam.score }
            }
            picked = sampleWithoutReplacement(accumulated, count: count, rng: &rng)
        } else {
            picked = bestAccumulated(running, logProbs: logProbs, vocabulary: v, count: count)
        }
        return picked.map { entry in
            let token = entry.index % v
            return Candidate(beam: entry.index / v, token: token, score: entry.value,
                             hitsStop: plan.isEOS(token) || curLen + 1 >= maxLength)
        }
    }

    /// The `count` largest accumulated scores (beam score + token log-prob) over all beams,
    /// best first, lower flat index on ties; one pass, O(numBeams × V).
    private func bestAccumulated(_ running: [Beam], logProbs lp: UnsafeBufferPointer<Float>, vocabulary v: Int,
                                 count: Int) -> [(value: Float, index: Int)] {
        var best: [(value: Float, index: Int)] = []
        best.reserveCapacity(count + 1)
        for (j, beam) in running.enumerated() {
            let base = j * v
            // 256 values at a time: a chunk whose largest value plus the beam's score does
            // not beat the last kept one holds none that would (x + s is monotonic in x,
            // and the bar only rises), so it is skipped after one vectorized max.
            var t = 0
            while t < v {
                let end = min(v, t + 256)
                if best.count < count || VectorMath.maximum(lp.baseAddress! + base + t, count: end - t) + beam.score > best[count - 1].value {
                    for u in t..<end { RowMath.offer(lp[base + u] + beam.score, index: base + u, k: count, to: &best) }
                }
                t = end
            }
        }
        return best
    }

    /// Draws `count` distinct indices with probability softmax(`scores`), then orders them by score.
    private func sampleWithoutReplacement(_ scores: [Float], count: Int,
                                          rng: inout SeededRandomGenerator) -> [(value: Float, index: Int)] {
        let m = scores.max() ?? 0
        var weights = scores.map { expf($0 - m) }
        var total = weights.reduce(0.0) { $0 + Double($1) }
        var picked: [(value: Float, index: Int)] = []
        for _ in 0..<min(count, scores.count) {
            let index = weights.withUnsafeBufferPointer {
                RowMath.drawIndex(weights: $0, total: total, u: rng.nextUnit())
            }
            picked.append((scores[index], index))
            total -= Double(weights[index])
            weights[index] = 0
        }
        return picked.sorted { $0.value > $1.value || ($0.value == $1.value && $0.index < $1.index) }
    }

    private func extend(_ parent: Beam, _ candidate: Candidate, logProb: Float, score: Float, isFinished: Bool) -> Beam {
        var beam = parent
        beam.ids.append(candidate.token)
        beam.logProbs.append(logProb)
        beam.score = score
        beam.isFinished = isFinished
        return beam
    }

    /// Indices of the `count` largest scores, best first; earlier entries win ties.
    private func best(_ scores: [Float], count: Int) -> [Int] {
        Array(scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.prefix(count))
    }
}
