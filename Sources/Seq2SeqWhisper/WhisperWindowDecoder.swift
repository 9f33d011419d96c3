// Decoding one 30 s window, with temperature fallback — modelled on faster-whisper
// `transcribe.py` (`WhisperModel.generate_with_fallback`, `get_prompt`,
// `get_compression_ratio`) and CTranslate2 `src/models/whisper.cc` (`generate`: the prompt,
// the maximum length, the no-speech probability read at `<|startoftranscript|>`).
import CZlib
import Foundation
import Seq2SeqGeneration
import Seq2SeqModels
import Seq2SeqTensor

/// The result of decoding one window at one temperature.
struct WindowResult {
    /// Generated ids, without `<|endoftext|>`.
    var tokens: [Int]
    /// Summed log-probability of the generated tokens (`<|endoftext|>` included) / (count + 1).
    var averageLogProb: Float
    /// Probability of `<|nospeech|>` at the `<|startoftranscript|>` position.
    var noSpeechProb: Float
    /// UTF-8 bytes of the text / its zlib-compressed size.
    var compressionRatio: Float
    var temperature: Float
}

/// Decodes windows of one recording with fixed options.
struct WhisperWindowDecoder {
    let network: EncoderDecoderModel
    let tokens: WhisperTokens
    let options: TranscriptionOptions
    /// Ids banned at every step; `suppressBlank` ids at the first step.
    let suppressed: [Int]
    let suppressBlank: [Int]
    /// Whisper's decoder length (448): prompt plus generated tokens.
    let maxDecoderLength: Int

    /// faster-whisper `get_prompt`: `<|startofprev|>` and the last 223 previous tokens, the
    /// start sequence, `<|notimestamps|>` when timestamps are off.
    func prompt(previous: [Int], startSequence: [Int]) -> [Int] {
        var prompt: [Int] = []
        if !previous.isEmpty {
            prompt = [tokens.startOfPrevious] + previous.suffix(maxDecoderLength / 2 - 1)
        }
        prompt += startSequence
        if options.withoutTimestamps { prompt.append(tokens.noTimestamps) }
        return prompt
    }

    /// Stage "temperature fallback", for one window or several decoded together: each window
    /// is decoded at each temperature in turn until its result is neither too repetitive
    /// (compression ratio) nor too unlikely (average log-probability), unless it is silence;
    /// when every temperature fails, its most likely result below the compression threshold
    /// (else of all) is kept, reported at the last temperature. `encoded` holds the windows in
    /// order; `prompts` are theirs, all of one length with `<|startoftranscript|>` at one index.
    /// The windows still falling back at a temperature are decoded together; each result
    /// equals the window's decoded alone.
    func decodeWithFallback(_ encoded: EncoderOutput, prompts: [[Int]]) throws -> [WindowResult] {
        let n = prompts.count
        var all = Array(repeating: [WindowResult](), count: n), belowCompressionThreshold = all
        var kept = [WindowResult?](repeating: nil, count: n)
        var pending = Array(prompts.indices)
        for temperature in options.temperatures {
            let results = try decode(pending.count == n ? encoded : encoded.sources(pending), prompts: pending.map { prompts[$0] },
                                     temperature: temperature)
            for (k, s) in pending.enumerated() {
                all[s].append(results[k])
                if let threshold = options.compressionRatioThreshold, results[k].compressionRatio <= threshold {
                    belowCompressionThreshold[s].append(results[k])
                }
                if !needsFallback(results[k]) { kept[s] = results[k] }
            }
            pending = pending.filter { kept[$0] == nil }
            if pending.isEmpty { break }
        }
        for s in pending {
            let pool = belowCompressionThreshold[s].isEmpty ? all[s] : belowCompressionThreshold[s]
            var best = pool.dropFirst().reduce(pool[0]) { $1.averageLogProb > $0.averageLogProb ? $1 : $0 }
            best.temperature = options.temperatures.last ?? 0
            kept[s] = best
        }
        return kept.map { $0! }
    }

