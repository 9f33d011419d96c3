// What a new user tripped over, each reproduced on the real models before it was fixed: special
// tokens in decoded Firefox text, Firefox results without a score, English-only Whisper models
// silently ignoring --language and --task translate.
import Foundation
import XCTest

final class FirefoxNewUserTests: XCTestCase {
    private func firefox() throws -> String {
        let folder = fixtures.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models/firefox/enpt")
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw XCTSkip("Firefox models not fetched: run scripts/fetch_firefox_models.sh")
        }
        return folder.path
    }

    func testDecodeSkipsEndOfSentence() throws {
        let result = try runCLI(["tokenize", "--model", try firefox(), "--decode", "34 540 4062 3 0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "A casa verde.\n")
    }

    func testJSONCarriesTheScore() throws {
        let result = try runCLI(["translate", "--model", try firefox(), "--json", "The green house."])
        XCTAssertEqual(result.status, 0, result.stderr)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(record["text"] as? String, "A casa verde.")
        let score = try XCTUnwrap(record["score"] as? Double, result.stdout)
        XCTAssertLessThan(score, 0)
    }
}

extension TranscribeCLITests {
    func testEnglishOnlyModelRefusesOtherLanguagesAndTranslation() throws {
        var wav = Data("RIFF".utf8)
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { wav.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { wav.append(contentsOf: $0) } }
        u32(36 + 32_000); wav += Data("WAVEfmt ".utf8); u32(16); u16(1); u16(1); u32(16_000); u32(32_000); u16(2); u16(16)
        wav += Data("data".utf8); u32(32_000); wav += Data(count: 32_000)
        let audio = FileManager.default.temporaryDirectory.appendingPathComponent("silence-\(UUID()).wav")
        defer { try? FileManager.default.removeItem(at: audio) }
        try wav.write(to: audio)
        for flags in [["--language", "fr"], ["--task", "translate"]] {
            let result = try runCLI(["transcribe", "--model", whisper.path, "--quiet"] + flags + [audio.path])
            XCTAssertEqual(result.status, 2, "\(flags): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("English-only"), result.stderr)
        }
        XCTAssertEqual(try runCLI(["transcribe", "--model", whisper.path, "--quiet", "--language", "en", audio.path]).status, 0)
    }
}

extension FirefoxNewUserTests {
    /// `--source-lang en` once appended `</s> en` to the input ("Olá, mundo"); `xx` gave
    /// "Olá, o"; `--target-lang de` was ignored — all with exit 0.
    func testLanguageOptionsAreCheckedAgainstTheModel() throws {
        let model = try firefox()
        let plain = try runCLI(["translate", "--model", model, "Hello"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let matching = try runCLI(["translate", "--model", model, "--source-lang", "en", "--target-lang", "pt", "Hello"])
        XCTAssertEqual(matching.stdout, plain.stdout, "the model's own pair changes nothing")
        for flags in [["--source-lang", "xx"], ["--target-lang", "de"]] {
            let result = try runCLI(["translate", "--model", model] + flags + ["Hello"])
            XCTAssertEqual(result.status, 2, "\(flags): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("this model knows: " + (flags[0] == "--source-lang" ? "en" : "pt")), result.stderr)
        }
        let inspect = try runCLI(["inspect", "--model", model])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("languages: en -> pt"), inspect.stdout)
    }

    /// A Firefox folder once failed `transcribe` and `inspect` with "config.json: missing file".
    func testWrongKindOfModelIsNamed() throws {
        let transcribe = try runCLI(["transcribe", "--model", try firefox(), "x.wav"])
        XCTAssertEqual(transcribe.status, 2, transcribe.stderr)
        XCTAssertTrue(transcribe.stderr.contains("use translate"), transcribe.stderr)
        XCTAssertFalse(transcribe.stderr.contains("config.json"), transcribe.stderr)
    }
}

extension CLITests {
    func testLanguageCodesOfMultilingualFixtures() throws {
        let mbart = fixtures.appendingPathComponent("mbart").path, opus = fixtures.appendingPathComponent("opus-mt").path
        XCTAssertEqual(try runCLI(["translate", "--model", mbart, "--source-lang", "en_XX", "--target-lang", "ro_RO", "Hello"]).status, 0)
        let unknown = try runCLI(["translate", "--model", mbart, "--target-lang", "xx_YY", "Hello"])
        XCTAssertEqual(unknown.status, 2, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("ro_RO"), unknown.stderr)
        // opus-mt: the target code becomes the `>>por<<` token before the text.
        let coded = try runCLI(["translate", "--model", opus, "--json", "--target-lang", "por", "Hello"])
        let written = try runCLI(["translate", "--model", opus, "--json", ">>por<< Hello"])
        XCTAssertEqual(coded.status, 0, coded.stderr)
        XCTAssertEqual(coded.stdout, written.stdout)
        XCTAssertEqual(try runCLI(["translate", "--model", opus, "--target-lang", "ita", "Hello"]).status, 2)
        let none = try runCLI(["translate", "--model", fixtures.appendingPathComponent("bart").path, "--target-lang", "de", "Hello"])
        XCTAssertEqual(none.status, 2, none.stderr)
        XCTAssertTrue(none.stderr.contains("no target language codes"), none.stderr)
    }

    func testSpeechAndTextModelsNameTheRightCommand() throws {
        let text = try runCLI(["transcribe", "--model", fixtures.appendingPathComponent("bart").path, "x.wav"])
        XCTAssertEqual(text.status, 2, text.stderr)
        XCTAssertTrue(text.stderr.contains("use translate"), text.stderr)
    }
}

extension TranscribeCLITests {
    func testTranslateOnASpeechModelSaysUseTranscribe() throws {
        let result = try runCLI(["translate", "--model", whisper.path, "Hello"])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("use transcribe"), result.stderr)
    }
}

extension CLITests {
    func testVersionAndHelpTexts() throws {
        let version = try runCLI(["--version"])
        XCTAssertEqual(version.status, 0, version.stderr)
        XCTAssertTrue(version.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, version.stdout)
        let root = try runCLI(["--help"])
        XCTAssertFalse(root.stdout.contains("inspect Hugging Face checkpoints"), root.stdout)
        XCTAssertTrue(root.stdout.contains("transcribe"), root.stdout)
        // Every option of generate has a description: no option line stands alone.
        let generate = try runCLI(["generate", "--help"]).stdout.split(separator: "\n").map(String.init)
        for (i, line) in generate.enumerated() where line.hasPrefix("  --") {
            let described = line.split(separator: " ", omittingEmptySubsequences: true).count > 2
                || (i + 1 < generate.count && generate[i + 1].hasPrefix("                          "))
            XCTAssertTrue(described, "undescribed: \(line)")
        }
        let train = try runCLI(["train", "--help"]).stdout
        let validate = try XCTUnwrap(train.range(of: "--validate-every"))
        let rest = train[validate.upperBound...]
        let block = rest[..<(rest.range(of: "\n  --")?.lowerBound ?? rest.endIndex)]  // up to the next option
        XCTAssertEqual(block.components(separatedBy: "default").count - 1, 1, String(block))
        XCTAssertFalse(try runCLI(["inspect", "--help"]).stdout.contains("(Hugging Face checkpoint)"))
    }
}

extension TranscribeCLITests {
    /// Several files: a bad one no longer stops the rest, outputs are named, and two inputs
    /// that would write the same file are refused before anything runs.
    func testSeveralFilesGoOnPastABadOneAndNameTheirOutputs() throws {
        let clip = try XCTUnwrap(FileManager.default.enumerator(atPath: "/usr/share/pocketsphinx/test/data/librivox")?
            .compactMap { $0 as? String }.first { $0.hasSuffix(".wav") }.map { "/usr/share/pocketsphinx/test/data/librivox/" + $0 },
                                 "pocketsphinx-testdata not installed")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("several-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for sub in ["a", "b"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: clip, toPath: folder.appendingPathComponent("\(sub)/x.wav").path)
        }
        let a = folder.appendingPathComponent("a/x.wav").path, b = folder.appendingPathComponent("b/x.wav").path
        let missing = folder.appendingPathComponent("missing.wav").path
        let result = try runCLI(["transcribe", "--model", whisper.path, "--quiet", a, missing, b])
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stdout.contains("==> \(a) <==") && result.stdout.contains("==> \(b) <=="), result.stdout)
        XCTAssertTrue(result.stderr.contains("1 of 3 files could not be transcribed: \(missing)"), result.stderr)
        let json = try runCLI(["transcribe", "--model", whisper.path, "--quiet", "--format", "json", a, b])
        let files = try json.stdout.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["file"] as? String }
        XCTAssertEqual(files, [a, b])
        let clash = try runCLI(["transcribe", "--model", whisper.path, "--quiet", "--output-dir", folder.appendingPathComponent("out").path, a, b])
        XCTAssertEqual(clash.status, 2, clash.stderr)
        XCTAssertTrue(clash.stderr.contains("would both write"), clash.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/x.txt").path))
    }
}
