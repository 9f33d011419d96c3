// The README's Swift example is this file's `readmeExample()`, line for line: one test keeps
// the two the same, another runs it (when the real models are fetched), and errors of the
// Swift API say what is wrong through `localizedDescription`.
import Foundation
import Seq2Seq
import XCTest

final class ReadmeExampleTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The README's example; the lines between the markers are compared with the README.
    private func readmeExample() async throws {
        // README BEGIN
        let model = try Seq2SeqModel(directory: URL(fileURLWithPath: "Tests/Fixtures/bart"))
        var options = model.generationDefaults          // generation_config.json
        options.numBeams = 4
        let hypotheses = try model.generate(sources: [[5, 6, 7, 8, 2]], options: options)
        print(hypotheses[0][0].ids, hypotheses[0][0].score ?? 0)

        let scores = try model.score(source: [5, 6, 7, 8, 2], target: [9, 10, 2])
        print(scores.tokenLogProbs)

        let translator = try Translator(directory: URL(fileURLWithPath: "models/firefox/enpt"))
        let results = try await translator.translate(["The green house."])   // off the cooperative pool; cancellable
        print(results[0].text)                          // "A casa verde."

        let bleu = try BLEU().corpusScore(hypotheses: [results[0].text], references: [["A casa verde."]])
        print(bleu)                                     // BLEU = 100.00 100.0/100.0/100.0/100.0 (…)

        let transcriber = try Transcriber(directory: URL(fileURLWithPath: "models/whisper-base"))
        var speech = TranscriptionOptions()              // faster-whisper's defaults
        speech.wordTimestamps = true
        let transcript = try transcriber.transcribe(path: "talk.wav", options: speech)
        print(transcript.language, TranscriptFormat.srt.render(transcript))
        // README END
        XCTAssertEqual(results[0].text, "A casa verde.")
        XCTAssertEqual(bleu.score, 100, accuracy: 1e-9)
    }

    func testReadmeBlockIsThisCode() throws {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let api = try XCTUnwrap(readme.range(of: "## Swift API\n\n```swift\n"), "README has no Swift API block")
        let block = readme[api.upperBound...]
        let code = String(block[..<block.range(of: "```")!.lowerBound])
            .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("import ") }
            .drop { $0.isEmpty }.joined(separator: "\n")
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let begin = try XCTUnwrap(source.range(of: "// README BEGIN\n")), end = try XCTUnwrap(source.range(of: "        // README END"))
        let tested = source[begin.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("        ") ? String($0.dropFirst(8)) : String($0) }.joined(separator: "\n")
        XCTAssertEqual(code, tested, "README.md's Swift example and readmeExample() differ")
    }

    func testReadmeExampleRuns() async throws {
        let models = root.appendingPathComponent("models")
        for needed in ["firefox/enpt", "whisper-base/model.bin"] where !FileManager.default.fileExists(atPath: models.appendingPathComponent(needed).path) {
            throw XCTSkip("models/\(needed) not fetched (scripts/fetch_firefox_models.sh, scripts/fetch_whisper_models.sh)")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("Tests"), withDestinationURL: root.appendingPathComponent("Tests"))
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("models"), withDestinationURL: models)
        try silence(seconds: 2).write(to: folder.appendingPathComponent("talk.wav"))
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder.path))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try await readmeExample()
    }

    func testCancelledTranslationStops() async throws {
        let translator = try Translator(directory: root.appendingPathComponent("Tests/Fixtures/bart"))
        var options = TranslationOptions(beamSize: 4, maxLength: 20, batchSize: 1)
        options.splitSentences = false
        let task = Task { try await translator.translate(Array(repeating: "Hello there, how are you?", count: 400), options: options) }
        task.cancel()
        do {
            _ = try await task.value
            XCTFail("a cancelled translation of 400 batches finished")
        } catch is CancellationError {}
    }

    func testErrorsSayWhatIsWrongThroughLocalizedDescription() {
        let missing = root.appendingPathComponent("no-such-model").path
        XCTAssertThrowsError(try Seq2SeqModel(directory: URL(fileURLWithPath: missing))) { error in
            XCTAssertTrue(error.localizedDescription.contains(missing), error.localizedDescription)
            XCTAssertFalse(error.localizedDescription.contains("could not be completed"), error.localizedDescription)
        }
        XCTAssertThrowsError(try WAVFile(path: missing)) { error in
            XCTAssertTrue(error.localizedDescription.contains("no such file"), error.localizedDescription)
        }
    }

    /// A 16 kHz mono 16-bit WAV of zeros.
    private func silence(seconds: Int) -> Data {
        let bytes = 32_000 * seconds
        var d = Data("RIFF".utf8)
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { d.append(contentsOf: $0) } }
        u32(36 + bytes); d += Data("WAVEfmt ".utf8); u32(16); u16(1); u16(1); u32(16_000); u32(32_000); u16(2); u16(16)
        d += Data("data".utf8); u32(bytes); d += Data(count: bytes)
        return d
    }
}
