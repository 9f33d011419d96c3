// Pegasus, ported from transformers' models/pegasus/modeling_pegasus.py (v5.24): BART-style
// layers, pre-norm with a final layer norm in each stack, embeddings scaled by sqrt(D),
// Marian's sinusoidal positions (sines then cosines, no offset; stored in the checkpoint as a
// frozen table, which is read when present), `final_logits_bias`, no `layernorm_embedding`.
import Seq2SeqIO
import Seq2SeqTensor

enum PegasusFamily: ModelFamily {
    static let modelTypes = ["pegasus"]

    static func spec(modelType: String, config c: JSONConfig) throws -> TransformerSpec {
        var s = try bartStyleSpec(config: c)
        s.preNorm = true
        s.finalNorm = true
        s.positions = .sinusoidal
        return s
    }

    static func weights(spec s: TransformerSpec, modelType: String, config c: JSONConfig, reader r: WeightReader) throws -> ModelWeights {
        let d = s.modelWidth, v = s.vocabularySize, n = s.maxPositions!
        let shared = try r.firstHandle(["model.shared.weight", "model.encoder.embed_tokens.weight"], shape: [v, d])
        r.ignore(["model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight"])
        func positions(_ stack: String) throws -> Tensor {
            try r.optionalTensor("model.\(stack).embed_positions.weight", shape: [n, d]) ?? sinusoidalTable(positions: n, width: d)
        }
        let layers = try bartStyleLayers(spec: s, reader: r)
        let tables = try embeddingsAndHead(encoder: shared, decoder: shared, sharedTable: true,
                                       storedHead: try r.optionalHandle("lm_head.weight", shape: [v, d]), storage: r.storage)
        return ModelWeights(
            encoder: StackWeights(embeddings: tables.encoder, positions: try positions("encoder"), embeddingNorm: nil,
                                  layers: layers.encoder, finalNorm: try r.norm("model.encoder.layer_norm", kind: s.norm, width: d),
                                  relativeBias: nil),
            decoder: StackWeights(embeddings: tables.decoder, positions: try positions("decoder"), embeddingNorm: nil,
                                  layers: layers.decoder, finalNorm: try r.norm("model.decoder.layer_norm", kind: s.norm, width: d),
                                  relativeBias: nil),
            lmHead: tables.head,
            finalLogitsBias: try r.optionalTensor("final_logits_bias", shape: [v]))
    }
}
