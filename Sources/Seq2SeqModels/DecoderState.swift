// The decoder side of a generation: per-row self-attention caches, per-source cross-attention
// keys/values computed once, and the step that turns tokens into next-token logits.
import Seq2SeqTensor

/// A decoder bound to one encoded batch; rows are hypotheses (see `begin(rowsPerSource:)`).
public final class DecoderState: @unchecked Sendable {
    let model: EncoderDecoderModel
    let encoded: EncoderOutput
    /// Cross-attention K,V per layer: [B, S, 2·H·Dh], computed once.
    let crossKeyValues: [Tensor]
    /// The same keys per layer as [B, H, Dh, S]: a decoding step's scores are then a product
    /// of the query rows with a matrix read in place (see `crossAttentionStep`). Made at the
    /// first decoding step (teacher-forced scoring never needs them).
    private lazy var crossKeysTransposed: [Tensor] = crossKeyValues.map { kv in
        Self.transposedKeys(kv, sources: encoded.memory.shape[0], length: encoded.memory.shape[1],
                            heads: model.spec.heads, width: model.spec.headWidth)
    }
    /// Rows of each source, in source order, for the current rows (decoding steps group them).
    private var rowGroups: [(source: Int, rows: [Int])] = []
    /// Self-attention caches per layer: [slots, H, capacity, Dh] each; row i's keys and values
    /// are in slot `slots[i]`.
    private var keyCache: [Tensor] = []
    private var valueCache: [Tensor] = []
    /// The cache slot of each row: `reorder` hands a surviving row's slot to its first child
    /// and copies only for further children, instead of gathering every row.
    private var slots: [Int] = []
    private var capacity = 0
    /// Source of each row.
    public private(set) var rowSource: [Int] = []
    /// The token ids of each source (nil when the encoder read audio features).
    public var sourceIds: [[Int]]? { encoded.sourceIds }
    /// Decoder positions consumed so far.
    public private(set) var length = 0
    /// The decoder layer whose cross-attention weights `forward` keeps (nil: none).
    public var captureCrossAttentionLayer: Int?
    /// Cross-attention weights of the captured layer from the last `forward`: [R, H, T, S]
    /// (columns past a source's length are 0).
    public private(set) var capturedCrossAttention: Tensor?
    /// Whether `forward` keeps every layer's attention weights (`recordedSelfAttention`,
    /// `recordedCrossAttention`).
    var recordsAttention = false
    /// Self-attention weights per layer from the last `forward`: [R, H, T, length] (0 where
    /// the causal mask hides a key).
    private(set) var recordedSelfAttention: [Tensor] = []
    /// Cross-attention weights per layer from the last `forward`: [R, H, T, S].
    private(set) var recordedCrossAttention: [Tensor] = []

    init(model: EncoderDecoderModel, encoded: EncoderOutput) {
        self.model = model
        self.encoded = encoded
        let spec = model.spec
        let rows = encoded.memory.shape[0] * encoded.memory.shape[1]
        crossKeyValues = model.weights.decoder.layers.map { layer in
            let kv = Tensor(zeros: [rows, 2 * spec.heads * spec.headWidth])
            layer.crossAttention.keyValue.apply(encoded.memory.data, rows: rows, into: kv.data)
            return kv
        }
    }

    /// kv [B, S, 2·H·Dh] (keys first) → keys [B, H, Dh, S].
    private static func transposedKeys(_ kv: Tensor, sources: Int, length s: Int, heads: Int, width dh: Int) -> Tensor {
        let inner = heads * dh
        let out = Tensor(zeros: [sources, heads, dh, s])
        for b in 0..<sources {
            for j in 0..<s {
                let row = kv.data + (b * s + j) * 2 * inner
                for c in 0..<inner { out.data[(b * inner + c) * s + j] = row[c] }
            }
        }
        return out
    }

    /// Number of sources B.
    public var sourceCount: Int { encoded.lengths.count }
    /// Vocabulary size V of the logits.
    public var vocabularySize: Int { model.spec.vocabularySize }
    /// Current number of rows R.
    public var rowCount: Int { rowSource.count }

    /// Starts with `rowsPerSource` rows per source, source-major, and empty caches.
    public func begin(rowsPerSource: Int) throws {
        rowSource = (0..<sourceCount).flatMap { Array(repeating: $0, count: rowsPerSource) }
        length = 0
        capacity = 0
        keyCache = []
        valueCache = []
        slots = Array(rowSource.indices)
        reserve(16)
    }

