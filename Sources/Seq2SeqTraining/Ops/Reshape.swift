// A view with another shape: the same elements, so the gradient passes through unchanged.
//
//   y = reshape(x)      dx = reshape(dy)
import Seq2SeqTensor

/// x seen with `shape` (same element count; e.g. [B, T, V] as [B·T, V]). Shares x's storage.
public func reshape(_ x: Variable, _ shape: [Int]) -> Variable {
    Variable.result(x.value.reshaped(shape), inputs: [x]) { dY in x.accumulate(dY) }
}
