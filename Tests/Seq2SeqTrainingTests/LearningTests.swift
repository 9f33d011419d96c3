// A tiny encoder-decoder Transformer, composed in the test from the training ops, learns to
// reverse sequences: the ops, masks (key padding, causal), tied embeddings, AdamW, clipping
// and the schedule working together. (This composition is the proof that the foundation
// trains; the library's `TransformerModel` has its own test in ModelLearningTests.)
import Foundation
import Seq2SeqTensor
import Seq2SeqTraining
import XCTest

final class LearningTests: XCTestCase {
    private static let (pad, bos, eos, V, D, H, F) = (Int32(0), Int32(1), Int32(2), 13, 32, 4, 64)

    /// Parameters of one pre-norm block: attention projections, optional cross-attention, FFN.
    private final class Block {
        var all: [Variable] = []
        let ln1g, ln1b, wq, wk, wv, wo, ln2g, ln2b, w1, b1, w2, b2: Variable
        let cross: (g: Variable, b: Variable, wq: Variable, wk: Variable, wv: Variable, wo: Variable)?
        init(cross hasCross: Bool, generator: inout TrainingRandom) {
            let (D, F) = (LearningTests.D, LearningTests.F)
            var made: [Variable] = []
            func p(_ shape: [Int], _ r: Float) -> Variable {
                let v = randomParameter(shape, in: -r...r, generator: &generator); made.append(v); return v
            }
            func ones(_ n: Int) -> Variable {
                let v = Variable(Tensor(shape: [n], values: Array(repeating: 1, count: n)), requiresGradient: true); made.append(v); return v
            }
            let a = (6 / Float(2 * D)).squareRoot()
            ln1g = ones(D); ln1b = p([D], 0); wq = p([D, D], a); wk = p([D, D], a); wv = p([D, D], a); wo = p([D, D], a)
            cross = hasCross ? (ones(D), p([D], 0), p([D, D], a), p([D, D], a), p([D, D], a), p([D, D], a)) : nil
            ln2g = ones(D); ln2b = p([D], 0)
            w1 = p([F, D], (6 / Float(D + F)).squareRoot()); b1 = p([F], 0); w2 = p([D, F], (6 / Float(D + F)).squareRoot()); b2 = p([D], 0)
            all = made
        }

        func callAsFunction(_ x: Variable, selfMask: Tensor?, memory: Variable?, memoryMask: Tensor?) -> Variable {
            let H = LearningTests.H
            let h = layerNorm(x, gamma: ln1g, beta: ln1b)
            var y = add(x, linear(attention(query: linear(h, weight: wq), key: linear(h, weight: wk), value: linear(h, weight: wv),
                                            heads: H, mask: selfMask), weight: wo))
            if let cross, let memory {
                let c = layerNorm(y, gamma: cross.g, beta: cross.b)
                y = add(y, linear(attention(query: linear(c, weight: cross.wq), key: linear(memory, weight: cross.wk),
                                            value: linear(memory, weight: cross.wv), heads: H, mask: memoryMask), weight: cross.wo))
            }
            let f = layerNorm(y, gamma: ln2g, beta: ln2b)
            return add(y, linear(relu(linear(f, weight: w1, bias: b1)), weight: w2, bias: b2))
        }
    }

    private static func positions(_ T: Int) -> Tensor {  // sinusoidal [T, D]
        Tensor(shape: [T, D], values: (0..<(T * D)).map { i in
            let (t, d) = (Double(i / D), i % D)
            let angle = t / pow(10_000, Double(2 * (d / 2)) / Double(D))
            return Float(d % 2 == 0 ? sin(angle) : cos(angle))
        })
    }

    func testTinyTransformerLearnsToReverse() {
        var generator = TrainingRandom(seed: 2024)
        let embed = randomParameter([Self.V, Self.D], in: -0.3...0.3, generator: &generator)
        let encoder = Block(cross: false, generator: &generator), decoder = Block(cross: true, generator: &generator)
        let lnG = Variable(Tensor(shape: [Self.D], values: Array(repeating: 1, count: Self.D)), requiresGradient: true)
        let lnB = Variable(Tensor(zeros: [Self.D]), requiresGradient: true)
        let parameters = [embed, lnG, lnB] + encoder.all + decoder.all
        let optimizer = AdamW(parameters: parameters, learningRate: 0, beta2: 0.98, weightDecay: 0)
        let schedule = LearningRateSchedule.inverseSquareRoot(peak: 3e-3, warmupSteps: 50)

        /// Source ids [B, S] (padded) → decoder states [B, T, D] for decoder inputs [B, T].
        func run(_ source: [[Int32]], _ decoderInput: [[Int32]]) -> Variable {
            let (B, S, T) = (source.count, source[0].count, decoderInput[0].count)
            let padMask = Tensor(shape: [B, 1, S], values: source.flatMap { $0.map { $0 == Self.pad ? -.infinity : 0 } })
            let causal = Tensor(shape: [T, T], values: (0..<(T * T)).map { $0 % T > $0 / T ? -.infinity : 0 })
            let scaleE = Float(Self.D).squareRoot()
            let src = add(scale(embedding(source.flatMap { $0 }, shape: [B, S], table: embed), by: scaleE), Variable(Self.positions(S)))
            let memory = encoder(src, selfMask: padMask, memory: nil, memoryMask: nil)
            let tgt = add(scale(embedding(decoderInput.flatMap { $0 }, shape: [B, T], table: embed), by: scaleE), Variable(Self.positions(T)))
            return layerNorm(decoder(tgt, selfMask: causal, memory: memory, memoryMask: padMask), gamma: lnG, beta: lnB)
        }
        func batch(_ n: Int) -> [[Int32]] {
            (0..<n).map { _ in (0..<(3 + Int(generator.next() % 4))).map { _ in Int32(3 + generator.next() % 10) } }
        }
        func padded(_ rows: [[Int32]]) -> [[Int32]] {
            let n = rows.map(\.count).max()!
            return rows.map { $0 + Array(repeating: Self.pad, count: n - $0.count) }
        }
        let start = Date()
        for step in 1...2000 {
            let sequences = batch(32)
            let decoderInput = padded(sequences.map { [Self.bos] + $0.reversed() })
            let targets = padded(sequences.map { $0.reversed() + [Self.eos] })
            let states = run(padded(sequences), decoderInput)
            let loss = crossEntropy(logits: linear(states, weight: embed), targets: targets.flatMap { $0 },
                                    ignoreIndex: Self.pad, labelSmoothing: 0.1)
            loss.backward()
            clipGradientNorm(parameters, maxNorm: 1)
            optimizer.learningRate = schedule.learningRate(step: step)
            optimizer.step()
            optimizer.zeroGradients()
        }
        // Greedy decoding, re-running the decoder on the prefix (no cache needed at this size).
        let test = batch(200)
        var correct = 0
        Autograd.withoutGradients {
            for sequence in test {
                var output: [Int32] = [Self.bos]
                while output.count <= sequence.count + 1 {
                    let states = run([sequence], [output])
                    let logits = linear(states, weight: embed).value.values
                    let row = logits[((output.count - 1) * Self.V)...]
                    let next = Int32(row.indices.max { row[$0] < row[$1] }! - (output.count - 1) * Self.V)
                    if next == Self.eos { break }
                    output.append(next)
                }
                if Array(output.dropFirst()) == sequence.reversed() { correct += 1 }
            }
        }
        print("reverse: \(correct)/\(test.count) exact after 2000 steps, \(Int(Date().timeIntervalSince(start)))s")
        XCTAssertGreaterThanOrEqual(Double(correct) / Double(test.count), 0.99)
    }
}
