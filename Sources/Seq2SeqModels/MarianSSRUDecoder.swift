// The decoder of a `MarianNativeModel`: per row, one SSRU cell state per layer stands in for
// the self-attention cache (Marian's `DecoderLayerRNN` carries `rnn::State` from step to
// step); cross-attention keys/values are computed once per source, as in `DecoderState`.
import Foundation
import Seq2SeqTensor

/// A Marian SSRU decoder bound to one encoded batch; rows are hypotheses.
public final class MarianSSRUDecoder: @unchecked Sendable {
    let model: MarianNativeModel
    let encoded: EncoderOutput
    /// Cross-attention K,V per layer: [B·S, 2·D], computed once.
    let crossKeyValues: [Tensor]
    /// The shortlist's allowed ids, sorted, or nil for the whole vocabulary.
    public let allowedTargets: [Int]?
    /// Per source, the positions in `allowedTargets` of that source's own shortlist (nil: all).
    let sourceColumns: [[Int]]?
    /// The output layer restricted to `allowedTargets`: rows of Wemb [n, D] and bias [n].
    private let shortHead: (matrix: PackedMatrix, bias: Tensor)?
    /// SSRU cell state per layer: [R, D].
    private var cells: [Tensor] = []
    /// Source of each row.
    public private(set) var rowSource: [Int] = []
    /// Decoder positions consumed so far.
    public private(set) var length = 0
    /// The decoder layer whose cross-attention weights `step` keeps (nil: none).
    public var captureCrossAttentionLayer: Int?
    /// Cross-attention weights of the captured layer from the last step: [R, H, S]
    /// (columns past a source's length are 0).
    public private(set) var capturedCrossAttention: Tensor?
    /// Whether `step` keeps every layer's cross-attention weights (`recordedCrossAttention`).
    var recordsAttention = false
    /// Cross-attention weights per layer from the last step: [R, H, S].
    private(set) var recordedCrossAttention: [Tensor] = []

    init(model: MarianNativeModel, encoded: EncoderOutput, allowedTargets: [Int]?, sourceColumns: [[Int]]?) {
        self.model = model
        self.encoded = encoded
        self.allowedTargets = allowedTargets
        self.sourceColumns = sourceColumns
        let d = model.spec.modelWidth
        let rows = encoded.memory.shape[0] * encoded.memory.shape[1]
        crossKeyValues = model.layers.map { layer in
            let kv = Tensor(zeros: [rows, 2 * d])
            layer.crossAttention.keyValue.apply(encoded.memory.data, rows: rows, into: kv.data)
            return kv
        }
        shortHead = allowedTargets.map { ids in
            let w = Tensor(zeros: [ids.count, d]), b = Tensor(zeros: [ids.count])
            for (i, id) in ids.enumerated() {
                model.outputLayer.copyRow(id, into: w.data + i * d)
                b.data[i] = model.outputBias.data[id]
            }
            // Rows of an int8 head quantize again to the same values: the short head stays int8.
            return (PackedMatrix(weight: w.data, outFeatures: ids.count, inFeatures: d,
                                 storage: model.outputLayer.isInt8 ? .int8 : .float32), b)
        }
    }

    /// Number of sources B.
    public var sourceCount: Int { encoded.lengths.count }
    /// Vocabulary size V of the logits.
    public var vocabularySize: Int { model.spec.vocabularySize }

    /// Starts with `rowsPerSource` rows per source and zero cell states.
    public func begin(rowsPerSource: Int) throws {
        rowSource = (0..<sourceCount).flatMap { Array(repeating: $0, count: rowsPerSource) }
        length = 0
        cells = model.layers.map { _ in Tensor(zeros: [rowSource.count, model.spec.modelWidth]) }
    }

    /// One token per row at the next position → logits [R, V]. At position 0 the tokens are
    /// ignored: Marian starts every hypothesis from a zero embedding.
    public func step(tokens: [Int]) throws -> Tensor {
        let spec = model.spec, d = spec.modelWidth, r = rowSource.count
        precondition(tokens.count == r, "one token per row")
        try model.base.checkIds(tokens, vocabulary: vocabularySize, side: "target")
        guard length < MarianNativeModel.maxPositions else {
            throw ModelError("target of \(length + 1) tokens is longer than the model's \(MarianNativeModel.maxPositions) positions")
        }
        let x = Tensor(zeros: [r, d])
        for (i, id) in tokens.enumerated() {
            let row = x.data + i * d
            if length > 0 {
                model.outputLayer.copyRow(id, into: row)
                VectorMath.scaleAdd(row, count: d, scale: spec.embeddingScale, add: 0)
            }
            VectorMath.add(model.positions.data + length * d, into: row, count: d)
        }
        recordedCrossAttention = []
        for (l, layer) in model.layers.enumerated() {
            model.base.residual(x, rows: r, norm: layer.ssruNorm) { input, output in
                self.ssru(layer: l, input: input, rows: r, into: output)
            }
            model.base.residual(x, rows: r, norm: layer.crossAttention.norm) { input, output in
                self.crossAttention(layer: l, input: input, rows: r, into: output)
            }
            model.base.residual(x, rows: r, norm: layer.ffn.norm) { input, output in
                model.base.feedForward(layer.ffn, input: input, rows: r, into: output)
            }
        }
        length += 1
        return project(x, rows: r)
    }

