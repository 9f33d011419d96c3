// Reference fixtures made by scripts/make_fixtures.py with transformers + torch.
import Foundation
import Seq2Seq
import XCTest

/// The folder of committed fixtures.
let fixturesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The fixture models, by folder name.
let fixtureModels = ["t5-v1_0", "t5-v1_1", "umt5", "bart", "mbart", "marian", "opus-mt", "opus-mt-separate", "m2m100", "nllb", "pegasus"]

/// One fixture: the model folder and its `reference.json`.
struct Fixture {
    let name: String
    let directory: URL
    let reference: [String: Any]

    init(_ name: String) throws {
        self.name = name
        directory = fixturesDirectory.appendingPathComponent(name)
        let data = try Data(contentsOf: directory.appendingPathComponent("reference.json"))
        reference = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    var teacherForced: [[String: Any]] { reference["teacher_forced"] as? [[String: Any]] ?? [] }
    var generation: [[String: Any]] { reference["generation"] as? [[String: Any]] ?? [] }
}

func ints(_ value: Any?) -> [Int] { (value as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue ?? Int.min } }
func intRows(_ value: Any?) -> [[Int]] { (value as? [Any] ?? []).map(ints) }
func floats(_ value: Any?) -> [Float] { (value as? [Any] ?? []).map { ($0 as? NSNumber)?.floatValue ?? .nan } }

/// Each row of `padded` cut to the ones of its attention mask (right padding).
func unpadded(_ padded: [[Int]], mask: [[Int]]) -> [[Int]] {
    zip(padded, mask).map { row, m in Array(row.prefix(m.reduce(0, +))) }
}

/// The generation options of a reference case: the folder's `generation_config.json` with the
/// case's keyword arguments over it.
func generationOptions(_ model: Seq2SeqModel, kwargs: [String: Any]) throws -> GenerationConfig {
    let generationFile = model.directory.appendingPathComponent("generation_config.json")
    var base: [String: Any] = [:]
    if let data = try? Data(contentsOf: generationFile), let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
        base = json
    }
    base.merge(kwargs) { _, new in new }
    return try GenerationConfig(json: JSONValue(jsonObject: base), modelConfig: model.config.object)
}
