// Parity with faster-whisper 1.2.1 (CTranslate2, float32) on real speech:
// Tests/Fixtures/whisper/reference.{tiny.en,base}.jsonl (scripts/make_whisper_reference.py)
// against our transcription of the same samples with the same options (greedy, temperature 0,
// everything else at faster-whisper's defaults). Needs the models (scripts/fetch_whisper_models.sh,
// or SEQ2SEQ_WHISPER_MODELS=DIR holding whisper-tiny.en/ and whisper-base/) and the clips
// (scripts/fetch_speech_data.sh); skipped with a message otherwise.
import Foundation
import Seq2Seq
import XCTest

final class WhisperParityTests: XCTestCase {
    private static let root = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()

    private static func modelFolder(_ name: String) -> URL? {
        let base = ProcessInfo.processInfo.environment["SEQ2SEQ_WHISPER_MODELS"].map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent("models")
        let folder = base.appendingPathComponent("whisper-\(name)")
        return FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.bin").path) ? folder : nil
    }

    /// The samples of a clip id, built as the reference script builds them.
    static func samples(_ clip: String) throws -> [Float] {
        let (kind, rest) = (String(clip.prefix { $0 != ":" }), String(clip.drop { $0 != ":" }.dropFirst()))
        switch kind {
        case "pocketsphinx":
            let path = "/usr/share/pocketsphinx/test/data/" + rest
            return path.hasSuffix(".raw") ? try AudioDecoder.readRawPCM16(path: path, sampleRate: 16_000)
                                          : try AudioDecoder.load(path: path)
        case "audioeval":
            return try AudioDecoder.load(path: root.appendingPathComponent(".cache/speech/audioeval/" + rest).path)
        case "concat":
            return try rest.split(separator: "|").flatMap { try samples(String($0)) }
        case "silence":
            return [Float](repeating: 0, count: Int((Double(rest) ?? 0) * 16_000))
        default:
            throw TranscriptionError("unknown clip kind \(kind)")
        }
    }

    private func check(_ name: String, languageDetection: Bool) throws {
        guard let folder = Self.modelFolder(name) else {
            throw XCTSkip("Whisper \(name) not fetched: run scripts/fetch_whisper_models.sh")
        }
        guard FileManager.default.fileExists(atPath: "/usr/share/pocketsphinx/test/data/librivox"),
              FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(".cache/speech/audioeval").path) else {
            throw XCTSkip("speech clips not fetched: run scripts/fetch_speech_data.sh")
        }
        let transcriber = try Transcriber(directory: folder)
        var options = TranscriptionOptions()
        options.beamSize = 1
        options.temperatures = [0]
        options.silencePeakThreshold = nil  // decode every window, as faster-whisper does
        let url = fixturesDirectory.appendingPathComponent("whisper/reference.\(name).jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        var words = options
        words.wordTimestamps = true
        var beam = options
        beam.beamSize = 5
        var identical = 0, languages = 0, timed = 0, wordCount = 0, wordError = 0.0, beamIdentical = 0, beamClips = 0
        for line in lines {
            let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let clip = try XCTUnwrap(reference["clip"] as? String)
            let result = try transcriber.transcribe(samples: try Self.samples(clip), options: options)
            let expected = reference["text"] as? String ?? ""
            if result.text == expected { identical += 1 } else { print("[\(name)] \(clip)\n  ours:   \(result.text)\n  theirs: \(expected)") }
            if result.language == reference["language"] as? String { languages += 1 } else {
                print("[\(name)] \(clip): language \(result.language), theirs \(reference["language"] ?? "")")
            }
            let spans = (reference["segments"] as? [[String: Any]] ?? []).map { ($0["start"] as? Double ?? -1, $0["end"] as? Double ?? -1) }
            if spans.count == result.segments.count,
               zip(spans, result.segments).allSatisfy({ abs($0.0 - $1.start) < 1e-6 && abs($0.1 - $1.end) < 1e-6 }) { timed += 1 }
            let referenceWords = reference["words"] as? [[String: Any]] ?? []
            let ours = try transcriber.transcribe(samples: try Self.samples(clip), options: words).segments.flatMap { $0.words ?? [] }
            if ours.map(\.word) == referenceWords.map({ $0["word"] as? String ?? "" }) {
                for (w, r) in zip(ours, referenceWords) {
                    wordError += abs(w.start - (r["start"] as? Double ?? 0)) + abs(w.end - (r["end"] as? Double ?? 0))
                    wordCount += 2
                }
            }
            if let expectedBeam = reference["text_beam5"] as? String {
                beamClips += 1
                let text = try transcriber.transcribe(samples: try Self.samples(clip), options: beam).text
                if text == expectedBeam { beamIdentical += 1 } else { print("[\(name) beam 5] \(clip)\n  ours:   \(text)\n  theirs: \(expectedBeam)") }
            }
            if clip.hasPrefix("silence") { XCTAssertEqual(result.text, "", "silence must give an empty transcript") }
        }
        let n = lines.count
        let meanWordError = wordError / Double(max(wordCount, 1))
        print("[\(name)] identical transcripts \(identical)/\(n), same segment times \(timed)/\(n), language agreement \(languages)/\(n), "
              + "word start/end mean abs difference \(meanWordError) s over \(wordCount / 2) words, "
              + "beam 5 identical \(beamIdentical)/\(beamClips)")
        XCTAssertGreaterThanOrEqual(Double(beamIdentical), 0.95 * Double(beamClips), "beam 5: fewer than 95% identical transcripts")
        XCTAssertLessThan(meanWordError, 0.1, "word timestamps differ from faster-whisper's by 0.1 s or more on average")
        XCTAssertGreaterThanOrEqual(Double(identical), 0.95 * Double(n), "fewer than 95% identical transcripts")
        if languageDetection { XCTAssertEqual(languages, n, "language detection disagrees with faster-whisper") }
    }

