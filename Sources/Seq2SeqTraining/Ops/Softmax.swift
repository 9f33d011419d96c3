// Softmax over the last axis, after an optional additive mask (0 to keep, -inf to drop).
//
//   p = softmax(x + mask)       dx = p⊙(dp - Σ dp⊙p)     (the mask is a constant)
import Seq2SeqTensor

/// softmax(x[..., N] + mask) over the last axis. `mask`'s shape must be a trailing part of
/// x's shape (e.g. a causal [T, S] mask for scores [B, H, T, S]); rows that are all -inf
/// give zeros.
public func softmax(_ x: Variable, mask: Tensor? = nil) -> Variable {
    let N = x.value.shape.last ?? 1
    if let mask {
        precondition(x.value.shape.suffix(mask.rank).elementsEqual(mask.shape), "mask \(mask.shape) for \(x.value.shape)")
    }
    let p = x.value.copy()
    let rows = p.count / max(N, 1)
    let maskCount = mask?.count ?? 0
    for r in 0..<rows {
        let row = p.data + r * N
        if let mask { VectorMath.add(mask.data + (r * N) % maskCount, into: row, count: N) }
        VectorMath.softmax(row, count: N)
    }
    return Variable.result(p, inputs: [x]) { dP in
        let dX = x.gradientBuffer().data
        for r in 0..<rows { softmaxBackwardRow(p: p.data + r * N, dP: dP.data + r * N, into: dX + r * N, count: N) }
    }
}

/// dx += p⊙(dp - Σ dp⊙p) for one row.
func softmaxBackwardRow(p: UnsafePointer<Float>, dP: UnsafePointer<Float>, into dX: UnsafeMutablePointer<Float>, count N: Int) {
    let s = VectorMath.dot(p, dP, count: N)
    for i in 0..<N { dX[i] += p[i] * (dP[i] - s) }
}
