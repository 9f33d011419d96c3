// Label-smoothed cross-entropy that ignores padding, as
// `torch.nn.functional.cross_entropy(logits, targets, ignore_index=pad, label_smoothing=ε)`
// with the default mean over the counted (non-ignored) positions.
//
// For a counted row with log-probabilities ℓ = log_softmax(z) over V classes and target y,
// the smoothed target distribution is q = (1-ε)·onehot(y) + ε/V, and
//   loss_row = -Σ q·ℓ = (1-ε)·(-ℓ_y) + ε·mean(-ℓ)
//   loss     = Σ_counted loss_row / N_counted     (or the plain sum)
//   dz_row   = (softmax(z) - q) / N_counted        (zero for ignored rows; no division for the sum)
import Foundation
import Seq2SeqTensor

/// How the per-row losses of `crossEntropy` combine into one number.
public enum LossReduction: Sendable {
    /// Mean over the counted rows (PyTorch's default).
    case mean
    /// Sum over the counted rows: with gradient accumulation, sum the micro-batches and divide
    /// by the whole batch's token count (as fairseq does) so every token weighs the same.
    case sum
}

/// The label-smoothed cross-entropy of `logits` [N, V] (or [B, T, V], N = B·T rows) against
/// `targets` (N ids), skipping rows whose target is `ignoreIndex`; a scalar (shape []).
///
/// With no counted row the loss is 0 and so is its gradient (PyTorch's mean returns NaN there).
public func crossEntropy(logits: Variable, targets: [Int32], ignoreIndex: Int32? = nil,
                         labelSmoothing epsilon: Float = 0, reduction: LossReduction = .mean) -> Variable {
    let V = logits.value.shape.last ?? 1
    let N = logits.value.count / V
    precondition(targets.count == N, "\(targets.count) targets for \(N) rows of logits \(logits.value.shape)")
    precondition(epsilon >= 0 && epsilon <= 1, "label smoothing \(epsilon) outside [0, 1]")
    let counted = targets.filter { $0 != ignoreIndex }.count
    let divisor = reduction == .mean ? Double(max(counted, 1)) : 1
    // Nothing of size [N, V] outlives the forward: the backward rebuilds each softmax row
    // from the logits. The loss sums in Double.
    let minimumRows = max(1, (1 << 15) / V)
    var partials = [Double](repeating: 0, count: parallelParts(N, minimumPart: minimumRows))
    partials.withUnsafeMutableBufferPointer { partial in
        forEachPart(N, minimumPart: minimumRows) { part, rows in
            for r in rows where targets[r] != ignoreIndex {
                let y = Int(targets[r])
                precondition(y >= 0 && y < V, "target \(y) outside the vocabulary of \(V)")
                let z = logits.value.data + r * V
                let lse = Double(VectorMath.logSumExp(z, count: V))
                var sumZ = 0.0
                for i in 0..<V { sumZ += Double(z[i]) }
                let nllTarget = lse - Double(z[y]), meanNLL = lse - sumZ / Double(V)
                partial[part] += Double(1 - epsilon) * nllTarget + Double(epsilon) * meanNLL
            }
        }
    }
    let total = partials.reduce(0, +)
    let loss = Tensor(shape: [], values: [Float(total / divisor)])
    return Variable.result(loss, inputs: [logits]) { dLoss in
        guard counted > 0 else { return }
        let g = dLoss.data[0] / Float(divisor), smooth = epsilon / Float(V)
        let dZ = logits.gradientBuffer().data
        forEachPart(N, minimumPart: minimumRows) { _, rows in
            let p = Tensor(zeros: [V])  // one softmax row, by the vectorised kernel
            for r in rows where targets[r] != ignoreIndex {
                let d = dZ + r * V
                p.data.update(from: logits.value.data + r * V, count: V)
                VectorMath.softmax(p.data, count: V)
                VectorMath.scaleAdd(p.data, count: V, scale: g, add: -g * smooth)
                VectorMath.add(p.data, into: d, count: V)
                d[Int(targets[r])] -= g * (1 - epsilon)
            }
            withExtendedLifetime(p) {}  // raw pointers into p were used above
        }
    }
}
