// Text in, text out: tokenize, batch by length, generate, decode in input order — the
// `translate` and `summarize` pipelines, with the cross-attention of each result on request.
//
//     let translator = try Translator(directory: URL(fileURLWithPath: "models/opus-mt-en-de"))
//     let results = try await translator.translate(["The green house."])
//     print(results[0].text)
import Foundation

/// Options of a text-to-text run; unset fields come from the model.
public struct TranslationOptions: Sendable {
    /// Beam size; nil: the model's `num_beams` when its generation config sets one, else 4.
    public var beamSize: Int?
    /// Most tokens to generate per input (Hugging Face `max_new_tokens`); nil: the model's limits.
    public var maxLength: Int?
    /// Inputs decoded together (after sorting by length).
    public var batchSize: Int = 16
    /// Source language code (mBART-style models; T5 task prefixes).
    public var sourceLanguage: String?
    /// Target language code (mBART: the forced first token; T5 task prefixes).
    public var targetLanguage: String?
    /// Text put before every input (T5 task prefixes such as "summarize: ").
    public var prefix: String = ""
    /// Keep the cross-attention of each result: decoder layer (negative from the end) and
    /// head (nil: mean over heads).
    public var attention: (layer: Int, head: Int?)?
    /// Further generation settings applied over the model's defaults.
    public var configure: (@Sendable (inout GenerationConfig) -> Void)?
    /// Marian (Firefox Translations) folders: restrict the output vocabulary with the lexical shortlist.
    public var useShortlist = true
    /// Marian folders: translate a text of several sentences sentence by sentence (the models
    /// were trained on single sentences).
    public var splitSentences = true
    /// Called with (input index, token id) as each token is chosen, for streaming: Hugging
    /// Face models under greedy search or sampling (`Generator.onToken`); beam search and
    /// Firefox (Marian) models do not call it.
    public var onToken: (@Sendable (_ input: Int, _ token: Int) -> Void)?
    /// Other translations to return besides the best one (LibreTranslate's `alternatives`):
    /// beam search keeps 1 + this many hypotheses (the beam widened to hold them), and each
    /// result lists the others, best first. A text of several sentences (Marian) joins the
    /// sentences' k-th hypotheses into its k-th alternative.
    public var alternatives = 0
    /// Set by `translate` when its task is cancelled; checked between batches.
    var cancellation: CancellationFlag?

    /// Options with every default.
    public init(beamSize: Int? = nil, maxLength: Int? = nil, batchSize: Int = 16) {
        self.beamSize = beamSize
        self.maxLength = maxLength
        self.batchSize = batchSize
    }
}

/// One input's result.
public struct Translation: Sendable, Equatable {
    /// Decoded text, special tokens skipped.
    public var text: String
    /// Generated ids (without the decoder start token, with the final EOS when generated).
    public var ids: [Int]
    /// Beam-search sequence score (nil for greedy).
    public var score: Float?
    /// Source tokens (with the special tokens added), when attention was requested.
    public var sourceTokens: [String]?
    /// Generated tokens, when attention was requested.
    public var targetTokens: [String]?
    /// [generated tokens][source tokens] cross-attention, when requested.
    public var crossAttention: [[Float]]?
    /// The other translations beam search kept, best first (`TranslationOptions.alternatives`).
    public var alternatives: [String] = []
}

/// A model with its tokenizer, turning texts into texts: a Hugging Face folder, or a Marian
/// (Firefox Translations) folder with its own decoding settings and shortlist.
public final class Translator: @unchecked Sendable {
    private enum Backend {
        case huggingFace(Seq2SeqModel)
        case marian(MarianNativeModel)
    }
    private let backend: Backend
    /// The folder.
    public let directory: URL
    /// Its tokenizer.
    public let tokenizer: ModelTokenizer
    /// The language codes it accepts and how they reach it.
    public let languages: ModelLanguages

