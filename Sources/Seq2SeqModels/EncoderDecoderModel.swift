// The generic encoder-decoder: the encoder runs once per batch of sources; the decoder is
// stepped through a `DecoderState` that caches self-attention keys/values and computes the
// cross-attention keys/values once per source.
import Foundation
import Seq2SeqTensor

/// A loaded encoder-decoder model of any supported family.
public final class EncoderDecoderModel: @unchecked Sendable {
    /// The architecture switches.
    public let spec: TransformerSpec
    /// The family name from `config.json` (`t5`, `bart`, `mbart`, `marian`, …).
    public let family: String
    let weights: ModelWeights
    /// Number of learned weights read from the checkpoint (tied tensors counted once; constant
    /// buffers such as `final_logits_bias` and computed sinusoids not counted).
    public let parameterCount: Int
    /// Element types the checkpoint stored the weights in (`F32`, `F16`, `BF16`, …).
    public let sourceDTypes: Set<String>

    init(family: String, spec: TransformerSpec, weights: ModelWeights, parameterCount: Int, sourceDTypes: Set<String>) {
        self.family = family
        self.spec = spec
        self.weights = weights
        self.parameterCount = parameterCount
        self.sourceDTypes = sourceDTypes
    }

    /// Number of ids the embedding tables accept.
    public var sourceVocabularySize: Int { weights.encoder.embeddings.count }
    /// Number of ids the decoder embedding accepts.
    public var targetVocabularySize: Int { weights.decoder.embeddings.count }

    /// Runs the encoder over `sources` (ids, any lengths; padded internally) → memory [B, S, D].
    public func encode(_ sources: [[Int]]) throws -> EncoderOutput { try encode(sources, record: nil) }

    /// `encode`, handing each layer's self-attention weights [B, H, S, S] to `record`.
    func encode(_ sources: [[Int]], record: ((Tensor) -> Void)?) throws -> EncoderOutput {
        let lengths = sources.map(\.count)
        let b = sources.count, s = max(lengths.max() ?? 1, 1), d = spec.modelWidth
        try checkIds(sources.flatMap { $0 }, vocabulary: sourceVocabularySize, side: "source")
        guard s <= spec.sourceLimit else {
            throw ModelError(spec.maxPositions == nil
                ? "source of \(s) tokens is longer than the \(spec.sourceLimit) this model encodes (it has no position limit; attention grows with the square of the length)"
                : "source of \(s) tokens is longer than the model's \(spec.sourceLimit) positions")
        }
        let x = Tensor(zeros: [b * s, d])
        for (i, ids) in sources.enumerated() {
            embed(weights.encoder, ids: ids, start: 0, into: x.data + i * s * d)
        }
        var output = try runEncoder(x, batches: b, length: s, lengths: lengths, record: record)
        output.sourceIds = sources
        return output
    }

    /// Whether the encoder reads audio features (Whisper) instead of token ids.
    public var readsAudio: Bool { weights.audioStem != nil }

    /// Mel bins the audio encoder expects (nil for text encoders).
    public var melBins: Int? { weights.audioStem?.melBins }

    /// Runs the audio encoder over log-mel features, each [n_mels, F] (as Whisper's feature
    /// extractor gives them) → memory [B, F/2, D].
    public func encode(features: [Tensor]) throws -> EncoderOutput { try encode(features: features, record: nil) }

