// The weights of the generic encoder-decoder and the small layers built on them.
import Foundation
import Seq2SeqTensor

/// The rows of (part of) a weight W[rows, columns] as a file holds them: float32, or int8 with
/// one scale for every row (Marian's intgemm8 matrices: value = q · scale).
enum WeightPart {
    case float(Tensor)
    case int8(values: [Int8], scale: Float, rows: Int, columns: Int)

    var rows: Int {
        switch self {
        case .float(let t): return t.shape[0]
        case .int8(_, _, let rows, _): return rows
        }
    }

    var columns: Int {
        switch self {
        case .float(let t): return t.shape[1]
        case .int8(_, _, _, let columns): return columns
        }
    }

    /// The values as float32 (int8 ones times the scale).
    var floats: Tensor {
        switch self {
        case .float(let t): return t
        case .int8(let values, let scale, let rows, let columns):
            return Tensor(shape: [rows, columns], values: values.map { Float($0) * scale })
        }
    }

    /// Writes the rows into an int8 weight from row `first` on: float rows quantized per row,
    /// int8 rows placed as they are.
    func write(rows first: Int, to writer: PackedMatrix.Int8RowWriter) {
        switch self {
        case .float(let t):
            writer.quantize(rows: first, count: t.shape[0], from: t.data, ld: t.shape[1])
        case .int8(let values, let scale, let rows, let columns):
            let scales = [Float](repeating: scale, count: rows)
            writer.place(rows: first, count: rows, values: values, ld: columns, scales: scales)
        }
    }
}

/// y[M, N] = x[M, K]·Wᵀ + b, with W packed once at load.
struct Linear {
    let weight: PackedMatrix
    let bias: TensorStorage?
    var outWidth: Int { weight.outFeatures }
    var inWidth: Int { weight.inFeatures }

    /// A layer from W[N, K] and b[N]; several (W, b) pairs are stacked along N (fused Q,K,V).
    init(stacking parts: [(weight: Tensor, bias: Tensor?)], storage: PackedMatrix.Storage) {
        self.init(stackingParts: parts.map { (weight: WeightPart.float($0.weight), bias: $0.bias) }, storage: storage)
    }

    /// As `init(stacking:storage:)` for parts that may be int8 already: an int8 layer places
    /// their values unchanged, a float layer dequantizes them.
    init(stackingParts parts: [(weight: WeightPart, bias: Tensor?)], storage: PackedMatrix.Storage) {
        let k = parts[0].weight.columns
        let n = parts.reduce(0) { $0 + $1.weight.rows }
        let weight: PackedMatrix
        if storage == .int8 {
            // Each part quantized (or placed) where it lies, row by row: no stacked copy.
            weight = PackedMatrix(int8Rows: n, inFeatures: k) { writer in
                var row = 0
                for p in parts {
                    p.weight.write(rows: row, to: writer)
                    row += p.weight.rows
                }
            }
        } else {
            let w = Tensor(zeros: [n, k])
            var row = 0
            for p in parts {
                withExtendedLifetime(p.weight.floats) { (w.data + row * k).update(from: $0.data, count: $0.count) }
                row += p.weight.rows
            }
            weight = PackedMatrix(weight: w.data, outFeatures: n, inFeatures: k, storage: storage)
        }
        self.init(weight: weight, biases: parts.map { (rows: $0.weight.rows, bias: $0.bias) })
    }

    /// A layer from a packed weight and the biases of its stacked parts (nil: zeros for that part).
    init(weight: PackedMatrix, biases: [(rows: Int, bias: Tensor?)]) {
        self.weight = weight
        if biases.contains(where: { $0.bias != nil }) {
            let b = TensorStorage(count: weight.outFeatures)
            var o = 0
            for p in biases {
                if let pb = p.bias { (b.data + o).update(from: pb.data, count: pb.count) }
                o += p.rows
            }
            bias = b
        } else {
            bias = nil
        }
    }

