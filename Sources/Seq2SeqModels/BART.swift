// BART and mBART, ported from transformers' models/bart/modeling_bart.py and
// models/mbart/modeling_mbart.py (v5.24): learned positions with offset 2,
// `layernorm_embedding`, post-norm (BART) or pre-norm with final layer norms (mBART),
// scaled-by-query attention, `final_logits_bias`. Marian reuses the layer loading here.
import Seq2SeqIO
import Seq2SeqTensor

enum BartFamily: ModelFamily {
    static let modelTypes = ["bart", "mbart"]

    static func spec(modelType: String, config c: JSONConfig) throws -> TransformerSpec {
        var s = try bartStyleSpec(config: c)
        let pre = modelType == "mbart"
        s.preNorm = pre
        s.finalNorm = pre
        s.embeddingNorm = true
        s.positions = .learned(offset: 2)
        return s
    }

    static func weights(spec s: TransformerSpec, modelType: String, config: JSONConfig, reader r: WeightReader) throws -> ModelWeights {
        let d = s.modelWidth, v = s.vocabularySize
        let shared = try r.firstHandle(["model.shared.weight", "model.encoder.embed_tokens.weight"], shape: [v, d])
        r.ignore(["model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight"])
        let positions = s.maxPositions! + 2
        func stackExtras(_ name: String) throws -> (positions: Tensor, embeddingNorm: Norm, finalNorm: Norm?) {
            (try r.tensor("model.\(name).embed_positions.weight", shape: [positions, d]),
             try r.norm("model.\(name).layernorm_embedding", kind: s.norm, width: d),
             s.finalNorm ? try r.norm("model.\(name).layer_norm", kind: s.norm, width: d) : nil)
        }
        let e = try stackExtras("encoder"), dd = try stackExtras("decoder")
        let layers = try bartStyleLayers(spec: s, reader: r)
        let tables = try embeddingsAndHead(encoder: shared, decoder: shared, sharedTable: true,
                                       storedHead: try r.optionalHandle("lm_head.weight", shape: [v, d]), storage: r.storage)
        return ModelWeights(
            encoder: StackWeights(embeddings: tables.encoder, positions: e.positions, embeddingNorm: e.embeddingNorm,
                                  layers: layers.encoder, finalNorm: e.finalNorm, relativeBias: nil),
            decoder: StackWeights(embeddings: tables.decoder, positions: dd.positions, embeddingNorm: dd.embeddingNorm,
                                  layers: layers.decoder, finalNorm: dd.finalNorm, relativeBias: nil),
            lmHead: tables.head,
            finalLogitsBias: try r.optionalTensor("final_logits_bias", shape: [v]))
    }
}

/// The spec fields every BART-style config (BART, mBART, Marian) shares.
func bartStyleSpec(config c: JSONConfig) throws -> TransformerSpec {
    let path = c.path
    let d = try c.requiredInt("d_model", path: path)
    let heads = try c.requiredInt("encoder_attention_heads", path: path)
    let ffn = try c.requiredInt("encoder_ffn_dim", path: path)
    guard try c.int("decoder_attention_heads") ?? heads == heads, try c.int("decoder_ffn_dim") ?? ffn == ffn else {
        throw ModelFileError(path, "encoder and decoder of different head counts or FFN widths are not supported")
    }
    guard d % heads == 0 else { throw ModelFileError(path, "d_model \(d) is not a multiple of \(heads) heads") }
    let actName = try c.string("activation_function") ?? "gelu"
    guard let activation = Activation(huggingFaceName: actName) else {
        throw ModelFileError(path, "unsupported activation_function \"\(actName)\"")
    }
    return TransformerSpec(
        modelWidth: d, heads: heads, headWidth: d / heads, ffnWidth: ffn,
        encoderLayers: try c.requiredInt("encoder_layers", path: path), decoderLayers: try c.requiredInt("decoder_layers", path: path),
        vocabularySize: try c.requiredInt("vocab_size", path: path), norm: .layerNorm(epsilon: 1e-5), preNorm: false,
        finalNorm: false, embeddingNorm: false, activation: activation, gatedFFN: false, biases: true,
        embeddingScale: (try c.bool("scale_embedding") ?? false) ? Float(d).squareRoot() : 1,
        positions: .none, maxPositions: try c.requiredInt("max_position_embeddings", path: path), relativeBias: nil,
        attentionScale: 1 / Float(d / heads).squareRoot(), outputScale: 1, finalLogitsBias: true)
}

/// Encoder and decoder layers named as BART, mBART and Marian name them.
func bartStyleLayers(spec s: TransformerSpec, reader r: WeightReader) throws -> (encoder: [EncoderLayerWeights], decoder: [DecoderLayerWeights]) {
    let d = s.modelWidth
    func selfAttention(_ p: String) throws -> SelfAttentionWeights {
        SelfAttentionWeights(qkv: try r.linear(["\(p).self_attn.q_proj", "\(p).self_attn.k_proj", "\(p).self_attn.v_proj"], out: d, in: d, bias: true),
                             output: try r.linear(["\(p).self_attn.out_proj"], out: d, in: d, bias: true),
                             norm: try r.norm("\(p).self_attn_layer_norm", kind: s.norm, width: d))
    }
    func ffn(_ p: String) throws -> FeedForwardWeights {
        FeedForwardWeights(input: try r.linear(["\(p).fc1"], out: s.ffnWidth, in: d, bias: true), up: nil,
                           output: try r.linear(["\(p).fc2"], out: d, in: s.ffnWidth, bias: true),
                           norm: try r.norm("\(p).final_layer_norm", kind: s.norm, width: d))
    }
    let encoder = try (0..<s.encoderLayers).map { i in
        let p = "model.encoder.layers.\(i)"
        return EncoderLayerWeights(attention: try selfAttention(p), ffn: try ffn(p))
    }
    let decoder = try (0..<s.decoderLayers).map { i in
        let p = "model.decoder.layers.\(i)", x = "model.decoder.layers.\(i).encoder_attn"
        return DecoderLayerWeights(
            attention: try selfAttention(p),
            crossAttention: CrossAttentionWeights(
                query: try r.linear(["\(x).q_proj"], out: d, in: d, bias: true),
                keyValue: try r.linear(["\(x).k_proj", "\(x).v_proj"], out: d, in: d, bias: true),
                output: try r.linear(["\(x).out_proj"], out: d, in: d, bias: true),
                norm: try r.norm("\(p).encoder_attn_layer_norm", kind: s.norm, width: d)),
            ffn: try ffn(p))
    }
    return (encoder, decoder)
}

