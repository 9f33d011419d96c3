// MarianMT folders laid out as Helsinki-NLP's opus-mt ones against transformers 5.24
// (`generation_fields.json` and `tokenizer.batches.jsonl` in Tests/Fixtures/opus-mt*, written by
// scripts/make_opusmt_fixtures.py): each GenerationConfig field that changes decoding, alone and
// combined over the folder's own generation_config.json (renormalize_logits, forced_eos_token_id,
// bad_words_ids [[pad]], 4 beams), greedy and beam on a padded batch — ids identical, beam scores
// and greedy token log-probabilities within 1e-4, decoded texts identical; `batch_decode` of
// padded corpus batches identical; the fields transformers 5.24 itself refuses named in one line.
import Foundation
import Seq2Seq
import XCTest

final class OpusMTParityTests: XCTestCase {
    private let folders = ["opus-mt", "opus-mt-separate"]

    func testEveryGenerationFieldMatchesTransformers() throws {
        for name in folders {
            let directory = fixturesDirectory.appendingPathComponent(name)
            let fixture = try json(directory.appendingPathComponent("generation_fields.json"))
            let model = try Seq2SeqModel(directory: directory)
            let sources = unpadded(intRows(fixture["source_ids"]), mask: intRows(fixture["attention_mask"]))
            let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]], name)
            XCTAssertEqual(cases.count, 30, name)
            var identical = 0
            for c in cases {
                let label = "\(name)/\(c["name"] as? String ?? "?")"
                let options = try settings(model, kwargs: c["kwargs"] as? [String: Any] ?? [:])
                let hypotheses = try model.generate(sources: sources, options: options, batchSize: sources.count).flatMap { $0 }
                XCTAssertEqual(hypotheses.map(\.ids), intRows(c["ids"]), "\(label): ids")
                let scoresMatch = try checkScores(hypotheses, c, label)
                let textsMatch = try checkTexts(hypotheses, c, model: model, label)
                if hypotheses.map(\.ids) == intRows(c["ids"]) && scoresMatch && textsMatch { identical += 1 }
            }
            XCTAssertEqual(identical, cases.count, "\(name): \(identical) of \(cases.count) cases identical")
        }
    }

    func testBatchDecodeOfPaddedBatchesMatchesTransformers() throws {
        for name in folders {
            let directory = fixturesDirectory.appendingPathComponent(name)
            let tokenizer = try XCTUnwrap(try ModelTokenizer.load(directory: directory))
            let batches = try String(contentsOf: directory.appendingPathComponent("tokenizer.batches.jsonl"), encoding: .utf8)
                .split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            XCTAssertGreaterThanOrEqual(batches.count, 3, name)
            for (i, batch) in batches.enumerated() {
                let lines = try XCTUnwrap(batch["lines"] as? [String])
                let padded = intRows(batch["input_ids"])
                let pad = try XCTUnwrap(tokenizer.source.id(for: "<pad>"))
                let encoded = try lines.map { try tokenizer.source.encode($0) }
                let width = encoded.map(\.count).max() ?? 0
                XCTAssertEqual(encoded.map { $0 + Array(repeating: pad, count: width - $0.count) }, padded, "\(name) batch \(i): ids")
                for (skip, key) in [(true, "texts"), (false, "texts_with_special")] {
                    let want = try XCTUnwrap(batch[key] as? [String])
                    let got = padded.map { tokenizer.target.decode($0, skipSpecialTokens: skip) }
                    XCTAssertTrue(sameScalars(got, want), "\(name) batch \(i) \(key): \(got) vs \(want)")
                }
            }
        }
    }

    func testFieldsTransformersRefusesAreRefusedNamingTheFile() throws {
        let refused: [(key: String, value: [String: Any])] = [
            ("num_beam_groups", ["num_beam_groups": 2, "diversity_penalty": 0.5]),
            ("diversity_penalty", ["diversity_penalty": 0.5]),
            ("constraints", ["constraints": [["token_ids": [5]]]]),
            ("force_words_ids", ["force_words_ids": [[5]]]),
        ]
        for (key, value) in refused {
            let directory = try copy("opus-mt", generationChanges: value)
            defer { try? FileManager.default.removeItem(at: directory) }
            XCTAssertThrowsError(try Seq2SeqModel(directory: directory), key) { error in
                let message = "\(error)"
                XCTAssertTrue(error is ModelFileError, message)
                XCTAssertTrue(message.contains("generation_config.json") && message.contains("'\(key)'"), message)
                XCTAssertFalse(message.contains("\n"), message)
            }
        }
    }

    /// Beam `sequences_scores`, or greedy per-token log-probabilities, within 1e-4.
    private func checkScores(_ hypotheses: [Hypothesis], _ c: [String: Any], _ label: String) throws -> Bool {
        var worst: Float = 0
        if let scores = c["scores"] as? [Any] {
            let want = floats(scores)
            XCTAssertEqual(hypotheses.count, want.count, "\(label): score count")
            for (h, w) in zip(hypotheses, want) { worst = max(worst, abs((h.score ?? .nan) - w)) }
        } else {
            let want = try XCTUnwrap(c["token_log_probs"] as? [Any], label).map(floats)
            XCTAssertEqual(hypotheses.map(\.tokenLogProbs.count), want.map(\.count), "\(label): steps")
            for (h, w) in zip(hypotheses, want) {
                for (a, b) in zip(h.tokenLogProbs, w) { worst = max(worst, abs(a - b)) }
            }
        }
        XCTAssertLessThan(worst, 1e-4, "\(label): scores differ by \(worst)")
        return worst < 1e-4
    }

    /// Generated ids decode (special tokens skipped) as transformers' `batch_decode` of its
    /// sequences, and its padded sequences decode identically with special tokens kept.
    private func checkTexts(_ hypotheses: [Hypothesis], _ c: [String: Any], model: Seq2SeqModel, _ label: String) throws -> Bool {
        let tokenizer = try XCTUnwrap(model.tokenizer).target
        let texts = try XCTUnwrap(c["texts"] as? [String]), withSpecial = try XCTUnwrap(c["texts_with_special"] as? [String])
        let got = hypotheses.map { tokenizer.decode($0.ids, skipSpecialTokens: true) }
        let gotWithSpecial = intRows(c["sequences"]).map { tokenizer.decode($0, skipSpecialTokens: false) }
        XCTAssertTrue(sameScalars(got, texts), "\(label): texts \(got) vs \(texts)")
        XCTAssertTrue(sameScalars(gotWithSpecial, withSpecial), "\(label): texts with special tokens \(gotWithSpecial) vs \(withSpecial)")
        return sameScalars(got, texts) && sameScalars(gotWithSpecial, withSpecial)
    }

    /// The folder's `generation_config.json` overlaid with a case's generate() arguments (null unsets).
    private func settings(_ model: Seq2SeqModel, kwargs: [String: Any]) throws -> GenerationConfig {
        var base = try json(model.directory.appendingPathComponent("generation_config.json"))
        base.merge(kwargs) { _, new in new }
        return try GenerationConfig(json: JSONValue(jsonObject: base), modelConfig: model.config.object)
    }

    /// A temporary copy of a fixture folder with `generationChanges` merged into its generation_config.json.
    private func copy(_ name: String, generationChanges: [String: Any]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("opus-mt-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: fixturesDirectory.appendingPathComponent(name), to: directory)
        let url = directory.appendingPathComponent("generation_config.json")
        var object = try json(url)
        object.merge(generationChanges) { _, new in new }
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return directory
    }

    private func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], url.path)
    }

    /// Equal as Unicode scalars (Swift's `==` on strings would equate canonically equivalent forms).
    private func sameScalars(_ a: [String], _ b: [String]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.unicodeScalars.elementsEqual($1.unicodeScalars) }
    }
}
