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
    for r in 0..<N {
        VectorMath.layerNorm(x.value.data + r * D, width: D, gamma: gamma.value.data, beta: beta?.value.data,
                             epsilon: epsilon, into: y.data + r * D)
    }
    guard Variable.recording(x, gamma) || (beta.map { Variable.recording($0) } ?? false) else { return Variable(y) }
    let (mean, rstd) = rowStatistics(x.value, width: D, epsilon: epsilon)
    return Variable.result(y, inputs: [x, gamma] + (beta.map { [$0] } ?? [])) { dY in
        let dX = x.requiresGradient ? x.gradientBuffer().data : nil
        let dGamma = gamma.requiresGradient ? gamma.gradientBuffer().data : nil
        let dBeta = (beta?.requiresGradient ?? false) ? beta!.gradientBuffer().data : nil
        var xhat = [Float](repeating: 0, count: D), g = [Float](repeating: 0, count: D)
        for r in 0..<N {
            let xs = x.value.data + r * D, dy = dY.data + r * D
            var meanG: Float = 0, meanGX: Float = 0
            for i in 0..<D {
                xhat[i] = (xs[i] - mean[r]) * rstd[r]
                g[i] = dy[i] * gamma.value.data[i]
                meanG += g[i]
                meanGX += g[i] * xhat[i]
                dGamma?[i] += dy[i] * xhat[i]
                dBeta?[i] += dy[i]
            }
            meanG /= Float(D)
            meanGX /= Float(D)
            if let dX {
                for i in 0..<D { dX[r * D + i] += rstd[r] * (g[i] - meanG - xhat[i] * meanGX) }
            }
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
