// Writing and reading a `TransformerModel` as a Hugging Face model folder (`config.json`,
// `model.safetensors`, `generation_config.json`) that transformers 5.x loads unchanged:
//
//   post-norm                    → MarianMTModel (sinusoidal positions, recreated by transformers
//                                  and not stored; `scale_embedding`)
//   post-norm + embedding norm   → BartForConditionalGeneration
//   pre-norm + embedding norm    → MBartForConditionalGeneration (final `layer_norm` per stack)
//   `t5`                         → T5ForConditionalGeneration (T5Format.swift)
//
// BART and mBART learn their positions: the export fills `embed_positions` (offset 2, rows
// 0 and 1 unused) with the sinusoid table, and loading accepts only that table.
//
// Tying, as transformers 5.24 reads it (modeling_utils.get_expanded_tied_weights_keys):
// `tie_word_embeddings: false` switches off *every* tie of the model, so an untied export
// stores the shared table under each name the model reads it by (`model.shared`,
// `model.encoder.embed_tokens`, `model.decoder.embed_tokens`) besides `lm_head.weight`.
// Separate source and target tables exist only in Marian
// (`share_encoder_decoder_embeddings: false`).
import Foundation
import Seq2SeqIO
import Seq2SeqModels
import Seq2SeqTensor

extension TransformerConfiguration {
    /// The transformers `model_type` an export of this configuration writes (`marian`, `bart`
    /// or `mbart`); throws when no family expresses it exactly.
    public func huggingFaceModelType() throws -> String {
        if t5 != nil { return "t5" }
        switch (preNorm, embeddingNorm) {
        case (false, false): return "marian"
        case (_, true) where !sharedEmbeddings:
            throw TransformerConfigurationError("separate source and target embeddings export only as Marian (post-norm without embeddingNorm)")
        case (false, true): return "bart"
        case (true, true): return "mbart"
        case (true, false):
            throw TransformerConfigurationError("a pre-norm model exports as mBART, which always applies layernorm_embedding: set embeddingNorm = true")
        }
    }
}

