// The registry of model families and the loader that picks one from `config.json`.
import CSeq2SeqKernels
import Foundation
import Seq2SeqGeneration
import Seq2SeqIO
import Seq2SeqTensor
import Seq2SeqTokenizers

/// A model family: how its `config.json` becomes a spec and its checkpoint names become weights.
protocol ModelFamily {
    /// The `model_type` values of `config.json` this family reads.
    static var modelTypes: [String] { get }
    /// The architecture described by `config`.
    static func spec(modelType: String, config: JSONConfig) throws -> TransformerSpec
    /// The weights, read strictly from `reader`.
    static func weights(spec: TransformerSpec, modelType: String, config: JSONConfig, reader: WeightReader) throws -> ModelWeights
    /// The text prefixes that name the task for the family's models (T5's), from `config.json`;
    /// nil for families that take the source as it is.
    static func taskPrefixes(config: JSONConfig) -> TaskPrefixes?
    /// Completes the generation defaults a folder gives (`generation_config.json`, else
    /// `config.json`) with what the family's models need and such a folder may leave out.
    static func completeGenerationDefaults(_ defaults: inout GenerationConfig, folder: ModelFolderContents) throws
}

extension ModelFamily {
    static func taskPrefixes(config: JSONConfig) -> TaskPrefixes? { nil }
    static func completeGenerationDefaults(_ defaults: inout GenerationConfig, folder: ModelFolderContents) throws {}
}

/// What a family hook may read of a model folder being loaded.
struct ModelFolderContents {
    let directory: URL
    let config: JSONConfig
    let kind: ModelFolderKind
    let hasGenerationConfig: Bool
    let spec: TransformerSpec
    let tokenizer: Tokenizer?
}

/// The task prefixes of a model that is told its task in the source text (T5: "summarize: …",
/// "translate English to German: …").
public struct TaskPrefixes: Sendable, Equatable {
    /// The prefix for summarization.
    public var summarization: String
    /// The translation directions the model's configuration names, with their prefixes, sorted by
    /// the configuration's key.
    public var translations: [(source: String, target: String, prefix: String)]

    public init(summarization: String, translations: [(source: String, target: String, prefix: String)]) {
        self.summarization = summarization
        self.translations = translations
    }

    public static func == (a: TaskPrefixes, b: TaskPrefixes) -> Bool {
        a.summarization == b.summarization && a.translations.elementsEqual(b.translations) { $0 == $1 }
    }

    /// The prefix of a request: summarization's, or the translation from `sourceLanguage` to
    /// `targetLanguage`, else the first translation the model names.
    public func prefix(summarize: Bool, sourceLanguage: String?, targetLanguage: String?) -> String? {
        if summarize { return summarization }
        if let s = sourceLanguage, let t = targetLanguage, let match = translations.first(where: { $0.source == s && $0.target == t }) {
            return match.prefix
        }
        return translations.first?.prefix
    }
}

extension EncoderDecoderModel {
    /// The family of a `model_type` (nil when this build does not know it).
    static func family(of modelType: String) -> ModelFamily.Type? {
        modelFamilies.first { $0.modelTypes.contains(modelType) }
    }
}

/// The families this build knows.
let modelFamilies: [ModelFamily.Type] = [T5Family.self, BartFamily.self, MarianFamily.self, M2M100Family.self, PegasusFamily.self, WhisperFamily.self]

extension EncoderDecoderModel {
    /// The `model_type` values that `load(config:weights:)` accepts.
    public static var supportedModelTypes: [String] { modelFamilies.flatMap { $0.modelTypes }.sorted() }

    /// Builds a model from a CTranslate2 `model.bin` (Whisper models, as faster-whisper uses them).
    public static func load(ctranslate2 file: CTranslate2File, computeType: ComputeType = .float32) throws -> EncoderDecoderModel {
        try WhisperFamily.load(file, computeType: computeType)
    }

    /// Builds a model from a parsed `config.json` and a tensor source; `configPath` names the
    /// config in errors. `computeType` says how the linear layers' weights are stored.
    public static func load(config: JSONConfig, configPath: String, weights source: TensorSource,
                            computeType: ComputeType = .float32) throws -> EncoderDecoderModel {
        try load(config: config, configPath: configPath, weights: source, computeType: computeType).model
    }

    /// The checkpoint tensors the int8 compute type keeps as int8 rows and never reads as
    /// float32 — the linear layers' weights, and the embeddings and output layer where they are
    /// one table — found by loading the model at int8: what `seq2seq convert --quantize int8`
    /// stores as int8, so that the converted folder loads to the same int8 weights.
    public static func int8WeightNames(config: JSONConfig, configPath: String, weights source: TensorSource) throws -> Set<String> {
        let reader = try load(config: config, configPath: configPath, weights: source, computeType: .int8).reader
        return reader.readAsInt8.subtracting(reader.readAsFloat)
    }

    private static func load(config: JSONConfig, configPath: String, weights source: TensorSource,
                             computeType: ComputeType) throws -> (model: EncoderDecoderModel, reader: WeightReader) {
        guard let modelType = try config.string("model_type") else {
            throw ModelFileError(configPath, "no \"model_type\": cannot tell the model family")
        }
        guard let family = family(of: modelType) else {
            throw ModelFileError(configPath, "unsupported model_type \"\(modelType)\" (supported: \(supportedModelTypes.joined(separator: ", ")))")
        }
        let spec = try family.spec(modelType: modelType, config: config)
        try spec.validate(path: configPath)
        let reader = WeightReader(source, computeType: computeType)
        let weights = try family.weights(spec: spec, modelType: modelType, config: config, reader: reader)
        try reader.checkAllUsed()
        releaseFreedMemory()
        let loaded = reader.loaded
        // `final_logits_bias` is a constant buffer in transformers (never trained, not counted
        // by `num_parameters()`), so it is not a parameter here either.
        let parameters = loaded.filter { !$0.hasSuffix("final_logits_bias") }
        let model = EncoderDecoderModel(family: modelType, spec: spec, weights: weights,
                                        parameterCount: parameters.reduce(0) { $0 + (source.shape(of: $1)?.reduce(1, *) ?? 0) },
                                        sourceDTypes: Set(loaded.compactMap(source.dtypeName)))
        return (model, reader)
    }
}

/// Hands the pages of the float32 copies freed while loading back to the system: glibc keeps
/// freed blocks between live ones (the packed weights) resident otherwise.
func releaseFreedMemory() {
    s2s_release_free_memory()
}

extension JSONConfig {
    /// A required integer, with a message naming the key when absent.
    func requiredInt(_ key: String, path: String) throws -> Int {
        guard let v = try int(key) else { throw ModelFileError(path, "missing \"\(key)\"") }
        guard v > 0 else { throw ModelFileError(path, "\"\(key)\" must be positive, got \(v)") }
        return v
    }
}
