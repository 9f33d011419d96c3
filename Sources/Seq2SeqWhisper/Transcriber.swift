// Speech to text with a Whisper model: log-mel features, language detection, then 30 s
// windows that seek on the timestamps the model writes — modelled on faster-whisper
// `transcribe.py` (`WhisperModel.transcribe`, `detect_language`, `generate_segments`,
// `_split_segments_by_timestamps`).
import Foundation
import Seq2SeqAudio
import Seq2SeqGeneration
import Seq2SeqIO
import Seq2SeqModels
import Seq2SeqTensor
import Seq2SeqTokenizers

/// Transcribes audio with a Whisper model folder (CTranslate2 `model.bin` or Hugging Face).
///
///     let transcriber = try Transcriber(directory: URL(fileURLWithPath: "models/whisper-base"))
///     var options = TranscriptionOptions()
///     options.beamSize = 1
///     let result = try transcriber.transcribe(path: "talk.wav", options: options)
///     for s in result.segments { print(s.start, s.end, s.text) }
public final class Transcriber: @unchecked Sendable {
    /// The loaded model.
    public let model: Seq2SeqModel
    /// The model's special tokens.
    public let tokens: WhisperTokens
    let extractor: WhisperFeatureExtractor
    /// The folder's suppressed ids (faster-whisper's set for `-1`) and blank ids (`WhisperSettings`).
    let configSuppressed: [Int]?
    let configSuppressBlank: [Int]?
    /// (layer, head) pairs whose cross-attention aligns text with audio.
    let alignmentHeads: [(layer: Int, head: Int)]

    /// Seconds per feature frame, per timestamp token, and encoder frames per timestamp step.
    static let secondsPerFrame = 0.01, timePrecision = 0.02, inputStride = 2
    static let framesPerSecond = 100

    /// Loads the Whisper model in `directory`; throws `TranscriptionError` for a text model
    /// (before reading its weights), `ModelFileError` for anything missing or wrong; its
    /// weights kept as `computeType` says.
    public convenience init(directory: URL, computeType: ComputeType = .float32) throws {
        switch try ModelFolderKind.detect(directory) {
        case .marian:
            throw TranscriptionError("\(directory.path): a text translation model (Marian, Firefox Translations), not a speech model; use translate")
        case .huggingFace(let family?) where family != "whisper":
            throw TranscriptionError("\(directory.path): a text model (\(family)), not a speech model; use translate, summarize or generate")
        default:
            try self.init(model: try Seq2SeqModel(directory: directory, computeType: computeType))
        }
    }

    /// Wraps a loaded model; throws `TranscriptionError` for a text model and `ModelFileError`
    /// when the Whisper model has no usable tokenizer.
    public init(model: Seq2SeqModel) throws {
        let path = model.directory.path
        guard model.network.readsAudio, let mels = model.network.melBins else {
            throw TranscriptionError("\(path): a text model (\(model.network.family)), not a speech model; use translate, summarize or generate")
        }
        guard let tokenizer = model.tokenizer?.target else {
            throw ModelFileError(path, "no tokenizer.json: Whisper needs its tokenizer to write text")
        }
        self.model = model
        do {
            tokens = try WhisperTokens(tokenizer: tokenizer, vocabularySize: model.network.targetVocabularySize,
                                       path: model.directory.appendingPathComponent("tokenizer.json").path)
        } catch let error as TokenizerError {
            throw ModelFileError(error.path, error.problem)
        }
        let preprocessor = model.directory.appendingPathComponent("preprocessor_config.json")
        extractor = FileManager.default.fileExists(atPath: preprocessor.path)
            ? try WhisperFeatureExtractor(preprocessorConfig: preprocessor, melCount: mels) : WhisperFeatureExtractor(melCount: mels)
        let settings = try WhisperSettings(directory: model.directory, config: model.config)
        configSuppressed = settings.suppressTokens
        configSuppressBlank = settings.beginSuppressTokens
        let layers = model.network.spec.decoderLayers, heads = model.network.spec.heads
        let pairs = (settings.alignmentHeads ?? []).filter { $0[0] >= 0 && $0[0] < layers && $0[1] >= 0 && $0[1] < heads }
        if !pairs.isEmpty {
            alignmentHeads = pairs.map { (layer: $0[0], head: $0[1]) }
        } else {  // the reference's default: every head of the last half of the decoder layers
            alignmentHeads = (layers / 2..<layers).flatMap { l in (0..<heads).map { (l, $0) } }
        }
    }

