// AdamW, gradient clipping and the label-smoothed cross-entropy against PyTorch
// (Tests/Fixtures/training/reference.json, written by scripts/make_training_reference.py).
import Foundation
import Seq2SeqTensor
import Seq2SeqTraining
import XCTest

final class ReferenceTests: XCTestCase {
    private func fixture(_ key: String) throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/training/reference.json")
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(root[key] as? [String: Any])
    }

    private func floats(_ any: Any?) throws -> [Float] { try XCTUnwrap(any as? [Double]).map(Float.init) }

    private func assertClose(_ actual: [Float], _ expected: [Float], _ tolerance: Float, _ what: String,
                             line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, line: line)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): max difference \(worst)", line: line)
    }

    /// Clipping (step 1) and two AdamW steps with two parameter groups, within 1e-6 of PyTorch.
    func testAdamWAndClippingMatchPyTorch() throws {
        let c = try fixture("adamw")
        let names = try XCTUnwrap(c["names"] as? [String])
        let shapes = try XCTUnwrap(c["shapes"] as? [String: [Int]])
        let initial = try XCTUnwrap(c["params"] as? [String: Any])
        let grads = try XCTUnwrap(c["grads"] as? [[String: Any]])
        let after = try XCTUnwrap(c["after"] as? [[String: Any]])
        let noDecay = try XCTUnwrap(c["no_decay"] as? [String])
        let parameters = try names.map { name in
            Variable(Tensor(shape: try XCTUnwrap(shapes[name]), values: try floats(initial[name])), requiresGradient: true)
        }
        let optimizer = AdamW(parameters: parameters, learningRate: Float(try XCTUnwrap(c["lr"] as? Double)),
                              beta1: Float(try XCTUnwrap(c["beta1"] as? Double)), beta2: Float(try XCTUnwrap(c["beta2"] as? Double)),
                              epsilon: Float(try XCTUnwrap(c["eps"] as? Double)),
                              weightDecay: Float(try XCTUnwrap(c["weight_decay"] as? Double)),
                              withoutWeightDecay: Set(noDecay.compactMap { names.firstIndex(of: $0) }))
        for step in 0..<2 {
            for (name, p) in zip(names, parameters) {
                // A leaf's backward with seed g sets its gradient to g.
                p.backward(seed: Tensor(shape: p.value.shape, values: try floats(grads[step][name])))
            }
            if step == 0 {
                let norm = clipGradientNorm(parameters, maxNorm: Float(try XCTUnwrap(c["max_norm"] as? Double)))
                XCTAssertEqual(norm, Float(try XCTUnwrap(c["clip_norm"] as? Double)), accuracy: 1e-6)
                let clipped = try XCTUnwrap(c["clipped_grads"] as? [String: Any])
                for (name, p) in zip(names, parameters) {
                    assertClose(try XCTUnwrap(p.gradient).values, try floats(clipped[name]), 1e-6, "clipped \(name)")
                }
            }
            optimizer.step()
            optimizer.zeroGradients()
            for (name, p) in zip(names, parameters) {
                assertClose(p.value.values, try floats(after[step][name]), 1e-6, "step \(step + 1) \(name)")
            }
        }
        XCTAssertEqual(optimizer.stepCount, 2)
    }

    /// Loss and d loss/d logits of F.cross_entropy(ignore_index, label_smoothing).
    func testCrossEntropyMatchesPyTorch() throws {
        let c = try fixture("cross_entropy")
        let (N, V) = (try XCTUnwrap(c["rows"] as? Int), try XCTUnwrap(c["vocab"] as? Int))
        let logits = Variable(Tensor(shape: [N, V], values: try floats(c["logits"])), requiresGradient: true)
        let targets = try XCTUnwrap(c["targets"] as? [Int]).map(Int32.init)
        let loss = crossEntropy(logits: logits, targets: targets, ignoreIndex: Int32(try XCTUnwrap(c["pad"] as? Int)),
                                labelSmoothing: Float(try XCTUnwrap(c["label_smoothing"] as? Double)))
        XCTAssertEqual(loss.scalar, Float(try XCTUnwrap(c["loss"] as? Double)), accuracy: 2e-6)
        loss.backward()
        assertClose(try XCTUnwrap(logits.gradient).values, try floats(c["grad"]), 1e-7, "d loss/d logits")
    }

    /// Forward values and the gradients of Σ w⊙output of linear, layer norm, both GELUs, masked
    /// softmax, embedding and masked multi-head attention, against PyTorch.
    func testOpsMatchPyTorch() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/training/reference.json")
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cases = try XCTUnwrap(root["ops"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 7)
        for c in cases {
            let name = try XCTUnwrap(c["name"] as? String)
            let shapes = try XCTUnwrap(c["shapes"] as? [String: [Int]])
            let inputValues = try XCTUnwrap(c["inputs"] as? [String: Any])
            var inputs: [String: Variable] = [:]
            for (key, shape) in shapes {
                inputs[key] = Variable(Tensor(shape: shape, values: try floats(inputValues[key])), requiresGradient: true)
            }
            let mask = (c["mask"] as? [Any]).map { list -> [Float] in list.map { ($0 as? Double).map(Float.init) ?? -.infinity } }
            let output = try XCTUnwrap(runOp(name, inputs, mask: mask, case: c), name)
            XCTAssertEqual(output.value.shape, try XCTUnwrap(c["output_shape"] as? [Int]), name)
            assertClose(output.value.values, try floats(c["output"]), 2e-6, "\(name) output")
            output.backward(seed: Tensor(shape: output.value.shape, values: try floats(c["seed"])))
            let grads = try XCTUnwrap(c["grads"] as? [String: Any])
            for (key, input) in inputs {
                assertClose(try XCTUnwrap(input.gradient, "\(name) d\(key)").values, try floats(grads[key]), 1e-5, "\(name) d\(key)")
            }
        }
    }

    /// The Swift op of a fixture case.
    private func runOp(_ name: String, _ x: [String: Variable], mask: [Float]?, case c: [String: Any]) throws -> Variable? {
        switch name {
        case "linear": return linear(x["x"]!, weight: x["weight"]!, bias: x["bias"]!)
        case "layer_norm": return layerNorm(x["x"]!, gamma: x["gamma"]!, beta: x["beta"]!)
        case "gelu": return gelu(x["x"]!)
        case "gelu_tanh": return gelu(x["x"]!, approximateTanh: true)
        case "softmax_causal":
            return softmax(x["x"]!, mask: Tensor(shape: [3, 4], values: try XCTUnwrap(mask)))
        case "embedding":
            let ids = try XCTUnwrap(c["ids"] as? [Int]).map(Int32.init)
            return embedding(ids, shape: [2, 3], table: x["table"]!)
        case "attention":
            let B = x["q"]!.value.shape[0], S = x["k"]!.value.shape[1]
            return attention(query: x["q"]!, key: x["k"]!, value: x["v"]!, heads: try XCTUnwrap(c["heads"] as? Int),
                             mask: Tensor(shape: [B, 1, S], values: try XCTUnwrap(mask)))
        default:
            XCTFail("unknown op \(name)")
            return nil
        }
    }
}