    /// `encode(features:)`, handing each layer's self-attention weights [B, H, S, S] to `record`.
    func encode(features: [Tensor], record: ((Tensor) -> Void)?) throws -> EncoderOutput {
        guard let stem = weights.audioStem else { throw ModelError("this model's encoder reads token ids, not audio features") }
        guard let first = features.first else { throw ModelError("no audio features") }
        let d = spec.modelWidth, frames = first.shape.last ?? 0
        guard features.allSatisfy({ $0.shape == [stem.melBins, frames] }) else {
            throw ModelError("audio features must be [\(stem.melBins), frames], all of one length; got \(features.map(\.shape))")
        }
        let s = stem.conv2.outputLength(stem.conv1.outputLength(frames))
        guard frames > 0, s > 0 else { throw ModelError("audio features of \(frames) frames: there is nothing to encode") }
        guard let positions = weights.encoder.positions, s <= positions.shape[0] else {
            throw ModelError("\(frames) frames are more than the encoder's \(weights.encoder.positions?.shape[0] ?? 0) positions allow")
        }
        let b = features.count
        let x = Tensor(zeros: [b * s, d])
        let transposed = Tensor(zeros: [frames, stem.melBins])
        for (i, f) in features.enumerated() {
            for m in 0..<stem.melBins {
                for t in 0..<frames { transposed.data[t * stem.melBins + m] = f.data[m * frames + t] }
            }
            let h = stem.apply(transposed.data, frames: frames)
            (x.data + i * s * d).update(from: h.data, count: s * d)
            for t in 0..<s { VectorMath.add(positions.data + t * d, into: x.data + (i * s + t) * d, count: d) }
        }
        return try runEncoder(x, batches: b, length: s, lengths: Array(repeating: s, count: b), record: record)
    }

    /// The encoder layers over embedded inputs x[B·S, D] → memory [B, S, D]; `record` gets
    /// each layer's attention weights [B, H, S, S] (padding keys 0).
    private func runEncoder(_ x: Tensor, batches b: Int, length s: Int, lengths: [Int],
                            record: ((Tensor) -> Void)?) throws -> EncoderOutput {
        let d = spec.modelWidth
        let stack = weights.encoder
        if let norm = stack.embeddingNorm { norm.apply(x.data, rows: b * s, into: x.data) }
        let biases = stack.relativeBiasTables.map {
            relativeBias(table: $0, heads: spec.heads, queries: s, start: 0, keys: s, bidirectional: true, spec: spec.relativeBias!)
        }
        for (l, layer) in stack.layers.enumerated() {
            let bias = biases.isEmpty ? nil : biases[min(l, biases.count - 1)]
            let problem = AttentionProblem(batches: b, heads: spec.heads, headWidth: spec.headWidth, queries: s,
                                           keyBatch: { $0 }, keyCount: { lengths[$0] }, causalOffset: nil,
                                           scale: spec.attentionScale, bias: bias.map { UnsafePointer($0.data) }, biasStride: s)
            residual(x, rows: b * s, norm: layer.attention.norm) { input, output in
                selfAttention(layer.attention, input: input, rows: b * s, into: output) { qkv, context in
                    let inner = spec.heads * spec.headWidth
                    let view = { (offset: Int, base: UnsafeMutablePointer<Float>, stride: Int) in
                        HeadLayout(base: base + offset, batchStride: s * stride, headStride: self.spec.headWidth, positionStride: stride)
                    }
                    let weights = record == nil ? nil : Tensor(zeros: [b, spec.heads, s, s])
                    Seq2SeqModels.attention(problem, probabilities: weights?.data, probabilityStride: s,
                              q: view(0, qkv, 3 * inner), k: view(inner, qkv, 3 * inner), v: view(2 * inner, qkv, 3 * inner),
                              out: view(0, context, inner))
                    if let weights { record?(weights) }
                }
            }
            residual(x, rows: b * s, norm: layer.ffn.norm) { input, output in
                feedForward(layer.ffn, input: input, rows: b * s, into: output)
            }
        }
        if let norm = stack.finalNorm { norm.apply(x.data, rows: b * s, into: x.data) }
        return EncoderOutput(memory: x.reshaped([b, s, d]), lengths: lengths)
    }

    /// A decoder bound to `encoded`, ready for `begin(rowsPerSource:)`.
    public func makeDecoder(for encoded: EncoderOutput) -> DecoderState {
        DecoderState(model: self, encoded: encoded)
    }

