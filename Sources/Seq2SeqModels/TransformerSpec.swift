// One generic encoder-decoder Transformer, described by switches (the CTranslate2 way:
// include/ctranslate2/layers/transformer.h). Each family file fills a spec from its config.
import Seq2SeqIO
import Seq2SeqTensor

/// The normalization a model uses.
public enum NormKind: Sendable, Equatable {
    /// LayerNorm: (x - mean) / sqrt(var + eps) · γ + β.
    case layerNorm(epsilon: Float)
    /// RMSNorm (T5): x / sqrt(mean(x²) + eps) · γ, no mean, no bias.
    case rmsNorm(epsilon: Float)
}

/// How token positions enter a stack.
public enum PositionEncoding: Sendable, Equatable {
    /// No absolute positions (T5 uses relative attention bias instead).
    case none
    /// A table; position p reads row p + offset (BART/mBART: learned, offset 2; M2M-100/NLLB:
    /// fairseq's fixed sinusoids computed at load, offset pad id + 1).
    case learned(offset: Int)
    /// Fixed sinusoids, sines in the first half of the vector and cosines in the second (Marian).
    case sinusoidal
}

/// T5's bucketed relative position bias, computed by the first layer and shared by all.
public struct RelativeAttentionBias: Sendable, Equatable {
    /// Number of buckets.
    public var buckets: Int
    /// Distance from which all positions share the last bucket.
    public var maxDistance: Int
}

/// Every architectural switch of the generic encoder-decoder.
public struct TransformerSpec: Sendable, Equatable {
    /// Model width D.
    public var modelWidth: Int
    /// Attention heads H.
    public var heads: Int
    /// Width of one head Dh (H·Dh may differ from D, as in some T5 models).
    public var headWidth: Int
    /// Feed-forward inner width.
    public var ffnWidth: Int
    /// Encoder layers.
    public var encoderLayers: Int
    /// Decoder layers.
    public var decoderLayers: Int
    /// Vocabulary size V of the logits.
    public var vocabularySize: Int
    /// Normalization kind.
    public var norm: NormKind
    /// Normalize before each sub-block (true) or after the residual sum (false, post-norm).
    public var preNorm: Bool
    /// A norm after the last layer of each stack (T5, mBART, pre-norm models).
    public var finalNorm: Bool
    /// A norm right after embeddings + positions (BART's `layernorm_embedding`).
    public var embeddingNorm: Bool
    /// Feed-forward activation.
    public var activation: Activation
    /// Gated feed-forward: act(x·W0ᵀ) ⊙ (x·W1ᵀ) (T5 v1.1, Flan-T5).
    public var gatedFFN: Bool
    /// Linear layers carry biases (false for T5).
    public var biases: Bool
    /// Factor on token embeddings (sqrt(D) with `scale_embedding`, else 1).
    public var embeddingScale: Float
    /// Absolute positions.
    public var positions: PositionEncoding
    /// Largest position the tables hold (learned positions), or nil when unbounded.
    public var maxPositions: Int?
    /// T5 relative attention bias, when used.
    public var relativeBias: RelativeAttentionBias?
    /// Factor on attention scores: 1/sqrt(Dh) usually, 1 for T5.
    public var attentionScale: Float
    /// Factor on the decoder output before the LM head (T5 with tied embeddings: D^-0.5).
    public var outputScale: Float
    /// A bias added to the logits (`final_logits_bias`: BART, mBART, Marian).
    public var finalLogitsBias: Bool
}

extension TransformerSpec {
    /// Largest sizes a model file may ask for. Checked before anything is allocated, so a
    /// corrupt or hostile `config.json` is an error and not a multi-gigabyte allocation.
    static let limits = (width: 1 << 16, layers: 1024, vocabulary: 1 << 24, positions: 1 << 16, buckets: 1 << 12)

    /// Most source tokens a model without a position limit (T5) encodes: its attention and
    /// relative-bias tables grow with the square of the length.
    public static let unboundedSourceLimit = 8192

    /// Most source tokens this model encodes.
    public var sourceLimit: Int { maxPositions ?? Self.unboundedSourceLimit }

    /// Checks every size against `limits` and the relations the layers rely on; throws
    /// `ModelFileError` naming `path` and the first size at fault.
    public func validate(path: String) throws {
        let l = Self.limits
        func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws {
            guard range.contains(value) else {
                throw ModelFileError(path, "\(name) is \(value), outside \(range.lowerBound)...\(range.upperBound)")
            }
        }
        try check("the model width", modelWidth, 1...l.width)
        try check("the attention head count", heads, 1...l.width)
        try check("the head width", headWidth, 1...l.width)
        try check("the feed-forward width", ffnWidth, 1...(4 * l.width))
        try check("the encoder layer count", encoderLayers, 1...l.layers)
        try check("the decoder layer count", decoderLayers, 1...l.layers)
        try check("the vocabulary size", vocabularySize, 1...l.vocabulary)
        if let maxPositions { try check("the position count", maxPositions, 1...l.positions) }
        if let bias = relativeBias {
            try check("relative_attention_num_buckets", bias.buckets, 4...l.buckets)
            // The log-spaced buckets start after buckets / 2 exact distances (a quarter in
            // the encoder); a smaller maximum distance divides by log(≤ 1).
            try check("relative_attention_max_distance", bias.maxDistance, (bias.buckets / 2 + 1)...(1 << 24))
        }
        guard embeddingScale.isFinite, attentionScale.isFinite, outputScale.isFinite else {
            throw ModelFileError(path, "a non-finite scale factor")
        }
    }
}
