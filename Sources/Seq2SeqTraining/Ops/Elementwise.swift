// Element-wise ops: sum (with broadcasting of a trailing-shape operand), scaling,
// activations, dropout.
//
//   y = x + z          dx = dy        dz = Σ_broadcast dy
//   y = c·x            dx = c·dy
//   y = x⊙z            dx = z⊙dy      dz = x⊙dy
//   y = act(x)         dx = act'(x)·dy
//   y = m⊙x/(1-p)      dx = m⊙dy/(1-p)    (m ~ Bernoulli(1-p), drawn once in the forward)
import Foundation
import Seq2SeqTensor

/// x[...shape] + z[...suffix]: z's shape must be a trailing part of x's (e.g. positions
/// [T, D] added to embeddings [B, T, D], or a bias [D]); equal shapes are the common case.
public func add(_ x: Variable, _ z: Variable) -> Variable {
    let n = z.value.count
    precondition(x.value.shape.suffix(z.value.rank).elementsEqual(z.value.shape),
                 "cannot add \(z.value.shape) to \(x.value.shape)")
    let y = x.value.copy()
    let rows = x.value.count / max(n, 1)
    for r in 0..<rows { VectorMath.add(z.value.data, into: y.data + r * n, count: n) }
    return Variable.result(y, inputs: [x, z]) { dY in
        if x.requiresGradient { x.accumulate(dY) }
        if z.requiresGradient {
            let dZ = z.gradientBuffer().data
            for r in 0..<rows { VectorMath.add(dY.data + r * n, into: dZ, count: n) }
        }
    }
}

/// x⊙z element-wise, for equal shapes (T5's gated feed-forward: act(x·W0ᵀ)⊙(x·W1ᵀ)).
public func multiply(_ x: Variable, _ z: Variable) -> Variable {
    precondition(x.value.shape == z.value.shape, "cannot multiply \(x.value.shape) by \(z.value.shape)")
    let y = Tensor(zeros: x.value.shape)
    let (xs, zs, ys) = (x.value.data, z.value.data, y.data)
    forEachPart(y.count, minimumPart: 1 << 14) { _, range in
        for i in range { ys[i] = xs[i] * zs[i] }
    }
    return Variable.result(y, inputs: [x, z]) { dY in
        let dX = x.requiresGradient ? x.gradientBuffer().data : nil
        let dZ = z.requiresGradient ? z.gradientBuffer().data : nil
        forEachPart(dY.count, minimumPart: 1 << 14) { _, range in
            for i in range {
                dX?[i] += zs[i] * dY.data[i]
                dZ?[i] += xs[i] * dY.data[i]
            }
        }
    }
}

/// c·x.
public func scale(_ x: Variable, by c: Float) -> Variable {
    let y = x.value.copy()
    VectorMath.scaleAdd(y.data, count: y.count, scale: c, add: 0)
    return Variable.result(y, inputs: [x]) { dY in
        VectorMath.axpy(c, dY.data, x.gradientBuffer().data, count: dY.count)
    }
}

/// act(x) element-wise, for ReLU, SiLU and both GELU forms (tanh approximation and exact erf).
public func activation(_ x: Variable, _ act: Activation) -> Variable {
    let y = x.value.copy()
    forEachPart(y.count, minimumPart: 1 << 14) { _, range in
        VectorMath.activate(act, y.data + range.lowerBound, count: range.count)
    }
    return Variable.result(y, inputs: [x]) { dY in
        let dX = x.gradientBuffer().data, xs = x.value.data
        forEachPart(dY.count, minimumPart: 1 << 14) { _, range in
            for i in range { dX[i] += activationDerivative(act, xs[i]) * dY.data[i] }
        }
    }
}

/// max(x, 0).
public func relu(_ x: Variable) -> Variable { activation(x, .relu) }

/// GELU, exact (erf) by default as in `torch.nn.GELU()`; `approximateTanh` for the tanh form.
public func gelu(_ x: Variable, approximateTanh: Bool = false) -> Variable {
    activation(x, approximateTanh ? .geluTanh : .gelu)
}

/// d act(x) / dx.
func activationDerivative(_ act: Activation, _ x: Float) -> Float {
    switch act {
    case .relu:
        return x > 0 ? 1 : 0
    case .silu:
        let s = 1 / (1 + exp(-x))
        return s * (1 + x * (1 - s))
    case .gelu:  // Φ(x) + x·φ(x)
        let cdf = 0.5 * (1 + erf(x / 2.0.squareRoot().float))
        let pdf = exp(-0.5 * x * x) / (2 * Float.pi).squareRoot()
        return cdf + x * pdf
    case .geluTanh:  // 0.5(1+t) + 0.5x(1-t²)·c(1+3a x²), t = tanh(c(x + a x³))
        let c: Float = 0.7978845608028654, a: Float = 0.044715
        let t = tanh(c * (x + a * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * a * x * x)
    }
}

/// Inverted dropout: zeroes each element with probability `rate` and scales the rest by
/// 1/(1-rate). The mask comes from `generator`, so a seeded generator gives the same mask.
/// Pass `rate: 0` (or skip the call) at evaluation time.
public func dropout(_ x: Variable, rate: Float, generator: inout TrainingRandom) -> Variable {
    precondition(rate >= 0 && rate < 1, "dropout rate \(rate) outside [0, 1)")
    guard rate > 0 else { return x }
    let keep = 1 / (1 - rate)
    let mask = Tensor(zeros: x.value.shape), y = Tensor(zeros: x.value.shape)
    let (m, out, input) = (mask.data, y.data, x.value.data)
    var random = generator
    for i in 0..<mask.count {
        let factor = random.nextUniform() < rate ? 0 : keep
        m[i] = factor
        out[i] = input[i] * factor
    }
    generator = random
    return Variable.result(y, inputs: [x]) { dY in
        let dX = x.gradientBuffer().data
        for i in 0..<dY.count { dX[i] += mask.data[i] * dY.data[i] }
    }
}

private extension Double {
    var float: Float { Float(self) }
}
