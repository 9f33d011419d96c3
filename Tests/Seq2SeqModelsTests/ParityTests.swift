// Parity with transformers on the committed tiny random checkpoints of every family:
// teacher-forced logits within 1e-4, generated ids identical, beam scores within 1e-4.
import Foundation
import Seq2Seq
import XCTest

final class ParityTests: XCTestCase {
    func testTeacherForcedLogitsMatchTransformers() throws {
        for name in fixtureModels {
            let fixture = try Fixture(name)
            let model = try Seq2SeqModel(directory: fixture.directory)
            XCTAssertFalse(fixture.teacherForced.isEmpty, "\(name): no teacher-forced cases")
            for (c, tf) in fixture.teacherForced.enumerated() {
                let batched = (tf["source_ids"] as? [Any])?.first is [Any]
                var sources = batched ? intRows(tf["source_ids"]) : [ints(tf["source_ids"])]
                let decoder = batched ? intRows(tf["decoder_input_ids"]) : [ints(tf["decoder_input_ids"])]
                let expected = batched ? tf["logits"] as? [Any] ?? [] : [tf["logits"] as Any]
                if let mask = tf["attention_mask"] { sources = unpadded(sources, mask: intRows(mask)) }
                let logits = try model.network.logits(sources: sources, decoderInputs: decoder)
                let v = model.network.spec.vocabularySize
                var maxDiff: Float = 0
                for (b, rows) in expected.enumerated() {
                    for (t, row) in (rows as? [Any] ?? []).enumerated() {
                        let want = floats(row)
                        XCTAssertEqual(want.count, v, "\(name) case \(c): vocabulary")
                        for i in 0..<min(v, want.count) {
                            maxDiff = max(maxDiff, abs(logits[b, t, i] - want[i]))
                        }
                    }
                }
                XCTAssertLessThan(maxDiff, 1e-4, "\(name) teacher-forced case \(c): max abs diff \(maxDiff)")
            }
        }
    }

    func testGenerationMatchesTransformers() throws {
        for name in fixtureModels {
            let fixture = try Fixture(name)
            let model = try Seq2SeqModel(directory: fixture.directory)
            XCTAssertFalse(fixture.generation.isEmpty, "\(name): no generation cases")
            for g in fixture.generation {
                let caseName = "\(name)/\(g["name"] as? String ?? "?")"
                let sources = unpadded(intRows(g["source_ids"]), mask: intRows(g["attention_mask"]))
                let options = try generationOptions(model, kwargs: g["kwargs"] as? [String: Any] ?? [:])
                let results = try model.generate(sources: sources, options: options, batchSize: sources.count)
                let got = results.flatMap { $0.map(\.ids) }
                XCTAssertEqual(got, intRows(g["ids"]), "\(caseName): ids")
                if let scores = g["scores"] as? [Any] {
                    let want = floats(scores)
                    let have = results.flatMap { $0.map { $0.score ?? .nan } }
                    XCTAssertEqual(have.count, want.count, "\(caseName): score count")
                    for (a, b) in zip(have, want) { XCTAssertEqual(a, b, accuracy: 1e-4, "\(caseName): scores \(have) vs \(want)") }
                }
            }
        }
    }

    /// In float32 and in int8 (activations are quantized per row, so a row's neighbours in
    /// the batch do not change it).
    func testPaddedBatchEqualsOneByOne() throws {
        for (name, computeType) in fixtureModels.flatMap({ name in ComputeType.allCases.map { (name, $0) } }) {
            let fixture = try Fixture(name)
            let model = try Seq2SeqModel(directory: fixture.directory, computeType: computeType)
            let batched = fixture.generation.first { intRows($0["source_ids"]).count >= 3 }
            let g = try XCTUnwrap(batched, "\(name): no batched case")
            let sources = unpadded(intRows(g["source_ids"]), mask: intRows(g["attention_mask"]))
            for beams in [1, 4] {
                var options = model.generationDefaults
                options.numBeams = beams
                options.maxNewTokens = 10
                let together = try model.generate(sources: sources, options: options, batchSize: sources.count)
                let alone = try sources.map { try model.generate(sources: [$0], options: options, batchSize: 1)[0] }
                XCTAssertEqual(together.map { $0.map(\.ids) }, alone.map { $0.map(\.ids) }, "\(name) \(computeType) beams \(beams)")
                for (x, y) in zip(together.flatMap { $0 }, alone.flatMap { $0 }) {
                    XCTAssertEqual(x.score ?? 0, y.score ?? 0, accuracy: 1e-4, "\(name) \(computeType) beams \(beams): score")
                }
            }
        }
    }

    func testCrossAttentionMatchesTransformers() throws {
        for name in fixtureModels {
            let fixture = try Fixture(name)
            let model = try Seq2SeqModel(directory: fixture.directory)
            let tf = try XCTUnwrap(fixture.teacherForced.first)
            let source = ints(tf["source_ids"]), decoder = ints(tf["decoder_input_ids"])
            let cases: [(layer: Int, head: Int?, key: String)] = [(-1, nil, "cross_attention_last_mean"), (0, 1, "cross_attention_layer0_head1")]
            for c in cases {
                let want = try XCTUnwrap(tf[c.key] as? [Any], "\(name): no \(c.key)").map(floats)
                let got = try model.network.crossAttention(source: source, decoderInputs: decoder, layer: c.layer, head: c.head)
                XCTAssertEqual(got.count, want.count, "\(name) \(c.key): rows")
                var maxDiff: Float = 0
                for (g, w) in zip(got, want) {
                    XCTAssertEqual(g.count, w.count)
                    for (a, b) in zip(g, w) { maxDiff = max(maxDiff, abs(a - b)) }
                }
                XCTAssertLessThan(maxDiff, 1e-5, "\(name) \(c.key): max abs diff \(maxDiff)")
            }
        }
    }

    /// Teacher-forced log-probabilities (`score`) equal the log-softmax of transformers' logits.
    func testScoreEqualsTeacherForcedLogSoftmax() throws {
        for name in fixtureModels {
            let fixture = try Fixture(name)
            let model = try Seq2SeqModel(directory: fixture.directory)
            let tf = try XCTUnwrap(fixture.teacherForced.first)
            let source = ints(tf["source_ids"]), decoder = ints(tf["decoder_input_ids"])
            let target = Array(decoder.dropFirst())
            let scores = try model.score(source: source, target: target)
            let logits = try XCTUnwrap(tf["logits"] as? [Any])
            for (t, id) in target.enumerated() {
                let row = floats(logits[t]).map(Double.init)
                let m = row.max()!
                let logZ = m + log(row.map { exp($0 - m) }.reduce(0, +))
                XCTAssertEqual(Double(scores.tokenLogProbs[t]), row[id] - logZ, accuracy: 1e-4, "\(name) position \(t)")
            }
        }
    }

    /// The model's defaults overlaid with the case's HF generate() kwargs.
}
