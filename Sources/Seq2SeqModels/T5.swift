// T5 v1.0 and v1.1 / Flan-T5, mT5 and umT5, ported from transformers' models/t5/modeling_t5.py
// and models/umt5/modeling_umt5.py (v5.24): RMSNorm, no attention scaling, bucketed relative
// position bias computed by layer 0 and shared (umT5: a table in every layer), ReLU or
// gated-GELU feed-forward, decoder output scaled by D^-0.5 when tied.
import Seq2SeqIO
import Seq2SeqTensor

enum T5Family: ModelFamily {
    static let modelTypes = ["t5", "mt5", "umt5"]

    /// `task_specific_params`: `summarization` (else "summarize: ") and each
    /// `translation_<src>_to_<tgt>` with its `prefix`.
    static func taskPrefixes(config: JSONConfig) -> TaskPrefixes? {
        let tasks = config["task_specific_params"] ?? [:]
        func prefix(_ key: String) -> String? { tasks[key]?["prefix"]?.stringValue }
        let translations = (tasks.members ?? []).map(\.0).sorted().compactMap { key -> (source: String, target: String, prefix: String)? in
            guard key.hasPrefix("translation_"), let text = prefix(key) else { return nil }
            let pair = key.dropFirst("translation_".count).components(separatedBy: "_to_")
            return pair.count == 2 ? (pair[0], pair[1], text) : nil
        }
        return TaskPrefixes(summarization: prefix("summarization") ?? "summarize: ", translations: translations)
    }

    static func spec(modelType: String, config c: JSONConfig) throws -> TransformerSpec {
        let path = c.path
        let d = try c.requiredInt("d_model", path: path)
        let layers = try c.requiredInt("num_layers", path: path)
        let projection = try c.string("feed_forward_proj") ?? "relu"
        let parts = projection.split(separator: "-").map(String.init)
        let gated = parts.count == 2 && parts[0] == "gated"
        let actName = projection == "gated-gelu" ? "gelu_new" : (parts.last ?? "relu")
        guard let activation = Activation(huggingFaceName: actName), parts.count <= 2, parts.count == 1 || gated else {
            throw ModelFileError(path, "unsupported feed_forward_proj \"\(projection)\"")
        }
        // Saved by transformers 5 as `scale_decoder_outputs`; older configs say it with tie_word_embeddings.
        let scaleOutputs = try c.bool("scale_decoder_outputs") ?? (try c.bool("tie_word_embeddings") ?? true)
        return TransformerSpec(
            modelWidth: d, heads: try c.requiredInt("num_heads", path: path), headWidth: try c.requiredInt("d_kv", path: path),
            ffnWidth: try c.requiredInt("d_ff", path: path), encoderLayers: layers,
            decoderLayers: try c.int("num_decoder_layers") ?? layers, vocabularySize: try c.requiredInt("vocab_size", path: path),
            norm: .rmsNorm(epsilon: Float(try c.double("layer_norm_epsilon") ?? 1e-6)), preNorm: true, finalNorm: true,
            embeddingNorm: false, activation: activation, gatedFFN: gated, biases: false, embeddingScale: 1,
            positions: .none, maxPositions: nil,
            relativeBias: RelativeAttentionBias(buckets: try c.int("relative_attention_num_buckets") ?? 32,
                                                maxDistance: try c.int("relative_attention_max_distance") ?? 128),
            attentionScale: 1, outputScale: scaleOutputs ? 1 / Float(d).squareRoot() : 1, finalLogitsBias: false)
    }

    static func weights(spec s: TransformerSpec, modelType: String, config: JSONConfig, reader r: WeightReader) throws -> ModelWeights {
        let d = s.modelWidth, inner = s.heads * s.headWidth, v = s.vocabularySize
        let shared = try r.firstHandle(["shared.weight", "encoder.embed_tokens.weight"], shape: [v, d])
        r.ignore(["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"])
        func attention(_ p: String) throws -> (qkv: Linear, o: Linear) {
            (try r.linear(["\(p).q", "\(p).k", "\(p).v"], out: inner, in: d, bias: false),
             try r.linear(["\(p).o"], out: d, in: inner, bias: false))
        }
        func ffn(_ p: String, norm: String) throws -> FeedForwardWeights {
            let n = try r.norm(norm, kind: s.norm, width: d)
            let output = try r.linear(["\(p).wo"], out: d, in: s.ffnWidth, bias: false)
            if s.gatedFFN {
                return FeedForwardWeights(input: try r.linear(["\(p).wi_0"], out: s.ffnWidth, in: d, bias: false),
                                          up: try r.linear(["\(p).wi_1"], out: s.ffnWidth, in: d, bias: false), output: output, norm: n)
            }
            return FeedForwardWeights(input: try r.linear(["\(p).wi"], out: s.ffnWidth, in: d, bias: false), up: nil, output: output, norm: n)
        }
        let encoderLayers = try (0..<s.encoderLayers).map { i -> EncoderLayerWeights in
            let p = "encoder.block.\(i).layer"
            let a = try attention("\(p).0.SelfAttention")
            return EncoderLayerWeights(
                attention: SelfAttentionWeights(qkv: a.qkv, output: a.o, norm: try r.norm("\(p).0.layer_norm", kind: s.norm, width: d)),
                ffn: try ffn("\(p).1.DenseReluDense", norm: "\(p).1.layer_norm"))
        }
        let decoderLayers = try (0..<s.decoderLayers).map { i -> DecoderLayerWeights in
            let p = "decoder.block.\(i).layer"
            let a = try attention("\(p).0.SelfAttention")
            let x = "\(p).1.EncDecAttention"
            return DecoderLayerWeights(
                attention: SelfAttentionWeights(qkv: a.qkv, output: a.o, norm: try r.norm("\(p).0.layer_norm", kind: s.norm, width: d)),
                crossAttention: CrossAttentionWeights(
                    query: try r.linear(["\(x).q"], out: inner, in: d, bias: false),
                    keyValue: try r.linear(["\(x).k", "\(x).v"], out: inner, in: d, bias: false),
                    output: try r.linear(["\(x).o"], out: d, in: inner, bias: false),
                    norm: try r.norm("\(p).1.layer_norm", kind: s.norm, width: d)),
                ffn: try ffn("\(p).2.DenseReluDense", norm: "\(p).2.layer_norm"))
        }
        let buckets = s.relativeBias!.buckets
        let tables = try embeddingsAndHead(encoder: shared, decoder: shared, sharedTable: true,
                                       storedHead: try r.optionalHandle("lm_head.weight", shape: [v, d]), storage: r.storage)
        func stack<L>(_ name: String, _ layers: [L]) throws -> StackWeights<L> {
            let table = { (i: Int) in
                try r.tensor("\(name).block.\(i).layer.0.SelfAttention.relative_attention_bias.weight", shape: [buckets, s.heads])
            }
            var weights = StackWeights(embeddings: tables.decoder, positions: nil, embeddingNorm: nil, layers: layers,
                                       finalNorm: try r.norm("\(name).final_layer_norm", kind: s.norm, width: d),
                                       relativeBias: try table(0))
            // umT5: every layer has its own table.
            if modelType == "umt5" { weights.layerRelativeBiases = try layers.indices.map(table) }
            return weights
        }
        return ModelWeights(encoder: try stack("encoder", encoderLayers), decoder: try stack("decoder", decoderLayers),
                            lmHead: tables.head, finalLogitsBias: nil)
    }
}
