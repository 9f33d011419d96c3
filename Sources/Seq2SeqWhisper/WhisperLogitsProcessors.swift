// Whisper's timestamp rules as a logits processor — modelled on CTranslate2
// `src/models/whisper.cc` (`ApplyTimestampRules`, and how `WhisperReplica::generate` sets up
// `SuppressTokens` / `SuppressTokensBegin` from faster-whisper's options) and openai/whisper
// `decoding.py` (`ApplyTimestampRules`). Suppression (`suppress_tokens`, and `suppress_blank` at
// the first generated step) is Seq2SeqGeneration's `SuppressTokens`.
//
// Every processor sees one row's decoder ids, prompt included; `sampleBegin` is the prompt
// length, so `ids[sampleBegin...]` are the tokens generated so far. Scores may be raw logits
// (greedy, sampling) or log-probabilities (beam search): every rule here is shift-invariant.
import Foundation
import Seq2SeqGeneration

/// The timestamp grammar: the first token is a timestamp no later than `maxInitialTimestamp`;
/// timestamps come in pairs (except right before `<|endoftext|>`) and never decrease; when
/// the timestamp tokens together are more likely than any single text token, a timestamp
/// must come next. `<|notimestamps|>` is never generated.
struct WhisperTimestampRules: LogitsProcessor {
    let tokens: WhisperTokens
    let sampleBegin: Int
    /// Index of the latest allowed first timestamp (50 → 1.00 s).
    let maxInitialTimestampIndex: Int

    func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) {
        let begin = tokens.timestampBegin, end = min(tokens.lastId, scores.count - 1), eot = tokens.endOfText
        scores[tokens.noTimestamps] = -.infinity
        let generated = ids.count - sampleBegin
        if generated == 0 {
            ban(scores, 0, begin - 1)
            ban(scores, begin + maxInitialTimestampIndex + 1, end)
            return
        }
        guard generated > 0 else { return }
        let last = ids[ids.count - 1]
        if last >= begin {
            let penultimate = generated > 1 ? ids[ids.count - 2] : last
            if penultimate >= begin {
                ban(scores, begin, end)  // a pair is complete: text (or the end) comes next
                return
            }
            ban(scores, 0, eot - 1)  // an opening timestamp: a closing one or the end
            ban(scores, begin, last - 1)
        } else if let previous = ids[sampleBegin...].last(where: { $0 >= begin }) {
            ban(scores, begin, previous)  // timestamps never go back
        }
        if timestampMassWins(scores, begin: begin, end: end) { ban(scores, 0, begin - 1) }
    }

    /// Whether log Σ p(timestamp) exceeds the log-probability of the best text token (the
    /// softmax normalizer is common to both sides, so it is left out).
    private func timestampMassWins(_ scores: UnsafeMutableBufferPointer<Float>, begin: Int, end: Int) -> Bool {
        var maxText = -Float.infinity
        for i in 0..<begin { maxText = max(maxText, scores[i]) }
        var tm = -Float.infinity
        for i in begin...end { tm = max(tm, scores[i]) }
        guard tm > -.infinity else { return false }
        var stamps: Float = 0
        for i in begin...end { stamps += expf(scores[i] - tm) }
        return tm + logf(stamps) > maxText
    }

    /// Bans ids `low...high` (nothing when `low > high`).
    private func ban(_ scores: UnsafeMutableBufferPointer<Float>, _ low: Int, _ high: Int) {
        var i = max(low, 0)
        while i <= min(high, scores.count - 1) { scores[i] = -.infinity; i += 1 }
    }
}
