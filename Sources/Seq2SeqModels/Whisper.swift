// Whisper on the generic encoder-decoder, from a CTranslate2 `model.bin` (WhisperSpec, as
// faster-whisper uses it) or a Hugging Face folder (`WhisperForConditionalGeneration`:
// `config.json` + `model.safetensors`) — ported from openai/whisper `model.py` and transformers
// `models/whisper/modeling_whisper.py` (5.24), with the names of CTranslate2's
// `python/ctranslate2/specs/whisper_spec.py` and `converters/transformers.py` (`WhisperLoader`):
// a conv1d+GELU audio stem (second conv stride 2), stored sinusoidal encoder positions, learned
// decoder positions, pre-norm LayerNorm blocks with final norms, the feed-forward activation
// (GELU), the LM head tied to the decoder embeddings. One model: the two formats differ only in
// where each weight is kept (`WhisperNames`) and where the sizes come from (the variables'
// shapes for CTranslate2, `config.json` for transformers). transformers never applies Whisper's
// `scale_embedding` (its `embed_scale` is unused), so neither does this.
import Foundation
import Seq2SeqGeneration
import Seq2SeqIO
import Seq2SeqTensor

enum WhisperFamily: ModelFamily {
    static let modelTypes = ["whisper"]

    /// A CTranslate2 folder keeps its suppressed ids in `config.json`, where its converter put
    /// the Hugging Face generation config's (CTranslate2 applies them by default). A folder that
    /// names no start, end or length decodes from `<|startoftranscript|>` to `<|endoftext|>`
    /// within the decoder's positions (448).
    static func completeGenerationDefaults(_ defaults: inout GenerationConfig, folder: ModelFolderContents) throws {
        if folder.kind == .ctranslate2 && !folder.hasGenerationConfig {
            let whisper = try WhisperSettings(directory: folder.directory, config: folder.config)
            defaults.suppressTokens = whisper.suppressTokens ?? []
            defaults.beginSuppressTokens = whisper.beginSuppressTokens ?? []
        }
        if defaults.decoderStartTokenId == nil { defaults.decoderStartTokenId = folder.tokenizer?.id(for: "<|startoftranscript|>") }
        if defaults.eosTokenIds.isEmpty, let end = folder.tokenizer?.id(for: "<|endoftext|>") { defaults.eosTokenIds = [end] }
        if defaults.maxLength == nil && defaults.maxNewTokens == nil { defaults.maxLength = folder.spec.maxPositions }
    }

    /// Loads a CTranslate2 Whisper model; throws `ModelFileError` naming the file.
    static func load(_ file: CTranslate2File, computeType: ComputeType) throws -> EncoderDecoderModel {
        guard file.specName == "WhisperSpec" else {
            throw ModelFileError(file.path, "a CTranslate2 \(file.specName) model; only WhisperSpec is supported here")
        }
        guard let embeddings = file.variables["decoder/embeddings/weight"], embeddings.shape.count == 2,
              let conv1 = file.variables["encoder/conv1/weight"], conv1.shape.count == 3 else {
            throw ModelFileError(file.path, "not a Whisper model: missing decoder/embeddings/weight or encoder/conv1/weight")
        }
        let d = embeddings.shape[1]
        let layers = { (side: String) in (0...).prefix { file.variables["\(side)/layer_\($0)/ffn/linear_0/weight"] != nil }.count }
        let heads = file.scalarInt("encoder/num_heads") ?? d / 64
        guard heads > 0, d % heads == 0, file.scalarInt("decoder/num_heads") ?? heads == heads else {
            throw ModelFileError(file.path, "inconsistent head counts for width \(d)")
        }
        let sizes = WhisperSizes(
            width: d, heads: heads, ffn: file.variables["encoder/layer_0/ffn/linear_0/weight"]?.shape.first ?? 4 * d,
            encoderLayers: layers("encoder"), decoderLayers: layers("decoder"), vocabulary: embeddings.shape[0],
            melBins: conv1.shape[1], encoderPositions: file.variables["encoder/position_encodings/encodings"]?.shape.first ?? 1500,
            decoderPositions: file.variables["decoder/position_encodings/encodings"]?.shape.first ?? 448, activation: .gelu)
        let spec = sizes.spec
        try spec.validate(path: file.path)
        let r = WeightReader(file, computeType: computeType)
        r.ignore(file.variables.filter { $0.value.shape.isEmpty || $0.key.hasSuffix("_scale") }.map(\.key))
        r.ignore(["decoder/projection/weight"])
        let weights = try build(CTranslate2Names(r: r, s: sizes))
        try r.checkAllUsed()
        releaseFreedMemory()
        return EncoderDecoderModel(family: "whisper", spec: spec, weights: weights,
                                   parameterCount: r.loaded.reduce(0) { $0 + (file.variables[$1]?.shape.reduce(1, *) ?? 0) },
                                   sourceDTypes: Set(r.loaded.compactMap { file.variables[$0]?.dtype.name }))
    }

