// The finite-difference gradient check every op's test uses.
//
// For an op y = f(x₁, …, xₖ), the check draws fixed weights w of y's shape, back-propagates
// the seed w (so the analytic gradient is that of L = Σ w⊙y), and compares each element of
// each input's gradient with the central difference (L(x + h) - L(x - h)) / 2h.
//
// Why float32 and these tolerances: the ops under test run in float32 (they are the training
// kernels, not a reference), and L is summed in Double. With inputs of order 1, each output
// carries a relative rounding error of a few float32 ulps (≲ 1e-6), so for the ≲ 200 outputs
// of these small shapes L is off by at most ~1e-5 · max|y|; divided by 2h = 2e-2 that is
// ≲ 5e-4 in the difference quotient. The truncation error of the central difference is
// h²/6 · |L'''| ≈ 2e-5 · |L'''|, negligible for these smooth ops (inputs of ReLU are kept
// away from its kink by more than h). Hence |numeric - analytic| ≤ 2e-3 + 1e-2 · |analytic|:
// a wrong gradient (a missing term, a transpose, a factor) is off by far more.
import Seq2SeqTensor
import Seq2SeqTraining
import XCTest

/// Step of the central differences.
let finiteDifferenceStep: Float = 1e-2

/// Uniform values in `range` from a seeded generator.
func randomTensor(_ shape: [Int], in range: ClosedRange<Float> = -1...1, generator: inout TrainingRandom) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, values: (0..<n).map { _ in
        range.lowerBound + (range.upperBound - range.lowerBound) * generator.nextUniform()
    })
}

/// A parameter (requires a gradient) of random values.
func randomParameter(_ shape: [Int], in range: ClosedRange<Float> = -1...1, generator: inout TrainingRandom) -> Variable {
    Variable(randomTensor(shape, in: range, generator: &generator), requiresGradient: true)
}

/// Compares the analytic gradients of `inputs` for L = Σ w⊙f() with central differences.
/// `f` must be deterministic (reseed any dropout generator inside it).
func checkGradients(of inputs: [Variable], absoluteTolerance: Double = 2e-3, relativeTolerance: Double = 1e-2,
                    file: StaticString = #filePath, line: UInt = #line, _ f: @escaping () -> Variable) {
    var generator = TrainingRandom(seed: 99)
    let y = f()
    let w = randomTensor(y.value.shape, generator: &generator), weights = w.values
    inputs.forEach { $0.zeroGradient() }
    y.backward(seed: w)
    let weightedSum = { () -> Double in
        let out = Autograd.withoutGradients { f() }.value.values
        var s = 0.0
        for i in 0..<out.count { s += Double(weights[i]) * Double(out[i]) }
        return s
    }
    var worst = 0.0
    for (index, input) in inputs.enumerated() {
        guard let analytic = input.gradient else {
            XCTFail("input \(index) received no gradient", file: file, line: line)
            continue
        }
        let x = input.value.data, h = finiteDifferenceStep
        for i in 0..<input.value.count {
            let saved = x[i]
            x[i] = saved + h
            let plus = weightedSum()
            x[i] = saved - h
            let minus = weightedSum()
            x[i] = saved
            let numeric = (plus - minus) / Double(2 * h), exact = Double(analytic.data[i])
            let error = abs(numeric - exact)
            worst = max(worst, error)
            if error > absoluteTolerance + relativeTolerance * abs(exact) {
                XCTFail("input \(index) element \(i): analytic \(exact), numeric \(numeric)", file: file, line: line)
                return
            }
        }
    }
    XCTAssertLessThan(worst, absoluteTolerance + relativeTolerance * 10, file: file, line: line)
}
