// The models a server holds: loaded once at start, each with its own worker (ModelWorker.swift)
// that batches the requests made to it.
import Foundation
import Seq2Seq

/// What a served model does.
enum ServedTask: String {
    /// Text to text (translation, summarization, generation).
    case translation
    /// Speech to text (Whisper).
    case transcription
}

/// One loaded model and its worker.
final class ServedModel: @unchecked Sendable {
    let name: String
    let folder: URL
    let translator: Translator?
    let transcriber: Transcriber?
    private(set) var worker: ModelWorker!
    private let options: ServerOptions

    var task: ServedTask { transcriber == nil ? .translation : .transcription }

    /// Loads `spec`'s folder as a text or speech model.
    init(_ spec: ServedModelSpec, options: ServerOptions, metrics: ServerMetrics?) throws {
        name = spec.name
        folder = URL(fileURLWithPath: spec.path)
        self.options = options
        if try ModelFolderKind.detect(folder).isSpeech {
            transcriber = try Transcriber(directory: folder, computeType: options.computeType)
            translator = nil
        } else {
            translator = try Translator(directory: folder, computeType: options.computeType)
            transcriber = nil
        }
        worker = ModelWorker(name: name, options: options, metrics: metrics) { [unowned self] key, inputs in
            let start = DispatchTime.now()
            let (results, tokens) = try self.run(key, inputs)
            metrics?.generated(model: self.name, tokens: tokens,
                               seconds: Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
            return results
        }
    }

    // MARK: Languages

    /// The language pair a model named `SRC-TGT` serves (LibreTranslate's convention).
    var namedPair: (source: String, target: String)? {
        let parts = name.split(separator: "-").map(String.init)
        guard parts.count == 2, parts.allSatisfy({ (2...3).contains($0.count) && $0.allSatisfy { $0.isASCII && $0.isLetter } }) else {
            return nil
        }
        return (parts[0].lowercased(), parts[1].lowercased())
    }

    /// The (source, target) pairs of ISO codes this model translates, with the codes to pass
    /// the model (nil: it takes none).
    var pairs: [(source: String, target: String, modelSource: String?, modelTarget: String?)] {
        guard let translator else { return [] }
        if let pair = namedPair { return [(pair.source, pair.target, nil, nil)] }
        let languages = translator.languages
        switch languages.mechanism {
        case .fixedPair:
            guard let s = languages.source.first, let t = languages.target.first else { return [] }
            return [(LanguageNames.iso(s), LanguageNames.iso(t), nil, nil)]
        case .languageTokens, .targetTokens, .taskPrefixes:
            var out: [(String, String, String?, String?)] = []
            let sources = languages.source.isEmpty ? [nil] : languages.source.map(Optional.some)
            for s in sources {
                for t in languages.target where s.map({ LanguageNames.iso($0) != LanguageNames.iso(t) }) ?? true {
                    out.append((s.map(LanguageNames.iso) ?? "auto", LanguageNames.iso(t), s, t))
                }
            }
            return out
        case .none:
            return []
        }
    }

    // MARK: Runs

    /// 30 s windows encoded and decoded in one pass at most: each holds its encoder output and
    /// cross-attention keys and values (Whisper base: ~37 MB a window), so eight bound the
    /// memory a batch adds while the decoder steps, where batching pays, are already shared.
    static let speechWindowsPerPass = 8

    /// Decodes one batch; returns one result per input and the tokens generated.
    private func run(_ key: BatchKey, _ inputs: [Any]) throws -> ([Any], Int) {
        switch key.parts.first as? String {
        case "translate":
            let request = key.parts[1].base as! TranslateRequest
            let results = try translator!.run(inputs as! [String], options: request.options(for: translator!, batchSize: options.maxBatchSize))
            return (results, results.reduce(0) { $0 + $1.ids.count })
        case "generate":
            let request = key.parts[1].base as! GenerateRequest
            guard let model = translator?.model else { throw ServerError.badRequest("model \(name) generates from text only (Firefox Translations models have no token-level API)") }
            let results = try model.generate(sources: inputs as! [[Int]], options: request.config, decoderPrefix: request.prefix,
                                             batchSize: options.maxBatchSize)
            return (results, results.reduce(0) { $0 + ($1.first?.ids.count ?? 0) })
        case "transcribe":
            guard let transcriber else { throw ServerError.badRequest("model \(name) is a text model") }
            let results = try transcriber.transcribe(batch: inputs as! [[Float]], options: key.parts[1].base as! TranscriptionOptions,
                                                     maxBatchSize: min(options.maxBatchSize, Self.speechWindowsPerPass))
            return (results, results.reduce(0) { $0 + $1.segments.reduce(0) { $0 + $1.tokens.count } })
        default:
            throw ServerError(.internalServerError, "unknown batch kind \(key.parts)")
        }
    }

    /// Runs `work` alone on the model's thread.
    func solo<T>(timeout: Double, _ work: @escaping () throws -> T) async throws -> T {
        try await worker.submit(ModelJob(solo: { try work() }), timeout: timeout)[0] as! T
    }
}

/// The options of a translation request that change its output: requests with equal ones are
/// decoded together.
struct TranslateRequest: Hashable {
    var beamSize: Int?
    var maxLength: Int?
    var sourceLanguage: String?
    var targetLanguage: String?
    var summarize = false
    var shortlist = true
    /// Other translations to return besides the best (LibreTranslate's `alternatives`).
    var alternatives = 0

    /// The Translator options, with the T5 task prefix as `translate`/`summarize` add it.
    func options(for translator: Translator, batchSize: Int) -> TranslationOptions {
        var options = TranslationOptions(beamSize: beamSize, maxLength: maxLength, batchSize: batchSize)
        options.sourceLanguage = sourceLanguage
        options.targetLanguage = targetLanguage
        options.useShortlist = shortlist
        options.alternatives = alternatives
        options.prefix = translator.model?.taskPrefix(summarize: summarize, sourceLanguage: sourceLanguage,
                                                      targetLanguage: targetLanguage) ?? ""
        return options
    }
}

/// The options of a token-level generation request.
struct GenerateRequest: Hashable {
    var config: GenerationConfig
    var prefix: [Int]

    static func == (a: GenerateRequest, b: GenerateRequest) -> Bool { a.config == b.config && a.prefix == b.prefix }

    func hash(into h: inout Hasher) {
        h.combine(config.numBeams)
        h.combine(config.numReturnSequences)
        h.combine(config.doSample)
        h.combine(config.maxNewTokens)
        h.combine(config.maxLength)
        h.combine(prefix)
    }
}
