// MarianMT, ported from transformers' models/marian/modeling_marian.py (v5.24): BART-style
// post-norm layers without `layernorm_embedding`, sinusoidal positions (sines then cosines,
// no offset), embeddings scaled by sqrt(D), `final_logits_bias`, separate decoder
// embeddings when `share_encoder_decoder_embeddings` is false.
import Seq2SeqIO
import Seq2SeqTensor

enum MarianFamily: ModelFamily {
    static let modelTypes = ["marian"]

    static func spec(modelType: String, config c: JSONConfig) throws -> TransformerSpec {
        var s = try bartStyleSpec(config: c)
        s.positions = .sinusoidal
        if let target = try c.int("decoder_vocab_size") { s.vocabularySize = target }
        return s
    }

    static func weights(spec s: TransformerSpec, modelType: String, config c: JSONConfig, reader r: WeightReader) throws -> ModelWeights {
        let d = s.modelWidth, v = s.vocabularySize
        let sourceVocabulary = try c.requiredInt("vocab_size", path: c.path)
        let shared = try c.bool("share_encoder_decoder_embeddings") ?? true
        let encoderEmbeddings = try r.firstHandle(["model.shared.weight", "model.encoder.embed_tokens.weight"], shape: [sourceVocabulary, d])
        let decoderEmbeddings = shared
            ? encoderEmbeddings
            : try r.handle("model.decoder.embed_tokens.weight", shape: [v, d])
        r.ignore(["model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight",
                  "model.encoder.embed_positions.weight", "model.decoder.embed_positions.weight"])
        let positions = sinusoidalTable(positions: s.maxPositions!, width: d)
        let layers = try bartStyleLayers(spec: s, reader: r)
        let tables = try embeddingsAndHead(encoder: encoderEmbeddings, decoder: decoderEmbeddings, sharedTable: shared,
                                       storedHead: try r.optionalHandle("lm_head.weight", shape: [v, d]), storage: r.storage)
        return ModelWeights(
            encoder: StackWeights(embeddings: tables.encoder, positions: positions, embeddingNorm: nil,
                                  layers: layers.encoder, finalNorm: nil, relativeBias: nil),
            decoder: StackWeights(embeddings: tables.decoder, positions: positions, embeddingNorm: nil,
                                  layers: layers.decoder, finalNorm: nil, relativeBias: nil),
            lmHead: tables.head,
            finalLogitsBias: try r.optionalTensor("final_logits_bias", shape: [v]))
    }
}
