// Every attention weight of a teacher-forced pass against transformers' `output_attentions=True`
// on the fixture checkpoints (Tests/Fixtures/attention/reference.json, written by
// scripts/make_attention_reference.py): all layers and heads of the encoder self-attention,
// the decoder self-attention and the cross-attention, the causal mask as exact zeros.
import Foundation
import Seq2Seq
import XCTest

final class AttentionTests: XCTestCase {
    /// Weights [L][H][Q][K] from the reference.
    private func nested(_ value: Any?) -> [[[[Float]]]] {
        (value as? [Any] ?? []).map { layer in
            (layer as? [Any] ?? []).map { head in (head as? [Any] ?? []).map(floats) }
        }
    }

    private func assertEqual(_ ours: AttentionWeights, _ reference: [[[[Float]]]], _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual([ours.layers, ours.heads, ours.queries, ours.keys],
                       [reference.count, reference.first?.count ?? 0, reference.first?.first?.count ?? 0,
                        reference.first?.first?.first?.count ?? 0], "\(what): shape", file: file, line: line)
        var worst: Float = 0
        for (l, layer) in reference.enumerated() {
            for (h, head) in layer.enumerated() {
                for (q, row) in head.enumerated() {
                    for (k, expected) in row.enumerated() { worst = max(worst, abs(ours[l, h, q, k] - expected)) }
                }
            }
        }
        XCTAssertLessThan(worst, 1e-4, "\(what): max difference", file: file, line: line)
    }

    func testAllAttentionEqualsTransformers() throws {
        let data = try Data(contentsOf: fixturesDirectory.appendingPathComponent("attention/reference.json"))
        let reference = try XCTUnwrap((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["models"] as? [String: Any])
        XCTAssertEqual(reference.keys.sorted(), ["bart", "marian", "mbart", "t5-v1_0"])
        for (name, value) in reference.sorted(by: { $0.key < $1.key }) {
            let expected = try XCTUnwrap(value as? [String: Any])
            let model = try Seq2SeqModel(directory: fixturesDirectory.appendingPathComponent(name))
            let capture = try model.network.attention(source: ints(expected["source_ids"]),
                                                      decoderInputs: ints(expected["decoder_input_ids"]))
            assertEqual(capture.encoderSelf, nested(expected["encoder_self"]), "\(name) encoder self-attention")
            assertEqual(capture.decoderSelf, nested(expected["decoder_self"]), "\(name) decoder self-attention")
            assertEqual(capture.cross, nested(expected["cross"]), "\(name) cross-attention")
            // The causal mask: exactly 0 above the diagonal; every row a distribution.
            let d = capture.decoderSelf
            for l in 0..<d.layers {
                for h in 0..<d.heads {
                    for q in 0..<d.queries {
                        for k in (q + 1)..<max(q + 1, d.keys) { XCTAssertEqual(d[l, h, q, k], 0, "\(name) decoder [\(l)][\(h)][\(q)][\(k)]") }
                    }
                }
            }
            for w in [capture.encoderSelf, capture.decoderSelf, capture.cross] {
                for row in 0..<(w.layers * w.heads * w.queries) {
                    XCTAssertEqual(w.values[(row * w.keys)..<((row + 1) * w.keys)].reduce(0, +), 1, accuracy: 1e-4, name)
                }
            }
        }
    }

    /// The last layer's head mean is what `crossAttention` (the CLI's `--attention`) gives.
    func testCrossAttentionAgreesWithTheSingleLayerCapture() throws {
        let model = try Seq2SeqModel(directory: fixturesDirectory.appendingPathComponent("bart"))
        let source = [5, 17, 23, 42, 2], inputs = [2, 11, 31, 7]
        let all = try model.network.attention(source: source, decoderInputs: inputs)
        let single = try model.network.crossAttention(source: source, decoderInputs: inputs)
        for (a, b) in zip(all.cross.matrix(layer: -1), single) {
            for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        }
    }

    /// `Translator.attention` labels rows and columns with the tokens; `json()` nests [L][H][Q][K].
    func testTranslatorAttentionMapsAndJSON() throws {
        let model = try Seq2SeqModel(directory: fixturesDirectory.appendingPathComponent("marian"))
        let capture = try model.network.attention(source: [5, 17, 23, 42, 8, 99, 13, 0], decoderInputs: [256, 11, 31])
        let w = capture.encoderSelf.keepingKeys(3)
        XCTAssertEqual(w.keys, 3)
        XCTAssertEqual(w[1, 2, 4, 2], capture.encoderSelf[1, 2, 4, 2])
        let translator = try Translator(directory: fixturesDirectory.appendingPathComponent("marian"))
        let maps = try translator.attention("hello world")
        XCTAssertEqual(maps.cross.queries, maps.targetTokens.count)
        XCTAssertEqual(maps.cross.keys, maps.sourceTokens.count)
        XCTAssertEqual(maps.decoderSelf.keys, maps.decoderInputTokens.count)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(maps.json(model: "m"))) as? [String: Any])
        XCTAssertEqual((json["cross"] as? [Any])?.count, maps.cross.layers)
        XCTAssertEqual(json["source_tokens"] as? [String], maps.sourceTokens)
    }
}
