// End-to-end tests of the `seq2seq` binary: outputs per CONTRACT.md, exit codes, and one
// clear line for every kind of bad input.
import Foundation
import Seq2Seq
import XCTest

/// The built `seq2seq` next to the test bundle.
let binary = Bundle.main.bundleURL.appendingPathComponent("seq2seq")
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

struct RunResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

func runCLI(_ arguments: [String], stdin: Data? = nil, executable: URL = binary) throws -> RunResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return RunResult(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                     stderr: String(decoding: e, as: UTF8.self))
}

final class CLITests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// A copy of a fixture model folder that a test may damage.
    func copyOfFixture(_ name: String) throws -> URL {
        let target = scratch.appendingPathComponent(name)
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: target)
        return target
    }

    /// Asserts exit code 3 and a single stderr line containing every fragment.
    func assertBadInput(_ result: RunResult, mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 3, "stderr: \(result.stderr)", file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "expected one line, got: \(result.stderr)", file: file, line: line)
        for f in fragments { XCTAssertTrue(result.stderr.contains(f), "'\(f)' not in: \(result.stderr)", file: file, line: line) }
        XCTAssertFalse(result.stderr.contains("Fatal error"), file: file, line: line)
    }

    func referenceCase(_ model: String, _ caseName: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(model).appendingPathComponent("reference.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(json["generation"] as? [[String: Any]])
        return try XCTUnwrap(cases.first { $0["name"] as? String == caseName }, "no case \(caseName)")
    }

    func testGenerateJSONMatchesReferenceBeamSearch() throws {
        for model in ["t5-v1_0", "bart", "marian"] {
            let c = try referenceCase(model, "beam4_return2")
            let source = try XCTUnwrap((c["source_ids"] as? [[Int]])?.first)
            let kwargs = try XCTUnwrap(c["kwargs"] as? [String: Any])
            let result = try runCLI(["generate", "--model", fixtures.appendingPathComponent(model).path,
                                  "--input-ids", source.map(String.init).joined(separator: " "),
                                  "--num-beams", "4", "--num-return-sequences", "2",
                                  "--max-new-tokens", "\(kwargs["max_new_tokens"] as? Int ?? 16)", "--json"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let sequences = try XCTUnwrap(object["sequences"] as? [[String: Any]])
            XCTAssertEqual(sequences.map { $0["ids"] as? [Int] ?? [] }, c["ids"] as? [[Int]], model)
            let scores = try XCTUnwrap(c["scores"] as? [Double])
            for (s, want) in zip(sequences, scores) {
                XCTAssertEqual(s["score"] as? Double ?? .nan, want, accuracy: 1e-4, model)
            }
        }
    }

    func testGenerateReadsIdsFromStandardInputInOrder() throws {
        let model = fixtures.appendingPathComponent("bart").path
        let one = try runCLI(["generate", "--model", model, "--input-ids", "5 6 7 2", "--max-new-tokens", "5"])
        let two = try runCLI(["generate", "--model", model, "--input-ids", "9 10 11 12 13 2", "--max-new-tokens", "5"])
        let both = try runCLI(["generate", "--model", model, "--input-ids", "-", "--max-new-tokens", "5"],
                           stdin: Data("5 6 7 2\n9 10 11 12 13 2\n".utf8))
        XCTAssertEqual(both.status, 0, both.stderr)
        XCTAssertEqual(both.stdout, one.stdout + two.stdout)
    }

    func testScoreJSON() throws {
        let result = try runCLI(["score", "--model", fixtures.appendingPathComponent("marian").path,
                              "--source-ids", "5 6 7 0", "--target-ids", "8 9 0", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let tokens = try XCTUnwrap(object["token_log_probs"] as? [Double])
        XCTAssertEqual(tokens.count, 3)
        XCTAssertTrue(tokens.allSatisfy { $0 < 0 })
        XCTAssertEqual(object["log_prob"] as? Double ?? 0, tokens.reduce(0, +), accuracy: 1e-4)
        XCTAssertEqual(object["ids"] as? [Int], [8, 9, 0])
    }

    func testInspect() throws {
        let result = try runCLI(["inspect", "--model", fixtures.appendingPathComponent("t5-v1_1").path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("family: t5"), result.stdout)
        XCTAssertTrue(result.stdout.contains("activation: gelu_new (gated)"), result.stdout)
    }

    func testHelpPrintsUsageAndExitsZero() throws {
        for arguments in [["--help"], ["help", "translate"], ["evaluate", "--help"], ["transcribe", "-h"]] {
            let result = try runCLI(arguments)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("USAGE:"), "\(arguments): \(result.stdout)")
            XCTAssertEqual(result.stderr, "", "\(arguments)")
        }
    }

        func testUnknownFlagIsUsageError() throws {
        let result = try runCLI(["generate", "--model", "x", "--no-such-flag"])
        XCTAssertEqual(result.status, 2)
    }

    func testTruncatedSafetensors() throws {
        let dir = try copyOfFixture("bart")
        let file = dir.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: file)
        try data.prefix(data.count / 2).write(to: file)
        assertBadInput(try runCLI(["generate", "--model", dir.path, "--input-ids", "5 6 2"]), mentions: ["model.safetensors"])
    }

    /// A damaged tokenizer file is bad input naming it, not "no tokenizer" (a usage error) or
    /// silently ignored.
    func testCorruptTokenizerFilesAreNamed() throws {
        for name in ["tokenizer.json", "tokenizer_config.json"] {
            let dir = try copyOfFixture("bart")
            defer { try? FileManager.default.removeItem(at: dir) }
            try Data("{\"truncated\": ".utf8).write(to: dir.appendingPathComponent(name))
            assertBadInput(try runCLI(["generate", "--model", dir.path, "Hello"]), mentions: [name])
            assertBadInput(try runCLI(["translate", "--model", dir.path, "Hello"]), mentions: [name])
        }
    }

    func testCorruptSafetensorsHeader() throws {
        let dir = try copyOfFixture("bart")
        let file = dir.appendingPathComponent("model.safetensors")
        var data = try Data(contentsOf: file)
        data.replaceSubrange(8..<16, with: Data("not json".utf8))
        try data.write(to: file)
        assertBadInput(try runCLI(["inspect", "--model", dir.path]), mentions: ["model.safetensors"])
    }

    func testHeaderOffsetsOutsideFile() throws {
        let dir = try copyOfFixture("t5-v1_0")
        let file = dir.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: file)
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var header = try XCTUnwrap(JSONSerialization.jsonObject(with: data[8..<(8 + headerLength)]) as? [String: Any])
        let name = try XCTUnwrap(header.keys.first { $0 != "__metadata__" })
        var entry = try XCTUnwrap(header[name] as? [String: Any])
        let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
        entry["data_offsets"] = [offsets[0] + 1_000_000_000, offsets[1] + 1_000_000_000]
        header[name] = entry
        let json = try JSONSerialization.data(withJSONObject: header)
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(data[(8 + headerLength)...])
        try out.write(to: file)
        assertBadInput(try runCLI(["inspect", "--model", dir.path]), mentions: ["model.safetensors"])
    }

    func testUnknownFamily() throws {
        let dir = try copyOfFixture("bart")
        let file = dir.appendingPathComponent("config.json")
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "\"model_type\": \"bart\"", with: "\"model_type\": \"perceiver\"")
        try text.write(to: file, atomically: true, encoding: .utf8)
        assertBadInput(try runCLI(["inspect", "--model", dir.path]), mentions: ["config.json", "perceiver"])
    }

    func testMissingWeight() throws {
        let dir = try copyOfFixture("marian")
        let file = dir.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: file)
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var header = try XCTUnwrap(JSONSerialization.jsonObject(with: data[8..<(8 + headerLength)]) as? [String: Any])
        let victim = "model.decoder.layers.1.fc2.weight"
        XCTAssertNotNil(header.removeValue(forKey: victim))
        // A well-formed file without the weight: the others rewritten whole (a header entry
        // merely removed leaves a gap in the data, which the reader refuses as corrupt).
        let original = try SafetensorsFile(path: file.path)
        let kept = try header.keys.filter { $0 != "__metadata__" }.map { name in
            SafetensorsWriter.Item(name: name, shape: try XCTUnwrap(original.entries[name]).shape, values: try original.floatTensor(name).values)
        }
        try SafetensorsWriter.write(kept, to: file)
        assertBadInput(try runCLI(["inspect", "--model", dir.path]), mentions: ["model.safetensors", victim])
    }

    func testIdsOutsideVocabulary() throws {
        let result = try runCLI(["generate", "--model", fixtures.appendingPathComponent("t5-v1_0").path, "--input-ids", "5 999999 1"])
        assertBadInput(result, mentions: ["999999", "vocabulary"])
    }

    func testMissingModelFolder() throws {
        assertBadInput(try runCLI(["inspect", "--model", scratch.appendingPathComponent("nope").path]), mentions: ["nope"])
    }
}
