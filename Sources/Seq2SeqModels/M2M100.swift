// M2M-100 and NLLB-200 (`model_type` "m2m_100"), ported from transformers'
// models/m2m_100/modeling_m2m_100.py (v5.24): BART-style layers, pre-norm with a final layer
// norm in each stack, embeddings scaled by sqrt(D) (`scale_embedding`), fairseq's fixed
// sinusoidal positions read from row p + pad + 1 (transformers numbers the positions of
// non-padding tokens from pad + 1), the LM head tied to the shared embeddings, no
// `final_logits_bias`, no `layernorm_embedding`.
import Seq2SeqIO
import Seq2SeqTensor

enum M2M100Family: ModelFamily {
    static let modelTypes = ["m2m_100"]

    static func spec(modelType: String, config c: JSONConfig) throws -> TransformerSpec {
        var s = try bartStyleSpec(config: c)
        s.preNorm = true
        s.finalNorm = true
        s.finalLogitsBias = false
        s.positions = .learned(offset: try padID(c) + 1)
        return s
    }

    static func weights(spec s: TransformerSpec, modelType: String, config c: JSONConfig, reader r: WeightReader) throws -> ModelWeights {
        let d = s.modelWidth, v = s.vocabularySize
        let shared = try r.firstHandle(["model.shared.weight", "model.encoder.embed_tokens.weight"], shape: [v, d])
        r.ignore(["model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight"])
        let pad = try padID(c)
        let positions = fairseqSinusoidalTable(rows: s.maxPositions! + pad + 1, width: d, zeroRow: pad)
        let layers = try bartStyleLayers(spec: s, reader: r)
        let tables = try embeddingsAndHead(encoder: shared, decoder: shared, sharedTable: true,
                                       storedHead: try r.optionalHandle("lm_head.weight", shape: [v, d]), storage: r.storage)
        return ModelWeights(
            encoder: StackWeights(embeddings: tables.encoder, positions: positions, embeddingNorm: nil, layers: layers.encoder,
                                  finalNorm: try r.norm("model.encoder.layer_norm", kind: s.norm, width: d), relativeBias: nil),
            decoder: StackWeights(embeddings: tables.decoder, positions: positions, embeddingNorm: nil, layers: layers.decoder,
                                  finalNorm: try r.norm("model.decoder.layer_norm", kind: s.norm, width: d), relativeBias: nil),
            lmHead: tables.head,
            finalLogitsBias: nil)
    }

    /// `pad_token_id` (1 in every M2M-100 and NLLB checkpoint): the positions start after it.
    private static func padID(_ c: JSONConfig) throws -> Int {
        let pad = try c.int("pad_token_id") ?? 1
        guard (0...1024).contains(pad) else { throw ModelFileError(c.path, "pad_token_id \(pad) is outside 0...1024") }
        return pad
    }
}