    /// One token per row at the next position → logits [R, V].
    public func step(tokens: [Int]) throws -> Tensor {
        try forward(tokens: tokens.map { [$0] }, allPositions: false)
    }

    /// Feeds each row its prompt: all but the last token in one forward pass (whose logits
    /// are dropped), then the last as a step, so the logits are those a step gives.
    public func prefill(tokens: [[Int]]) throws -> Tensor {
        let length = tokens.first?.count ?? 0
        precondition(length > 0 && tokens.allSatisfy { $0.count == length }, "prefill: one prompt of T ≥ 1 tokens per row")
        if length > 1 { _ = try forward(tokens: tokens.map { Array($0.dropLast()) }, allPositions: false) }
        return try step(tokens: tokens.map { $0[length - 1] })
    }

    /// Keeps rows: new row i is old row `rows[i]`. The first new row of each old row takes
    /// over its cache slot; a second child of the same row gets a free slot and a copy of the
    /// positions so far (beam search copies one cache per branching, not one per row).
    public func reorder(rows: [Int]) throws {
        precondition(rows.allSatisfy { $0 >= 0 && $0 < rowSource.count }, "reorder: row out of range")
        defer { rowSource = rows.map { rowSource[$0] } }
        let slotCount = keyCache.first?.shape[0] ?? 0
        var claimed = [Bool](repeating: false, count: max(slotCount, rows.count))
        var newSlots = [Int](repeating: -1, count: rows.count), copies: [(row: Int, from: Int)] = []
        for (i, r) in rows.enumerated() {
            let slot = slots[r]
            if claimed[slot] { copies.append((i, slot)) } else { claimed[slot] = true; newSlots[i] = slot }
        }
        if rows.count > slotCount {
            keyCache = keyCache.map { Self.resized($0, rows: rows.count) }
            valueCache = valueCache.map { Self.resized($0, rows: rows.count) }
        }
        var free = claimed.indices.filter { !claimed[$0] }.makeIterator()
        let spec = model.spec, block = capacity * spec.headWidth, used = length * spec.headWidth
        let caches = keyCache + valueCache
        for (row, from) in copies {
            let to = free.next()!   // rows.count slots exist and each row claims one
            newSlots[row] = to
            for cache in caches {
                for h in 0..<spec.heads {
                    (cache.data + (to * spec.heads + h) * block).update(from: cache.data + (from * spec.heads + h) * block, count: used)
                }
            }
        }
        slots = newSlots
    }

    /// `cache` [R, H, C, Dh] with room for `rows` rows (contents of the old rows kept).
    private static func resized(_ cache: Tensor, rows: Int) -> Tensor {
        var shape = cache.shape
        shape[0] = rows
        let out = Tensor(zeros: shape)
        out.data.update(from: cache.data, count: min(cache.count, out.count))
        return out
    }

    /// Feeds T tokens per row (all rows the same T) → logits [R·T, V] (all positions) or [R, V] (last).
    public func forward(tokens: [[Int]], allPositions: Bool) throws -> Tensor {
        let spec = model.spec, d = spec.modelWidth
        let r = rowSource.count, t = tokens.first?.count ?? 0
        precondition(tokens.count == r && tokens.allSatisfy { $0.count == t } && t > 0, "T tokens for each of the R rows")
        try model.checkIds(tokens.flatMap { $0 }, vocabulary: model.targetVocabularySize, side: "target")
        if let maxPositions = spec.maxPositions, length + t > maxPositions {
            throw ModelError("target of \(length + t) tokens is longer than the model's \(maxPositions) positions")
        }
        reserve(length + t)
        let stack = model.weights.decoder
        let x = Tensor(zeros: [r * t, d])
        for (i, ids) in tokens.enumerated() { model.embed(stack, ids: ids, start: length, into: x.data + i * t * d) }
        if let norm = stack.embeddingNorm { norm.apply(x.data, rows: r * t, into: x.data) }
        let biases = stack.relativeBiasTables.map {
            relativeBias(table: $0, heads: spec.heads, queries: t, start: length, keys: length + t,
                         bidirectional: false, spec: spec.relativeBias!)
        }
        if t == 1 {
            var rowsOf: [Int: [Int]] = [:]
            for (row, source) in rowSource.enumerated() { rowsOf[source, default: []].append(row) }
            rowGroups = rowsOf.sorted { $0.key < $1.key }.map { (source: $0.key, rows: $0.value) }
        }
        recordedSelfAttention = []
        recordedCrossAttention = []
        for (l, layer) in stack.layers.enumerated() {
            model.residual(x, rows: r * t, norm: layer.attention.norm) { input, output in
                model.selfAttention(layer.attention, input: input, rows: r * t, into: output) { qkv, context in
                    self.attendSelf(layer: l, qkv: qkv, context: context, rows: r, queries: t,
                                    bias: biases.isEmpty ? nil : biases[min(l, biases.count - 1)])
                }
            }
            model.residual(x, rows: r * t, norm: layer.crossAttention.norm) { input, output in
                self.crossAttention(layer: l, input: input, rows: r, queries: t, into: output)
            }
            model.residual(x, rows: r * t, norm: layer.ffn.norm) { input, output in
                model.feedForward(layer.ffn, input: input, rows: r * t, into: output)
            }
        }
        length += t
        return project(x, rows: r, queries: t, allPositions: allPositions)
    }