    /// Teacher-forced logits [B, T, V] of `decoderInputs` (start token first) given `sources`.
    public func logits(sources: [[Int]], decoderInputs: [[Int]]) throws -> Tensor {
        precondition(sources.count == decoderInputs.count, "one decoder input per source")
        let t = decoderInputs.first?.count ?? 0
        guard decoderInputs.allSatisfy({ $0.count == t }), t > 0 else {
            throw ModelError("decoder inputs must be non-empty and of one length")
        }
        let decoder = makeDecoder(for: try encode(sources))
        try decoder.begin(rowsPerSource: 1)
        return try decoder.forward(tokens: decoderInputs, allPositions: true).reshaped([sources.count, t, spec.vocabularySize])
    }

    /// Cross-attention weights [T, S] of `decoderInputs` (start token first) over `source`:
    /// row t is the distribution the decoder used when predicting the token after input t,
    /// from decoder layer `layer` (negative counts from the end), averaged over heads or of
    /// one `head`.
    public func crossAttention(source: [Int], decoderInputs: [Int], layer: Int = -1, head: Int? = nil) throws -> [[Float]] {
        let layers = spec.decoderLayers, heads = spec.heads
        let l = layer < 0 ? layers + layer : layer
        guard l >= 0 && l < layers else { throw ModelError("attention layer \(layer) outside the decoder's \(layers) layers") }
        if let head, head < 0 || head >= heads { throw ModelError("attention head \(head) outside the \(heads) heads") }
        guard !decoderInputs.isEmpty else { return [] }
        let decoder = makeDecoder(for: try encode([source]))
        decoder.captureCrossAttentionLayer = l
        try decoder.begin(rowsPerSource: 1)
        _ = try decoder.forward(tokens: [decoderInputs], allPositions: false)
        guard let weights = decoder.capturedCrossAttention else { return [] }
        let t = decoderInputs.count, s = weights.shape[3]
        return (0..<t).map { i in
            (0..<source.count).map { j in
                if let head { return weights.data[(head * t + i) * s + j] }
                var sum: Float = 0
                for h in 0..<heads { sum += weights.data[(h * t + i) * s + j] }
                return sum / Float(heads)
            }
        }
    }

    // MARK: - Blocks shared by both stacks

    /// x[R, D] ← x + f(norm(x)) (pre-norm) or norm(x + f(x)) (post-norm).
    func residual(_ x: Tensor, rows: Int, norm: Norm,
                  _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let d = spec.modelWidth
        let output = Tensor(zeros: [rows, d])
        if spec.preNorm {
            let normed = Tensor(zeros: [rows, d])
            norm.apply(x.data, rows: rows, into: normed.data)
            body(normed.data, output.data)
            VectorMath.add(output.data, into: x.data, count: rows * d)
        } else {
            body(x.data, output.data)
            VectorMath.add(output.data, into: x.data, count: rows * d)
            norm.apply(x.data, rows: rows, into: x.data)
        }
    }

    /// output[R, D] = Wo · attend(qkv(input)); `attend` maps qkv [R, 3·H·Dh] to context [R, H·Dh].
    func selfAttention(_ w: SelfAttentionWeights, input: UnsafeMutablePointer<Float>, rows: Int,
                       into output: UnsafeMutablePointer<Float>,
                       attend: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let inner = spec.heads * spec.headWidth
        let qkv = Tensor(zeros: [rows, 3 * inner])
        let context = Tensor(zeros: [rows, inner])
        w.qkv.apply(input, rows: rows, into: qkv.data)
        attend(qkv.data, context.data)
        w.output.apply(context.data, rows: rows, into: output)
    }

    /// output[R, D] = W2 · act(W1 · input) (gated: act(W1·x) ⊙ (Wup·x)).
    func feedForward(_ w: FeedForwardWeights, input: UnsafeMutablePointer<Float>, rows: Int,
                     into output: UnsafeMutablePointer<Float>) {
        let hidden = Tensor(zeros: [rows, w.input.outWidth])
        w.input.apply(input, rows: rows, into: hidden.data)
        if let up = w.up {
            let gate = Tensor(zeros: [rows, up.outWidth])
            up.apply(input, rows: rows, into: gate.data)
            VectorMath.activate(spec.activation, hidden.data, count: hidden.count, times: gate.data)
        } else {
            VectorMath.activate(spec.activation, hidden.data, count: hidden.count, times: nil)
        }
        w.output.apply(hidden.data, rows: rows, into: output)
    }