    func testTinyEnglishMatchesFasterWhisper() throws { try check("tiny.en", languageDetection: false) }

    func testBaseMatchesFasterWhisper() throws { try check("base", languageDetection: true) }
}

extension WhisperParityTests {
    /// faster-whisper's `non_speech_tokens` computed with our tokenizer equal the suppressed set
    /// CTranslate2's converter stored in `config.json` (`suppress_ids`, special tokens aside).
    /// `--initial-prompt` and `--no-condition-on-previous-text` give faster-whisper's transcripts
    /// (Tests/Fixtures/whisper/prompted.NAME.jsonl): the prompt changes "10 of clubs." into
    /// "Ten of Clubs.", so a prompt that is ignored or misplaced fails.
    func testPromptingMatchesFasterWhisper() throws {
        for name in ["tiny.en", "base"] {
            guard let folder = Self.modelFolder(name) else { throw XCTSkip("Whisper \(name) not fetched") }
            guard FileManager.default.fileExists(atPath: "/usr/share/pocketsphinx/test/data/cards") else {
                throw XCTSkip("pocketsphinx-testdata not installed")
            }
            let transcriber = try Transcriber(directory: folder)
            let url = fixturesDirectory.appendingPathComponent("whisper/prompted.\(name).jsonl")
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let clip = try XCTUnwrap(reference["clip"] as? String), given = reference["options"] as? [String: Any] ?? [:]
                var options = TranscriptionOptions()
                options.beamSize = 1
                options.temperatures = [0]
                options.silencePeakThreshold = nil
                options.initialPrompt = given["initial_prompt"] as? String
                if let condition = given["condition_on_previous_text"] as? Bool { options.conditionOnPreviousText = condition }
                let text = try transcriber.transcribe(samples: try Self.samples(clip), options: options).text
                XCTAssertEqual(text, reference["text"] as? String, "[\(name)] \(clip.prefix(60)) \(given)")
            }
        }
    }

    func testNonSpeechTokensMatchConverterConfig() throws {
        for name in ["tiny.en", "base"] {
            guard let folder = Self.modelFolder(name) else { throw XCTSkip("Whisper \(name) not fetched: run scripts/fetch_whisper_models.sh") }
            let transcriber = try Transcriber(directory: folder)
            let t = transcriber.tokens
            let specials: Set<Int> = [t.transcribe, t.translate, t.startOfTranscript, t.startOfPrevious, t.startOfLM, t.noSpeech]
            let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as? [String: Any])
            let stored = Set(try XCTUnwrap(config["suppress_ids"] as? [Int])).subtracting(specials)
            XCTAssertEqual(Set(t.nonSpeechTokens()), stored, name)
        }
    }
}