    static func spec(modelType: String, config: JSONConfig) throws -> TransformerSpec {
        try sizes(config: config).spec
    }

    static func weights(spec: TransformerSpec, modelType: String, config: JSONConfig, reader: WeightReader) throws -> ModelWeights {
        let tied = try config.bool("tie_word_embeddings") ?? true
        return try build(TransformersNames(r: reader, s: try sizes(config: config), tied: tied))
    }

    /// The sizes `config.json` of a `WhisperForConditionalGeneration` gives (transformers'
    /// `WhisperConfig` defaults for the mel bins and position counts).
    static func sizes(config c: JSONConfig) throws -> WhisperSizes {
        let path = c.path
        let d = try c.requiredInt("d_model", path: path)
        let heads = try c.requiredInt("encoder_attention_heads", path: path)
        let ffn = try c.requiredInt("encoder_ffn_dim", path: path)
        guard try c.int("decoder_attention_heads") ?? heads == heads, try c.int("decoder_ffn_dim") ?? ffn == ffn else {
            throw ModelFileError(path, "encoder and decoder of different head counts or FFN widths are not supported")
        }
        guard d % heads == 0 else { throw ModelFileError(path, "d_model \(d) is not a multiple of \(heads) heads") }
        let activationName = try c.string("activation_function") ?? "gelu"
        guard let activation = Activation(huggingFaceName: activationName) else {
            throw ModelFileError(path, "unsupported activation_function \"\(activationName)\"")
        }
        func positive(_ key: String, default value: Int) throws -> Int {
            try c.int(key) == nil ? value : try c.requiredInt(key, path: path)
        }
        return WhisperSizes(
            width: d, heads: heads, ffn: ffn, encoderLayers: try c.requiredInt("encoder_layers", path: path),
            decoderLayers: try c.requiredInt("decoder_layers", path: path), vocabulary: try c.requiredInt("vocab_size", path: path),
            melBins: try positive("num_mel_bins", default: 80), encoderPositions: try positive("max_source_positions", default: 1500),
            decoderPositions: try positive("max_target_positions", default: 448), activation: activation)
    }

    /// The weights, wherever `names` says the checkpoint keeps them.
    private static func build(_ names: some WhisperNames) throws -> ModelWeights {
        let s = names.s
        let encoder = StackWeights(
            embeddings: EmbeddingTable(Tensor(zeros: [1, s.width])),  // the encoder reads audio, not ids
            positions: try names.positions(.encoder, count: s.encoderPositions),
            embeddingNorm: nil,
            layers: try (0..<s.encoderLayers).map {
                EncoderLayerWeights(attention: try names.selfAttention(.encoder, $0), ffn: try names.feedForward(.encoder, $0))
            },
            finalNorm: try names.finalNorm(.encoder), relativeBias: nil)
        let (table, storedHead) = try names.decoderEmbeddings()
        let tables = try embeddingsAndHead(encoder: table, decoder: table, sharedTable: true, storedHead: storedHead,
                                       storage: names.r.storage)
        let decoder = StackWeights(
            embeddings: tables.decoder,
            positions: try names.positions(.decoder, count: s.decoderPositions),
            embeddingNorm: nil,
            layers: try (0..<s.decoderLayers).map {
                DecoderLayerWeights(attention: try names.selfAttention(.decoder, $0), crossAttention: try names.crossAttention($0),
                                    ffn: try names.feedForward(.decoder, $0))
            },
            finalNorm: try names.finalNorm(.decoder), relativeBias: nil)
        var weights = ModelWeights(encoder: encoder, decoder: decoder, lmHead: tables.head, finalLogitsBias: nil)
        weights.audioStem = AudioStem(conv1: try names.conv(1, inChannels: s.melBins, stride: 1),
                                      conv2: try names.conv(2, inChannels: s.width, stride: 2))
        return weights
    }
}

