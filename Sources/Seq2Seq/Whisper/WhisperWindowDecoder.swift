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

    /// Stage "temperature fallback": decodes at each temperature in turn until the result is
    /// neither too repetitive (compression ratio) nor too unlikely (average log-probability),
    /// unless it is silence; when every temperature fails, the most likely result below the
    /// compression threshold (else of all) is kept, reported at the last temperature.
    func decodeWithFallback(_ encoded: EncoderOutput, prompt: [Int]) throws -> WindowResult {
        var all: [WindowResult] = [], belowCompressionThreshold: [WindowResult] = []
        for temperature in options.temperatures {
            let result = try decode(encoded, prompt: prompt, temperature: temperature)
            all.append(result)
            var needsFallback = false
            if let threshold = options.compressionRatioThreshold {
                if result.compressionRatio > threshold { needsFallback = true } else { belowCompressionThreshold.append(result) }
            }
            if let threshold = options.logProbThreshold, result.averageLogProb < threshold { needsFallback = true }
            if let silence = options.noSpeechThreshold, let threshold = options.logProbThreshold,
               result.noSpeechProb > silence, result.averageLogProb < threshold {
                needsFallback = false
            }
            if !needsFallback { return result }
        }
        let pool = belowCompressionThreshold.isEmpty ? all : belowCompressionThreshold
        var best = pool.dropFirst().reduce(pool[0]) { $1.averageLogProb > $0.averageLogProb ? $1 : $0 }
        best.temperature = options.temperatures.last ?? 0
        return best
    }

    /// One decoding of the window at `temperature`: beam search (or greedy) at 0, else
    /// `bestOf` samples of which the best by length-normalized log-probability is kept.
    func decode(_ encoded: EncoderOutput, prompt: [Int], temperature: Float) throws -> WindowResult {
        let sampling = temperature > 0
        let sotIndex = prompt.firstIndex(of: tokens.startOfTranscript) ?? 0
        // CTranslate2: at most half the decoder length, and what the prompt leaves of it.
        let taskEnd = prompt[sotIndex...].firstIndex { !($0 >= tokens.startOfTranscript && $0 <= tokens.noTimestamps) } ?? prompt.count
        let maxNew = min(maxDecoderLength / 2, maxDecoderLength - (taskEnd - 1))
        var config = GenerationConfig(
            numBeams: sampling ? 1 : options.beamSize, numReturnSequences: sampling ? options.bestOf : options.beamSize,
            lengthPenalty: options.lengthPenalty, earlyStopping: .always, maxNewTokens: max(1, maxNew),
            repetitionPenalty: options.repetitionPenalty, doSample: sampling, temperature: sampling ? temperature : 1,
            topK: 0, seed: options.seed, decoderStartTokenId: prompt[0], eosTokenIds: [tokens.endOfText])
        config.noRepeatNgramSize = options.noRepeatNgramSize
        var processors: [LogitsProcessor] = []
        if !suppressed.isEmpty { processors.append(WhisperSuppressTokens(tokens: suppressed)) }
        if !suppressBlank.isEmpty { processors.append(WhisperSuppressBlank(tokens: suppressBlank, sampleBegin: prompt.count)) }
        if prompt.last != tokens.noTimestamps {
            let index = Int((options.maxInitialTimestamp / 0.02).rounded())
            processors.append(WhisperTimestampRules(tokens: tokens, sampleBegin: prompt.count, maxInitialTimestampIndex: index))
        }
        let probe = WhisperPromptSession(network.makeDecoder(for: encoded), prompt: prompt, sotIndex: sotIndex,
                                         noSpeech: tokens.noSpeech)
        let hypotheses: [Hypothesis]
        // CTranslate2's sampling and beam search; with penalties (Generation's own processors), Hugging Face's.
        let ownSearch = options.repetitionPenalty == 1 && options.noRepeatNgramSize == 0
        if sampling && ownSearch {
            hypotheses = try WhisperSampling(temperature: temperature, samples: options.bestOf, maxNewTokens: max(1, maxNew),
                                             endOfText: tokens.endOfText, processors: processors,
                                             seed: options.seed ?? 0).run(probe, prompt: prompt)
        } else if !sampling && options.beamSize > 1 && ownSearch {
            hypotheses = try WhisperBeamSearch(beamSize: options.beamSize, patience: options.patience, maxNewTokens: max(1, maxNew),
                                               endOfText: tokens.endOfText, lengthPenalty: options.lengthPenalty,
                                               processors: processors).run(probe, prompt: prompt)
        } else {
            hypotheses = try Generator(config: config, extraProcessors: processors)
                .generate(session: probe, prefix: Array(prompt.dropFirst()))[0]
        }
        let scored = hypotheses.map { h -> (tokens: [Int], sum: Float, score: Float) in
            let text = h.ids.last == tokens.endOfText ? Array(h.ids.dropLast()) : h.ids
            let sum = h.tokenLogProbs.reduce(0, +)
            return (text, sum, sum / powf(Float(text.count), options.lengthPenalty))
        }
        guard var best = scored.first else { throw TranscriptionError("Whisper decoding produced no hypothesis") }
        // CTranslate2 ranks finished hypotheses by summed log-probability / (length without
        // <|endoftext|>)^lengthPenalty; the beam search returns all of its finished ones.
        best = scored.dropFirst().reduce(best) { $1.score > $0.score ? $1 : $0 }
        let text = tokens.text(best.tokens).trimmingCharacters(in: .whitespacesAndNewlines)
        return WindowResult(tokens: best.tokens, averageLogProb: best.sum / Float(best.tokens.count + 1),
                            noSpeechProb: probe.noSpeechProb, compressionRatio: compressionRatio(text),
                            temperature: temperature)
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

/// The decoder session of one window: feeds the prompt in two batched forwards instead of
/// one step per token (the search only reads the logits after the last prompt token), and
/// records the probability of `<|nospeech|>` from the logits at the `<|startoftranscript|>`
/// position (softmax over the whole vocabulary, first row), as CTranslate2 does.
final class WhisperPromptSession: DecoderSession {
    let inner: DecoderState
    let prompt: [Int]
    let sotIndex: Int
    let noSpeech: Int
    private var fed = 0
    private(set) var noSpeechProb: Float = 0

    init(_ inner: DecoderState, prompt: [Int], sotIndex: Int, noSpeech: Int) {
        self.inner = inner
        self.prompt = prompt
        self.sotIndex = sotIndex
        self.noSpeech = noSpeech
    }

    var sourceCount: Int { inner.sourceCount }
    var vocabularySize: Int { inner.vocabularySize }

    func begin(rowsPerSource: Int) throws {
        fed = 0
        try inner.begin(rowsPerSource: rowsPerSource)
    }

    func step(tokens: [Int]) throws -> Tensor {
        defer { fed += 1 }
        let last = prompt.count - 1
        guard fed < last else {
            let logits = try inner.step(tokens: tokens)
            if fed == sotIndex { noSpeechProb = probability(of: noSpeech, in: logits) }
            return logits
        }
        precondition(tokens.allSatisfy { $0 == prompt[fed] }, "the search must feed the window's prompt first")
        let rows = inner.rowCount
        if fed == 0 {
            if sotIndex < last {
                let atSot = try inner.forward(tokens: Array(repeating: Array(prompt[0...sotIndex]), count: rows), allPositions: false)
                noSpeechProb = probability(of: noSpeech, in: atSot)
                if sotIndex + 1 < last {
                    _ = try inner.forward(tokens: Array(repeating: Array(prompt[(sotIndex + 1)..<last]), count: rows), allPositions: false)
                }
            } else {
                _ = try inner.forward(tokens: Array(repeating: Array(prompt[0..<last]), count: rows), allPositions: false)
            }
        }
        return Tensor(zeros: [rows, vocabularySize])  // never read: only the last prompt token's logits are
    }

    func reorder(rows: [Int]) throws { try inner.reorder(rows: rows) }

    /// softmax(first row of `logits`)[id].
    private func probability(of id: Int, in logits: Tensor) -> Float {
        let v = logits.shape[1], row = logits.data
        var m = -Float.infinity
        for i in 0..<v { m = max(m, row[i]) }
        var total: Double = 0
        for i in 0..<v { total += Double(expf(row[i] - m)) }
        return Float(Double(expf(row[id] - m)) / total)
    }
}
