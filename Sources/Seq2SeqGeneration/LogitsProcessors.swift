// Logits processors: small rules that rewrite one row of next-token scores given the row's
// decoder ids so far (decoder start token first).
//
// Semantics follow Hugging Face transformers 5.24 generation/logits_process.py, and the list
// is built in the order of generation/utils.py `_get_logits_processor`.
import Foundation

/// Rewrites one row of next-token scores `[V]` given that row's decoder ids (start token first).
///
/// Model-specific rules (Whisper's timestamp and suppression rules) are processors passed to
/// `Generator(config:extraProcessors:)`; they run after the standard ones.
public protocol LogitsProcessor {
    /// Rewrites `scores` (raw scores for greedy search and sampling, log-probabilities for
    /// beam search, as in Hugging Face) for the row whose ids so far are `ids`.
    func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int])
}

/// HF `RepetitionPenaltyLogitsProcessor`: a token already in the row has its score divided by
/// the penalty when positive and multiplied when negative, once per distinct token. The row is
/// read from `historyStart` on: 0 in Hugging Face (the decoder prompt counts), the prompt
/// length in CTranslate2 (only generated tokens count: `RepetitionPenalty` in
/// `decoding_utils.cc` sees the search's `alive_seq`).
public struct RepetitionPenalty: LogitsProcessor {
    public let penalty: Float
    public let historyStart: Int

    public init(penalty: Float, historyStart: Int = 0) {
        self.penalty = penalty
        self.historyStart = historyStart
    }

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) {
        var seen = Set<Int>(minimumCapacity: ids.count)
        for id in ids.dropFirst(historyStart) where id >= 0 && id < scores.count && seen.insert(id).inserted {
            let s = scores[id]
            scores[id] = s < 0 ? s * penalty : s / penalty
        }
    }
}

/// HF `NoRepeatNGramLogitsProcessor`: bans every token that would complete an n-gram already
/// in the row, read from `historyStart` on (as `RepetitionPenalty` reads it).
public struct NoRepeatNGram: LogitsProcessor {
    public let size: Int
    public let historyStart: Int

    public init(size: Int, historyStart: Int = 0) {
        self.size = size
        self.historyStart = historyStart
    }

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) {
        let first = min(historyStart, ids.count), t = ids.count - first
        guard t >= size else { return }
        let prefixStart = first + t - size + 1
        for start in first...(first + t - size) {
            var matches = true
            for k in 0..<(size - 1) where ids[start + k] != ids[prefixStart + k] { matches = false; break }
            let banned = ids[start + size - 1]
            if matches && banned >= 0 && banned < scores.count { scores[banned] = -.infinity }
        }
    }
}

/// A rule that also reads the encoder's input ids of the row's source.
public protocol SourceLogitsProcessor {
    /// Rewrites `scores` of a row of source `source` whose decoder ids so far are `ids`.
    func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int], source: Int)
}

/// HF `EncoderRepetitionPenaltyLogitsProcessor`: each distinct token of the row's source has
/// its score multiplied by the penalty when positive and divided by it when negative (a
/// penalty above 1 makes source tokens likelier). Ids are compared as numbers, as HF does.
public struct EncoderRepetitionPenalty: SourceLogitsProcessor {
    /// HF keeps 1 / penalty and divides (positive) or multiplies (negative) by it, in float32.
    private let inverse: Float
    private let tokens: [[Int]]

    public init(penalty: Float, sources: [[Int]]) {
        inverse = Float(1 / Double(penalty))
        tokens = sources.map { Array(Set($0)) }
    }

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int], source: Int) {
        guard tokens.indices.contains(source) else { return }
        for id in tokens[source] where id >= 0 && id < scores.count {
            let s = scores[id]
            scores[id] = s < 0 ? s * inverse : s / inverse
        }
    }
}

/// HF `EncoderNoRepeatNGramLogitsProcessor`: bans every token that would make the row's last
/// `size` ids an n-gram of the row's source (with `size` 1, every source token). Ids are
/// compared as numbers, as HF does, even when source and target vocabularies differ.
public struct EncoderNoRepeatNGram: SourceLogitsProcessor {
    public let size: Int
    /// Per source: each (size − 1)-gram of its ids → the ids that follow it there.
    private let following: [[[Int]: [Int]]]