/// The sizes of a Whisper checkpoint.
struct WhisperSizes {
    var width: Int, heads: Int, ffn: Int
    var encoderLayers: Int, decoderLayers: Int, vocabulary: Int
    /// Mel bins of the input features (80; 128 for large-v3).
    var melBins: Int
    /// Rows of the encoder's sinusoid table (1500: 30 s) and of the decoder's learned positions (448).
    var encoderPositions: Int, decoderPositions: Int
    var activation: Activation

    /// The generic model's switches for these sizes.
    var spec: TransformerSpec {
        TransformerSpec(
            modelWidth: width, heads: heads, headWidth: width / heads, ffnWidth: ffn,
            encoderLayers: encoderLayers, decoderLayers: decoderLayers, vocabularySize: vocabulary,
            norm: .layerNorm(epsilon: 1e-5), preNorm: true, finalNorm: true, embeddingNorm: false,
            activation: activation, gatedFFN: false, biases: true, embeddingScale: 1, positions: .learned(offset: 0),
            maxPositions: decoderPositions, relativeBias: nil, attentionScale: 1 / Float(width / heads).squareRoot(),
            outputScale: 1, finalLogitsBias: false)
    }
}

/// A Whisper stack, as both formats spell it in names.
enum WhisperStack: String {
    case encoder, decoder
}

/// Where a checkpoint format keeps each Whisper weight — the only thing the two loaders differ in.
/// Every read goes through `r`, which checks shapes and that every stored tensor is used.
private protocol WhisperNames {
    var r: WeightReader { get }
    var s: WhisperSizes { get }
    func selfAttention(_ stack: WhisperStack, _ layer: Int) throws -> SelfAttentionWeights
    func crossAttention(_ layer: Int) throws -> CrossAttentionWeights
    func feedForward(_ stack: WhisperStack, _ layer: Int) throws -> FeedForwardWeights
    func finalNorm(_ stack: WhisperStack) throws -> Norm
    func positions(_ stack: WhisperStack, count: Int) throws -> Tensor
    /// Convolution `number` (1 or 2) of the audio stem: [D, in, 3] and a bias.
    func conv(_ number: Int, inChannels: Int, stride: Int) throws -> Conv1D
    /// The decoder's token embeddings [V, D], and an LM head stored apart from them (untied).
    func decoderEmbeddings() throws -> (table: WeightHandle, storedHead: WeightHandle?)
}

extension WhisperNames {
    var norm: NormKind { .layerNorm(epsilon: 1e-5) }

    func conv1D(weight: String, bias: String, inChannels: Int, stride: Int) throws -> Conv1D {
        let w = try r.tensor(weight, shape: [s.width, inChannels, 3]), b = try r.tensor(bias, shape: [s.width])
        return Conv1D(weight: w.data, bias: b.data, outChannels: s.width, inChannels: inChannels, kernelSize: 3, stride: stride, padding: 1)
    }
}

/// CTranslate2's WhisperSpec: fused Q,K,V (`linear_0`, the K third of its bias zeros), fused
/// cross-attention K,V (`attention/linear_1`), `gamma`/`beta` norms.
private struct CTranslate2Names: WhisperNames {
    let r: WeightReader
    let s: WhisperSizes

    private func linear(_ p: String, out: Int, in width: Int) throws -> Linear {
        try r.linear([(weight: "\(p)/weight", rows: out, bias: r.source.contains("\(p)/bias") ? "\(p)/bias" : nil)], in: width)
    }

    private func layerNorm(_ p: String) throws -> Norm {
        Norm(kind: norm, gamma: try r.tensor("\(p)/gamma", shape: [s.width]), beta: try r.tensor("\(p)/beta", shape: [s.width]))
    }

