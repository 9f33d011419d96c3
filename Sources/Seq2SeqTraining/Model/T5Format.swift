// A trainable T5 read from and written as a transformers T5ForConditionalGeneration folder
// (models/t5/configuration_t5.py and modeling_t5.py, v5.24; mT5 has the same layout).
//
// transformers 5 always ties the stacks' `embed_tokens` and `lm_head` to `shared` and stores
// only `shared.weight`; whether the decoder output is scaled by D^-0.5 before the head is
// `scale_decoder_outputs` (older configs said it with `tie_word_embeddings`: v1.0 true, v1.1
// false). A checkpoint written by older versions may store a separate `lm_head.weight` (v1.1,
// Flan-T5): it is read as an untied head and written back as it was.
import Foundation
import Seq2SeqIO
import Seq2SeqModels
import Seq2SeqTensor

extension TransformerConfiguration {
    /// The configuration of a transformers T5 or mT5 `config.json`.
    init(t5 c: JSONConfig) throws {
        let required = c.requiredKey
        let projection = try c.string("feed_forward_proj") ?? "relu"
        let parts = projection.split(separator: "-").map(String.init)
        let gated = parts.count == 2 && parts[0] == "gated"
        let activationName = projection == "gated-gelu" ? "gelu_new" : parts.last ?? "relu"
        guard let activation = Activation(huggingFaceName: activationName) else {
            throw ModelFileError(c.path, "unsupported feed_forward_proj \"\(projection)\" (relu, gelu, gelu_new, silu, gated or not)")
        }
        guard parts.count == 1 || gated else { throw ModelFileError(c.path, "unsupported feed_forward_proj \"\(projection)\"") }
        let layers = try required("num_layers"), rate = Float(try c.double("dropout_rate") ?? 0.1)
        let pad = try c.int("pad_token_id") ?? 0
        self.init(vocabularySize: try required("vocab_size"), modelWidth: try required("d_model"), heads: try required("num_heads"),
                  feedForwardWidth: try required("d_ff"), encoderLayers: layers, decoderLayers: try c.int("num_decoder_layers") ?? layers,
                  dropout: rate, attentionDropout: rate, activationDropout: rate, activation: activation, preNorm: true,
                  embeddingNorm: false, sharedEmbeddings: true, tiedOutput: true, scaleEmbeddings: false,
                  maxPositions: try c.int("n_positions") ?? 512, padTokenId: pad,
                  eosTokenId: try c.intOrIntArray("eos_token_id")?.first ?? 1,
                  decoderStartTokenId: try c.int("decoder_start_token_id") ?? pad,
                  labelSmoothing: Float(try c.double("label_smoothing") ?? 0.1))
        t5 = T5Options(headWidth: try required("d_kv"), relativeBuckets: try c.int("relative_attention_num_buckets") ?? 32,
                       relativeMaxDistance: try c.int("relative_attention_max_distance") ?? 128, gatedFeedForward: gated,
                       normEpsilon: Float(try c.double("layer_norm_epsilon") ?? 1e-6),
                       scaleDecoderOutputs: try c.bool("scale_decoder_outputs") ?? (try c.bool("tie_word_embeddings") ?? true))
        do { try validate() } catch { throw ModelFileError(c.path, "\(error)") }
    }
}

/// The T5 checkpoint layout: reading into a `TransformerModel`, and the `config.json` written.
enum T5Checkpoint {
    /// Copies of the shared table transformers may store besides `shared.weight`.
    static let tableCopies = ["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"]

    /// Whether the output layer is the shared table: no `lm_head.weight`, or one equal to it.
    static func headIsShared(_ checkpoint: SafetensorsCheckpoint, configuration c: TransformerConfiguration) throws -> Bool {
        guard checkpoint.shape(of: "lm_head.weight") != nil else { return true }
        let reader = WeightReader(training: checkpoint)
        guard let head = try reader.optionalTensor("lm_head.weight", shape: [c.vocabularySize, c.modelWidth]),
              let table = try (["shared.weight"] + tableCopies).lazy.compactMap({ try reader.optionalTensor($0, shape: [c.vocabularySize, c.modelWidth]) }).first
        else { return true }
        return head.values == table.values
    }

    /// Fills `model`'s parameters; stored copies of the shared table must equal it, and nothing
    /// else may be stored (but the cross-attention table transformers itself ignores).
    static func read(_ checkpoint: SafetensorsCheckpoint, into model: TransformerModel) throws {
        let reader = WeightReader(training: checkpoint)
        try reader.readParameters(of: model, sharedTableAliases: ["shared.weight"] + tableCopies)
        let table = model.encoderEmbeddings.value
        for name in tableCopies + (model.configuration.tiedOutput ? ["lm_head.weight"] : []) {
            if let stored = try reader.optionalTensor(name, shape: table.shape), stored.values != table.values {
                throw ModelFileError(checkpoint.path, "weight '\(name)' differs from the table it is tied to")
            }
        }
        reader.ignore(["decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight"])
        try reader.checkAllUsed()
    }

    /// `config.json` of a T5ForConditionalGeneration.
    static func config(_ c: TransformerConfiguration, t5: TransformerConfiguration.T5Options) -> JSONValue {
        let activation = c.activation == .silu ? "silu" : c.activation.rawValue
        let projection = t5.gatedFeedForward ? (c.activation == .geluTanh ? "gated-gelu" : "gated-\(activation)") : activation
        return [
            "architectures": .array([.string("T5ForConditionalGeneration")]), "model_type": .string("t5"), "is_encoder_decoder": .bool(true),
            "vocab_size": .integer(c.vocabularySize), "d_model": .integer(c.modelWidth), "d_kv": .integer(t5.headWidth), "d_ff": .integer(c.feedForwardWidth),
            "num_layers": .integer(c.encoderLayers), "num_decoder_layers": .integer(c.decoderLayers), "num_heads": .integer(c.heads),
            "relative_attention_num_buckets": .integer(t5.relativeBuckets), "relative_attention_max_distance": .integer(t5.relativeMaxDistance),
            "dropout_rate": .float(c.dropout), "layer_norm_epsilon": .float(t5.normEpsilon), "feed_forward_proj": .string(projection),
            "scale_decoder_outputs": .bool(t5.scaleDecoderOutputs),
            "tie_word_embeddings": .bool(c.tiedOutput),
            "pad_token_id": .integer(c.padTokenId), "eos_token_id": .integer(c.eosTokenId), "decoder_start_token_id": .integer(c.decoderStartTokenId),
            "n_positions": .integer(c.maxPositions), "initializer_factor": .float(1), "use_cache": .bool(true), "dtype": .string("float32"),
            "label_smoothing": .float(c.labelSmoothing),
        ]
    }
}
