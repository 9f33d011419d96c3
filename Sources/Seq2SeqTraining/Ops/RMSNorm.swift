// Root-mean-square normalisation over the last axis, T5's `T5LayerNorm` (transformers
// models/t5/modeling_t5.py): no mean subtraction, no bias.
//
//   r = 1/√(mean(x²) + ε),  x̂ = x·r,  y = γ⊙x̂
//   dγ = Σ_rows dy⊙x̂
//   dx = r·(g - x̂·mean(g⊙x̂)),  g = dy⊙γ
import Seq2SeqTensor

/// RMSNorm(x[..., D]) with gain γ[D].
public func rmsNorm(_ x: Variable, gamma: Variable, epsilon: Float = 1e-6) -> Variable {
    let D = gamma.value.count
    precondition(x.value.shape.last == D, "RMS norm of \(x.value.shape) with γ \(gamma.value.shape)")
    let N = x.value.count / D
    let y = Tensor(zeros: x.value.shape)
    var rstd = [Float](repeating: 0, count: N)
    let minimumRows = max(1, (1 << 14) / D)
    rstd.withUnsafeMutableBufferPointer { rstd in
        forEachPart(N, minimumPart: minimumRows) { _, rows in
            for r in rows {
                let xs = x.value.data + r * D, ys = y.data + r * D
                var s = 0.0
                for i in 0..<D { s += Double(xs[i]) * Double(xs[i]) }
                let scale = Float(1 / (s / Double(D) + Double(epsilon)).squareRoot())
                rstd[r] = scale
                for i in 0..<D { ys[i] = gamma.value.data[i] * (xs[i] * scale) }
            }
        }
    }
    return Variable.result(y, inputs: [x, gamma]) { dY in
        // Each part sums its rows' dγ into its own partial; the partials add up after.
        let parts = parallelParts(N, minimumPart: minimumRows)
        let partials = Tensor(zeros: [parts, D])
        let dX = x.requiresGradient ? x.gradientBuffer().data : nil
        let g = gamma.value.data
        forEachPart(N, minimumPart: minimumRows) { part, rows in
            let dGamma = partials.data + part * D
            for r in rows {
                let xs = x.value.data + r * D, dy = dY.data + r * D, scale = rstd[r]
                var meanGX: Float = 0
                for i in 0..<D {
                    let xhat = xs[i] * scale
                    dGamma[i] += dy[i] * xhat
                    meanGX += dy[i] * g[i] * xhat
                }
                meanGX /= Float(D)
                if let dX {
                    for i in 0..<D { dX[r * D + i] += scale * (dy[i] * g[i] - xs[i] * scale * meanGX) }
                }
            }
        }
        if gamma.requiresGradient {
            for part in 0..<parts { VectorMath.add(partials.data + part * D, into: gamma.gradientBuffer().data, count: D) }
        }
    }
}
