// Whisper on the generic encoder-decoder, from a CTranslate2 `model.bin` (WhisperSpec, as
// faster-whisper uses it) — ported from openai/whisper `model.py` and CTranslate2's
// `python/ctranslate2/specs/whisper_spec.py` naming: a conv1d+GELU audio stem (second conv
// stride 2), stored sinusoidal encoder positions, learned decoder positions, pre-norm
// LayerNorm blocks with final norms, GELU feed-forward, the LM head tied to the decoder
// embeddings. Sizes come from the variables' shapes.
import Seq2SeqIO
import Seq2SeqTensor

enum WhisperFamily {
    /// Loads a CTranslate2 Whisper model; throws `ModelFileError` naming the file.
    static func load(_ file: CTranslate2File) throws -> EncoderDecoderModel {
        guard file.specName == "WhisperSpec" else {
            throw ModelFileError(file.path, "a CTranslate2 \(file.specName) model; only WhisperSpec is supported here")
        }
        let r = WeightReader(file)
        guard let embeddings = file.variables["decoder/embeddings/weight"], embeddings.shape.count == 2,
              let conv1 = file.variables["encoder/conv1/weight"], conv1.shape.count == 3 else {
            throw ModelFileError(file.path, "not a Whisper model: missing decoder/embeddings/weight or encoder/conv1/weight")
        }
        let v = embeddings.shape[0], d = embeddings.shape[1], mels = conv1.shape[1]
        let layers = { (side: String) in (0...).prefix { file.variables["\(side)/layer_\($0)/ffn/linear_0/weight"] != nil }.count }
        let heads = file.scalarInt("encoder/num_heads") ?? d / 64
        guard heads > 0, d % heads == 0, file.scalarInt("decoder/num_heads") ?? heads == heads else {
            throw ModelFileError(file.path, "inconsistent head counts for width \(d)")
        }
        let ffn = file.variables["encoder/layer_0/ffn/linear_0/weight"]?.shape.first ?? 4 * d
        let decoderPositions = file.variables["decoder/position_encodings/encodings"]?.shape.first ?? 448
        let spec = TransformerSpec(
            modelWidth: d, heads: heads, headWidth: d / heads, ffnWidth: ffn,
            encoderLayers: layers("encoder"), decoderLayers: layers("decoder"), vocabularySize: v,
            norm: .layerNorm(epsilon: 1e-5), preNorm: true, finalNorm: true, embeddingNorm: false,
            activation: .gelu, gatedFFN: false, biases: true, embeddingScale: 1, positions: .learned(offset: 0),
            maxPositions: decoderPositions, relativeBias: nil, attentionScale: 1 / Float(d / heads).squareRoot(),
            outputScale: 1, finalLogitsBias: false)
        r.ignore(file.variables.keys.filter { file.variables[$0]!.shape.isEmpty || $0.hasSuffix("_scale") })
        r.ignore(["decoder/projection/weight"])
        let encoderPositions = file.variables["encoder/position_encodings/encodings"]?.shape.first ?? 1500
        let encoder = StackWeights(
            embeddings: EmbeddingTable(Tensor(zeros: [1, d])),
            positions: try r.tensor("encoder/position_encodings/encodings", shape: [encoderPositions, d]),
            embeddingNorm: nil,
            layers: try (0..<spec.encoderLayers).map { i in
                let p = "encoder/layer_\(i)"
                return EncoderLayerWeights(attention: try selfAttention("\(p)/self_attention", r, d), ffn: try feedForward("\(p)/ffn", r, d, ffn))
            },
            finalNorm: try norm("encoder/layer_norm", r, d), relativeBias: nil)
        let (decoder, head) = try decoderStack(r, d: d, v: v, ffn: ffn, layers: spec.decoderLayers, positions: decoderPositions)
        var weights = ModelWeights(encoder: encoder, decoder: decoder, lmHead: head, finalLogitsBias: nil)
        weights.audioStem = AudioStem(conv1: try conv("encoder/conv1", r, out: d, in: mels, stride: 1),
                                      conv2: try conv("encoder/conv2", r, out: d, in: d, stride: 2))
        try r.checkAllUsed()
        return EncoderDecoderModel(family: "whisper", spec: spec, weights: weights,
                                   parameterCount: r.loaded.reduce(0) { $0 + (file.variables[$1]?.shape.reduce(1, *) ?? 0) },
                                   sourceDTypes: Set(r.loaded.compactMap { file.variables[$0]?.dtype.name }))
    }

    private static func decoderStack(_ r: WeightReader, d: Int, v: Int, ffn: Int, layers: Int, positions: Int) throws
        -> (StackWeights<DecoderLayerWeights>, PackedMatrix) {
        let table = try r.tensor("decoder/embeddings/weight", shape: [v, d])
        let head = PackedMatrix(weight: table.data, outFeatures: v, inFeatures: d, storage: .float16WhenExact)
        let stack = StackWeights(
            embeddings: EmbeddingTable(packed: head),
            positions: try r.tensor("decoder/position_encodings/encodings", shape: [positions, d]),
            embeddingNorm: nil,
            layers: try (0..<layers).map { i in
                let p = "decoder/layer_\(i)"
                return DecoderLayerWeights(
                    attention: try selfAttention("\(p)/self_attention", r, d),
                    crossAttention: CrossAttentionWeights(
                        query: try linear("\(p)/attention/linear_0", r, out: d, in: d),
                        keyValue: try linear("\(p)/attention/linear_1", r, out: 2 * d, in: d),
                        output: try linear("\(p)/attention/linear_2", r, out: d, in: d),
                        norm: try norm("\(p)/attention/layer_norm", r, d)),
                    ffn: try feedForward("\(p)/ffn", r, d, ffn))
            },
            finalNorm: try norm("decoder/layer_norm", r, d), relativeBias: nil)
        return (stack, head)
    }

    private static func linear(_ p: String, _ r: WeightReader, out: Int, in width: Int) throws -> Linear {
        Linear(stacking: [(weight: try r.tensor("\(p)/weight", shape: [out, width]), bias: try r.optionalTensor("\(p)/bias", shape: [out]))])
    }

    private static func norm(_ p: String, _ r: WeightReader, _ d: Int) throws -> Norm {
        Norm(kind: .layerNorm(epsilon: 1e-5), gamma: try r.tensor("\(p)/gamma", shape: [d]), beta: try r.tensor("\(p)/beta", shape: [d]))
    }

    private static func selfAttention(_ p: String, _ r: WeightReader, _ d: Int) throws -> SelfAttentionWeights {
        SelfAttentionWeights(qkv: try linear("\(p)/linear_0", r, out: 3 * d, in: d), output: try linear("\(p)/linear_1", r, out: d, in: d),
                             norm: try norm("\(p)/layer_norm", r, d))
    }

    private static func feedForward(_ p: String, _ r: WeightReader, _ d: Int, _ ffn: Int) throws -> FeedForwardWeights {
        FeedForwardWeights(input: try linear("\(p)/linear_0", r, out: ffn, in: d), up: nil,
                           output: try linear("\(p)/linear_1", r, out: d, in: ffn), norm: try norm("\(p)/layer_norm", r, d))
    }

    private static func conv(_ p: String, _ r: WeightReader, out: Int, in width: Int, stride: Int) throws -> Conv1D {
        let w = try r.tensor("\(p)/weight", shape: [out, width, 3]), b = try r.tensor("\(p)/bias", shape: [out])
        return Conv1D(weight: w.data, bias: b.data, outChannels: out, inChannels: width, kernelSize: 3, stride: stride, padding: 1)
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
