// The architecture and training switches of the trainable encoder-decoder Transformer
// (Vaswani et al. 2017, "Attention Is All You Need"), with the variants Hugging Face's
// Marian, BART and mBART families express: post-norm or pre-norm, a layer norm on the
// embeddings, shared and tied embedding tables — and T5's (`t5`): RMS norms, bias-free
// projections, relative position buckets instead of positions, gated feed-forward.
//
//     var configuration = TransformerConfiguration(preset: .small, vocabularySize: 8000)
//     configuration.preNorm = true
//     configuration.embeddingNorm = true   // mBART-style export needs it with pre-norm
//     let model = TransformerModel(configuration: configuration, seed: 1)
import Foundation
import Seq2SeqTensor

/// Every switch of a `TransformerModel`; all fields can be changed after choosing a preset.
public struct TransformerConfiguration: Codable, Sendable, Equatable {
    /// Sizes of the paper's models and two smaller ones.
    public enum Preset: String, Codable, Sendable, CaseIterable {
        /// D 64, H 2, FFN 128, 2 + 2 layers: for tests and toy tasks.
        case tiny
        /// D 256, H 4, FFN 1024, 3 + 3 layers.
        case small
        /// The paper's base model: D 512, H 8, FFN 2048, 6 + 6 layers.
        case base
    }

    /// What makes a model T5 (transformers' T5ForConditionalGeneration): pre-norm with RMS norms
    /// and no biases, unscaled attention over `heads`·`headWidth` inner columns, a relative
    /// position bias learned by each stack's first block and shared by its other blocks, no
    /// position embeddings.
    public struct T5Options: Codable, Sendable, Equatable {
        /// Width of one head (`d_kv`); heads·headWidth need not be the model width.
        public var headWidth: Int
        /// Relative position buckets (`relative_attention_num_buckets`).
        public var relativeBuckets: Int
        /// Offsets from which the buckets stop growing (`relative_attention_max_distance`).
        public var relativeMaxDistance: Int
        /// act(x·W0ᵀ)⊙(x·W1ᵀ) (`gated-gelu`, v1.1 and Flan-T5) instead of act(x·Wᵀ).
        public var gatedFeedForward: Bool
        /// ε of the RMS norms (`layer_norm_epsilon`).
        public var normEpsilon: Float
        /// The decoder output is multiplied by D^-0.5 before the output layer (v1.0's tied
        /// head; transformers 5 `scale_decoder_outputs`).
        public var scaleDecoderOutputs: Bool

        public init(headWidth: Int, relativeBuckets: Int = 32, relativeMaxDistance: Int = 128, gatedFeedForward: Bool = false,
                    normEpsilon: Float = 1e-6, scaleDecoderOutputs: Bool = true) {
            self.headWidth = headWidth
            self.relativeBuckets = relativeBuckets
            self.relativeMaxDistance = relativeMaxDistance
            self.gatedFeedForward = gatedFeedForward
            self.normEpsilon = normEpsilon
            self.scaleDecoderOutputs = scaleDecoderOutputs
        }
    }

    /// Vocabulary size V (source and target ids share one numbering).
    public var vocabularySize: Int
    /// Model width D.
    public var modelWidth: Int
    /// Attention heads H (D must be a multiple of H).
    public var heads: Int
    /// Inner width of the feed-forward blocks.
    public var feedForwardWidth: Int
    /// Encoder layers.
    public var encoderLayers: Int
    /// Decoder layers.
    public var decoderLayers: Int
    /// Dropout on the embeddings and on each sublayer's output before the residual sum.
    public var dropout: Float
    /// Dropout on the attention probabilities.
    public var attentionDropout: Float
    /// Dropout after the feed-forward activation.
    public var activationDropout: Float
    /// The feed-forward activation (ReLU by default, as the paper).
    public var activation: Activation
    /// Normalize before each sublayer and after each stack (true), or after each residual sum
    /// as the paper does (false, the default).
    public var preNorm: Bool
    /// A learned layer norm right after embeddings + positions in both stacks (BART and
    /// mBART's `layernorm_embedding`). A pre-norm model needs it to export as mBART, which
    /// always applies one.
    public var embeddingNorm: Bool
    /// One embedding table for source and target tokens.
    public var sharedEmbeddings: Bool
    /// The output layer is the target embedding table (no separate `lm_head.weight`).
    public var tiedOutput: Bool
    /// Token embeddings are multiplied by √D before the positions are added.
    public var scaleEmbeddings: Bool
    /// Longest source or target the sinusoidal position table covers.
    public var maxPositions: Int
    /// Padding id: ignored by the loss and masked out of attention; its embedding row gets no
    /// gradient from lookups.
    public var padTokenId: Int
    /// End-of-sequence id.
    public var eosTokenId: Int
    /// The first decoder input (Marian uses the padding id).
    public var decoderStartTokenId: Int
    /// Label smoothing ε of the training loss.
    public var labelSmoothing: Float
    /// Learned position tables (`model.{encoder,decoder}.embed_positions.weight`, BART's layout:
    /// row p + 2 for position p), trained with the rest — a pretrained BART or mBART read for
    /// fine-tuning. nil or false: fixed sinusoids.
    public var learnedPositions: Bool?
    /// The T5 architecture (a pretrained T5, v1.1 or mT5 read for fine-tuning); nil for the
    /// Marian, BART and mBART layouts.
    public var t5: T5Options?