extension TransformerModel {
    /// Writes `config.json`, `generation_config.json` and `model.safetensors` (float32) into
    /// `directory` (created if needed), a folder transformers and `Seq2SeqModel` load as they are.
    public func export(to directory: URL) throws {
        let modelType = try configuration.huggingFaceModelType()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ModelFileError(directory.path, "cannot create the folder (\(error.localizedDescription))")
        }
        try SafetensorsWriter.write(exportedTensors(modelType: modelType), to: directory.appendingPathComponent("model.safetensors"))
        try writeJSON(huggingFaceConfig(modelType: modelType), to: directory.appendingPathComponent("config.json"))
        try writeJSON(generationConfig(), to: directory.appendingPathComponent("generation_config.json"))
    }

    /// Reads a folder written by `export(to:)`, or a Marian, BART or mBART folder of the same
    /// shape written by transformers (sinusoidal positions only). Strict: every stored tensor
    /// must be used, have the expected shape, and tied copies must be equal.
    /// `adjust` may change the regularisation (dropout, label smoothing) before the model is built.
    public static func load(from directory: URL,
                            adjusting adjust: (inout TransformerConfiguration) -> Void = { _ in }) throws -> TransformerModel {
        let configURL = directory.appendingPathComponent("config.json")
        let config = try JSONConfig(contentsOf: configURL)
        var configuration = try TransformerConfiguration(huggingFace: config)
        let checkpoint = try SafetensorsCheckpoint(directory: directory)
        if configuration.t5 != nil {
            configuration.tiedOutput = try T5Checkpoint.headIsShared(checkpoint, configuration: configuration)
        } else if try configuration.huggingFaceModelType() != "marian" {
            // BART and mBART learn their positions: a table that is not the sinusoids is trained.
            let sinusoids = sinusoidalTable(positions: configuration.maxPositions, width: configuration.modelWidth)
            for stack in ["encoder", "decoder"] {
                let name = "model.\(stack).embed_positions.weight"
                guard checkpoint.shape(of: name) == [configuration.maxPositions + 2, configuration.modelWidth] else { continue }
                let stored = try checkpoint.floatTensor(name)
                let D = configuration.modelWidth
                if (0..<sinusoids.count).contains(where: { abs(stored.data[2 * D + $0] - sinusoids.data[$0]) > 1e-6 }) {
                    configuration.learnedPositions = true
                }
            }
        }
        adjust(&configuration)
        do { try configuration.validate() } catch { throw ModelFileError(configURL.path, "\(error)") }
        let model = TransformerModel(configuration: configuration, seed: 0)
        try model.read(checkpoint, modelType: try configuration.huggingFaceModelType())
        return model
    }

    // MARK: - Tensors

    /// Every tensor an export stores, with its transformers name.
    private func exportedTensors(modelType: String) -> [SafetensorsWriter.Item] {
        let (V, D, c) = (configuration.vocabularySize, configuration.modelWidth, configuration)
        var items = namedParameters.map { SafetensorsWriter.Item(name: $0.name, shape: $0.variable.value.shape, values: $0.variable.value.values) }
        if modelType == "t5" { return items }  // transformers ties the stacks' tables to `shared`
        func copy(_ name: String, _ v: Variable) { items.append(.init(name: name, shape: v.value.shape, values: v.value.values)) }
        if c.sharedEmbeddings && !c.tiedOutput {  // nothing is tied: every reader gets its copy
            copy("model.encoder.embed_tokens.weight", encoderEmbeddings)
            copy("model.decoder.embed_tokens.weight", decoderEmbeddings)
        }
        items.append(.init(name: "final_logits_bias", shape: [1, V], values: finalLogitsBias.value.values))
        if modelType != "marian" && c.learnedPositions != true {  // learned tables are parameters, written above
            let table = learnedPositionTable()
            for stack in ["encoder", "decoder"] {
                items.append(.init(name: "model.\(stack).embed_positions.weight", shape: [c.maxPositions + 2, D], values: table.values))
            }
        }
        return items
    }

    /// BART's learned-position layout of the sinusoids: row p + 2 holds position p.
    private func learnedPositionTable() -> Tensor {
        let (P, D) = (configuration.maxPositions, configuration.modelWidth)
        let table = Tensor(zeros: [P + 2, D])
        (table.data + 2 * D).update(from: positions.data, count: P * D)
        return table
    }

    /// Copies the checkpoint's tensors into the parameters; checks the duplicates and constants.
    private func read(_ checkpoint: SafetensorsCheckpoint, modelType: String) throws {
        if modelType == "t5" { return try T5Checkpoint.read(checkpoint, into: self) }
        let reader = WeightReader(training: checkpoint)
        let tensor = { (name: String, shape: [Int]) in try reader.optionalTensor(name, shape: shape) }
        try reader.readParameters(of: self, sharedTableAliases: ["model.shared.weight", "model.encoder.embed_tokens.weight"])
        if let bias = try tensor("final_logits_bias", finalLogitsBias.value.shape) {
            finalLogitsBias.value.data.update(from: bias.data, count: bias.count)
        }
        // Copies of tied tables, and positions, must equal what the model computes with.
        var expected: [(String, Tensor, Float)] = []
        if configuration.sharedEmbeddings {
            expected += [("model.encoder.embed_tokens.weight", encoderEmbeddings.value, 0), ("model.decoder.embed_tokens.weight", decoderEmbeddings.value, 0)]
        }
        if configuration.tiedOutput { expected.append(("lm_head.weight", outputWeight.value, 0)) }
        if configuration.learnedPositions != true {
            let positionTable = modelType == "marian" ? positions : learnedPositionTable()
            for stack in ["encoder", "decoder"] { expected.append(("model.\(stack).embed_positions.weight", positionTable, 1e-6)) }
        }
        let firstRow = modelType == "marian" ? 0 : 2
        for (name, value, tolerance) in expected {
            guard let stored = try tensor(name, value.shape) else {
                if name.contains("embed_positions") && modelType != "marian" {
                    throw ModelFileError(checkpoint.path, "missing weight '\(name)'")
                }
                continue
            }
            let skip = name.contains("embed_positions") ? firstRow * value.shape[1] : 0
            for i in skip..<value.count where abs(stored.data[i] - value.data[i]) > tolerance {
                let what = name.contains("embed_positions") ? "is not the sinusoid table (learned positions are not supported)"
                                                            : "differs from the table it is tied to"
                throw ModelFileError(checkpoint.path, "weight '\(name)' \(what)")
            }
        }
        try reader.checkAllUsed()
    }

    // MARK: - JSON

    /// `config.json` of the exported family.
    private func huggingFaceConfig(modelType: String) -> JSONValue {
        let c = configuration
        if let t5 = c.t5 { return T5Checkpoint.config(c, t5: t5) }
        let architecture = ["marian": "MarianMTModel", "bart": "BartForConditionalGeneration", "mbart": "MBartForConditionalGeneration"][modelType]!
        var config: JSONValue = [
            "architectures": .array([.string(architecture)]), "model_type": .string(modelType), "is_encoder_decoder": .bool(true),
            "vocab_size": .integer(c.vocabularySize), "d_model": .integer(c.modelWidth),
            "encoder_layers": .integer(c.encoderLayers), "decoder_layers": .integer(c.decoderLayers),
            "encoder_attention_heads": .integer(c.heads), "decoder_attention_heads": .integer(c.heads),
            "encoder_ffn_dim": .integer(c.feedForwardWidth), "decoder_ffn_dim": .integer(c.feedForwardWidth),
            "activation_function": .string(c.activation.rawValue),
            "dropout": .float(c.dropout), "attention_dropout": .float(c.attentionDropout),
            "activation_dropout": .float(c.activationDropout), "encoder_layerdrop": .float(0), "decoder_layerdrop": .float(0),
            "max_position_embeddings": .integer(c.maxPositions), "scale_embedding": .bool(c.scaleEmbeddings),
            "normalize_before": .bool(c.preNorm), "tie_word_embeddings": .bool(c.tiedOutput),
            "pad_token_id": .integer(c.padTokenId), "eos_token_id": .integer(c.eosTokenId), "bos_token_id": .null,
            "decoder_start_token_id": .integer(c.decoderStartTokenId), "forced_eos_token_id": .integer(c.eosTokenId),
            "init_std": .float(0.02), "use_cache": .bool(true), "dtype": .string("float32"),
            "label_smoothing": .float(c.labelSmoothing),
        ]
        if modelType == "marian" {
            config["decoder_vocab_size"] = .integer(c.vocabularySize)
            config["share_encoder_decoder_embeddings"] = .bool(c.sharedEmbeddings)
        }
        return config
    }

    /// `generation_config.json`: the special ids, beam search of 4, and padding never generated.
    private func generationConfig() -> JSONValue {
        let c = configuration
        return ["decoder_start_token_id": .integer(c.decoderStartTokenId), "eos_token_id": .integer(c.eosTokenId),
                "pad_token_id": .integer(c.padTokenId), "forced_eos_token_id": .integer(c.eosTokenId),
                "bad_words_ids": .array([.array([.integer(c.padTokenId)])]), "num_beams": .integer(4), "max_length": .integer(c.maxPositions)]
    }

    private func writeJSON(_ object: JSONValue, to url: URL) throws {
        do {
            try Data(object.serialized()).write(to: url, options: .atomic)
        } catch {
            throw ModelFileError(url.path, "cannot write (\(error.localizedDescription))")
        }
    }
}