    /// Appends the new keys/values to the caches and attends causally over all cached positions.
    private func attendSelf(layer l: Int, qkv: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>,
                            rows r: Int, queries t: Int, bias: Tensor?) {
        let spec = model.spec, inner = spec.heads * spec.headWidth, dh = spec.headWidth
        let kc = keyCache[l], vc = valueCache[l], cap = capacity, start = length, slots = slots
        for row in 0..<r {
            for i in 0..<t {
                let src = qkv + (row * t + i) * 3 * inner
                for h in 0..<spec.heads {
                    let dst = ((slots[row] * spec.heads + h) * cap + start + i) * dh
                    (kc.data + dst).update(from: src + inner + h * dh, count: dh)
                    (vc.data + dst).update(from: src + 2 * inner + h * dh, count: dh)
                }
            }
        }
        let problem = AttentionProblem(batches: r, heads: spec.heads, headWidth: dh, queries: t,
                                       keyBatch: { slots[$0] }, keyCount: { _ in start + t }, causalOffset: start,
                                       scale: spec.attentionScale, bias: bias.map { UnsafePointer($0.data) },
                                       biasStride: start + t)
        let cacheView = { (c: Tensor) in HeadLayout(base: c.data, batchStride: spec.heads * cap * dh, headStride: cap * dh, positionStride: dh) }
        let weights = recordsAttention ? Tensor(zeros: [r, spec.heads, t, start + t]) : nil
        if let weights { recordedSelfAttention.append(weights) }
        attention(problem, probabilities: weights?.data, probabilityStride: start + t,
                  q: HeadLayout(base: qkv, batchStride: t * 3 * inner, headStride: dh, positionStride: 3 * inner),
                  k: cacheView(kc), v: cacheView(vc),
                  out: HeadLayout(base: context, batchStride: t * inner, headStride: dh, positionStride: inner))
    }

    /// output[R·T, D] = cross-attention of the rows' queries over their sources' memory.
    private func crossAttention(layer l: Int, input: UnsafeMutablePointer<Float>, rows r: Int, queries t: Int,
                                into output: UnsafeMutablePointer<Float>) {
        let spec = model.spec, inner = spec.heads * spec.headWidth, dh = spec.headWidth
        let w = model.weights.decoder.layers[l].crossAttention
        let q = Tensor(zeros: [r * t, inner]), context = Tensor(zeros: [r * t, inner])
        w.query.apply(input, rows: r * t, into: q.data)
        let s = encoded.memory.shape[1], kv = crossKeyValues[l]
        let sources = rowSource, lengths = encoded.lengths
        let problem = AttentionProblem(batches: r, heads: spec.heads, headWidth: dh, queries: t,
                                       keyBatch: { sources[$0] }, keyCount: { lengths[sources[$0]] }, causalOffset: nil,
                                       scale: spec.attentionScale, bias: nil)
        let captured = captureCrossAttentionLayer == l || recordsAttention ? Tensor(zeros: [r, spec.heads, t, s]) : nil
        if captureCrossAttentionLayer == l { capturedCrossAttention = captured }
        if recordsAttention, let captured { recordedCrossAttention.append(captured) }
        if t == 1 {
            crossAttentionStep(layer: l, queries: q, rows: r, probabilities: captured, into: context)
            w.output.apply(context.data, rows: r, into: output)
            return
        }
        attention(problem, probabilities: captured?.data, probabilityStride: s,
                  q: HeadLayout(base: q.data, batchStride: t * inner, headStride: dh, positionStride: inner),
                  k: HeadLayout(base: kv.data, batchStride: s * 2 * inner, headStride: dh, positionStride: 2 * inner),
                  v: HeadLayout(base: kv.data + inner, batchStride: s * 2 * inner, headStride: dh, positionStride: 2 * inner),
                  out: HeadLayout(base: context.data, batchStride: t * inner, headStride: dh, positionStride: inner))
        w.output.apply(context.data, rows: r * t, into: output)
    }

