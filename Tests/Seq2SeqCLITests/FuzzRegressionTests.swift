// Regression tests for what a fuzz campaign through the CLI found: sizes from files and flags
// that crashed or allocated without bound, and corrupt settings accepted with exit 0. Each
// must now be one line on standard error, exit 3 (bad data) or 2 (bad usage), and no crash.
import Foundation
import Seq2Seq
import XCTest

extension CLITests {
    /// A copy of fixture `name` whose `file` (a JSON object) gets `changes` merged in.
    func fixture(_ name: String, editing file: String = "config.json", _ changes: [String: Any]) throws -> URL {
        let dir = try copyOfFixture(name)
        let url = dir.appendingPathComponent(file)
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        object.merge(changes) { _, new in new }
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return dir
    }

    func testAbsurdSizesInConfigAreRefusedBeforeAllocating() throws {
        let cases: [(String, [String: Any], String)] = [
            ("bart", ["encoder_layers": 1_000_000_000], "encoder layer count"),
            ("bart", ["decoder_layers": 1_000_000_000], "decoder layer count"),
            ("marian", ["max_position_embeddings": 1_000_000_000], "position count"),
            ("bart", ["vocab_size": 1 << 40], "vocabulary size"),
            ("t5-v1_0", ["num_decoder_layers": -1], "decoder layer count"),
            ("t5-v1_0", ["relative_attention_max_distance": -1], "relative_attention_max_distance"),
            ("t5-v1_0", ["relative_attention_num_buckets": 0], "relative_attention_num_buckets"),
        ]
        for (name, change, words) in cases {
            let dir = try fixture(name, change)
            assertBadInput(try runCLI(["generate", "--model", dir.path, "--input-ids", "5 6 2"]), mentions: ["config.json", words])
            try FileManager.default.removeItem(at: dir)
        }
    }

    func testBeamCountsBeyondTheLimitAreRefused() throws {
        let dir = try fixture("bart", editing: "generation_config.json", ["num_beams": 1_000_000_000])
        assertBadInput(try runCLI(["generate", "--model", dir.path, "--input-ids", "5 6 2"]), mentions: ["num_beams"])
        let bart = fixtures.appendingPathComponent("bart").path
        for beams in ["100000", "1000000000"] {
            let result = try runCLI(["generate", "--model", bart, "--input-ids", "5 6 2", "--num-beams", beams])
            XCTAssertNotEqual(result.status, 0, result.stdout)
            XCTAssertTrue(result.stderr.contains("num_beams"), result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
    }

    func testNegativeMaxNewTokensIsRefused() throws {
        let result = try runCLI(["generate", "--model", fixtures.appendingPathComponent("bart").path, "--input-ids", "5 6 2", "--max-new-tokens=-1"])
        XCTAssertNotEqual(result.status, 0, result.stdout)
        XCTAssertTrue(result.stderr.contains("max_new_tokens"), result.stderr)
    }

    func testThreadCountsOutsideTheLimitAreUsageErrors() throws {
        for threads in ["0", "4096"] {
            let result = try runCLI(["generate", "--model", fixtures.appendingPathComponent("bart").path, "--input-ids", "5 6 2", "--threads", threads])
            XCTAssertEqual(result.status, 2, result.stderr)
            XCTAssertTrue(result.stderr.contains("--threads"), result.stderr)
        }
    }

    func testOverlongSourceForAModelWithoutPositionLimit() throws {
        let ids = Array(repeating: "5", count: TransformerSpec.unboundedSourceLimit + 1).joined(separator: " ") + " 1"
        assertBadInput(try runCLI(["generate", "--model", fixtures.appendingPathComponent("t5-v1_0").path, "--input-ids", ids]),
                       mentions: ["longer than the \(TransformerSpec.unboundedSourceLimit)"])
    }

    func testTokenizerIdsOutsideTheVocabularyRangeAreRefused() throws {
        for id in [-5, 1 << 40] {
            let dir = try copyOfFixture("bart")
            let url = dir.appendingPathComponent("tokenizer.json")
            var root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            var model = try XCTUnwrap(root["model"] as? [String: Any])
            var vocab = try XCTUnwrap(model["vocab"] as? [String: Any])
            vocab["zzz-broken"] = id
            model["vocab"] = vocab
            root["model"] = model
            try JSONSerialization.data(withJSONObject: root).write(to: url)
            assertBadInput(try runCLI(["tokenize", "--model", dir.path, "hello"]), mentions: ["tokenizer.json", "\(id)"])
            try FileManager.default.removeItem(at: dir)
        }
    }

    func testShortSafetensorsHeaderLengthIsCorrupt() throws {
        // The header is padded with spaces; storing its length one byte short still parses as
        // JSON, but every tensor would be read one byte off.
        let dir = try copyOfFixture("bart")
        let file = dir.appendingPathComponent("model.safetensors")
        var data = try Data(contentsOf: file)
        let length = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual(data[8 + Int(length) - 1], 0x20, "the fixture's header should end in padding")
        withUnsafeBytes(of: (length - 1).littleEndian) { data.replaceSubrange(0..<8, with: $0) }
        try data.write(to: file)
        assertBadInput(try runCLI(["inspect", "--model", dir.path]), mentions: ["model.safetensors", "data region"])
    }
}

extension CLITests {
    func testInvalidUTF8ArgumentIsBadInput() throws {
        // Process passes arguments as Swift strings; a shell passes the raw bytes.
        let result = try runCLI(["-c", "exec \"$0\" tokenize --model \"$1\" \"$(printf 'caf\\351')\"", binary.path,
                                 fixtures.appendingPathComponent("bart").path], executable: URL(fileURLWithPath: "/bin/sh"))
        assertBadInput(result, mentions: ["argument 4", "UTF-8"])
    }
}

extension TranscribeCLITests {
    /// A fuzz find: `--input-features` of zero frames was accepted.
    func testZeroFrameInputFeaturesAreBadInput() throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (80, 0), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var npy = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { npy.append(contentsOf: $0) }
        npy.append(Data(header.utf8))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try npy.write(to: url)
        let result = try runCLI(["generate", "--model", whisper.path, "--input-features", url.path])
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.contains("0 frames"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }
}

extension CLITests {
    func testRefusedGenerationSettingNamesTheFile() throws {
        let dir = try fixture("opus-mt", editing: "generation_config.json", ["num_beam_groups": 2, "diversity_penalty": 0.5])
        assertBadInput(try runCLI(["translate", "--model", dir.path, "Hello"]), mentions: ["generation_config.json", "num_beam_groups"])
    }
}
