// Scaled dot-product attention over heads laid out with arbitrary strides, so Q, K and V are
// read where the projections and caches put them, without transposing copies.
import Foundation
import Seq2SeqTensor

/// Where element (batch b, head h, position j, d) of a [B, H, P, Dh] view lives.
struct HeadLayout {
    let base: UnsafeMutablePointer<Float>
    let batchStride: Int
    let headStride: Int
    let positionStride: Int

    @inline(__always)
    func at(_ b: Int, _ h: Int, _ j: Int) -> UnsafeMutablePointer<Float> {
        base + b * batchStride + h * headStride + j * positionStride
    }
}

/// One attention problem: queries of B batches × H heads × T positions against each batch's keys.
struct AttentionProblem {
    var batches: Int
    var heads: Int
    var headWidth: Int
    /// Queries per batch T.
    var queries: Int
    /// The key batch of query batch b (beam rows share their source's cross-attention keys).
    var keyBatch: (Int) -> Int
    /// Valid keys of query batch b (source length without padding; cache length).
    var keyCount: (Int) -> Int
    /// Query i sees keys j ≤ i + causalOffset when set (decoder self-attention).
    var causalOffset: Int?
    /// Factor on the scores.
    var scale: Float
    /// Per-head additive bias [H, T, biasStride] (T5 relative positions), or nil.
    var bias: UnsafePointer<Float>?
    var biasStride: Int = 0
}

/// out[b, h, i] = Σ_j softmax_j(scale · q[b,h,i]·k[kb,h,j] + bias[h,i,j]) · v[kb,h,j].
///
/// When `probabilities` is given, the weights of each (b, h, i) row are also written there,
/// as [B, H, T, probabilityStride] (columns past the valid keys are left untouched).
func attention(_ p: AttentionProblem, probabilities: UnsafeMutablePointer<Float>? = nil, probabilityStride: Int = 0,
               q: HeadLayout, k: HeadLayout, v: HeadLayout, out: HeadLayout, pool: ThreadPool = .shared) {
    let maxKeys = (0..<p.batches).map(p.keyCount).max() ?? 0
    // Many queries (encoders, teacher forcing): two GEMMs per (batch, head) beat one dot
    // product per key. One query per row (decoding steps): the dot-product loop.
    guard p.queries >= 16 && maxKeys >= 16 else {
        pool.parallelFor(p.batches * p.heads) { item in
            attendRows(p, b: item / p.heads, h: item % p.heads, maxKeys: maxKeys, probabilities: probabilities,
                       probabilityStride: probabilityStride, q: q, k: k, v: v, out: out)
        }
        return
    }
    // Query blocks keep each block's scores [block, N] in the core's L2 cache and give the
    // threads many items to share (an encoder has one batch and a few heads).
    let block = max(16, min(p.queries, (96 * 1024) / max(maxKeys, 1) / 16 * 16))
    let blocks = (p.queries + block - 1) / block
    pool.parallelFor(p.batches * p.heads * blocks) { item in
        let b = item / (p.heads * blocks), h = item / blocks % p.heads, first = item % blocks * block
        attendBlocked(p, b: b, h: h, queries: first..<min(p.queries, first + block), maxKeys: maxKeys,
                      probabilities: probabilities, probabilityStride: probabilityStride, q: q, k: k, v: v, out: out)
    }
}

/// Keys visible to query i of batch b.
@inline(__always)
private func visibleKeys(_ p: AttentionProblem, keys n: Int, query i: Int) -> Int {
    p.causalOffset.map { min(n, i + $0 + 1) } ?? n
}

/// One (b, h): scores row by row with dot products, softmax, weighted sum of values.
private func attendRows(_ p: AttentionProblem, b: Int, h: Int, maxKeys: Int, probabilities: UnsafeMutablePointer<Float>?,
                        probabilityStride: Int, q: HeadLayout, k: HeadLayout, v: HeadLayout, out: HeadLayout) {
    let kb = p.keyBatch(b), n = p.keyCount(b)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: max(maxKeys, 1)) { scratch in
        let scores = scratch.baseAddress!
        for i in 0..<p.queries {
            let visible = visibleKeys(p, keys: n, query: i)
            let qi = q.at(b, h, i)
            for j in 0..<visible { scores[j] = VectorMath.dot(qi, k.at(kb, h, j), count: p.headWidth) * p.scale }
            if let bias = p.bias {
                let row = bias + (h * p.queries + i) * p.biasStride
                for j in 0..<visible { scores[j] += row[j] }
            }
            VectorMath.softmax(scores, count: visible)
            let o = out.at(b, h, i)
            o.update(repeating: 0, count: p.headWidth)
            for j in 0..<visible { VectorMath.axpy(scores[j], v.at(kb, h, j), o, count: p.headWidth) }
            if let probabilities {
                (probabilities + ((b * p.heads + h) * p.queries + i) * probabilityStride).update(from: scores, count: visible)
            }
        }
    }
}

/// Queries `rows` of one (b, h) as S = scale·Q·Kᵀ [rows, N] (GEMM), masked softmax per row,
/// O = S·V (GEMM).
private func attendBlocked(_ p: AttentionProblem, b: Int, h: Int, queries rows: Range<Int>, maxKeys: Int,
                           probabilities: UnsafeMutablePointer<Float>?, probabilityStride: Int,
                           q: HeadLayout, k: HeadLayout, v: HeadLayout, out: HeadLayout) {
    let kb = p.keyBatch(b), n = p.keyCount(b), t = rows.count, dh = p.headWidth
    guard n > 0 else {
        for i in rows { out.at(b, h, i).update(repeating: 0, count: dh) }
        return
    }
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: t * n)
    defer { scores.deallocate() }
    GEMM.multiply(m: t, n: n, k: dh, a: q.at(b, h, rows.lowerBound), lda: q.positionStride, transposeA: false,
                  b: k.at(kb, h, 0), ldb: k.positionStride, transposeB: true, c: scores, ldc: n, alpha: p.scale)
    for (r, i) in rows.enumerated() {
        let row = scores + r * n, visible = visibleKeys(p, keys: n, query: i)
        if let bias = p.bias {
            let biasRow = bias + (h * p.queries + i) * p.biasStride
            for j in 0..<visible { row[j] += biasRow[j] }
        }
        VectorMath.softmax(row, count: visible)
        if visible < n { (row + visible).update(repeating: 0, count: n - visible) }
        if let probabilities {
            (probabilities + ((b * p.heads + h) * p.queries + i) * probabilityStride).update(from: row, count: visible)
        }
    }
    GEMM.multiply(m: t, n: dh, k: n, a: scores, lda: n, transposeA: false,
                  b: v.at(kb, h, 0), ldb: v.positionStride, transposeB: false, c: out.at(b, h, rows.lowerBound),
                  ldc: out.positionStride)
}

/// The bias [H, T, keys] for queries at positions start..<start+T against keys 0..<keys.
func relativeBias(table: Tensor, heads: Int, queries: Int, start: Int, keys: Int,
                  bidirectional: Bool, spec: RelativeAttentionBias) -> Tensor {
    let bias = Tensor(zeros: [heads, queries, keys])
    for i in 0..<queries {
        for j in 0..<keys {
            let bucket = relativePositionBucket(j - (start + i), bidirectional: bidirectional,
                                                buckets: spec.buckets, maxDistance: spec.maxDistance)
            for h in 0..<heads { bias.data[(h * queries + i) * keys + j] = table.data[bucket * heads + h] }
        }
    }
    return bias
}
