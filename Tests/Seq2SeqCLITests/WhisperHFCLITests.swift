// `seq2seq generate --input-features` and `seq2seq transcribe` on Hugging Face Whisper folders
// (Tests/Fixtures/whisper-hf, whisper-hf-128; scripts/make_whisper_hf_fixture.py): the ids
// transformers 5.24's `WhisperForConditionalGeneration.generate` returns, the same output as on
// CTranslate2's conversion of the same weights (whisper-hf-ct2), and one line with exit status 3
// for a damaged folder.
import Foundation
import XCTest

final class WhisperHFCLITests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-whisper-hf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { if let scratch { try? FileManager.default.removeItem(at: scratch) } }

    private func folder(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    private func reference(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: folder(name).appendingPathComponent("reference.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The fixture's input features as a float32 [mels, 3000] .npy file: the stored frames, then
    /// the last one repeated (transformers' padding of the clip to 30 s).
    private func featuresFile(_ name: String) throws -> String {
        let stored = try Data(contentsOf: folder(name).appendingPathComponent("input_features.first208.npy"))
        // The stored file is numpy's version 1.0 layout: 10 bytes, the header, float32 data.
        let headerLength = Int(stored[8]) | Int(stored[9]) << 8
        let header = String(decoding: stored[10..<(10 + headerLength)], as: UTF8.self)
        let shape = try XCTUnwrap(header.range(of: #"\((\d+), (\d+)\)"#, options: .regularExpression).map { header[$0] })
        let dims = shape.dropFirst().dropLast().split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        XCTAssertEqual(dims.count, 2)
        let (mels, kept, frames) = (dims[0], dims[1], 3000)
        let values = stored[(10 + headerLength)...].withUnsafeBytes { raw in
            (0..<(mels * kept)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        var full: [Float] = []
        full.reserveCapacity(mels * frames)
        for m in 0..<mels { for t in 0..<frames { full.append(values[m * kept + min(t, kept - 1)]) } }
        var text = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(mels), \(frames)), }"
        while (10 + text.utf8.count + 1) % 64 != 0 { text += " " }
        text += "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(text.utf8.count & 0xFF), UInt8(text.utf8.count >> 8)])
        data.append(Data(text.utf8))
        full.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        let url = scratch.appendingPathComponent("\(name).npy")
        try data.write(to: url)
        return url.path
    }

    private func generate(_ model: String, features: String, prefix: [Int], beams: Int, maxNewTokens: Int) throws -> [String: Any] {
        let result = try runCLI(["generate", "--model", folder(model).path, "--input-features", features,
                                 "--decoder-prefix-ids", prefix.map(String.init).joined(separator: " "),
                                 "--num-beams", "\(beams)", "--max-new-tokens", "\(maxNewTokens)", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try XCTUnwrap((object["sequences"] as? [[String: Any]])?.first)
    }

    func testGenerateFromFeaturesMatchesTransformers() throws {
        var compared = 0
        for name in ["whisper-hf", "whisper-hf-128"] {
            let features = try featuresFile(name)
            for run in try reference(name)["generation"] as? [[String: Any]] ?? [] {
                let sequence = intList(run["sequence"]), expected = intList(run["ids"])
                let eos = name == "whisper-hf" ? 50257 : 100
                let ended = sequence.last == eos
                let prompt = Array(sequence.prefix(sequence.count - expected.count - (ended ? 1 : 0)))
                let beams = try XCTUnwrap(run["num_beams"] as? Int), limit = try XCTUnwrap(run["max_new_tokens"] as? Int)
                let ours = try generate(name, features: features, prefix: Array(prompt.dropFirst()), beams: beams, maxNewTokens: limit)
                XCTAssertEqual(intList(ours["ids"]), expected + (ended ? [eos] : []), "\(name) \(run["name"] ?? "")")
                if let score = run["sequences_score"] as? Double {
                    XCTAssertEqual(try XCTUnwrap(ours["score"] as? Double), score, accuracy: 1e-4)
                }
                if name == "whisper-hf" {  // the CTranslate2 conversion of the same weights: the same output
                    let converted = try generate("whisper-hf-ct2", features: features, prefix: Array(prompt.dropFirst()),
                                                 beams: beams, maxNewTokens: limit)
                    XCTAssertEqual(intList(converted["ids"]), intList(ours["ids"]))
                    XCTAssertEqual(converted["score"] as? Double, ours["score"] as? Double)
                    XCTAssertEqual(converted["text"] as? String, ours["text"] as? String)
                }
                compared += 1
            }
        }
        XCTAssertEqual(compared, 6)
    }

    func testTranscribeGivesTheSameJSONAsTheCTranslate2Conversion() throws {
        let audio = fixtures.appendingPathComponent("audio/pcm16_mono_16k.wav").path
        for options in [["--beam-size", "1", "--temperature", "0", "--word-timestamps"],
                        ["--language", "fr", "--task", "translate", "--beam-size", "2", "--temperature", "0,0.5"]] {
            let hf = try runCLI(["transcribe", "--model", folder("whisper-hf").path, audio, "--format", "json"] + options)
            let ct2 = try runCLI(["transcribe", "--model", folder("whisper-hf-ct2").path, audio, "--format", "json"] + options)
            XCTAssertEqual(hf.status, 0, hf.stderr)
            XCTAssertEqual(ct2.status, 0, ct2.stderr)
            XCTAssertTrue(hf.stdout.contains("\"segments\":[{"), hf.stdout)
            XCTAssertEqual(hf.stdout, ct2.stdout, "\(options)")
        }
    }

    /// A damaged Hugging Face Whisper folder: exit status 3, one line naming the file at fault.
    func testDamagedFolderIsOneLineAndExitThree() throws {
        let source = folder("whisper-hf")
        let audio = fixtures.appendingPathComponent("audio/pcm16_mono_16k.wav").path
        let weights = try Data(contentsOf: source.appendingPathComponent("model.safetensors"))
        let headerLength = weights.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        let header = String(decoding: weights[8..<(8 + headerLength)], as: UTF8.self)
        // conv2's weight declared [8, 4, 6] instead of [8, 8, 3]: the same bytes, the wrong shape.
        let misshaped = header.replacingOccurrences(of: #""model.encoder.conv2.weight":{"dtype":"F16","shape":[8,8,3]"#,
                                                    with: #""model.encoder.conv2.weight":{"dtype":"F16","shape":[8,4,6]"#)
        XCTAssertNotEqual(misshaped, header, "the fixture's header layout changed")
        var reshaped = weights.prefix(8)
        reshaped.append(Data(misshaped.utf8))
        reshaped.append(weights[(8 + headerLength)...])
        func edited(_ file: String, _ change: (inout [String: Any]) -> Void) throws -> Data {
            var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent(file))) as? [String: Any])
            change(&object)
            return try JSONSerialization.data(withJSONObject: object)
        }
        let cases: [(name: String, file: String, data: Data, command: [String], mentions: [String])] = [
            ("truncated", "model.safetensors", weights.prefix(weights.count / 2), ["generate", "--input-ids", "1"], ["model.safetensors"]),
            ("misshaped", "model.safetensors", reshaped, ["transcribe", audio], ["model.safetensors", "model.encoder.conv2.weight"]),
            ("config-json", "config.json", Data("{\"model_type\": \"whisper\", ".utf8), ["transcribe", audio], ["config.json"]),
            ("mel-bins", "preprocessor_config.json", try edited("preprocessor_config.json") { $0["feature_size"] = 128 },
             ["transcribe", audio], ["preprocessor_config.json", "feature_size"]),
            ("hop", "preprocessor_config.json", try edited("preprocessor_config.json") { $0["hop_length"] = 320 },
             ["transcribe", audio], ["preprocessor_config.json", "hop_length"]),
            ("suppress", "generation_config.json", try edited("generation_config.json") { $0["suppress_tokens"] = "none" },
             ["transcribe", audio], ["generation_config.json", "suppress_tokens"]),
            ("heads", "generation_config.json", try edited("generation_config.json") { $0["alignment_heads"] = [1, 0] },
             ["transcribe", audio], ["generation_config.json", "alignment_heads"]),
        ]
        for c in cases {
            let damaged = scratch.appendingPathComponent(c.name)
            try FileManager.default.createDirectory(at: damaged, withIntermediateDirectories: true)
            for file in ["config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json", "model.safetensors"]
            where file != c.file {
                try FileManager.default.createSymbolicLink(at: damaged.appendingPathComponent(file), withDestinationURL: source.appendingPathComponent(file))
            }
            try c.data.write(to: damaged.appendingPathComponent(c.file))
            let command = [c.command[0], "--model", damaged.path] + c.command.dropFirst()
            let result = try runCLI(command)
            XCTAssertEqual(result.status, 3, "\(c.name): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(c.name): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(damaged.lastPathComponent + "/"), "\(c.name): \(result.stderr)")
            for fragment in c.mentions { XCTAssertTrue(result.stderr.contains(fragment), "\(c.name): '\(fragment)' not in \(result.stderr)") }
        }
    }
}

private func intList(_ value: Any?) -> [Int] { (value as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue ?? Int.min } }