    public init(size: Int, sources: [[Int]]) {
        self.size = size
        following = sources.map { ids in
            var map: [[Int]: [Int]] = [:]
            guard ids.count >= size else { return map }
            for start in 0...(ids.count - size) {
                map[Array(ids[start..<(start + size - 1)]), default: []].append(ids[start + size - 1])
            }
            return map
        }
    }

    /// Bans for a row of `source` whose decoder ids so far are `ids` (HF bans nothing while
    /// the row is shorter than size − 1).
    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int], source: Int) {
        guard ids.count >= size - 1, following.indices.contains(source),
              let banned = following[source][Array(ids.suffix(size - 1))] else { return }
        for token in banned where token >= 0 && token < scores.count { scores[token] = -.infinity }
    }
}

/// HF `NoBadWordsLogitsProcessor`: a single-token entry is always banned; a longer entry bans
/// its last token when the row ends with the others. Entries that are a lone EOS are dropped.
public struct NoBadWords: LogitsProcessor {
    public let sequences: [[Int]]

    public init(sequences: [[Int]], eosTokenIds: [Int]) {
        self.sequences = sequences.filter { !($0.count == 1 && eosTokenIds.contains($0[0])) && !$0.isEmpty }
    }

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) {
        for sequence in sequences {
            let banned = sequence[sequence.count - 1]
            guard banned >= 0 && banned < scores.count else { continue }
            let head = sequence.dropLast()
            if head.count <= ids.count && ids.suffix(head.count).elementsEqual(head) { scores[banned] = -.infinity }
        }
    }
}

/// HF `MinLengthLogitsProcessor` (and `MinNewTokensLengthLogitsProcessor`, which is the same
/// rule with the prompt length added): EOS tokens are banned while the row is shorter than `minLength`.
public struct MinLength: LogitsProcessor {
    public let minLength: Int
    public let eosTokenIds: [Int]

    public init(minLength: Int, eosTokenIds: [Int]) {
        self.minLength = minLength
        self.eosTokenIds = eosTokenIds
    }

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) {
        guard ids.count < minLength else { return }
        for id in eosTokenIds where id >= 0 && id < scores.count { scores[id] = -.infinity }
    }
}

/// HF `ForcedBOSTokenLogitsProcessor`: after the start token only `token` is allowed (score 0).
public struct ForcedBOS: LogitsProcessor {
    public let token: Int

    public init(token: Int) {
        self.token = token
    }

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) {
        guard ids.count == 1 else { return }
        forceToken(token, in: scores)
    }
}

/// HF `ForcedEOSTokenLogitsProcessor`: when the row is one token short of `maxLength`, only
/// `token` is allowed (score 0).
public struct ForcedEOS: LogitsProcessor {
    public let maxLength: Int
    public let token: Int

    public init(maxLength: Int, token: Int) {
        self.maxLength = maxLength
        self.token = token
    }

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) {
        guard ids.count == maxLength - 1 else { return }
        forceToken(token, in: scores)
    }
}

private func forceToken(_ token: Int, in scores: UnsafeMutableBufferPointer<Float>) {
    for i in scores.indices { scores[i] = -.infinity }
    if token >= 0 && token < scores.count { scores[token] = 0 }
}

/// HF `SuppressTokensLogitsProcessor` (always) and `SuppressTokensAtBeginLogitsProcessor`
/// (only when the row has `onlyAtLength` ids): the tokens get score -inf.
public struct SuppressTokens: LogitsProcessor {
    public let tokens: [Int]
    public var onlyAtLength: Int?

    public init(tokens: [Int], onlyAtLength: Int? = nil) {
        self.tokens = tokens
        self.onlyAtLength = onlyAtLength
    }

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) {
        if let length = onlyAtLength, ids.count != length { return }
        for id in tokens where id >= 0 && id < scores.count { scores[id] = -.infinity }
    }
}

