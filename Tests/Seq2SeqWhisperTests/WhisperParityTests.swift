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
        try checkTextCases("prompted") { given, options in
            options.beamSize = 1
            options.initialPrompt = given["initial_prompt"] as? String
            if let condition = given["condition_on_previous_text"] as? Bool { options.conditionOnPreviousText = condition }
        }
    }

    /// The repetition penalty and no-repeat n-grams inside faster-whisper's own searches
    /// (Tests/Fixtures/whisper/penalties.NAME.jsonl, scripts/make_whisper_penalty_reference.py):
    /// greedy and beam 5, short clips and the long-form one whose windows are prompted with the
    /// previous text.
    func testPenaltiesMatchFasterWhisper() throws {
        try checkTextCases("penalties") { given, options in
            options.beamSize = given["beam_size"] as? Int ?? 5
            options.repetitionPenalty = (given["repetition_penalty"] as? NSNumber)?.floatValue ?? 1
            options.noRepeatNgramSize = given["no_repeat_ngram_size"] as? Int ?? 0
        }
    }

    /// Each line of Tests/Fixtures/whisper/SET.NAME.jsonl (`clip`, faster-whisper's `options`,
    /// its `text`) against our transcript at temperature 0 with those options applied by `apply`.
    private func checkTextCases(_ set: String, apply: ([String: Any], inout TranscriptionOptions) -> Void) throws {
        for name in ["tiny.en", "base"] {
            guard let folder = Self.modelFolder(name) else { throw XCTSkip("Whisper \(name) not fetched") }
            guard FileManager.default.fileExists(atPath: "/usr/share/pocketsphinx/test/data/cards") else {
                throw XCTSkip("pocketsphinx-testdata not installed")
            }
            let transcriber = try Transcriber(directory: folder)
            let url = fixturesDirectory.appendingPathComponent("whisper/\(set).\(name).jsonl")
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let clip = try XCTUnwrap(reference["clip"] as? String), given = reference["options"] as? [String: Any] ?? [:]
                var options = TranscriptionOptions()
                options.temperatures = [0]
                options.silencePeakThreshold = nil
                apply(given, &options)
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

extension WhisperParityTests {
    /// `transcribe(batch:)` — what the server runs for concurrent requests — gives each recording
    /// exactly what transcribing it alone gives: tiny.en on the 42 reference clips (short ones,
    /// silence) plus two recordings of over 30 s (several windows, prompts of different lengths)
    /// with beam 5 and the fallback ladder, then greedy with word timestamps; base on eight
    /// clips in six languages (detection per recording). Token ids, times and texts equal,
    /// scores within 1e-4.
    func testBatchedTranscriptionEqualsOneByOne() throws {
        for name in ["tiny.en", "base"] {
            guard let folder = Self.modelFolder(name) else { throw XCTSkip("Whisper \(name) not fetched: run scripts/fetch_whisper_models.sh") }
            guard FileManager.default.fileExists(atPath: "/usr/share/pocketsphinx/test/data/librivox"),
                  FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(".cache/speech/audioeval").path) else {
                throw XCTSkip("speech clips not fetched: run scripts/fetch_speech_data.sh")
            }
            let transcriber = try Transcriber(directory: folder)
            let url = fixturesDirectory.appendingPathComponent("whisper/reference.\(name).jsonl")
            var clips = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line -> String in
                let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return try XCTUnwrap(reference["clip"] as? String)
            }
            let librivox = clips.filter { $0.contains("librivox") }, cards = clips.filter { $0.contains("cards") }
            clips += ["concat:" + (librivox + cards + librivox).joined(separator: "|"), "concat:" + (cards + librivox).joined(separator: "|")]
            if name == "base" {
                let languages = ["es/", "fr/", "hi/", "ja/", "pt/", "zh/"]
                let foreign = clips.filter { clip in languages.contains { clip.contains($0) } }
                clips = foreign.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) + [clips[clips.count - 1]]
            }
            let audio = try clips.map { try Self.samples($0) }
            XCTAssertGreaterThan(audio.map(\.count).max() ?? 0, 45 * 16_000, "a recording of several windows")
            var greedyWords = TranscriptionOptions()
            greedyWords.beamSize = 1
            greedyWords.wordTimestamps = true
            var cases: [(String, TranscriptionOptions, [Int])] = [("beam 5", TranscriptionOptions(), Array(audio.indices))]
            if name == "tiny.en" { cases.append(("greedy + words", greedyWords, Array(audio.indices.filter { $0 % 3 == 0 || $0 >= audio.count - 2 }))) }
            for (label, options, picked) in cases {
                var started = Date()
                let alone = try picked.map { try transcriber.transcribe(samples: audio[$0], options: options) }
                let aloneSeconds = Date().timeIntervalSince(started)
                started = Date()
                let together = try transcriber.transcribe(batch: picked.map { audio[$0] }, options: options, maxBatchSize: 8)
                print("[\(name) \(label)] \(picked.count) recordings: one by one \(String(format: "%.1f", aloneSeconds)) s, "
                      + "together \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
                XCTAssertEqual(together.count, alone.count)
                for (k, (x, y)) in zip(together, alone).enumerated() {
                    let where_ = "[\(name) \(label)] \(clips[picked[k]].prefix(70))"
                    XCTAssertEqual(x.language, y.language, where_)
                    XCTAssertEqual(x.segments.map(\.tokens), y.segments.map(\.tokens), where_)
                    XCTAssertEqual(x.segments.map(\.text), y.segments.map(\.text), where_)
                    XCTAssertEqual(x.segments.map(\.start), y.segments.map(\.start), where_)
                    XCTAssertEqual(x.segments.map(\.end), y.segments.map(\.end), where_)
                    XCTAssertEqual(x.segments.map(\.temperature), y.segments.map(\.temperature), where_)
                    XCTAssertEqual(x.segments.map { $0.words?.map(\.word) ?? [] }, y.segments.map { $0.words?.map(\.word) ?? [] }, where_)
                    for (a, b) in zip(x.segments, y.segments) {
                        XCTAssertEqual(a.averageLogProb, b.averageLogProb, accuracy: 1e-4, where_)
                        XCTAssertEqual(a.noSpeechProb, b.noSpeechProb, accuracy: 1e-4, where_)
                        for (u, w) in zip(a.words ?? [], b.words ?? []) {
                            XCTAssertEqual(u.start, w.start, accuracy: 1e-6, where_)
                            XCTAssertEqual(u.end, w.end, accuracy: 1e-6, where_)
                        }
                    }
                }
            }
        }
    }
}