    /// One query per row: the rows of each source (`rowGroups`) attend together, head by head, as two few-row
    /// products, scores = scale · Q·Kᵀ over the transposed keys and context = softmax(scores) · V,
    /// both read in place. Weights go to `probabilities` [R, H, 1, S] when given.
    private func crossAttentionStep(layer l: Int, queries q: Tensor, rows r: Int, probabilities: Tensor?, into context: Tensor) {
        let spec = model.spec, heads = spec.heads, dh = spec.headWidth, inner = heads * dh
        let s = encoded.memory.shape[1], keys = crossKeysTransposed[l], kv = crossKeyValues[l], groups = rowGroups
        ThreadPool.shared.parallelFor(groups.count * heads) { item in
            let (source, rows) = groups[item / heads], h = item % heads
            let m = rows.count, n = encoded.lengths[source]
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * m * dh + m * max(n, 1)) { buffer in
                let queries = buffer.baseAddress!, out = queries + m * dh, scores = out + m * dh
                for (i, row) in rows.enumerated() { (queries + i * dh).update(from: q.data + row * inner + h * dh, count: dh) }
                VectorMath.rowProduct(m: m, n: n, k: dh, a: queries, lda: dh, b: keys.data + (source * heads + h) * dh * s, ldb: s,
                                      c: scores, ldc: n, alpha: spec.attentionScale)
                for i in 0..<m { VectorMath.softmax(scores + i * n, count: n) }
                VectorMath.rowProduct(m: m, n: dh, k: n, a: scores, lda: n, b: kv.data + source * s * 2 * inner + inner + h * dh,
                                      ldb: 2 * inner, c: out, ldc: dh)
                for (i, row) in rows.enumerated() {
                    (context.data + row * inner + h * dh).update(from: out + i * dh, count: dh)
                    if let probabilities { (probabilities.data + (row * heads + h) * s).update(from: scores + i * n, count: n) }
                }
            }
        }
    }

    /// Final norm, output scale, LM head and logits bias.
    private func project(_ x: Tensor, rows r: Int, queries t: Int, allPositions: Bool) -> Tensor {
        let spec = model.spec, d = spec.modelWidth, v = spec.vocabularySize
        let stack = model.weights.decoder
        let n = allPositions ? r * t : r
        let h = Tensor(zeros: [n, d])
        for i in 0..<n {
            let src = allPositions ? i : i * t + t - 1
            (h.data + i * d).update(from: x.data + src * d, count: d)
        }
        if let norm = stack.finalNorm { norm.apply(h.data, rows: n, into: h.data) }
        if spec.outputScale != 1 { for i in 0..<h.count { h.data[i] *= spec.outputScale } }
        let logits = Tensor(uninitialized: [n, v])   // the head writes every element
        model.weights.lmHead.apply(h.data, rows: n, ldx: d, into: logits.data, ldy: v,
                                   bias: model.weights.finalLogitsBias.map { UnsafePointer($0.data) })
        return logits
    }

    /// Grows the caches to hold at least `positions` positions.
    private func reserve(_ positions: Int) {
        guard positions > capacity || keyCache.isEmpty else { return }
        let spec = model.spec, dh = spec.headWidth, r = keyCache.first?.shape[0] ?? rowSource.count
        let newCapacity = max(positions, capacity * 2, 16)
        func grow(_ old: Tensor?) -> Tensor {
            let out = Tensor(zeros: [r, spec.heads, newCapacity, dh])
            if let old, capacity > 0 {
                for rh in 0..<(r * spec.heads) {
                    (out.data + rh * newCapacity * dh).update(from: old.data + rh * capacity * dh, count: length * dh)
                }
            }
            return out
        }
        let layers = model.weights.decoder.layers.count
        keyCache = (0..<layers).map { grow(keyCache.isEmpty ? nil : keyCache[$0]) }
        valueCache = (0..<layers).map { grow(valueCache.isEmpty ? nil : valueCache[$0]) }
        capacity = newCapacity
    }
}
