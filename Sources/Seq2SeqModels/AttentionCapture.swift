// Every attention weight of one teacher-forced pass — encoder self-attention, decoder
// self-attention and cross-attention, every layer and head — recorded by the attention kernel
// (`attention(_:probabilities:…)`) as the model runs, for the attention explorer.
import Seq2SeqTensor

/// The softmax weights of one attention kind over all layers and heads, [L, H, Q, K]: query
/// row q is a distribution over the K keys; masked keys (causal, padding) are exactly 0.
public struct AttentionWeights: Sendable, Equatable {
    /// Layers L.
    public let layers: Int
    /// Heads H (1 after a mean over heads).
    public let heads: Int
    /// Query positions Q.
    public let queries: Int
    /// Key positions K.
    public let keys: Int
    /// The weights [L, H, Q, K], row-major.
    public var values: [Float]

    /// Weights of the given shape; `values` holds L·H·Q·K numbers.
    public init(layers: Int, heads: Int, queries: Int, keys: Int, values: [Float]) {
        precondition(values.count == layers * heads * queries * keys, "values must be L·H·Q·K")
        self.layers = layers
        self.heads = heads
        self.queries = queries
        self.keys = keys
        self.values = values
    }

    /// No weights (a model without this attention kind, such as an SSRU decoder).
    public static let empty = AttentionWeights(layers: 0, heads: 0, queries: 0, keys: 0, values: [])

    /// The weight of key `key` for query `query` in `layer`, `head`.
    public subscript(layer: Int, head: Int, query: Int, key: Int) -> Float {
        values[((layer * heads + head) * queries + query) * keys + key]
    }

    /// [Q][K] of one layer (negative counts from the end): one head's, or the mean over heads (nil).
    public func matrix(layer: Int, head: Int? = nil) -> [[Float]] {
        let l = layer < 0 ? layers + layer : layer
        precondition(l >= 0 && l < layers, "layer outside the weights")
        return (0..<queries).map { q in
            (0..<keys).map { k in
                if let head { return self[l, head, q, k] }
                var sum: Float = 0
                for h in 0..<heads { sum += self[l, h, q, k] }
                return sum / Float(heads)
            }
        }
    }

    /// The first `count` keys of every row (the rest dropped, rows no longer summing to 1).
    public func keepingKeys(_ count: Int) -> AttentionWeights {
        let n = min(count, keys)
        var out = [Float]()
        out.reserveCapacity(layers * heads * queries * n)
        for row in 0..<(layers * heads * queries) { out += values[(row * keys)..<(row * keys + n)] }
        return AttentionWeights(layers: layers, heads: heads, queries: queries, keys: n, values: out)
    }

    /// One layer's weights p [H, Q, K] reduced: the mean over heads when `meanOverHeads`, and
    /// blocks of `block` queries × `block` keys, each block the mean over its queries of the
    /// sum over its keys (so rows still sum to 1) → [H', ⌈Q/block⌉, ⌈K/block⌉].
    static func reduce(_ p: UnsafePointer<Float>, heads: Int, queries: Int, keys: Int, meanOverHeads: Bool, block: Int) -> [Float] {
        let qb = (queries + block - 1) / block, kb = (keys + block - 1) / block, outHeads = meanOverHeads ? 1 : heads
        var out = [Float](repeating: 0, count: outHeads * qb * kb)
        for h in 0..<heads {
            let o = meanOverHeads ? 0 : h
            for q in 0..<queries {
                let row = p + (h * queries + q) * keys
                let rowSize = Float(min(block, queries - q / block * block))
                let weight = 1 / (rowSize * (meanOverHeads ? Float(heads) : 1))
                let target = (o * qb + q / block) * kb
                for k in 0..<keys { out[target + k / block] += row[k] * weight }
            }
        }
        return out
    }
}

/// The three attention kinds of one teacher-forced pass of one sequence.
public struct AttentionCapture: Sendable, Equatable {
    /// Encoder self-attention [L, H, S, S] (or reduced, see `EncoderDecoderModel.attention(features:…)`).
    public var encoderSelf: AttentionWeights
    /// Decoder self-attention [L, H, T, T], exactly 0 above the diagonal; empty for decoders
    /// without self-attention (Marian's SSRU).
    public var decoderSelf: AttentionWeights
    /// Cross-attention [L, H, T, S].
    public var cross: AttentionWeights

    /// The three kinds' weights.
    public init(encoderSelf: AttentionWeights, decoderSelf: AttentionWeights, cross: AttentionWeights) {
        self.encoderSelf = encoderSelf
        self.decoderSelf = decoderSelf
        self.cross = cross
    }
}

/// Collects each layer's probabilities [1, H, Q, K] into [L, H, Q, K].
struct AttentionRecorder {
    private(set) var layers = 0, heads = 0, queries = 0, keys = 0
    private(set) var values: [Float] = []

