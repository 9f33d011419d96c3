// Layer normalisation over the last axis (as `torch.nn.LayerNorm`, biased variance).
//
//   x̂ = (x - μ)·r,  r = 1/√(σ² + ε),  y = x̂·γ + β
//   dγ = Σ_rows dy·x̂     dβ = Σ_rows dy
//   dx = r·(g - mean(g) - x̂·mean(g·x̂)),  g = dy·γ
import Seq2SeqTensor

/// LayerNorm(x[..., D]) with γ[D] and β[D] (β optional).
public func layerNorm(_ x: Variable, gamma: Variable, beta: Variable?, epsilon: Float = 1e-5) -> Variable {
    let D = gamma.value.count
    precondition(x.value.shape.last == D && (beta == nil || beta!.value.count == D),
                 "layer norm of \(x.value.shape) with γ \(gamma.value.shape)")
    let N = x.value.count / D
    let y = Tensor(zeros: x.value.shape)
    let minimumRows = max(1, (1 << 14) / D)
    forEachPart(N, minimumPart: minimumRows) { _, rows in
        for r in rows {
            VectorMath.layerNorm(x.value.data + r * D, width: D, gamma: gamma.value.data, beta: beta?.value.data,
                                 epsilon: epsilon, into: y.data + r * D)
        }
    }
    guard Variable.recording(x, gamma) || (beta.map { Variable.recording($0) } ?? false) else { return Variable(y) }
    let (mean, rstd) = rowStatistics(x.value, width: D, epsilon: epsilon)
    return Variable.result(y, inputs: [x, gamma] + (beta.map { [$0] } ?? [])) { dY in
        // Each part sums its rows' dγ, dβ into its own [2, D] partial; the partials add up after.
        let parts = parallelParts(N, minimumPart: minimumRows)
        let partials = Tensor(zeros: [parts, 2, D])
        let dX = x.requiresGradient ? x.gradientBuffer().data : nil
        forEachPart(N, minimumPart: minimumRows) { part, rows in
            layerNormBackwardRows(rows, x: x.value.data, dY: dY.data, gamma: gamma.value.data, mean: mean, rstd: rstd,
                                  width: D, dX: dX, dGamma: partials.data + part * 2 * D, dBeta: partials.data + (part * 2 + 1) * D)
        }
        for part in 0..<parts {
            if gamma.requiresGradient { VectorMath.add(partials.data + part * 2 * D, into: gamma.gradientBuffer().data, count: D) }
            if let beta, beta.requiresGradient {
                VectorMath.add(partials.data + (part * 2 + 1) * D, into: beta.gradientBuffer().data, count: D)
            }
        }
    }
}

/// The backward of rows `rows`: dx into `dX` (when given), dγ and dβ summed into the partials.
private func layerNormBackwardRows(_ rows: Range<Int>, x: UnsafePointer<Float>, dY: UnsafePointer<Float>,
                                   gamma: UnsafePointer<Float>, mean: [Float], rstd: [Float], width D: Int,
                                   dX: UnsafeMutablePointer<Float>?, dGamma: UnsafeMutablePointer<Float>,
                                   dBeta: UnsafeMutablePointer<Float>) {
    var xhat = [Float](repeating: 0, count: D), g = [Float](repeating: 0, count: D)
    for r in rows {
        let xs = x + r * D, dy = dY + r * D
        var meanG: Float = 0, meanGX: Float = 0
        for i in 0..<D {
            xhat[i] = (xs[i] - mean[r]) * rstd[r]
            g[i] = dy[i] * gamma[i]
            meanG += g[i]
            meanGX += g[i] * xhat[i]
            dGamma[i] += dy[i] * xhat[i]
            dBeta[i] += dy[i]
        }
        meanG /= Float(D)
        meanGX /= Float(D)
        if let dX {
            for i in 0..<D { dX[r * D + i] += rstd[r] * (g[i] - meanG - xhat[i] * meanGX) }
        }
    }
}

/// Mean and 1/√(variance + ε) of each row of `x` viewed as [N, width], accumulated in Double.
private func rowStatistics(_ x: Tensor, width D: Int, epsilon: Float) -> (mean: [Float], rstd: [Float]) {
    let N = x.count / D
    var mean = [Float](repeating: 0, count: N), rstd = [Float](repeating: 0, count: N)
    for r in 0..<N {
        let xs = x.data + r * D
        var s = 0.0
        for i in 0..<D { s += Double(xs[i]) }
        let m = s / Double(D)
        var v = 0.0
        for i in 0..<D { v += (Double(xs[i]) - m) * (Double(xs[i]) - m) }
        mean[r] = Float(m)
        rstd[r] = Float(1 / (v / Double(D) + Double(epsilon)).squareRoot())
    }
    return (mean, rstd)
}