/// HF `TemperatureLogitsWarper`: scores divided by the temperature.
public struct Temperature: LogitsProcessor {
    public let temperature: Float

    public init(temperature: Float) {
        self.temperature = temperature
    }

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) {
        for i in scores.indices { scores[i] = scores[i] / temperature }
    }
}

/// HF `TopKLogitsWarper`: scores below the k-th largest become -inf (ties with it are kept).
/// Quickselect on a scratch row: O(V).
public final class TopK: LogitsProcessor {
    public let k: Int
    private var scratch: [Float] = []

    public init(k: Int, minTokensToKeep: Int) { self.k = max(k, minTokensToKeep) }

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) {
        let k = min(self.k, scores.count)
        if scratch.count < scores.count { scratch = [Float](repeating: 0, count: scores.count) }
        let threshold = scratch.withUnsafeMutableBufferPointer {
            RowMath.kthLargest(scores, k: k, scratch: $0.baseAddress!)
        }
        for i in scores.indices where scores[i] < threshold { scores[i] = -.infinity }
    }
}

/// HF `TopPLogitsWarper`: with tokens sorted by ascending probability, those whose cumulative
/// probability stays at or below 1 - topP become -inf, except the `minTokensToKeep` most likely.
/// Only tokens with a finite score are sorted (after top-k these are few).
public final class TopP: LogitsProcessor {
    public let topP: Float
    public let minTokensToKeep: Int
    private var finite: [(value: Float, index: Int)] = []

    public init(topP: Float, minTokensToKeep: Int) {
        self.topP = topP
        self.minTokensToKeep = minTokensToKeep
    }

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) {
        finite.removeAll(keepingCapacity: true)
        for i in scores.indices where scores[i] > -.infinity { finite.append((scores[i], i)) }
        finite.sort { $0.value < $1.value || ($0.value == $1.value && $0.index < $1.index) }
        guard let m = finite.last?.value else { return }
        var total: Float = 0
        for entry in finite { total += expf(entry.value - m) }
        let keepFrom = finite.count - minTokensToKeep
        var cumulative: Float = 0
        for (rank, entry) in finite.enumerated() {
            cumulative += expf(entry.value - m) / total
            if cumulative <= 1 - topP && rank < keepFrom { scores[entry.index] = -.infinity }
        }
    }
}

/// HF `LogitNormalization`: the row log-softmaxed again (beam scores stay log-probabilities
/// after other processors banned or forced tokens).
public struct LogitNormalization: LogitsProcessor {
    public init() {}

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) { RowMath.logSoftmax(scores) }
}

/// HF `InfNanRemoveLogitsProcessor`: NaN → 0, ±inf → the largest finite value of that sign.
public struct InfNanRemove: LogitsProcessor {
    public init() {}

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) {
        for i in scores.indices {
            if scores[i].isNaN { scores[i] = 0 } else if scores[i].isInfinite { scores[i] = scores[i] > 0 ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude }
        }
    }
}

/// HF `ExponentialDecayLengthPenalty`: once the row is longer than `start` (prompt included),
/// each EOS score s gains |s| · (factor^(length − start) − 1); non-finite scores are left alone.
public struct ExponentialDecayLengthPenalty: LogitsProcessor {
    public let start: Int
    public let factor: Double
    public let eosTokenIds: [Int]

    public init(start: Int, factor: Double, eosTokenIds: [Int]) {
        self.start = start
        self.factor = factor
        self.eosTokenIds = eosTokenIds
    }

    public func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int]) {
        guard ids.count > start else { return }
        let growth = Float(pow(factor, Double(ids.count - start)) - 1)
        for eos in eosTokenIds where eos >= 0 && eos < scores.count && scores[eos].isFinite {
            scores[eos] += abs(scores[eos]) * growth
        }
    }
}

/// The processors of one `generate` call, in HF order, and the per-row entry point.
struct LogitsProcessorList {
    /// A rule of the list: one that reads only the row, or one that also reads the row's source.
    private enum Entry {
        case row(LogitsProcessor)
        case source(SourceLogitsProcessor)
    }
    private var entries: [Entry] = []