    /// y[M, N] = x[M, K]·Wᵀ + b (y += … when accumulating).
    func apply(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        weight.apply(x, rows: rows, ldx: inWidth, into: y, ldy: outWidth,
                     bias: bias.map { UnsafePointer($0.data) }, accumulate: accumulate)
    }
}

/// LayerNorm or RMSNorm weights.
struct Norm {
    let kind: NormKind
    let gamma: Tensor
    let beta: Tensor?

    /// out[R, D] = norm(x[R, D]).
    func apply(_ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        let width = gamma.count
        for r in 0..<rows {
            switch kind {
            case .layerNorm(let eps):
                VectorMath.layerNorm(x + r * width, width: width, gamma: gamma.data, beta: beta?.data, epsilon: eps, into: out + r * width)
            case .rmsNorm(let eps):
                VectorMath.rmsNorm(x + r * width, width: width, gamma: gamma.data, epsilon: eps, into: out + r * width)
            }
        }
    }
}

/// Self-attention: fused Q,K,V projection [3·H·Dh, D], output projection [D, H·Dh].
struct SelfAttentionWeights {
    let qkv: Linear
    let output: Linear
    let norm: Norm
}

/// Cross-attention: Q [H·Dh, D] from the decoder, fused K,V [2·H·Dh, D] from the encoder memory.
struct CrossAttentionWeights {
    let query: Linear
    let keyValue: Linear
    let output: Linear
    let norm: Norm
}

/// Feed-forward: output(act(input(x)) [⊙ up(x)]).
struct FeedForwardWeights {
    let input: Linear
    let up: Linear?
    let output: Linear
    let norm: Norm
}

/// One encoder block.
struct EncoderLayerWeights {
    let attention: SelfAttentionWeights
    let ffn: FeedForwardWeights
}

/// One decoder block: causal self-attention, cross-attention, feed-forward.
struct DecoderLayerWeights {
    let attention: SelfAttentionWeights
    let crossAttention: CrossAttentionWeights
    let ffn: FeedForwardWeights
}

/// Token embeddings [V, D]: a table of their own, or the rows of a tied LM head (one copy
/// of the weights serves both).
struct EmbeddingTable {
    private enum Storage { case table(Tensor), packed(PackedMatrix) }
    private let storage: Storage
    /// Number of ids V.
    let count: Int

    init(_ table: Tensor) {
        storage = .table(table)
        count = table.shape[0]
    }

    init(packed head: PackedMatrix) {
        storage = .packed(head)
        count = head.outFeatures
    }

    /// out[D] = embedding of `id`.
    func copyRow(_ id: Int, into out: UnsafeMutablePointer<Float>) {
        switch storage {
        case .table(let t):
            let d = t.shape[1]
            out.update(from: t.data + id * d, count: d)
        case .packed(let p):
            p.copyRow(id, into: out)
        }
    }
}

/// The LM head [V, D] and the embedding tables of both stacks. When the head is tied to the
/// decoder's embeddings (no `lm_head.weight` stored), both read one packed copy; so does the
/// encoder when it shares that table.
func embeddingsAndHead(encoder: WeightHandle, decoder: WeightHandle, sharedTable: Bool, storedHead: WeightHandle?,
                       storage: PackedMatrix.Storage) throws -> (encoder: EmbeddingTable, decoder: EmbeddingTable, head: PackedMatrix) {
    if let storedHead, try !storedHead.sameValues(as: decoder) {
        let table = EmbeddingTable(try decoder.tensor())
        return (sharedTable ? table : EmbeddingTable(try encoder.tensor()), table, try storedHead.packed(storage))
    }
    let head = try decoder.packed(storage)
    let table = EmbeddingTable(packed: head)
    return (sharedTable ? table : EmbeddingTable(try encoder.tensor()), table, head)
}

/// What a stack (encoder or decoder) holds besides its layers.
struct StackWeights<Layer> {
    /// Token embeddings [V, D].
    let embeddings: EmbeddingTable
    /// Learned or precomputed positions [P, D], when the spec uses absolute positions.
    let positions: Tensor?
    let embeddingNorm: Norm?
    let layers: [Layer]
    let finalNorm: Norm?
    /// T5 relative attention bias table [buckets, H], computed by layer 0 and shared.
    let relativeBias: Tensor?
    /// umT5: one table per layer instead of the shared one.
    var layerRelativeBiases: [Tensor]? = nil