    /// Loads a model folder that has a tokenizer (named as `Seq2SeqModel(directory:)` and
    /// `Transcriber(directory:)` name theirs), its weights kept as `computeType` says.
    public convenience init(directory url: URL, computeType: ComputeType = .float32) throws {
        let kind = try ModelFolderKind.detect(url)
        if kind.isSpeech {
            throw TranslationError("\(url.path): a speech model (Whisper); use transcribe, or generate --input-features")
        }
        if kind == .marian {
            try self.init(marian: try MarianNativeModel(directory: url, computeType: computeType), directory: url)
        } else {
            try self.init(try Seq2SeqModel(directory: url, computeType: computeType))
        }
    }

    /// Wraps a loaded model; throws when it has no tokenizer.
    public init(_ model: Seq2SeqModel) throws {
        guard !model.network.readsAudio else {
            throw TranslationError("\(model.directory.path): a speech model (\(model.network.family)); use transcribe, or generate --input-features")
        }
        guard let tokenizer = model.tokenizer else {
            throw ModelFileError(model.directory.path, "no tokenizer (tokenizer.json, source.spm/target.spm or spiece.model)")
        }
        backend = .huggingFace(model)
        directory = model.directory
        self.tokenizer = tokenizer
        languages = ModelLanguages.of(model, tokenizer: tokenizer)
    }

    private init(marian: MarianNativeModel, directory: URL) throws {
        let loaded: ModelTokenizer?
        do { loaded = try ModelTokenizer.load(directory: directory) } catch let e as TokenizerError {
            throw ModelFileError(e.path, e.problem)
        }
        guard let tokenizer = loaded else { throw ModelFileError(directory.path, "no tokenizer.json beside the Marian model") }
        backend = .marian(marian)
        self.directory = directory
        self.tokenizer = tokenizer
        languages = ModelLanguages.ofMarianFolder(directory)
    }

    /// The Hugging Face model, when the folder is one.
    public var model: Seq2SeqModel? {
        if case .huggingFace(let m) = backend { return m }
        return nil
    }

    /// The Marian (Firefox Translations) model, when the folder is one.
    public var marianModel: MarianNativeModel? {
        if case .marian(let m) = backend { return m }
        return nil
    }

    /// Ids the source side accepts.
    public var sourceVocabularySize: Int {
        switch backend {
        case .huggingFace(let m): return m.network.sourceVocabularySize
        case .marian(let m): return m.vocabularySize
        }
    }

    /// Loads a model folder that has a tokenizer.
    @available(*, deprecated, renamed: "init(directory:)")
    public convenience init(model url: URL) throws { try self.init(directory: url) }