extension WeightReader {
    /// A strict float32 reader of a checkpoint the trainer loads.
    convenience init(training checkpoint: SafetensorsCheckpoint) { self.init(checkpoint, computeType: .float32) }

    /// Copies every parameter of `model` from its name; the shared table (`sharedTableAliases[0]`)
    /// may be stored under any of the aliases.
    func readParameters(of model: TransformerModel, sharedTableAliases: [String]) throws {
        for (name, variable) in model.namedParameters {
            let aliases = name == sharedTableAliases.first ? sharedTableAliases : [name]
            let t = try firstTensor(aliases, shape: variable.value.shape)
            variable.value.data.update(from: t.data, count: t.count)
        }
    }
}

extension JSONConfig {
    /// The integer at `key`; throws naming the file when it is missing.
    func requiredKey(_ key: String) throws -> Int {
        guard let v = try int(key) else { throw ModelFileError(path, "missing \"\(key)\"") }
        return v
    }
}

extension TransformerConfiguration {
    /// The configuration a transformers `config.json` of a Marian, BART or mBART model describes.
    init(huggingFace c: JSONConfig) throws {
        let required = c.requiredKey
        let modelType = try c.string("model_type") ?? ""
        if ["t5", "mt5"].contains(modelType) {
            try self.init(t5: c)
            return
        }
        guard ["marian", "bart", "mbart"].contains(modelType) else {
            throw ModelFileError(c.path, "model_type \"\(modelType)\" is not marian, bart, mbart, t5 or mt5")
        }
        let V = try required("vocab_size")
        if let target = try c.int("decoder_vocab_size"), target != V {
            throw ModelFileError(c.path, "decoder_vocab_size \(target) differs from vocab_size \(V)")
        }
        for (encoderKey, decoderKey) in [("encoder_attention_heads", "decoder_attention_heads"), ("encoder_ffn_dim", "decoder_ffn_dim")] {
            if try c.int(decoderKey) ?? required(encoderKey) != required(encoderKey) {
                throw ModelFileError(c.path, "\(encoderKey) and \(decoderKey) differ")
            }
        }
        let actName = try c.string("activation_function") ?? "gelu"
        guard let activation = Activation(huggingFaceName: actName) else {
            throw ModelFileError(c.path, "unsupported activation_function \"\(actName)\" (relu, gelu, gelu_new, swish)")
        }
        func rate(_ key: String) throws -> Float { Float(try c.double(key) ?? 0) }
        let pad = try required("pad_token_id")
        self.init(vocabularySize: V, modelWidth: try required("d_model"), heads: try required("encoder_attention_heads"),
                  feedForwardWidth: try required("encoder_ffn_dim"), encoderLayers: try required("encoder_layers"),
                  decoderLayers: try required("decoder_layers"), dropout: try rate("dropout"),
                  attentionDropout: try rate("attention_dropout"), activationDropout: try rate("activation_dropout"),
                  activation: activation, preNorm: modelType == "mbart", embeddingNorm: modelType != "marian",
                  sharedEmbeddings: modelType == "marian" ? try c.bool("share_encoder_decoder_embeddings") ?? true : true,
                  tiedOutput: try c.bool("tie_word_embeddings") ?? true, scaleEmbeddings: try c.bool("scale_embedding") ?? false,
                  maxPositions: try required("max_position_embeddings"), padTokenId: pad,
                  eosTokenId: try c.intOrIntArray("eos_token_id")?.first ?? required("eos_token_id"),
                  decoderStartTokenId: try c.int("decoder_start_token_id") ?? pad,
                  labelSmoothing: Float(try c.double("label_smoothing") ?? 0.1))
        do { try validate() } catch { throw ModelFileError(c.path, "\(error)") }
    }
}