    /// Transcribes an audio file (WAV, or raw 16-bit PCM when `rawSampleRate` is given).
    /// Throws `AudioFileError` for unreadable audio. `progress` gets (seconds done, total seconds).
    public func transcribe(path: String, rawSampleRate: Int? = nil, options: TranscriptionOptions = .init(),
                           progress: ((Double, Double) -> Void)? = nil) throws -> Transcription {
        try validate(options)
        let samples = try AudioDecoder.load(path: path, rawSampleRate: rawSampleRate)
        return try transcribe(samples: samples, options: options, progress: progress)
    }

    /// Transcribes 16 kHz mono samples.
    public func transcribe(samples: [Float], options: TranscriptionOptions = .init(),
                           progress: ((Double, Double) -> Void)? = nil) throws -> Transcription {
        try validate(options)
        return try transcribe(runs: [try longFormRun(samples, options: options, progress: progress)], options: options, maxBatchSize: 1)[0]
    }

    /// Transcribes several recordings (16 kHz mono samples) together: each round takes the
    /// current 30 s window of every unfinished recording, and windows whose prompts have one
    /// length (up to `maxBatchSize` of them) are decoded in shared decoder passes, the windows
    /// that fall back to a higher temperature sampled together too.
    /// Each transcription equals `transcribe(samples:options:)` of its recording alone.
    public func transcribe(batch: [[Float]], options: TranscriptionOptions = .init(), maxBatchSize: Int = 16) throws -> [Transcription] {
        try validate(options)
        return try transcribe(runs: batch.map { try longFormRun($0, options: options, progress: nil) }, options: options,
                              maxBatchSize: maxBatchSize)
    }

    /// A recording's long-form run: its features, and its language (given or detected).
    private func longFormRun(_ samples: [Float], options: TranscriptionOptions, progress: ((Double, Double) -> Void)?) throws -> LongFormRun {
        let features = extractor.features(samples)
        let (language, probability) = try resolveLanguage(options.language, features: features)
        return try LongFormRun(self, features: features, samples: samples, language: language, languageProbability: probability,
                               options: options, progress: progress)
    }

    /// Stage "long-form seeking" for `runs` together, round after round.
    private func transcribe(runs: [LongFormRun], options: TranscriptionOptions, maxBatchSize: Int) throws -> [Transcription] {
        let decoder = windowDecoder(options), size = max(1, maxBatchSize)
        while true {
            let waiting = runs.compactMap { run in run.next().map { (run: run, window: $0) } }
            if waiting.isEmpty { break }
            // One group per prompt layout (the prompts of a batch must line up), oldest first.
            var groups: [[Int]: [(run: LongFormRun, window: PendingWindow)]] = [:], order: [[Int]] = []
            for item in waiting {
                let layout = [item.window.prompt.count, item.window.prompt.firstIndex(of: tokens.startOfTranscript) ?? 0]
                if groups[layout] == nil { order.append(layout) }
                groups[layout, default: []].append(item)
            }
            for layout in order {
                let group = groups[layout]!
                for start in stride(from: 0, to: group.count, by: size) {
                    let chunk = group[start..<min(group.count, start + size)]
                    // Encoded one window at a time: the encoder is compute-bound at 1,500 frames a
                    // window, so a batch would gain nothing and hold every window's attention
                    // scores at once (tiny.en: ~430 MB for eight); the decoder passes are shared.
                    let encoded = try chunk.map { try model.network.encode(features: [$0.window.features]) }
                    let results = try decoder.decodeWithFallback(EncoderOutput.joined(encoded), prompts: chunk.map(\.window.prompt))
                    for (j, item) in chunk.enumerated() { try item.run.accept(results[j], encoded: encoded[j]) }
                }
            }
        }
        return runs.map { run in
            Transcription(language: run.language, languageProbability: run.languageProbability,
                          duration: Double(run.samples.count) / Double(WhisperFeatureExtractor.sampleRate), segments: run.segments)
        }
    }