    func selfAttention(_ stack: WhisperStack, _ layer: Int) throws -> SelfAttentionWeights {
        let p = "\(stack.rawValue)/layer_\(layer)/self_attention", d = s.width
        return SelfAttentionWeights(qkv: try linear("\(p)/linear_0", out: 3 * d, in: d), output: try linear("\(p)/linear_1", out: d, in: d),
                                    norm: try layerNorm("\(p)/layer_norm"))
    }

    func crossAttention(_ layer: Int) throws -> CrossAttentionWeights {
        let p = "decoder/layer_\(layer)/attention", d = s.width
        return CrossAttentionWeights(query: try linear("\(p)/linear_0", out: d, in: d), keyValue: try linear("\(p)/linear_1", out: 2 * d, in: d),
                                     output: try linear("\(p)/linear_2", out: d, in: d), norm: try layerNorm("\(p)/layer_norm"))
    }

    func feedForward(_ stack: WhisperStack, _ layer: Int) throws -> FeedForwardWeights {
        let p = "\(stack.rawValue)/layer_\(layer)/ffn"
        return FeedForwardWeights(input: try linear("\(p)/linear_0", out: s.ffn, in: s.width), up: nil,
                                  output: try linear("\(p)/linear_1", out: s.width, in: s.ffn), norm: try layerNorm("\(p)/layer_norm"))
    }

    func finalNorm(_ stack: WhisperStack) throws -> Norm { try layerNorm("\(stack.rawValue)/layer_norm") }

    func positions(_ stack: WhisperStack, count: Int) throws -> Tensor {
        try r.tensor("\(stack.rawValue)/position_encodings/encodings", shape: [count, s.width])
    }

    func conv(_ number: Int, inChannels: Int, stride: Int) throws -> Conv1D {
        try conv1D(weight: "encoder/conv\(number)/weight", bias: "encoder/conv\(number)/bias", inChannels: inChannels, stride: stride)
    }

    func decoderEmbeddings() throws -> (table: WeightHandle, storedHead: WeightHandle?) {
        (try r.handle("decoder/embeddings/weight", shape: [s.vocabulary, s.width]), nil)  // the projection is an alias
    }
}

/// transformers' `WhisperForConditionalGeneration`: separate `q_proj`/`k_proj`/`v_proj` (the key
/// projections without bias), `fc1`/`fc2`, `weight`/`bias` norms, `proj_out` tied to
/// `model.decoder.embed_tokens` unless `tie_word_embeddings` is false.
private struct TransformersNames: WhisperNames {
    let r: WeightReader
    let s: WhisperSizes
    let tied: Bool

    /// Projections `names` of `p` stacked, each [D, D] with a bias except `k_proj`'s.
    private func projections(_ p: String, _ names: [String]) throws -> Linear {
        try r.linear(names.map { (weight: "\(p).\($0).weight", rows: s.width, bias: $0 == "k_proj" ? nil : "\(p).\($0).bias") }, in: s.width)
    }

    private func layerNorm(_ p: String) throws -> Norm { try r.norm(p, kind: norm, width: s.width) }

    private func layer(_ stack: WhisperStack, _ layer: Int) -> String { "model.\(stack.rawValue).layers.\(layer)" }

    func selfAttention(_ stack: WhisperStack, _ layer: Int) throws -> SelfAttentionWeights {
        let p = self.layer(stack, layer)
        return SelfAttentionWeights(qkv: try projections("\(p).self_attn", ["q_proj", "k_proj", "v_proj"]),
                                    output: try projections("\(p).self_attn", ["out_proj"]),
                                    norm: try layerNorm("\(p).self_attn_layer_norm"))
    }

    func crossAttention(_ layer: Int) throws -> CrossAttentionWeights {
        let p = self.layer(.decoder, layer)
        return CrossAttentionWeights(query: try projections("\(p).encoder_attn", ["q_proj"]),
                                     keyValue: try projections("\(p).encoder_attn", ["k_proj", "v_proj"]),
                                     output: try projections("\(p).encoder_attn", ["out_proj"]),
                                     norm: try layerNorm("\(p).encoder_attn_layer_norm"))
    }

    func feedForward(_ stack: WhisperStack, _ layer: Int) throws -> FeedForwardWeights {
        let p = self.layer(stack, layer)
        return FeedForwardWeights(input: try r.linear(["\(p).fc1"], out: s.ffn, in: s.width, bias: true), up: nil,
                                  output: try r.linear(["\(p).fc2"], out: s.width, in: s.ffn, bias: true),
                                  norm: try layerNorm("\(p).final_layer_norm"))
    }

