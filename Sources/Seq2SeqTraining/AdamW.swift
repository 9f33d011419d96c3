// AdamW (Loshchilov & Hutter, decoupled weight decay) computed as torch.optim.AdamW does
// (torch/optim/adamw.py, single-tensor path, amsgrad off), and gradient clipping by global
// norm as torch.nn.utils.clip_grad_norm_.
//
// Step t (from 1) for a parameter p with gradient g, learning rate η, decay λ:
//   p ← p·(1 - η·λ)
//   m ← β1·m + (1-β1)·g          v ← β2·v + (1-β2)·g²
//   p ← p - (η / (1-β1^t)) · m / (√v / √(1-β2^t) + ε)
import Foundation
import Seq2SeqTensor

/// The AdamW optimiser over a fixed list of parameters.
public final class AdamW {
    /// The parameters, updated in place by `step()`.
    public let parameters: [Variable]
    /// Learning rate η; a schedule sets it before each step.
    public var learningRate: Float
    /// Decay rates of the first and second moment estimates.
    public let beta1: Float, beta2: Float
    /// Added to the denominator for stability.
    public let epsilon: Float
    /// Decoupled weight decay λ (applied as p·(1 - η·λ)).
    public let weightDecay: Float
    /// Steps taken so far (the bias corrections use it).
    public private(set) var stepCount = 0
    /// First and second moments, one per parameter, same shapes (saved in checkpoints).
    public private(set) var firstMoments: [Tensor], secondMoments: [Tensor]
    /// Indices of parameters exempt from weight decay (e.g. biases and norm gains).
    private let noDecay: Set<Int>

    /// An optimiser with PyTorch's defaults (η 1e-3, β (0.9, 0.999), ε 1e-8, λ 0.01).
    /// Parameters whose index is in `withoutWeightDecay` are not decayed.
    public init(parameters: [Variable], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0.01, withoutWeightDecay: Set<Int> = []) {
        precondition(parameters.allSatisfy(\.requiresGradient), "AdamW over a parameter that requires no gradient")
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        noDecay = withoutWeightDecay
        firstMoments = parameters.map { Tensor(zeros: $0.value.shape) }
        secondMoments = parameters.map { Tensor(zeros: $0.value.shape) }
    }

    /// One update of every parameter that has a gradient (parameters without one are skipped,
    /// as PyTorch skips `grad is None`).
    public func step() {
        stepCount += 1
        // Scalars in Double, as PyTorch computes them in Python floats.
        let t = Double(stepCount)
        let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), t)))
        let correction2Root = Float((1 - pow(Double(beta2), t)).squareRoot())
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.gradient else { continue }
            let p = parameter.value.data, g = gradient.data
            let m = firstMoments[index].data, v = secondMoments[index].data
            let decay = noDecay.contains(index) ? 1 : 1 - learningRate * weightDecay
            for i in 0..<parameter.value.count {
                p[i] *= decay
                m[i] += (1 - beta1) * (g[i] - m[i])  // torch: m.lerp_(g, 1-β1)
                v[i] = v[i] * beta2 + (1 - beta2) * g[i] * g[i]
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Root + epsilon)
            }
        }
    }

    /// Puts back the state of a checkpoint: the step count and both moments of every
    /// parameter (same order and shapes as `parameters`), so the next step is the one the saved
    /// run would have taken.
    public func restore(stepCount: Int, firstMoments: [Tensor], secondMoments: [Tensor]) {
        precondition(stepCount >= 0 && firstMoments.count == parameters.count && secondMoments.count == parameters.count,
                     "optimiser state for \(firstMoments.count) parameters, not \(parameters.count)")
        for (index, parameter) in parameters.enumerated() {
            precondition(firstMoments[index].shape == parameter.value.shape && secondMoments[index].shape == parameter.value.shape,
                         "optimiser state of parameter \(index) has the wrong shape")
        }
        self.stepCount = stepCount
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }

    /// Forgets every parameter's gradient (call after `step()`).
    public func zeroGradients() { parameters.forEach { $0.zeroGradient() } }
}

/// Scales the gradients of `parameters` so that their global L2 norm is at most `maxNorm`,
/// as `torch.nn.utils.clip_grad_norm_`; returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Variable], maxNorm: Float) -> Float {
    let gradients = parameters.compactMap(\.gradient)
    var sumSquares = 0.0
    for g in gradients {
        for i in 0..<g.count { sumSquares += Double(g.data[i]) * Double(g.data[i]) }
    }
    let norm = Float(sumSquares.squareRoot())
    let coefficient = min(maxNorm / (norm + 1e-6), 1)
    if coefficient < 1 {
        for g in gradients { VectorMath.scaleAdd(g.data, count: g.count, scale: coefficient, add: 0) }
    }
    return norm
}
