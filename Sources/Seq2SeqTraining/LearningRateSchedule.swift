// Learning-rate schedules: the rate for optimiser step s (counted from 1), set on the
// optimiser before each step.
//
//   noam (Vaswani et al. 2017, §5.3):  f · D^-0.5 · min(s^-0.5, s · w^-1.5)
//   inverse square root (fairseq):     η · s/w while s < w, then η · √(w/s)
//   cosine with warmup:                η · s/w while s < w, then
//                                      η_min + ½(η - η_min)(1 + cos(π · min(1, (s-w)/(n-w))))
import Foundation

/// The learning rate as a function of the step.
public enum LearningRateSchedule: Sendable, Equatable, Codable {
    /// A fixed rate.
    case constant(Float)
    /// The schedule of "Attention Is All You Need": linear warmup over `warmupSteps`, then
    /// decay as 1/√step, scaled by `factor` · `modelWidth`^-0.5.
    case noam(modelWidth: Int, warmupSteps: Int, factor: Float = 1)
    /// fairseq's `inverse_sqrt`: linear warmup from 0 to `peak`, then `peak` · √(warmup/step).
    case inverseSquareRoot(peak: Float, warmupSteps: Int)
    /// Linear warmup to `peak`, then half a cosine down to `minimum` at `totalSteps` (and
    /// `minimum` after).
    case cosine(peak: Float, warmupSteps: Int, totalSteps: Int, minimum: Float = 0)

    /// The rate of step `step` (1 for the first step).
    public func learningRate(step: Int) -> Float {
        let s = Double(max(step, 1))
        switch self {
        case .constant(let rate):
            return rate
        case let .noam(width, warmup, factor):
            let w = Double(max(warmup, 1))
            return Float(Double(factor) / Double(width).squareRoot() * min(1 / s.squareRoot(), s * pow(w, -1.5)))
        case let .inverseSquareRoot(peak, warmup):
            let w = Double(max(warmup, 1))
            return Float(s < w ? Double(peak) * s / w : Double(peak) * (w / s).squareRoot())
        case let .cosine(peak, warmup, total, minimum):
            let w = Double(max(warmup, 1))
            if s < w { return Float(Double(peak) * s / w) }
            let progress = min(1, (s - w) / Double(max(total - warmup, 1)))
            return Float(Double(minimum) + 0.5 * Double(peak - minimum) * (1 + cos(Double.pi * progress)))
        }
    }
}