    /// The relative attention bias tables, one per layer or one shared (empty without).
    var relativeBiasTables: [Tensor] { layerRelativeBiases ?? relativeBias.map { [$0] } ?? [] }
}

/// All weights of an encoder-decoder model.
struct ModelWeights {
    let encoder: StackWeights<EncoderLayerWeights>
    let decoder: StackWeights<DecoderLayerWeights>
    /// The LM head [V, D].
    let lmHead: PackedMatrix
    /// `final_logits_bias` [V].
    let finalLogitsBias: Tensor?
    /// The convolutional front end of speech encoders (Whisper), when the encoder reads audio.
    var audioStem: AudioStem? = nil
}

/// Whisper's audio stem: two 1-D convolutions (kernel 3, padding 1; the second with stride 2)
/// each followed by GELU, turning log-mel frames [F, n_mels] into [F/2, D].
struct AudioStem {
    let conv1: Conv1D
    let conv2: Conv1D
    /// Mel bins the first convolution expects.
    var melBins: Int { conv1.inChannels }

    /// x[F, n_mels] → [F', D] with F' = conv2.outputLength(F).
    func apply(_ features: UnsafePointer<Float>, frames: Int) -> Tensor {
        let hidden = Tensor(zeros: [conv1.outputLength(frames), conv1.outChannels])
        conv1.apply(features, length: frames, into: hidden.data)
        VectorMath.activate(.gelu, hidden.data, count: hidden.count)
        let out = Tensor(zeros: [conv2.outputLength(hidden.shape[0]), conv2.outChannels])
        conv2.apply(hidden.data, length: hidden.shape[0], into: out.data)
        VectorMath.activate(.gelu, out.data, count: out.count)
        return out
    }
}

/// The sinusoidal position table [P, D] of Marian (and the paper, with the halves arranged as
/// transformers' `MarianSinusoidalPositionalEmbedding.create_weight` does): for position p and
/// i < D/2, row[i] = sin(p / 10000^(2i/D)) and row[D/2 + i] = cos(p / 10000^(2i/D)), computed in
/// double precision and rounded to float. The inference models and the trainer share it.
public func sinusoidalTable(positions: Int, width: Int) -> Tensor {
    let table = Tensor(zeros: [positions, width])
    let half = (width + 1) / 2
    for p in 0..<positions {
        let row = table.data + p * width
        for j in 0..<width {
            let pair = j / 2 * 2
            let angle = Double(p) / pow(10000, Double(pair) / Double(width))
            if j % 2 == 0 { row[j / 2] = Float(sin(angle)) } else { row[half + j / 2] = Float(cos(angle)) }
        }
    }
    return table
}

/// fairseq's sinusoidal table (M2M-100, NLLB; tensor2tensor's frequencies): for row r and
/// i < D/2, row[i] = sin(r·f_i) and row[D/2 + i] = cos(r·f_i) with f_i = 10000^(-i/(D/2 - 1));
/// row `zeroRow` (the padding id) all zeros, an odd D's last column zero.
func fairseqSinusoidalTable(rows: Int, width: Int, zeroRow: Int?) -> Tensor {
    let table = Tensor(zeros: [rows, width])
    let half = width / 2
    // As transformers computes it: the frequencies and the products in float32.
    let step = Float(log(10000.0) / Double(max(half - 1, 1)))
    let frequencies = (0..<half).map { exp(Float($0) * -step) }
    for r in 0..<rows where r != zeroRow {
        let row = table.data + r * width
        for i in 0..<half {
            let angle = Float(r) * frequencies[i]
            row[i] = sin(angle)
            row[half + i] = cos(angle)
        }
    }
    return table
}

extension ComputeType {
    /// How linear layers keep their weights under this compute type.
    var weightStorage: PackedMatrix.Storage { self == .int8 ? .int8 : .float16WhenExact }
}
