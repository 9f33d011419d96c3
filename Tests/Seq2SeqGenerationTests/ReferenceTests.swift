// Seq2SeqGeneration against Hugging Face generate() on the same table model
// (Tests/Fixtures/generation/reference.json, written by scripts/generation_reference.py).
import Foundation
import Seq2SeqGeneration
import Seq2SeqIO
import XCTest

final class ReferenceTests: XCTestCase {
    func testMatchesTransformersOnTableModel() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/generation/reference.json")
        let fixture = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let table = try XCTUnwrap(fixture["table"] as? [[[[Double]]]]).map { $0.map { $0.map { $0.map(Float.init) } } }
        let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]])
        XCTAssertGreaterThan(cases.count, 10)
        for c in cases {
            let name = c["name"] as? String ?? "?"
            var kwargs = try XCTUnwrap(c["kwargs"] as? [String: Any])
            kwargs["decoder_start_token_id"] = 0
            kwargs["pad_token_id"] = 0
            if kwargs["eos_token_id"] == nil { kwargs["eos_token_id"] = 1 }
            let config = try GenerationConfig(json: JSONValue(jsonObject: kwargs), modelConfig: [:])
            let prefix = c["prefix"] as? [Int] ?? []
            let session = ScriptedSession(sources: table.count, vocabulary: table[0][0].count) { source, ids in
                table[source][ids.count - 1][ids[ids.count - 1]]
            }
            session.sourceIds = (0..<table.count).map { [$0] }  // HF's input_ids: source s is [s]
            let result = try Generator(config: config).generate(session: session, prefix: prefix)
            XCTAssertEqual(result.flatMap { $0.map(\.ids) }, c["ids"] as? [[Int]], "\(name): ids")
            if let scores = c["scores"] as? [Double] {
                let have = result.flatMap { $0.map { Double($0.score ?? .nan) } }
                XCTAssertEqual(have.count, scores.count, "\(name): score count")
                for (a, b) in zip(have, scores) { XCTAssertEqual(a, b, accuracy: 1e-4, "\(name): scores \(have) vs \(scores)") }
            }
        }
    }
}