    func finalNorm(_ stack: WhisperStack) throws -> Norm { try layerNorm("model.\(stack.rawValue).layer_norm") }

    func positions(_ stack: WhisperStack, count: Int) throws -> Tensor {
        try r.tensor("model.\(stack.rawValue).embed_positions.weight", shape: [count, s.width])
    }

    func conv(_ number: Int, inChannels: Int, stride: Int) throws -> Conv1D {
        try conv1D(weight: "model.encoder.conv\(number).weight", bias: "model.encoder.conv\(number).bias", inChannels: inChannels, stride: stride)
    }

    func decoderEmbeddings() throws -> (table: WeightHandle, storedHead: WeightHandle?) {
        let table = try r.handle("model.decoder.embed_tokens.weight", shape: [s.vocabulary, s.width])
        if tied {
            r.ignore(["proj_out.weight"])  // a saved copy of the tied table: transformers reads the embeddings
            return (table, nil)
        }
        return (table, try r.handle("proj_out.weight", shape: [s.vocabulary, s.width]))
    }
}

extension CTranslate2File: TensorSource {
    /// Variable names (aliases excluded).
    public var names: [String] { variables.keys.filter { aliases[$0] == nil }.sorted() }
    /// Whether `name` is a variable or an alias.
    public func contains(_ name: String) -> Bool { variables[name] != nil }
    /// Shape of `name`.
    public func shape(of name: String) -> [Int]? { variables[name]?.shape }
    /// Stored element type of `name`.
    public func dtypeName(of name: String) -> String? { variables[name]?.dtype.name }
}

/// Whisper's decoding settings that a model folder keeps beside the weights.
///
/// They come from either layout: CTranslate2's `config.json` (`suppress_ids`,
/// `suppress_ids_begin`, `alignment_heads`, as its converter writes them) or a Hugging Face
/// folder's `generation_config.json` (`suppress_tokens`, `begin_suppress_tokens`,
/// `alignment_heads`; without that file, the first two from `config.json`) — the fields
/// CTranslate2's `WhisperLoader.set_config` copies from one to the other.
public struct WhisperSettings: Sendable {
    /// Ids never generated (faster-whisper's `-1`: the non-speech symbols); nil when the folder does not say.
    public var suppressTokens: [Int]?
    /// Ids banned as the first generated token (the blank and `<|endoftext|>`); nil when the folder does not say.
    public var beginSuppressTokens: [Int]?
    /// (decoder layer, head) pairs whose cross-attention follows the audio; nil when the folder does not say.
    public var alignmentHeads: [[Int]]?

    /// No settings: every field nil.
    public init() {}

    /// The settings of the model folder `directory`, whose parsed `config.json` is `config`.
    ///
    /// A Hugging Face folder when `config.json` says `"model_type": "whisper"`, else CTranslate2's
    /// layout. Throws `ModelFileError` naming the file when a field has the wrong type.
    public init(directory: URL, config: JSONConfig) throws {
        guard try config.string("model_type") == "whisper" else {
            try self.init(config, suppress: "suppress_ids", begin: "suppress_ids_begin")
            return
        }
        let url = directory.appendingPathComponent("generation_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            try self.init(config, suppress: "suppress_tokens", begin: "begin_suppress_tokens")
            alignmentHeads = nil
            return
        }
        try self.init(try JSONConfig(contentsOf: url), suppress: "suppress_tokens", begin: "begin_suppress_tokens")
    }

    private init(_ file: JSONConfig, suppress: String, begin: String) throws {
        suppressTokens = try file.intArray(suppress)
        beginSuppressTokens = try file.intArray(begin)
        guard let heads = file["alignment_heads"] else { return }
        let pairs = heads.arrayValue?.map { $0.arrayValue?.compactMap(\.intValue) }
        guard let pairs, pairs.allSatisfy({ $0?.count == 2 }) else {
            throw ModelFileError(file.path, "\"alignment_heads\" should be a list of [layer, head] pairs")
        }
        alignmentHeads = pairs.compactMap { $0 }
    }
}