    /// A configuration of a preset's sizes, the paper's regularisation (dropout 0.1, label
    /// smoothing 0.1, no attention or activation dropout), post-norm, ReLU, shared and tied
    /// embeddings scaled by √D, 512 positions, padding and decoder start 0, end of sequence 1.
    public init(preset: Preset, vocabularySize: Int) {
        let (d, h, f, layers): (Int, Int, Int, Int)
        switch preset {
        case .tiny: (d, h, f, layers) = (64, 2, 128, 2)
        case .small: (d, h, f, layers) = (256, 4, 1024, 3)
        case .base: (d, h, f, layers) = (512, 8, 2048, 6)
        }
        self.init(vocabularySize: vocabularySize, modelWidth: d, heads: h, feedForwardWidth: f,
                  encoderLayers: layers, decoderLayers: layers)
    }

    /// A configuration with the given sizes and the defaults of `init(preset:vocabularySize:)`.
    public init(vocabularySize: Int, modelWidth: Int, heads: Int, feedForwardWidth: Int, encoderLayers: Int,
                decoderLayers: Int, dropout: Float = 0.1, attentionDropout: Float = 0, activationDropout: Float = 0,
                activation: Activation = .relu, preNorm: Bool = false, embeddingNorm: Bool = false,
                sharedEmbeddings: Bool = true, tiedOutput: Bool = true, scaleEmbeddings: Bool = true,
                maxPositions: Int = 512, padTokenId: Int = 0, eosTokenId: Int = 1, decoderStartTokenId: Int = 0,
                labelSmoothing: Float = 0.1) {
        self.vocabularySize = vocabularySize
        self.modelWidth = modelWidth
        self.heads = heads
        self.feedForwardWidth = feedForwardWidth
        self.encoderLayers = encoderLayers
        self.decoderLayers = decoderLayers
        self.dropout = dropout
        self.attentionDropout = attentionDropout
        self.activationDropout = activationDropout
        self.activation = activation
        self.preNorm = preNorm
        self.embeddingNorm = embeddingNorm
        self.sharedEmbeddings = sharedEmbeddings
        self.tiedOutput = tiedOutput
        self.scaleEmbeddings = scaleEmbeddings
        self.maxPositions = maxPositions
        self.padTokenId = padTokenId
        self.eosTokenId = eosTokenId
        self.decoderStartTokenId = decoderStartTokenId
        self.labelSmoothing = labelSmoothing
    }

    /// Width of one head: D / H, or T5's `d_kv`.
    public var headWidth: Int { t5?.headWidth ?? modelWidth / max(heads, 1) }

    /// Throws `TransformerConfigurationError` naming the first inconsistent field.
    public func validate() throws {
        func check(_ ok: Bool, _ problem: @autoclosure () -> String) throws {
            if !ok { throw TransformerConfigurationError(problem()) }
        }
        try check(vocabularySize > 0, "vocabularySize \(vocabularySize) must be positive")
        try check(modelWidth > 0 && modelWidth % 2 == 0, "modelWidth \(modelWidth) must be positive and even")
        try check(heads > 0 && modelWidth % heads == 0, "modelWidth \(modelWidth) is not a multiple of \(heads) heads")
        try check(feedForwardWidth > 0, "feedForwardWidth \(feedForwardWidth) must be positive")
        try check(encoderLayers > 0 && decoderLayers > 0, "encoderLayers and decoderLayers must be positive")
        try check(maxPositions > 0, "maxPositions \(maxPositions) must be positive")
        try check(learnedPositions != true || embeddingNorm, "learned positions export only as BART or mBART (embeddingNorm)")
        if let t5 {
            try check(t5.headWidth > 0 && t5.relativeBuckets > 1 && t5.relativeMaxDistance > 1, "T5 head width and relative buckets must be positive")
            try check(preNorm && !embeddingNorm && sharedEmbeddings && learnedPositions != true,
                      "T5 is pre-norm with one shared embedding table and no embedding norm or positions")
        }
        for (name, rate) in [("dropout", dropout), ("attentionDropout", attentionDropout), ("activationDropout", activationDropout)] {
            try check(rate >= 0 && rate < 1, "\(name) \(rate) outside [0, 1)")
        }
        try check(labelSmoothing >= 0 && labelSmoothing <= 1, "labelSmoothing \(labelSmoothing) outside [0, 1]")
        for (name, id) in [("padTokenId", padTokenId), ("eosTokenId", eosTokenId), ("decoderStartTokenId", decoderStartTokenId)] {
            try check(id >= 0 && id < vocabularySize, "\(name) \(id) outside the vocabulary of \(vocabularySize)")
        }
    }
}

/// A `TransformerConfiguration` field out of range or inconsistent with another.
public struct TransformerConfigurationError: Seq2SeqError, Error, CustomStringConvertible, Sendable {
    /// What is wrong, in one line.
    public let description: String
    init(_ description: String) { self.description = description }
}

extension TransformerConfigurationError: LocalizedError {
    /// The one-line description, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}