    /// Appends one layer; every layer must have the shape of the first.
    mutating func append(_ p: Tensor) {
        let shape = p.shape
        precondition(shape.count == 4 && shape[0] == 1, "one sequence's [1, H, Q, K]")
        if layers == 0 { (heads, queries, keys) = (shape[1], shape[2], shape[3]) }
        precondition([heads, queries, keys] == Array(shape.dropFirst()), "layers of one shape")
        values += UnsafeBufferPointer(start: p.data, count: p.count)
        layers += 1
    }

    /// Appends one layer already reduced to `heads` × `queries` × `keys`.
    mutating func append(reduced: [Float], heads h: Int, queries q: Int, keys k: Int) {
        (heads, queries, keys) = (h, q, k)
        values += reduced
        layers += 1
    }

    var weights: AttentionWeights {
        layers == 0 ? .empty : AttentionWeights(layers: layers, heads: heads, queries: queries, keys: keys, values: values)
    }
}

extension EncoderDecoderModel {
    /// Every attention weight of one teacher-forced pass over `source` with `decoderInputs`
    /// (start token first; row t belongs to the prediction of the token after input t):
    /// encoder self-attention [L, H, S, S], decoder self-attention [L, H, T, T] (0 above the
    /// diagonal: the causal mask) and cross-attention [L, H, T, S].
    public func attention(source: [Int], decoderInputs: [Int]) throws -> AttentionCapture {
        var encoder = AttentionRecorder()
        let encoded = try encode([source]) { encoder.append($0) }
        return try attention(encoded, decoderInputs: decoderInputs, encoderSelf: encoder.weights)
    }

    /// The same for an audio encoder over log-mel `features` [n_mels, F]: its self-attention
    /// over F/2 frames is large (1500² per head for a 30 s window), so each layer's is kept as
    /// the mean over heads in blocks of `encoderBlock` × `encoderBlock` frames (rows still sum to 1).
    public func attention(features: Tensor, decoderInputs: [Int], encoderBlock: Int) throws -> AttentionCapture {
        precondition(encoderBlock >= 1, "a block of at least one frame")
        var encoder = AttentionRecorder()
        let encoded = try encode(features: [features]) { p in
            let (h, s) = (p.shape[1], p.shape[2])
            encoder.append(reduced: AttentionWeights.reduce(p.data, heads: h, queries: s, keys: s, meanOverHeads: true, block: encoderBlock),
                           heads: 1, queries: (s + encoderBlock - 1) / encoderBlock, keys: (s + encoderBlock - 1) / encoderBlock)
        }
        return try attention(encoded, decoderInputs: decoderInputs, encoderSelf: encoder.weights)
    }

    private func attention(_ encoded: EncoderOutput, decoderInputs: [Int], encoderSelf: AttentionWeights) throws -> AttentionCapture {
        guard !decoderInputs.isEmpty else { return AttentionCapture(encoderSelf: encoderSelf, decoderSelf: .empty, cross: .empty) }
        let decoder = makeDecoder(for: encoded)
        decoder.recordsAttention = true
        try decoder.begin(rowsPerSource: 1)
        _ = try decoder.forward(tokens: [decoderInputs], allPositions: false)
        var selfAttention = AttentionRecorder(), cross = AttentionRecorder()
        for p in decoder.recordedSelfAttention { selfAttention.append(p) }
        for p in decoder.recordedCrossAttention { cross.append(p) }
        return AttentionCapture(encoderSelf: encoderSelf, decoderSelf: selfAttention.weights, cross: cross.weights)
    }
}

extension MarianNativeModel {
    /// Every attention weight of `target` (the ids after the start, as `translate` returns
    /// them) over `source`, stepped as decoding does: encoder self-attention [L, H, S, S] and
    /// cross-attention [L, H, T, S]; the SSRU decoder has no self-attention (empty).
    public func attention(source: [Int], target: [Int]) throws -> AttentionCapture {
        var encoder = AttentionRecorder()
        let encoded = try base.encode([source]) { encoder.append($0) }
        let decoder = makeDecoder(for: encoded)
        decoder.recordsAttention = true
        try decoder.begin(rowsPerSource: 1)
        let (heads, s, t, layers) = (spec.heads, source.count, target.count, spec.decoderLayers)
        var cross = [Float](repeating: 0, count: layers * heads * t * s)
        for (i, token) in ([eosTokenId] + target.dropLast()).enumerated() {
            _ = try decoder.step(tokens: [token])
            for (l, p) in decoder.recordedCrossAttention.enumerated() {  // [1, H, S]
                for h in 0..<heads {
                    for j in 0..<s { cross[((l * heads + h) * t + i) * s + j] = p.data[h * s + j] }
                }
            }
        }
        let weights = t == 0 ? AttentionWeights.empty : AttentionWeights(layers: layers, heads: heads, queries: t, keys: s, values: cross)
        return AttentionCapture(encoderSelf: encoder.weights, decoderSelf: .empty, cross: weights)
    }
}
