// The high-level entry point: a model folder loaded with its generation defaults, able to
// generate and score at the token level.
//
//     let model = try Seq2SeqModel(directory: URL(fileURLWithPath: "models/t5"))
//     let results = try model.generate(sources: [[13, 7, 42, 1]], options: .init(numBeams: 4))
//     print(results[0][0].ids, results[0][0].score ?? 0)
import Foundation
import Seq2SeqGeneration
import Seq2SeqIO
import Seq2SeqTensor
import Seq2SeqTokenizers

/// A pretrained or trained encoder-decoder loaded from a folder, with its generation defaults.
public final class Seq2SeqModel: @unchecked Sendable {
    /// The model folder.
    public let directory: URL
    /// The network.
    public let network: EncoderDecoderModel
    /// The parsed `config.json`.
    public let config: JSONConfig
    /// Generation defaults: `generation_config.json`, else the generation fields of `config.json`.
    public let generationDefaults: GenerationConfig
    /// Whether the model's generation settings name a beam size (else text pipelines use 4).
    public let generationSetsBeams: Bool
    /// The folder's tokenizer, when it has one.
    public let tokenizer: ModelTokenizer?

    /// Loads a Hugging Face folder (`config.json`, `model.safetensors` or shards + index,
    /// optional `generation_config.json`) or a CTranslate2 Whisper folder. Throws
    /// `ModelFileError` naming the bad file — a Marian (Firefox Translations) folder included,
    /// which `Translator` reads instead. `computeType` says how the weight matrices are kept
    /// and multiplied (`.int8`: quantized per output row at load).
    public init(directory: URL, computeType: ComputeType = .float32) throws {
        self.directory = directory
        let kind = try ModelFolderKind.detect(directory)
        if kind == .marian {
            throw ModelFileError(directory.path, "a Marian (Firefox Translations) folder: translate and tokenize read it, "
                                 + "generate and score need a Hugging Face or CTranslate2 folder")
        }
        let configURL = directory.appendingPathComponent("config.json")
        config = try JSONConfig(contentsOf: configURL)
        if kind == .ctranslate2 {
            network = try EncoderDecoderModel.load(ctranslate2: try CTranslate2File(path: directory.appendingPathComponent("model.bin").path),
                                                   computeType: computeType)
        } else {
            let checkpoint = try SafetensorsCheckpoint(directory: directory)
            network = try EncoderDecoderModel.load(config: config, configPath: configURL.path, weights: checkpoint,
                                                   computeType: computeType)
        }
        do {
            tokenizer = try ModelTokenizer.load(directory: directory)
        } catch let error as TokenizerError {
            throw ModelFileError(error.path, error.problem)
        }
        let generationURL = directory.appendingPathComponent("generation_config.json")
        let generation = FileManager.default.fileExists(atPath: generationURL.path) ? try JSONConfig(contentsOf: generationURL) : nil
        do {
            var defaults = try GenerationConfig(json: generation?.object, modelConfig: config.object)
            let contents = ModelFolderContents(directory: directory, config: config, kind: kind, hasGenerationConfig: generation != nil,
                                               spec: network.spec, tokenizer: tokenizer?.target)
            try EncoderDecoderModel.family(of: network.family)?.completeGenerationDefaults(&defaults, folder: contents)
            generationDefaults = defaults
        } catch let error as ModelFileError {
            throw error
        } catch {
            throw ModelFileError(generation == nil ? configURL.path : generationURL.path, "\(error)")
        }
        generationSetsBeams = (generation ?? config).object["num_beams"] != nil
    }

    /// Generates for each source (token ids); returns each source's hypotheses, best first.
    ///
    /// Sources are decoded together in batches of `batchSize`; `decoderPrefix` ids are forced
    /// after the decoder start token and are not part of the returned ids. `onToken` gets
    /// (source index, token) as greedy search or sampling chooses each token (`Generator.onToken`).
    public func generate(sources: [[Int]], options: GenerationConfig, decoderPrefix: [Int] = [],
                         batchSize: Int = 8, onToken: ((_ source: Int, _ token: Int) -> Void)? = nil) throws -> [[Hypothesis]] {
        var results: [[Hypothesis]] = []
        var start = 0
        while start < sources.count {
            let batch = Array(sources[start..<min(start + max(batchSize, 1), sources.count)])
            let decoder = network.makeDecoder(for: try network.encode(batch))
            var generator = Generator(config: options)
            let offset = start
            if let onToken { generator.onToken = { onToken(offset + $0, $1) } }
            results += try generator.generate(session: decoder, prefix: decoderPrefix)
            start += batch.count
        }
        return results
    }

    /// Teacher-forced log-probabilities of `target` (each token given the ones before it,
    /// after the decoder start token) for `source`.
    public func score(source: [Int], target: [Int]) throws -> TokenScores {
        guard !target.isEmpty else { return TokenScores(ids: [], tokenLogProbs: []) }
        guard let start = generationDefaults.decoderStartTokenId else {
            throw ModelFileError(directory.path, "no decoder_start_token_id in config.json or generation_config.json")
        }
        let inputs = [start] + target.dropLast()
        let logits = try network.logits(sources: [source], decoderInputs: [inputs])
        let v = network.spec.vocabularySize
        var logProbs: [Float] = []
        for (t, id) in target.enumerated() {
            let row = logits.data + t * v
            var m = -Float.infinity
            for i in 0..<v { m = max(m, row[i]) }
            var sum: Double = 0
            for i in 0..<v { sum += Double(expf(row[i] - m)) }
            logProbs.append(row[id] - m - Float(Foundation.log(sum)))
        }
        return TokenScores(ids: target, tokenLogProbs: logProbs)
    }
}

extension Seq2SeqModel {
    /// The task prefixes the model's family reads from `config.json` (T5's
    /// `task_specific_params`); nil for families that take the source as it is.
    public var taskPrefixes: TaskPrefixes? {
        EncoderDecoderModel.family(of: network.family)?.taskPrefixes(config: config)
    }

    /// The prefix for a request (`TaskPrefixes.prefix(summarize:sourceLanguage:targetLanguage:)`);
    /// nil for families without task prefixes.
    public func taskPrefix(summarize: Bool, sourceLanguage: String?, targetLanguage: String?) -> String? {
        taskPrefixes?.prefix(summarize: summarize, sourceLanguage: sourceLanguage, targetLanguage: targetLanguage)
    }
}

/// Log-probabilities of given target tokens.
public struct TokenScores: Sendable, Equatable {
    /// The scored target ids.
    public let ids: [Int]
    /// log p(id_t | source, id_<t) for each target token.
    public let tokenLogProbs: [Float]
    /// Sum of `tokenLogProbs`.
    public var logProb: Float { tokenLogProbs.reduce(0, +) }
}

extension DecoderState: DecoderSession {}

extension SafetensorsCheckpoint: TensorSource {}