    /// Keeps rows: new row i is old row `rows[i]` (gathers the cell states).
    public func reorder(rows: [Int]) throws {
        precondition(rows.allSatisfy { $0 >= 0 && $0 < rowSource.count }, "reorder: row out of range")
        let d = model.spec.modelWidth
        cells = cells.map { old in
            let new = Tensor(zeros: [rows.count, d])
            for (i, r) in rows.enumerated() { (new.data + i * d).update(from: old.data + r * d, count: d) }
            return new
        }
        rowSource = rows.map { rowSource[$0] }
    }

    /// output[R, D] = relu(c_t) with c_t = f ⊙ c_{t−1} + (1 − f) ⊙ x·W, f = σ(x·Wf + bf).
    private func ssru(layer l: Int, input: UnsafeMutablePointer<Float>, rows r: Int, into output: UnsafeMutablePointer<Float>) {
        let d = model.spec.modelWidth
        let projected = Tensor(zeros: [r, 2 * d])   // [x·W | x·Wf + bf]
        model.layers[l].ssru.apply(input, rows: r, into: projected.data)
        let c = cells[l].data
        for i in 0..<r {
            let xw = projected.data + i * 2 * d, gate = xw + d
            for j in 0..<d {
                let f = 1 / (1 + expf(-gate[j]))
                let cell = f * c[i * d + j] + (1 - f) * xw[j]
                c[i * d + j] = cell
                output[i * d + j] = max(cell, 0)
            }
        }
    }

    /// output[R, D] = cross-attention of the rows' queries over their sources' memory.
    private func crossAttention(layer l: Int, input: UnsafeMutablePointer<Float>, rows r: Int,
                                into output: UnsafeMutablePointer<Float>) {
        let spec = model.spec, inner = spec.heads * spec.headWidth, dh = spec.headWidth
        let w = model.layers[l].crossAttention
        let q = Tensor(zeros: [r, inner]), context = Tensor(zeros: [r, inner])
        w.query.apply(input, rows: r, into: q.data)
        let s = encoded.memory.shape[1], kv = crossKeyValues[l]
        let sources = rowSource, lengths = encoded.lengths
        let problem = AttentionProblem(batches: r, heads: spec.heads, headWidth: dh, queries: 1,
                                       keyBatch: { sources[$0] }, keyCount: { lengths[sources[$0]] }, causalOffset: nil,
                                       scale: spec.attentionScale, bias: nil)
        let captured = captureCrossAttentionLayer == l || recordsAttention ? Tensor(zeros: [r, spec.heads, s]) : nil
        if captureCrossAttentionLayer == l { capturedCrossAttention = captured }
        if recordsAttention, let captured { recordedCrossAttention.append(captured) }
        attention(problem, probabilities: captured?.data, probabilityStride: s,
                  q: HeadLayout(base: q.data, batchStride: inner, headStride: dh, positionStride: inner),
                  k: HeadLayout(base: kv.data, batchStride: s * 2 * inner, headStride: dh, positionStride: 2 * inner),
                  v: HeadLayout(base: kv.data + inner, batchStride: s * 2 * inner, headStride: dh, positionStride: 2 * inner),
                  out: HeadLayout(base: context.data, batchStride: inner, headStride: dh, positionStride: inner))
        w.output.apply(context.data, rows: r, into: output)
    }

    /// logits [R, V] = h·Wembᵀ + b; with a shortlist only the allowed columns, the rest −∞.
    private func project(_ h: Tensor, rows r: Int) -> Tensor {
        let d = model.spec.modelWidth, v = vocabularySize
        let logits = Tensor(uninitialized: [r, v])   // written whole below: by the head, or −∞ then the short head
        guard let shortHead, let ids = allowedTargets else {
            model.base.weights.lmHead.apply(h.data, rows: r, ldx: d, into: logits.data, ldy: v, bias: UnsafePointer(model.outputBias.data))
            return logits
        }
        let n = ids.count
        let short = Tensor(zeros: [r, n])
        shortHead.matrix.apply(h.data, rows: r, ldx: d, into: short.data, ldy: n, bias: UnsafePointer(shortHead.bias.data))
        logits.data.update(repeating: -.infinity, count: r * v)
        for i in 0..<r {
            if let columns = sourceColumns?[rowSource[i]] {
                for j in columns { logits.data[i * v + ids[j]] = short.data[i * n + j] }
            } else {
                for (j, id) in ids.enumerated() { logits.data[i * v + id] = short.data[i * n + j] }
            }
        }
        return logits
    }
}
