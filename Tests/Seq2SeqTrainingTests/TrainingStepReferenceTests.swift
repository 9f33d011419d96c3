// One training step of TransformerModel against PyTorch + transformers, tensor by tensor
// (Tests/Fixtures/training/step/<variant>, written by scripts/make_training_step_reference.py):
// the model folder transformers saved is read with `TransformerModel.load(from:)`, then the
// label-smoothed loss, its gradients, clipping to norm 1 and one AdamW step are compared.
import Foundation
import Seq2SeqIO
import Seq2SeqTensor
import Seq2SeqTraining
import XCTest

final class TrainingStepReferenceTests: XCTestCase {
    static let variants = ["marian", "marian_untied", "bart", "mbart"]

    static func fixture(_ variant: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/training/step/\(variant)")
    }

    /// Loss within 1e-5, every gradient within 1e-6 + 1e-4 relative, the clipped norm within
    /// 1e-5 relative, and every parameter after AdamW within 1e-5 absolute (or relative where
    /// larger) of PyTorch's.
    ///
    /// `k_proj.bias` is the exception: a key bias adds qᵀb to every score of a query, which the
    /// softmax ignores, so its exact gradient is 0 and both frameworks compute rounding noise
    /// (~1e-9). AdamW's first step moves a parameter by lr·g/(|g| + ε), and with ε = 1e-9 that
    /// noise becomes an arbitrary step within ±lr. Those tensors must stay within lr of their
    /// value before the step (they do not affect the model's output at all).
    func testOneTrainingStepMatchesPyTorch() throws {
        for variant in Self.variants {
            let directory = Self.fixture(variant)
            let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("reference.json"))) as? [String: Any])
            let model = try TransformerModel.load(from: directory)
            XCTAssertEqual(model.configuration.labelSmoothing, 0.1)
            let before = model.namedParameters.map { ($0.name, $0.variable.value.copy()) }
            let batch = TrainingBatch(sources: try int32Rows(reference["source_ids"]), targets: try int32Rows(reference["target_ids"]),
                                      padTokenId: Int32(model.configuration.padTokenId),
                                      decoderStartTokenId: Int32(model.configuration.decoderStartTokenId))
            model.isTraining = true
            let logits = model.logits(for: batch)
            let logitsSum = logits.value.values.reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(logitsSum, try number(reference["logits_sum"]), accuracy: 1e-3, "\(variant): logits checksum")
            let loss = model.loss(logits: logits, batch: batch)
            XCTAssertEqual(Double(loss.scalar), try number(reference["loss"]), accuracy: 1e-5, "\(variant): loss")
            loss.backward()
            let norm = clipGradientNorm(model.parameters, maxNorm: Float(try number(reference["max_norm"])))
            XCTAssertEqual(Double(norm), try number(reference["grad_norm"]), accuracy: 1e-5 * Double(norm), "\(variant): grad norm")
            let gradients = try SafetensorsFile(path: directory.appendingPathComponent("gradients.safetensors").path)
            var worstGradient: Float = 0
            for (name, p) in model.namedParameters where !name.contains("k_proj.bias") {
                let expected = try gradients.floatTensor(name)
                let g = try XCTUnwrap(p.gradient, "\(variant): \(name) has no gradient")
                for i in 0..<g.count {
                    let d = abs(g.data[i] - expected.data[i])
                    worstGradient = max(worstGradient, d)
                    if d > 1e-6 + 1e-4 * abs(expected.data[i]) {
                        XCTFail("\(variant): gradient \(name)[\(i)] \(g.data[i]) vs \(expected.data[i])")
                        break
                    }
                }
            }
            let exempt = model.parametersWithoutWeightDecay
            XCTAssertEqual(Set(exempt.map { model.namedParameters[$0].name }), Set(try XCTUnwrap(reference["no_decay"] as? [String])),
                           "\(variant): parameters without weight decay")
            let optimizer = AdamW(parameters: model.parameters, learningRate: Float(try number(reference["lr"])),
                                  beta1: Float(try number(reference["beta1"])), beta2: Float(try number(reference["beta2"])),
                                  epsilon: Float(try number(reference["eps"])), weightDecay: Float(try number(reference["weight_decay"])),
                                  withoutWeightDecay: exempt)
            optimizer.step()
            let updated = try SafetensorsFile(path: directory.appendingPathComponent("updated.safetensors").path)
            XCTAssertEqual(Set(updated.entries.keys), Set(model.namedParameters.map(\.name)), "\(variant): parameter names")
            var worst: Float = 0, worstKeyBiasStep: Float = 0, keyBiasDifference: Float = 0
            for ((name, p), (_, old)) in zip(model.namedParameters, before) {
                let expected = try updated.floatTensor(name)
                for i in 0..<p.value.count {
                    if name.contains("k_proj.bias") {
                        worstKeyBiasStep = max(worstKeyBiasStep, abs(p.value.data[i] - old.data[i]))
                        keyBiasDifference = max(keyBiasDifference, abs(p.value.data[i] - expected.data[i]))
                        continue
                    }
                    let d = abs(p.value.data[i] - expected.data[i])
                    worst = max(worst, d / max(1, abs(expected.data[i])))
                }
            }
            XCTAssertLessThanOrEqual(worst, 1e-5, "\(variant): parameters after the AdamW step")
            XCTAssertLessThanOrEqual(worstKeyBiasStep, optimizer.learningRate * 1.0001, "\(variant): k_proj.bias step")
            print("\(variant): loss \(loss.scalar) (PyTorch \(try number(reference["loss"]))), grad norm \(norm), " +
                  "max |Δ gradient| \(worstGradient), max |Δ parameter| after AdamW \(worst) (k_proj.bias: steps up to \(worstKeyBiasStep), \(keyBiasDifference) from PyTorch's)")
        }
    }

    private func number(_ any: Any?) throws -> Double { try XCTUnwrap(any as? Double) }

    private func int32Rows(_ any: Any?) throws -> [[Int32]] {
        try XCTUnwrap(any as? [[Int]]).map { $0.map(Int32.init) }
    }
}
