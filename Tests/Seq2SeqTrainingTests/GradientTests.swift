// Every op's gradient against central finite differences (see GradientCheck.swift for the
// method and the tolerance), on small random shapes that exercise broadcasting, masks and
// repeated inputs.
import Seq2SeqTensor
import Seq2SeqTraining
import XCTest

final class GradientTests: XCTestCase {
    private var generator = TrainingRandom(seed: 7)

    func testMatmul() {
        let a = randomParameter([3, 5], generator: &generator), b = randomParameter([5, 4], generator: &generator)
        checkGradients(of: [a, b]) { matmul(a, b) }
    }

    func testLinearWithAndWithoutBias() {
        // x [B, T, Din] = [2, 3, 5], W [Dout, Din] = [4, 5], b [4]
        let x = randomParameter([2, 3, 5], generator: &generator)
        let w = randomParameter([4, 5], generator: &generator), b = randomParameter([4], generator: &generator)
        checkGradients(of: [x, w, b]) { linear(x, weight: w, bias: b) }
        checkGradients(of: [x, w]) { linear(x, weight: w) }
    }

    func testAddSameShapeAndBroadcast() {
        let x = randomParameter([2, 3, 4], generator: &generator)
        let z = randomParameter([2, 3, 4], generator: &generator), positions = randomParameter([3, 4], generator: &generator)
        checkGradients(of: [x, z]) { add(x, z) }
        checkGradients(of: [x, positions]) { add(x, positions) }
        checkGradients(of: [x]) { add(x, x) }  // one input used twice: gradients add up
    }

    func testScale() {
        let x = randomParameter([3, 4], generator: &generator)
        checkGradients(of: [x]) { scale(x, by: -2.5) }
    }

    func testActivations() {
        // ReLU inputs kept at least 0.1 away from the kink (h = 0.01).
        let kinkFree = Tensor(shape: [12], values: (0..<12).map { i in
            Float(i % 2 == 0 ? 1 : -1) * (0.1 + 0.15 * Float(i))
        })
        let r = Variable(kinkFree, requiresGradient: true)
        checkGradients(of: [r]) { relu(r) }
        let x = randomParameter([3, 7], in: -3...3, generator: &generator)
        checkGradients(of: [x]) { gelu(x) }
        checkGradients(of: [x]) { gelu(x, approximateTanh: true) }
        checkGradients(of: [x]) { activation(x, .silu) }
    }

    func testDropoutWithFixedSeed() {
        let x = randomParameter([4, 6], generator: &generator)
        checkGradients(of: [x]) {
            var dropGenerator = TrainingRandom(seed: 3)
            return dropout(x, rate: 0.3, generator: &dropGenerator)
        }
    }

    func testEmbeddingScatterAddsRepeatedIds() {
        let table = randomParameter([6, 4], generator: &generator)  // [V, D]
        let ids: [Int32] = [1, 4, 1, 0, 5, 1]                      // [B, T] = [2, 3], id 1 thrice
        checkGradients(of: [table]) { embedding(ids, shape: [2, 3], table: table) }
    }

    func testEmbeddingSkipsThePaddingRow() {
        let table = randomParameter([6, 4], generator: &generator)
        let ids: [Int32] = [1, 0, 3, 0, 5, 1]  // 0 is padding
        let y = embedding(ids, shape: [2, 3], table: table, paddingIndex: 0)
        y.backward()
        XCTAssertEqual(table.gradient?.values[0..<4].allSatisfy { $0 == 0 }, true, "padding row got a gradient")
        XCTAssertEqual(table.gradient?.values[4..<8].allSatisfy { $0 == 2 }, true, "row 1 is looked up twice")
    }

    func testLayerNorm() {
        let x = randomParameter([2, 3, 5], in: -2...2, generator: &generator)
        let gamma = randomParameter([5], in: 0.5...1.5, generator: &generator)
        let beta = randomParameter([5], generator: &generator)
        checkGradients(of: [x, gamma, beta]) { layerNorm(x, gamma: gamma, beta: beta) }
        checkGradients(of: [x, gamma]) { layerNorm(x, gamma: gamma, beta: nil, epsilon: 1e-6) }
    }