    /// Whether a result is too repetitive (compression ratio) or too unlikely (average
    /// log-probability) to keep, unless it is silence.
    func needsFallback(_ result: WindowResult) -> Bool {
        var needsFallback = false
        if let threshold = options.compressionRatioThreshold, result.compressionRatio > threshold { needsFallback = true }
        if let threshold = options.logProbThreshold, result.averageLogProb < threshold { needsFallback = true }
        if let silence = options.noSpeechThreshold, let threshold = options.logProbThreshold,
           result.noSpeechProb > silence, result.averageLogProb < threshold {
            needsFallback = false
        }
        return needsFallback
    }

    /// CTranslate2's length limit: at most half the decoder length, and what the prompt leaves of it.
    private func maxNewTokens(_ prompt: [Int], sotIndex: Int) -> Int {
        let taskEnd = prompt[sotIndex...].firstIndex { !($0 >= tokens.startOfTranscript && $0 <= tokens.noTimestamps) } ?? prompt.count
        return max(1, min(maxDecoderLength / 2, maxDecoderLength - (taskEnd - 1)))
    }

    /// The processors of a window whose prompt has `promptLength` tokens, the last one `last`.
    private func processors(promptLength: Int, last: Int) -> [LogitsProcessor] {
        var processors: [LogitsProcessor] = []
        if !suppressed.isEmpty { processors.append(SuppressTokens(tokens: suppressed)) }
        if !suppressBlank.isEmpty { processors.append(SuppressTokens(tokens: suppressBlank, onlyAtLength: promptLength)) }
        if last != tokens.noTimestamps {
            let index = Int((options.maxInitialTimestamp / 0.02).rounded())
            processors.append(WhisperTimestampRules(tokens: tokens, sampleBegin: promptLength, maxInitialTimestampIndex: index))
        }
        return processors
    }

    /// One decoding of each window at `temperature` (prompts of one length and layout): beam
    /// search (greedy at beam 1) at 0, else `bestOf` samples of which the best by
    /// length-normalized log-probability is kept — with CTranslate2's semantics, as
    /// faster-whisper decodes, the windows sharing every forward pass. The repetition penalty
    /// and no-repeat n-grams are processors like the others.
    func decode(_ encoded: EncoderOutput, prompts: [[Int]], temperature: Float) throws -> [WindowResult] {
        let sotIndex = prompts[0].firstIndex(of: tokens.startOfTranscript) ?? 0
        precondition(prompts.allSatisfy { $0.count == prompts[0].count && ($0.firstIndex(of: tokens.startOfTranscript) ?? 0) == sotIndex },
                     "windows decoded together need prompts of one length and layout")
        let sampling = temperature > 0
        let config = GenerationConfig(
            numBeams: sampling ? 1 : options.beamSize, numReturnSequences: sampling ? options.bestOf : 1,
            lengthPenalty: options.lengthPenalty, noRepeatNgramSize: options.noRepeatNgramSize,
            repetitionPenalty: options.repetitionPenalty, doSample: sampling,
            temperature: sampling ? temperature : 1, topK: 0, seed: options.seed ?? 0, decoderStartTokenId: prompts[0][0],
            eosTokenIds: [tokens.endOfText])
        let probe = WhisperPromptSession(network.makeDecoder(for: encoded), sotIndex: sotIndex, noSpeech: tokens.noSpeech)
        let generator = Generator(config: config, extraProcessors: processors(promptLength: prompts[0].count, last: prompts[0][prompts[0].count - 1]),
                                  semantics: .ctranslate2(patience: options.patience))
        let hypotheses = try generator.generate(session: probe, prompts: prompts, maxNewTokens: prompts.map { maxNewTokens($0, sotIndex: sotIndex) })
        return try hypotheses.indices.map { try result(hypotheses[$0], noSpeechProb: probe.noSpeechProbs[$0], temperature: temperature) }
    }