    /// Builds the list as `_get_logits_processor` does for an encoder-decoder model.
    /// - Parameters:
    ///   - promptLength: decoder prompt length (start token plus forced prefix).
    ///   - maxLength, minLength: the resolved absolute lengths.
    ///   - sourceIds: the encoder's input ids per source (nil for audio encoders: as in HF,
    ///     `encoder_repetition_penalty` and `encoder_no_repeat_ngram_size` are then ignored).
    init(config c: GenerationConfig, promptLength: Int, maxLength: Int, minLength: Int,
         sourceIds: [[Int]]? = nil, extra: [LogitsProcessor] = [], warpers: Bool = true, historyStart: Int = 0) {
        var list: [Entry] = []
        func add(_ p: LogitsProcessor) { list.append(.row(p)) }
        if c.encoderRepetitionPenalty != 1, let sources = sourceIds {
            list.append(.source(EncoderRepetitionPenalty(penalty: c.encoderRepetitionPenalty, sources: sources)))
        }
        if c.repetitionPenalty != 1 { add(RepetitionPenalty(penalty: c.repetitionPenalty, historyStart: historyStart)) }
        if c.noRepeatNgramSize > 0 { add(NoRepeatNGram(size: c.noRepeatNgramSize, historyStart: historyStart)) }
        if c.encoderNoRepeatNgramSize > 0, let sources = sourceIds {
            list.append(.source(EncoderNoRepeatNGram(size: c.encoderNoRepeatNgramSize, sources: sources)))
        }
        if !c.badWordsIds.isEmpty { add(NoBadWords(sequences: c.badWordsIds, eosTokenIds: c.eosTokenIds)) }
        if minLength > 0 && !c.eosTokenIds.isEmpty { add(MinLength(minLength: minLength, eosTokenIds: c.eosTokenIds)) }
        if let bos = c.forcedBosTokenId { add(ForcedBOS(token: bos)) }
        if let eos = c.forcedEosTokenId { add(ForcedEOS(maxLength: maxLength, token: eos)) }
        if c.removeInvalidValues { add(InfNanRemove()) }
        if let decay = c.exponentialDecayLengthPenalty, !c.eosTokenIds.isEmpty {
            add(ExponentialDecayLengthPenalty(start: decay.start + promptLength, factor: decay.factor, eosTokenIds: c.eosTokenIds))
        }
        if !c.suppressTokens.isEmpty { add(SuppressTokens(tokens: c.suppressTokens)) }
        if !c.beginSuppressTokens.isEmpty {
            let begin = promptLength > 1 || c.forcedBosTokenId == nil ? promptLength : promptLength + 1
            add(SuppressTokens(tokens: c.beginSuppressTokens, onlyAtLength: begin))
        }
        if c.doSample && warpers { Self.warpers(c).forEach(add) }
        extra.forEach(add)
        // HF: "`LogitNormalization` should always be the last logit processor".
        if c.renormalizeLogits { add(LogitNormalization()) }
        entries = list
    }

    /// The sampling warpers (HF's former `LogitsWarper`s), in HF order.
    private static func warpers(_ c: GenerationConfig) -> [LogitsProcessor] {
        let minTokensToKeep = c.numBeams > 1 ? (c.eosTokenIds.isEmpty ? 2 : c.eosTokenIds.count + 1) : 1
        var warpers: [LogitsProcessor] = []
        if c.temperature != 1 { warpers.append(Temperature(temperature: c.temperature)) }
        if c.topK != 0 { warpers.append(TopK(k: c.topK, minTokensToKeep: minTokensToKeep)) }
        if c.topP < 1 { warpers.append(TopP(topP: c.topP, minTokensToKeep: minTokensToKeep)) }
        return warpers
    }

    /// Applies every processor in order to one row of source `source`.
    func process(_ scores: UnsafeMutableBufferPointer<Float>, ids: [Int], source: Int) {
        for entry in entries {
            switch entry {
            case .row(let p): p.process(scores, ids: ids)
            case .source(let p): p.process(scores, ids: ids, source: source)
            }
        }
    }
}