    /// Probabilities of each language for the first 30 s of `features` [n_mels, F], most likely first
    /// (softmax over the language tokens of the logits after `<|startoftranscript|>`).
    public func detectLanguage(features: Tensor) throws -> [(language: String, probability: Float)] {
        guard tokens.isMultilingual else { return [("en", 1)] }
        let encoded = try model.network.encode(features: [WhisperFeatureExtractor.segment(features, from: 0)])
        let decoder = model.network.makeDecoder(for: encoded)
        try decoder.begin(rowsPerSource: 1)
        let logits = try decoder.step(tokens: [tokens.startOfTranscript])
        let ids = tokens.languages.indices.map { tokens.startOfTranscript + 1 + $0 }
        let m = ids.map { logits.data[$0] }.max() ?? 0
        let weights = ids.map { Double(expf(logits.data[$0] - m)) }
        let total = weights.reduce(0, +)
        return zip(tokens.languages, weights).map { ($0, Float($1 / total)) }.sorted { $0.probability > $1.probability }
    }

    /// Throws `TranscriptionError` when `options` cannot be used with this model (a language it
    /// does not know, translation with an English-only model, beams or temperatures out of range).
    public func validate(_ o: TranscriptionOptions) throws {
        if let code = o.language, tokens.isMultilingual, tokens.languageToken(code) == nil {
            throw TranscriptionError("unknown language code \"\(code)\" (the model knows \(tokens.languages.joined(separator: ", ")))")
        }
        if !tokens.isMultilingual {
            // faster-whisper quietly decodes English anyway; an explicit request is refused instead.
            if let code = o.language, code != "en" {
                throw TranscriptionError("this model is English-only: it cannot transcribe language \"\(code)\" (use a multilingual model)")
            }
            if o.task == .translate { throw TranscriptionError("this model is English-only: it cannot translate (use a multilingual model)") }
        }
        let most = GenerationConfig.maximumBeams
        if !(1...most).contains(o.beamSize) || !(1...most).contains(o.bestOf) {
            throw TranscriptionError("beam size and best-of must be in 1...\(most)")
        }
        if !(o.patience > 0) { throw TranscriptionError("patience must be a number > 0") }
        if o.temperatures.isEmpty || o.temperatures.contains(where: { !($0 >= 0) }) {
            throw TranscriptionError("temperatures must be a non-empty list of numbers ≥ 0")
        }
    }

    /// The language to decode in: given, English for English-only models, else detected.
    private func resolveLanguage(_ given: String?, features: Tensor) throws -> (String, Float) {
        guard tokens.isMultilingual else { return ("en", 1) }
        if let given { return (given, 1) }
        let best = try detectLanguage(features: features).first
        return (best?.language ?? "en", best?.probability ?? 1)
    }

    /// faster-whisper `get_suppressed_tokens` (with CTranslate2's `suppress_ids` for `-1` when the
    /// config has them), and `suppress_ids_begin` (else the space and `<|endoftext|>`).
    func suppression(_ options: TranscriptionOptions) -> (always: [Int], blank: [Int]) {
        var always: Set<Int> = []
        if !options.suppressTokens.isEmpty {
            always.formUnion(options.suppressTokens.filter { $0 >= 0 })
            if options.suppressTokens.contains(-1) { always.formUnion(configSuppressed ?? tokens.nonSpeechTokens()) }
            always.formUnion([tokens.transcribe, tokens.translate, tokens.startOfTranscript, tokens.startOfPrevious,
                              tokens.startOfLM, tokens.noSpeech])
        }
        let space = (try? tokens.encode(" ")) ?? []
        let blank = options.suppressBlank ? (configSuppressBlank ?? (space + [tokens.endOfText])) : []
        return (always.sorted(), blank)
    }
}

/// Transcription options that cannot be used, in one line.
public struct TranscriptionError: Seq2SeqError, Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public let description: String
    /// An error with a one-line message.
    public init(_ description: String) { self.description = description }
}

extension TranscriptionError: LocalizedError {
    /// The one-line description, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

extension TranscriptionError {
    /// A bad request: exit status 2.
    public var exitStatus: Int32 { 2 }
}
