// The graph itself: nothing is recorded when gradients are off or not wanted, gradients
// accumulate across backward passes, and a tiny model learns with AdamW.
import Seq2SeqTensor
import Seq2SeqTraining
import XCTest

final class AutogradTests: XCTestCase {
    func testNoRecordingWithoutGradients() {
        var generator = TrainingRandom(seed: 1)
        let w = randomParameter([4, 3], generator: &generator)
        let x = Variable(randomTensor([2, 3], generator: &generator))
        let off = Autograd.withoutGradients { relu(linear(x, weight: w)) }
        XCTAssertFalse(off.requiresGradient, "recorded inside withoutGradients")
        XCTAssertFalse(Autograd.withoutGradients { Autograd.isEnabled })
        XCTAssertTrue(Autograd.isEnabled)
        let constant = relu(scale(x, by: 2))  // no input requires a gradient
        XCTAssertFalse(constant.requiresGradient)
        let on = relu(linear(x, weight: w))
        XCTAssertTrue(on.requiresGradient)
        XCTAssertEqual(on.value.values, off.value.values)
    }

    /// Without recording, a result keeps nothing of its inputs alive (no tape); with
    /// recording, the graph holds them until the result goes.
    func testResultsKeepNoInputsWhenNotRecording() {
        weak var weakInput: Variable?
        var result: Variable?
        do {
            let x = Variable(Tensor(shape: [3], values: [1, -2, 3]), requiresGradient: true)
            weakInput = x
            result = Autograd.withoutGradients { scale(relu(x), by: 2) }
        }
        XCTAssertNil(weakInput, "an op kept its input alive with gradients off")
        XCTAssertEqual(result?.value.values, [2, 0, 6])
        do {
            let x = Variable(Tensor(shape: [3], values: [1, -2, 3]), requiresGradient: true)
            weakInput = x
            result = scale(relu(x), by: 2)
        }
        XCTAssertNotNil(weakInput, "the recorded graph lost its leaf")
        result = nil
        XCTAssertNil(weakInput)
    }

    func testGradientsAccumulateUntilZeroed() {
        let p = Variable(Tensor(shape: [2], values: [1, 2]), requiresGradient: true)
        scale(p, by: 3).backward()
        scale(p, by: 3).backward()
        XCTAssertEqual(p.gradient?.values, [6, 6])
        p.zeroGradient()
        XCTAssertNil(p.gradient)
    }

    /// Dropout zeroes about `rate` of the elements, scales the rest by 1/(1-rate), and draws
    /// the same mask from the same seed.
    func testDropoutRateScaleAndSeed() {
        let ones = Variable(Tensor(shape: [20_000], values: Array(repeating: 1, count: 20_000)))
        var a = TrainingRandom(seed: 8), b = TrainingRandom(seed: 8)
        let y = dropout(ones, rate: 0.25, generator: &a).value.values
        XCTAssertEqual(Double(y.filter { $0 == 0 }.count) / 20_000, 0.25, accuracy: 0.015)
        XCTAssertTrue(y.allSatisfy { $0 == 0 || abs($0 - 1 / 0.75) < 1e-6 })
        XCTAssertEqual(dropout(ones, rate: 0.25, generator: &b).value.values, y)
        XCTAssertTrue(dropout(ones, rate: 0, generator: &a) === ones, "rate 0 is the identity")
    }

    func testSeededRandomIsReproducible() {
        var a = TrainingRandom(seed: 42), b = TrainingRandom(seed: 42), c = TrainingRandom(seed: 43)
        let xs = (0..<5).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<5).map { _ in b.next() })
        XCTAssertNotEqual(xs, (0..<5).map { _ in c.next() })
        let mean = (0..<10_000).map { _ in Double(a.nextUniform()) }.reduce(0, +) / 10_000
        XCTAssertEqual(mean, 0.5, accuracy: 0.02)
    }

    /// Embedding → linear → ReLU → linear → cross-entropy learns a fixed map of 8 ids to 4
    /// classes with AdamW and clipping.
    func testTinyModelLearnsWithAdamW() {
        var generator = TrainingRandom(seed: 5)
        let (V, D, C) = (8, 16, 4)
        let table = randomParameter([V, D], generator: &generator)
        let w1 = randomParameter([D, D], in: -0.3...0.3, generator: &generator), b1 = randomParameter([D], generator: &generator)
        let w2 = randomParameter([C, D], in: -0.3...0.3, generator: &generator)
        let optimizer = AdamW(parameters: [table, w1, b1, w2], learningRate: 1e-2, withoutWeightDecay: [2])
        let ids: [Int32] = (0..<Int32(V)).map { $0 }, targets: [Int32] = ids.map { ($0 * 3 + 1) % Int32(C) }
        var loss: Float = .infinity
        for _ in 0..<200 {
            let hidden = relu(linear(embedding(ids, shape: [V], table: table), weight: w1, bias: b1))
            let l = crossEntropy(logits: linear(hidden, weight: w2), targets: targets)
            loss = l.scalar
            l.backward()
            clipGradientNorm(optimizer.parameters, maxNorm: 1)
            optimizer.step()
            optimizer.zeroGradients()
        }
        XCTAssertLessThan(loss, 0.01)
    }
}