    func testRMSNorm() {
        let x = randomParameter([2, 3, 5], in: -2...2, generator: &generator)
        let gamma = randomParameter([5], in: 0.5...1.5, generator: &generator)
        checkGradients(of: [x, gamma]) { rmsNorm(x, gamma: gamma) }
        // y = γ·x/√(mean(x²) + ε): a row (3, 4) has mean square 12.5.
        let row = rmsNorm(Variable(Tensor(shape: [2], values: [3, 4])), gamma: Variable(Tensor(shape: [2], values: [1, 2])), epsilon: 0)
        XCTAssertEqual(row.value.values[0], 3 / Float(12.5).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(row.value.values[1], 8 / Float(12.5).squareRoot(), accuracy: 1e-6)
    }

    func testMultiply() {
        let x = randomParameter([2, 3, 4], generator: &generator), z = randomParameter([2, 3, 4], generator: &generator)
        checkGradients(of: [x, z]) { multiply(x, z) }
        checkGradients(of: [x]) { multiply(x, x) }
    }

    /// T5's bias: a gather of table rows by bucket forward, a scatter-add backward; buckets as
    /// transformers' `T5Attention._relative_position_bucket` gives them (8 buckets, max distance
    /// 16; the encoder's upper half for keys after the query, the decoder's for distances back).
    func testRelativePositionBias() {
        let table = randomParameter([8, 2], generator: &generator)
        checkGradients(of: [table]) { relativePositionBias(table: table, queries: 3, keys: 4, bidirectional: true, maxDistance: 16) }
        checkGradients(of: [table]) { relativePositionBias(table: table, queries: 4, keys: 4, bidirectional: false, maxDistance: 16) }
        XCTAssertEqual((-3...3).map { relativePositionBucket($0, bidirectional: true, buckets: 8, maxDistance: 16) }, [2, 2, 1, 0, 5, 6, 6])
        XCTAssertEqual(stride(from: -20, through: 20, by: 4).map { relativePositionBucket($0, bidirectional: false, buckets: 8, maxDistance: 16) },
                       [7, 7, 7, 6, 4, 0, 0, 0, 0, 0, 0])
        let bias = relativePositionBias(table: table, queries: 1, keys: 3, bidirectional: true, maxDistance: 16).value
        XCTAssertEqual(bias.shape, [2, 1, 3])
        XCTAssertEqual(bias.values[1], table.value.values[5 * 2], "head 0, key after the query: bucket 5")
        XCTAssertEqual(bias.values[3 + 2], table.value.values[6 * 2 + 1], "head 1, two keys after: bucket 6")
    }

    /// A learned additive bias [H, T, S] (T5's positions) gets Σ over the batch of the score
    /// gradients; with masks and with the queries, keys and values.
    func testAttentionWithALearnedBias() {
        let (B, T, S, D, H) = (2, 3, 4, 6, 2)
        let q = randomParameter([B, T, D], generator: &generator)
        let k = randomParameter([B, S, D], generator: &generator), v = randomParameter([B, S, D], generator: &generator)
        let bias = randomParameter([H, T, S], generator: &generator)
        checkGradients(of: [q, k, v, bias]) { attention(query: q, key: k, value: v, heads: H, bias: bias, scale: 1) }
        let padding = Tensor(shape: [B, 1, S], values: [0, 0, 0, 0, 0, 0, 0, -.infinity])
        checkGradients(of: [q, bias]) { attention(query: q, key: k, value: v, heads: H, mask: padding, bias: bias) }
        // The bias alone learns when nothing else does.
        let (fq, fk, fv) = (Variable(q.value), Variable(k.value), Variable(v.value))
        checkGradients(of: [bias]) { attention(query: fq, key: fk, value: fv, heads: H, bias: bias) }
    }

    func testSoftmaxWithAndWithoutMask() {
        let x = randomParameter([2, 3, 4], in: -2...2, generator: &generator)
        checkGradients(of: [x]) { softmax(x) }
        let causal = Self.causalMask(3, 4)
        checkGradients(of: [x]) { softmax(x, mask: causal) }
    }

    func testAttentionSelfCrossAndMasks() {
        let (B, T, S, D, H) = (2, 3, 4, 6, 2)
        let q = randomParameter([B, T, D], generator: &generator)
        let k = randomParameter([B, S, D], generator: &generator), v = randomParameter([B, S, D], generator: &generator)
        checkGradients(of: [q, k, v]) { attention(query: q, key: k, value: v, heads: H) }
        // Key padding [B, 1, S]: the second batch row's last key is padding.
        let padding = Tensor(shape: [B, 1, S], values: [0, 0, 0, 0, 0, 0, 0, -.infinity])
        checkGradients(of: [q, k, v]) { attention(query: q, key: k, value: v, heads: H, mask: padding) }
        // Per-row mask [B, T, S] and a custom scale.
        let full = Tensor(shape: [B, T, S], values: (0..<(B * T * S)).map { $0 % 5 == 4 ? -.infinity : 0 })
        checkGradients(of: [q, k, v]) { attention(query: q, key: k, value: v, heads: H, mask: full, scale: 1) }
        // Causal self-attention: one variable as query, key and value.
        let x = randomParameter([B, T, D], generator: &generator)
        checkGradients(of: [x]) { attention(query: x, key: x, value: x, heads: 3, mask: Self.causalMask(T, T)) }
    }

    func testAttentionDropoutWithFixedSeed() {
        let q = randomParameter([2, 3, 4], generator: &generator)
        let k = randomParameter([2, 5, 4], generator: &generator), v = randomParameter([2, 5, 4], generator: &generator)
        checkGradients(of: [q, k, v]) {
            var dropGenerator = TrainingRandom(seed: 11)
            return attention(query: q, key: k, value: v, heads: 2, dropoutRate: 0.25, generator: &dropGenerator)
        }
    }

    /// Shapes large enough for the (batch row, head) loop to run on the thread pool give the
    /// same output and gradients as each batch row alone (which runs serially), dropout included
    /// (masks are drawn batch row after batch row, so one generator reproduces them).
    func testParallelAttentionEqualsPerBatchRow() {
        let (B, T, S, D, H) = (2, 16, 16, 64, 4)
        let q = randomParameter([B, T, D], generator: &generator)
        let k = randomParameter([B, S, D], generator: &generator), v = randomParameter([B, S, D], generator: &generator)
        let padding = Tensor(shape: [B, 1, S], values: (0..<(B * S)).map { $0 >= B * S - 3 ? -.infinity : 0 })
        let w = randomTensor([B, T, D], generator: &generator)
        var dropGenerator = TrainingRandom(seed: 21)
        let whole = attention(query: q, key: k, value: v, heads: H, mask: padding, dropoutRate: 0.1, generator: &dropGenerator)
        whole.backward(seed: w)
        dropGenerator = TrainingRandom(seed: 21)
        func row(_ x: Variable, _ b: Int) -> Variable {
            let n = x.value.count / B
            return Variable(Tensor(shape: [1] + x.value.shape.dropFirst(), values: Array(x.value.values[(b * n)..<((b + 1) * n)])),
                            requiresGradient: true)
        }
        for b in 0..<B {
            let (qb, kb, vb) = (row(q, b), row(k, b), row(v, b))
            let maskB = Tensor(shape: [1, 1, S], values: Array(padding.values[(b * S)..<((b + 1) * S)]))
            let y = attention(query: qb, key: kb, value: vb, heads: H, mask: maskB, dropoutRate: 0.1, generator: &dropGenerator)
            y.backward(seed: Tensor(shape: [1, T, D], values: Array(w.values[(b * T * D)..<((b + 1) * T * D)])))
            for (part, full) in [(y.value, whole.value), (qb.gradient!, q.gradient!), (kb.gradient!, k.gradient!), (vb.gradient!, v.gradient!)] {
                let n = part.count
                let difference = zip(part.values, full.values[(b * n)..<((b + 1) * n)]).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(difference, 1e-6)
            }
        }
    }

    /// Layer norm and GELU over enough rows to run on the pool give the outputs and gradients
    /// of the same op applied chunk by chunk (serially, chunks too small to split), with γ and β
    /// shared by the chunks so their gradients add up.
    func testParallelRowOpsEqualChunkByChunk() {
        let (N, D, chunk) = (640, 64, 64)
        let x = randomParameter([N, D], in: -2...2, generator: &generator)
        let w = randomTensor([N, D], generator: &generator)
        let gamma = randomParameter([D], in: 0.5...1.5, generator: &generator), beta = randomParameter([D], generator: &generator)
        let ops: [(String, (Variable, Variable, Variable) -> Variable)] = [
            ("layerNorm", { layerNorm($0, gamma: $1, beta: $2) }),
            ("gelu", { x, _, _ in gelu(x) }),
        ]
        for (name, op) in ops {
            let (g1, b1) = (Variable(gamma.value.copy(), requiresGradient: true), Variable(beta.value.copy(), requiresGradient: true))
            let whole = op(x, g1, b1)
            x.zeroGradient()
            whole.backward(seed: w)
            let (g2, b2) = (Variable(gamma.value.copy(), requiresGradient: true), Variable(beta.value.copy(), requiresGradient: true))
            for c in stride(from: 0, to: N, by: chunk) {
                let rows = (c * D)..<((c + chunk) * D)
                let xc = Variable(Tensor(shape: [chunk, D], values: Array(x.value.values[rows])), requiresGradient: true)
                let y = op(xc, g2, b2)
                y.backward(seed: Tensor(shape: [chunk, D], values: Array(w.values[rows])))
                XCTAssertEqual(y.value.values, Array(whole.value.values[rows]), "\(name) output")
                XCTAssertEqual(xc.gradient!.values, Array(x.gradient!.values[rows]), "\(name) dx")
            }
            for (a, b) in [(g1.gradient, g2.gradient), (b1.gradient, b2.gradient)] {
                guard let a, let b else { continue }
                XCTAssertLessThan(zip(a.values, b.values).map { abs($0 - $1) }.max()!, 1e-4, "\(name) dγ/dβ")
            }
        }
    }

    func testLabelSmoothedCrossEntropyIgnoringPadding() {
        let logits = randomParameter([6, 5], in: -3...3, generator: &generator)  // [B·T, V]
        let targets: [Int32] = [2, 0, 4, 1, 0, 3]                             // 0 is padding
        checkGradients(of: [logits]) { crossEntropy(logits: logits, targets: targets, ignoreIndex: 0, labelSmoothing: 0.1) }
        checkGradients(of: [logits]) { crossEntropy(logits: logits, targets: targets) }
        checkGradients(of: [logits]) {
            crossEntropy(logits: logits, targets: targets, ignoreIndex: 0, labelSmoothing: 0.2, reduction: .sum)
        }
        let mean = crossEntropy(logits: logits, targets: targets, ignoreIndex: 0).scalar
        let sum = crossEntropy(logits: logits, targets: targets, ignoreIndex: 0, reduction: .sum).scalar
        XCTAssertEqual(sum, 4 * mean, accuracy: 1e-5)  // 4 counted rows
    }

    /// Enough rows for the loss to split them over the pool: loss and gradient against a
    /// float64 evaluation of the formula.
    func testCrossEntropyOnManyRowsMatchesFloat64() {
        let (N, V, pad, epsilon) = (96, 1024, Int32(0), 0.1)
        let logits = randomParameter([N, V], in: -4...4, generator: &generator)
        let targets: [Int32] = (0..<N).map { Int32(($0 * 37) % V) }  // row 0's target is padding
        let loss = crossEntropy(logits: logits, targets: targets, ignoreIndex: pad, labelSmoothing: Float(epsilon))
        loss.backward()
        var total = 0.0, worstGradient = 0.0
        let counted = Double(targets.filter { $0 != pad }.count)
        for r in 0..<N where targets[r] != pad {
            let z = (0..<V).map { Double(logits.value[r, $0]) }
            let m = z.max()!, lse = m + log(z.map { exp($0 - m) }.reduce(0, +))
            let y = Int(targets[r])
            total += (1 - epsilon) * (lse - z[y]) + epsilon * (lse - z.reduce(0, +) / Double(V))
            for i in 0..<V {
                let q = (i == y ? 1 - epsilon : 0) + epsilon / Double(V)
                let expected = (exp(z[i] - lse) - q) / counted
                worstGradient = max(worstGradient, abs(expected - Double(logits.gradient![r, i])))
            }
        }
        XCTAssertEqual(Double(loss.scalar), total / counted, accuracy: 1e-5)
        XCTAssertLessThan(worstGradient, 1e-8)
        XCTAssertEqual(logits.gradient!.values[0..<V].allSatisfy { $0 == 0 }, true, "padding row got a gradient")
    }

    /// A composition (embedding → layer norm → attention → linear → loss) back-propagates
    /// through every op at once.
    func testSmallTransformerBlockEndToEnd() {
        let (B, T, D, V) = (2, 3, 4, 7)
        let table = randomParameter([V, D], generator: &generator)
        let gamma = randomParameter([D], in: 0.5...1.5, generator: &generator), beta = randomParameter([D], generator: &generator)
        let wq = randomParameter([D, D], generator: &generator), out = randomParameter([V, D], generator: &generator)
        let ids: [Int32] = [1, 2, 3, 4, 5, 6], targets: [Int32] = [2, 3, 0, 5, 6, 1]
        checkGradients(of: [table, gamma, beta, wq, out]) {
            let x = layerNorm(embedding(ids, shape: [B, T], table: table), gamma: gamma, beta: beta)
            let a = attention(query: linear(x, weight: wq), key: x, value: x, heads: 2, mask: Self.causalMask(T, T))
            let h = add(x, gelu(a))
            return crossEntropy(logits: reshape(linear(h, weight: out), [B * T, V]), targets: targets,
                                ignoreIndex: 0, labelSmoothing: 0.1)
        }
    }

    private static func causalMask(_ T: Int, _ S: Int) -> Tensor {
        Tensor(shape: [T, S], values: (0..<(T * S)).map { i in i % S > i / S + (S - T) ? -.infinity : 0 })
    }
}