    /// Translates (or summarizes, with a prefix) `texts`; results in input order.
    ///
    /// The work runs on a thread of its own, not on Swift's cooperative pool, and stops with
    /// `CancellationError` at the next batch when the calling task is cancelled.
    public func translate(_ texts: [String], options: TranslationOptions = .init()) async throws -> [Translation] {
        let flag = CancellationFlag()
        var options = options
        options.cancellation = flag
        let work = options
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    continuation.resume(with: Result { try self.run(texts, options: work) })
                }
            }
        } onCancel: {
            flag.cancel()
        }
    }

    /// `languages.check`, its message naming the model folder.
    func checkLanguages(_ options: TranslationOptions) throws {
        do {
            try languages.check(source: options.sourceLanguage, target: options.targetLanguage)
        } catch let error as TranslationError {
            throw TranslationError("\(directory.path): \(error.description)")
        }
    }

    /// The synchronous form of `translate`.
    public func run(_ texts: [String], options: TranslationOptions = .init()) throws -> [Translation] {
        try checkLanguages(options)
        if case .marian = backend, options.splitSentences { return try runSplitting(texts, options: options) }
        return try run(sourceIds: try sourceIds(texts, options: options), options: options)
    }

    /// The source ids of each text, with the task prefix, language codes and special tokens
    /// the model reads (an empty text gives no ids).
    public func sourceIds(_ texts: [String], options: TranslationOptions) throws -> [[Int]] {
        // opus-mt's multilingual models read the target as a `>>code<<` token before the text.
        let prefix = options.prefix + (languages.mechanism == .targetTokens ? options.targetLanguage.map { ">>\($0)<< " } ?? "" : "")
        let sourceCode = languages.mechanism == .languageTokens ? options.sourceLanguage : nil
        var sources = try texts.map { text in
            text.isEmpty ? [] : try tokenizer.encodeSource(prefix + text, sourceLanguage: sourceCode)
        }
        if case .marian(let marian) = backend {  // Marian appends </s> itself; the folder's tokenizer.json does not
            sources = sources.map { $0.isEmpty || $0.last == marian.eosTokenId ? $0 : $0 + [marian.eosTokenId] }
        }
        return sources
    }

    /// Texts of several sentences, one result each: every sentence of every text translated
    /// on its own (all of them in one batched run), each text's translations joined with
    /// spaces (ids concatenated; attention of the first sentence).
    private func runSplitting(_ texts: [String], options: TranslationOptions) throws -> [Translation] {
        var single = options
        single.splitSentences = false
        let splitter = SentenceSplitter()
        let sentences = texts.map { text in
            let parts = splitter.split(text)
            return parts.count > 1 ? parts : [text]
        }
        var parts = try run(sentences.flatMap { $0 }, options: single)[...]
        return sentences.map { group in
            let mine = parts.prefix(group.count)
            parts = parts.dropFirst(group.count)
            guard group.count > 1, var joined = mine.first else { return mine.first ?? Translation(text: "", ids: [], score: nil) }
            joined.text = mine.map(\.text).joined(separator: " ")
            joined.ids = mine.flatMap(\.ids)
            joined.score = nil
            joined.alternatives = (0..<options.alternatives).compactMap { k in
                mine.allSatisfy { $0.alternatives.count <= k } ? nil
                    : mine.map { k < $0.alternatives.count ? $0.alternatives[k] : $0.text }.joined(separator: " ")
            }
            return joined
        }
    }

    /// Translates token ids (each with the special tokens the tokenizer adds); an empty source
    /// gives an empty result.
    public func run(sourceIds sources: [[Int]], options: TranslationOptions = .init()) throws -> [Translation] {
        guard case .huggingFace(let model) = backend else {
            guard case .marian(let marian) = backend else { return [] }
            return try runMarian(marian, sources: sources, options: options)
        }
        let config = try generationConfig(model, options)
        var results = [Translation?](repeating: nil, count: sources.count)
        for (i, s) in sources.enumerated() where s.isEmpty {  // an empty line stays an empty line
            results[i] = Translation(text: "", ids: [], score: nil)
        }
        let order = sources.indices.filter { !sources[$0].isEmpty }.sorted { sources[$0].count > sources[$1].count }
        var start = 0
        while start < order.count {
            try options.cancellation?.check()
            let batch = Array(order[start..<min(start + max(1, options.batchSize), order.count)])
            let onToken = options.onToken.map { report in { (k: Int, token: Int) in report(batch[k], token) } }
            let hypotheses = try model.generate(sources: batch.map { sources[$0] }, options: config, batchSize: batch.count,
                                                onToken: onToken)
            for (k, i) in batch.enumerated() {
                let best = hypotheses[k][0]
                var result = Translation(text: tokenizer.target.decode(best.ids, skipSpecialTokens: true), ids: best.ids, score: best.score)
                result.alternatives = hypotheses[k].dropFirst().map { tokenizer.target.decode($0.ids, skipSpecialTokens: true) }
                if let request = options.attention {
                    guard let start = config.decoderStartTokenId else { continue }
                    let inputs = [start] + result.ids.dropLast()
                    let weights = result.ids.isEmpty ? [] : try model.network.crossAttention(
                        source: sources[i], decoderInputs: inputs, layer: request.layer, head: request.head)
                    label(&result, source: sources[i], attention: weights)
                }
                results[i] = result
            }
            start += batch.count
        }
        return results.map { $0! }
    }

    /// Marian folders: each source with the folder's settings (beam size, normalization, length
    /// factor), the options over them.
    /// Greedy settings decode `batchSize` sentences together (results identical to one by one).
    private func runMarian(_ marian: MarianNativeModel, sources: [[Int]], options: TranslationOptions) throws -> [Translation] {
        let settings = { (source: [Int]) -> GenerationConfig in
            var config = marian.generationConfig(sourceLength: source.count)
            if let b = options.beamSize { config.numBeams = b }
            if let n = options.maxLength { config.maxNewTokens = n }
            Self.keepAlternatives(options.alternatives, in: &config)
            options.configure?(&config)
            return config
        }
        var results = [Translation](repeating: Translation(text: "", ids: [], score: nil), count: sources.count)
        let work = sources.indices.filter { !sources[$0].isEmpty }
        // Groups of a few batches, so that cancellation is noticed between them.
        for group in stride(from: 0, to: work.count, by: max(1, options.batchSize) * 8).map({ Array(work[$0..<min($0 + max(1, options.batchSize) * 8, work.count)]) }) {
            try options.cancellation?.check()
            // With alternatives each source is a beam search of its own, keeping them all.
            let found = options.alternatives > 0
                ? try group.map { try marian.hypotheses(source: sources[$0], useShortlist: options.useShortlist, options: settings(sources[$0])) }
                : try marian.bestHypotheses(sources: group.map { sources[$0] }, useShortlist: options.useShortlist,
                                            batchSize: options.batchSize, options: settings).map { [$0] }
            for (i, hypotheses) in zip(group, found) {
                let ids = hypotheses[0].ids
                var result = Translation(text: tokenizer.target.decode(ids, skipSpecialTokens: true), ids: ids, score: hypotheses[0].score)
                result.alternatives = hypotheses.dropFirst().map { tokenizer.target.decode($0.ids, skipSpecialTokens: true) }
                if let request = options.attention {
                    label(&result, source: sources[i], attention: ids.isEmpty ? [] : try marian.crossAttention(source: sources[i], target: ids, layer: request.layer))
                }
                results[i] = result
            }
        }
        return results
    }

    /// The model's defaults with the options applied.
    private func generationConfig(_ model: Seq2SeqModel, _ options: TranslationOptions) throws -> GenerationConfig {
        var config = model.generationDefaults
        config.numReturnSequences = 1
        config.numBeams = options.beamSize ?? (model.generationSetsBeams ? config.numBeams : 4)
        if let n = options.maxLength { config.maxNewTokens = n }
        Self.keepAlternatives(options.alternatives, in: &config)
        if let language = options.targetLanguage, languages.mechanism == .languageTokens {
            guard let id = tokenizer.languageTokens?.ids[language] else {
                throw ModelFileError(model.directory.path, "unknown target language code \"\(language)\"")
            }
            // A model whose decoder starts from a language code (an mBART model fine-tuned as
            // fairseq's are: decoder_start_token_id = the target's code) starts from the one
            // asked for; the others write it as their first token.
            if let start = config.decoderStartTokenId, tokenizer.languageTokens?.ids.values.contains(start) == true {
                config.decoderStartTokenId = id
            } else {
                config.forcedBosTokenId = id
            }
        }
        options.configure?(&config)
        return config
    }

    /// Beam search returning 1 + `alternatives` hypotheses, the beam at least that wide.
    private static func keepAlternatives(_ alternatives: Int, in config: inout GenerationConfig) {
        guard alternatives > 0 else { return }
        config.numReturnSequences = 1 + alternatives
        config.numBeams = max(config.numBeams, 1 + alternatives)
        config.doSample = false
    }

    /// Adds the token labels and the cross-attention to `result`.
    private func label(_ result: inout Translation, source: [Int], attention: [[Float]]) {
        result.crossAttention = attention
        result.sourceTokens = source.map { tokenizer.source.token(for: $0) ?? "<\($0)>" }
        result.targetTokens = result.ids.map { tokenizer.target.token(for: $0) ?? "<\($0)>" }
    }
}

/// A flag another thread sets to stop work at the next check.
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    /// Asks the work to stop.
    func cancel() { lock.withLock { cancelled = true } }

    /// Throws `CancellationError` once `cancel()` was called.
    func check() throws {
        if lock.withLock({ cancelled }) { throw CancellationError() }
    }
}