    /// The window's result from its hypotheses: CTranslate2 ranks finished hypotheses by summed
    /// log-probability / (length without <|endoftext|>)^lengthPenalty.
    private func result(_ hypotheses: [Hypothesis], noSpeechProb: Float, temperature: Float) throws -> WindowResult {
        let scored = hypotheses.map { h -> (tokens: [Int], sum: Float, score: Float) in
            let text = h.ids.last == tokens.endOfText ? Array(h.ids.dropLast()) : h.ids
            let sum = h.tokenLogProbs.reduce(0, +)
            return (text, sum, sum / powf(Float(text.count), options.lengthPenalty))
        }
        guard var best = scored.first else { throw ModelError("Whisper decoding produced no hypothesis: every token was ruled out (are the logits finite?)") }
        best = scored.dropFirst().reduce(best) { $1.score > $0.score ? $1 : $0 }
        let text = tokens.text(best.tokens).trimmingCharacters(in: .whitespacesAndNewlines)
        return WindowResult(tokens: best.tokens, averageLogProb: best.sum / Float(best.tokens.count + 1),
                            noSpeechProb: noSpeechProb, compressionRatio: compressionRatio(text), temperature: temperature)
    }
}

/// faster-whisper `get_compression_ratio`: UTF-8 length over zlib (level 6) compressed length.
func compressionRatio(_ text: String) -> Float {
    let bytes = Array(text.utf8)
    guard !bytes.isEmpty else { return 0 }
    var size = compressBound(uLong(bytes.count))
    var out = [UInt8](repeating: 0, count: Int(size))
    let status = compress2(&out, &size, bytes, uLong(bytes.count), Z_DEFAULT_COMPRESSION)
    guard status == Z_OK, size > 0 else { return 0 }
    return Float(bytes.count) / Float(size)
}

/// The decoder session of one or more windows (one source each): a `DecoderState` whose
/// prefill records each source's probability of `<|nospeech|>` from the logits at the
/// `<|startoftranscript|>` position (softmax over the whole vocabulary, the source's first
/// row), as CTranslate2 does. The prompt runs through `<|startoftranscript|>` in one pass, then
/// the rest as `DecoderState.prefill` runs it.
final class WhisperPromptSession: DecoderSession {
    let inner: DecoderState
    let sotIndex: Int
    let noSpeech: Int
    private(set) var noSpeechProbs: [Float]

    init(_ inner: DecoderState, sotIndex: Int, noSpeech: Int) {
        self.inner = inner
        self.sotIndex = sotIndex
        self.noSpeech = noSpeech
        noSpeechProbs = Array(repeating: 0, count: inner.sourceCount)
    }

    var sourceCount: Int { inner.sourceCount }
    var vocabularySize: Int { inner.vocabularySize }

    func begin(rowsPerSource: Int) throws { try inner.begin(rowsPerSource: rowsPerSource) }

    func step(tokens: [Int]) throws -> Tensor { try inner.step(tokens: tokens) }

    func prefill(tokens: [[Int]]) throws -> Tensor {
        let last = tokens[0].count - 1
        precondition(sotIndex <= last, "the prompt must hold <|startoftranscript|>")
        guard sotIndex < last else {
            let logits = try inner.prefill(tokens: tokens)
            recordNoSpeech(logits)
            return logits
        }
        recordNoSpeech(try inner.forward(tokens: tokens.map { Array($0[...sotIndex]) }, allPositions: false))
        return try inner.prefill(tokens: tokens.map { Array($0[(sotIndex + 1)...]) })
    }

    func reorder(rows: [Int]) throws { try inner.reorder(rows: rows) }

    /// Each source's softmax(first row of `logits`)[noSpeech].
    private func recordNoSpeech(_ logits: Tensor) {
        let perSource = logits.shape[0] / sourceCount
        for s in 0..<sourceCount { noSpeechProbs[s] = probability(of: noSpeech, in: logits, row: s * perSource) }
    }

    private func probability(of id: Int, in logits: Tensor, row: Int) -> Float {
        let v = logits.shape[1], row = logits.data + row * v
        var m = -Float.infinity
        for i in 0..<v { m = max(m, row[i]) }
        var total: Double = 0
        for i in 0..<v { total += Double(expf(row[i] - m)) }
        return Float(Double(expf(row[id] - m)) / total)
    }
}