    /// Writes embeddings (scaled) plus absolute positions start..<start+ids.count into out[T, D].
    func embed<L>(_ stack: StackWeights<L>, ids: [Int], start: Int, into out: UnsafeMutablePointer<Float>) {
        let d = spec.modelWidth
        let offset: Int
        if case .learned(let o) = spec.positions { offset = o } else { offset = 0 }
        for (t, id) in ids.enumerated() {
            let row = out + t * d
            stack.embeddings.copyRow(id, into: row)
            if spec.embeddingScale != 1 { VectorMath.scaleAdd(row, count: d, scale: spec.embeddingScale, add: 0) }
            if let positions = stack.positions {
                VectorMath.add(positions.data + (start + t + offset) * d, into: row, count: d)
            }
        }
    }

    func checkIds(_ ids: [Int], vocabulary: Int, side: String) throws {
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
            throw ModelError("\(side) id \(bad) is outside the vocabulary of \(vocabulary) tokens")
        }
    }
}

/// The encoder's output for a batch: memory [B, S, D] and each source's length.
public struct EncoderOutput: @unchecked Sendable {
    /// Encoder hidden states [B, S, D]; rows past a source's length are padding.
    public let memory: Tensor
    /// Valid length of each source.
    public let lengths: [Int]
    /// The token ids encoded, per source (nil for audio features).
    public internal(set) var sourceIds: [[Int]]? = nil

    /// Sources `picked`, in that order, as if they had been encoded together (padded to the
    /// longest of them).
    public func sources(_ picked: [Int]) -> EncoderOutput {
        precondition(picked.allSatisfy { $0 >= 0 && $0 < lengths.count }, "sources \(picked) of \(lengths.count)")
        let (s, d) = (memory.shape[1], memory.shape[2])
        let kept = picked.map { lengths[$0] }, width = max(kept.max() ?? 1, 1)
        let out = Tensor(zeros: [picked.count, width, d])
        for (i, b) in picked.enumerated() {
            (out.data + i * width * d).update(from: memory.data + b * s * d, count: kept[i] * d)
        }
        return EncoderOutput(memory: out, lengths: kept, sourceIds: sourceIds.map { ids in picked.map { ids[$0] } })
    }

    /// Outputs encoded apart, as one batch (each padded to the longest source): what encoding
    /// their inputs together gives, without the batch's peak memory (rows are independent).
    public static func joined(_ parts: [EncoderOutput]) -> EncoderOutput {
        precondition(!parts.isEmpty, "nothing to join")
        if parts.count == 1 { return parts[0] }
        let d = parts[0].memory.shape[2], lengths = parts.flatMap(\.lengths), width = max(lengths.max() ?? 1, 1)
        let out = Tensor(zeros: [lengths.count, width, d])
        var b = 0
        for part in parts {
            let s = part.memory.shape[1]
            for (i, n) in part.lengths.enumerated() {
                (out.data + b * width * d).update(from: part.memory.data + i * s * d, count: n * d)
                b += 1
            }
        }
        let ids = parts.allSatisfy { $0.sourceIds != nil } ? parts.flatMap { $0.sourceIds! } : nil
        return EncoderOutput(memory: out, lengths: lengths, sourceIds: ids)
    }

    /// Source `b` alone, as if it had been encoded by itself.
    public func source(_ b: Int) -> EncoderOutput { sources([b]) }
}

/// A runtime failure of a model (bad ids, sequences too long); the file is not at fault.
public struct ModelError: Seq2SeqError, Error, CustomStringConvertible, Sendable {
    /// What went wrong, in one line.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

extension ModelError: LocalizedError {
    /// The one-line description, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}
