// `seq2seq transcribe` end to end: formats, output folder, and one clear line (exit 3) for
// every kind of bad audio or model folder; silence gives an empty transcript. Needs Whisper
// tiny.en (scripts/fetch_whisper_models.sh); skipped otherwise.
import Foundation
import XCTest

final class TranscribeCLITests: XCTestCase {
    var whisper: URL!
    private var scratch: URL!

    override func tearDownWithError() throws { if let scratch { try? FileManager.default.removeItem(at: scratch) } }

    /// Asserts exit code 3 and a single stderr line containing every fragment.
    private func assertBadInput(_ result: RunResult, mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 3, "stderr: \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "expected one line, got: \(result.stderr)", file: file, line: line)
        for f in fragments { XCTAssertTrue(result.stderr.contains(f), "'\(f)' not in: \(result.stderr)", file: file, line: line) }
    }

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-transcribe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let root = fixtures.deletingLastPathComponent().deletingLastPathComponent()
        let folder = (ProcessInfo.processInfo.environment["SEQ2SEQ_WHISPER_MODELS"].map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent("models")).appendingPathComponent("whisper-tiny.en")
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.bin").path) else {
            throw XCTSkip("Whisper tiny.en not fetched: run scripts/fetch_whisper_models.sh")
        }
        whisper = folder
    }

    /// A 16-bit PCM WAV header (44 bytes) followed by `payload`.
    private func wav(channels: Int, rate: Int = 16_000, dataSize: Int? = nil, payload: Data) -> Data {
        var d = Data("RIFF".utf8)
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { d.append(contentsOf: $0) } }
        u32(36 + payload.count)
        d.append(Data("WAVEfmt ".utf8))
        u32(16); u16(1); u16(channels); u32(rate); u32(rate * max(channels, 1) * 2); u16(max(channels, 1) * 2); u16(16)
        d.append(Data("data".utf8))
        u32(dataSize ?? payload.count)
        d.append(payload)
        return d
    }

    private func write(_ name: String, _ data: Data) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    func testBadAudioIsOneLineAndExitThree() throws {
        let speech = try Data(contentsOf: URL(fileURLWithPath: fixtures.appendingPathComponent("audio/pcm16_mono_16k.wav").path))
        let cases: [(String, Data)] = [
            ("truncated.wav", speech.prefix(30)),
            ("not-audio.wav", Data("this is not a WAV file at all, just text\n".utf8)),
            ("empty.wav", Data()),
            ("zero-channels.wav", wav(channels: 0, payload: Data(count: 3200))),
            ("absurd-size.wav", wav(channels: 1, dataSize: 0x7FFF_FFF0, payload: Data(count: 3200))),
        ]
        for (name, data) in cases {
            let path = try write(name, data)
            let result = try runCLI(["transcribe", "--model", whisper.path, "--beam-size", "1", path])
            assertBadInput(result, mentions: [name])
        }
    }

    func testModelFolderMissingFilesIsOneLineAndExitThree() throws {
        for missing in ["tokenizer.json", "model.bin", "config.json"] {
            let folder = scratch.appendingPathComponent("no-" + missing)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for file in ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"] where file != missing {
                try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(file),
                                                           withDestinationURL: whisper.appendingPathComponent(file))
            }
            let audio = fixtures.appendingPathComponent("audio/pcm16_mono_16k.wav").path
            assertBadInput(try runCLI(["transcribe", "--model", folder.path, audio]), mentions: [folder.lastPathComponent])
        }
    }

    func testSilenceGivesAnEmptyTranscript() throws {
        let path = try write("silence.wav", wav(channels: 1, payload: Data(count: 16_000 * 2 * 8)))
        let result = try runCLI(["transcribe", "--model", whisper.path, "--format", "json", path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["text"] as? String, "")
        XCTAssertEqual((json["segments"] as? [Any])?.count, 0)
    }

    func testFormatsAndOutputFolder() throws {
        let audio = "/usr/share/pocketsphinx/test/data/cards/001.wav"
        guard FileManager.default.fileExists(atPath: audio) else { throw XCTSkip("pocketsphinx-testdata not installed") }
        let out = scratch.appendingPathComponent("out")
        for format in ["txt", "json", "srt", "vtt"] {
            let result = try runCLI(["transcribe", "--model", whisper.path, "--beam-size", "1", "--format", format,
                                     "--word-timestamps", "--output-dir", out.path, audio])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stdout, "")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(files, ["001.json", "001.srt", "001.txt", "001.vtt"])
        let read = { (name: String) in try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8) }
        XCTAssertEqual(try read("001.txt"), "10 of clubs.\n")
        XCTAssertEqual(try read("001.srt"), "1\n00:00:00,000 --> 00:00:00,780\n10 of clubs.\n\n")
        XCTAssertEqual(try read("001.vtt"), "WEBVTT\n\n00:00.000 --> 00:00.780\n10 of clubs.\n\n")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try read("001.json").utf8)) as? [String: Any])
        XCTAssertEqual(json["language"] as? String, "en")
        let words = try XCTUnwrap(((json["segments"] as? [[String: Any]])?.first?["words"]) as? [[String: Any]])
        XCTAssertEqual(words.map { $0["word"] as? String ?? "" }, [" 10", " of", " clubs."])
    }
}
