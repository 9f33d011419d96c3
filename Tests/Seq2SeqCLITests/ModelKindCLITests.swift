// The kind of a model folder is told before loading (`ModelFolderKind`): `generate` and
// `score` on a Marian (Firefox Translations) folder say what the folder is instead of
// "config.json: missing file"; a folder that is no model at all is one line naming it; a
// language the model does not have is refused naming the model folder.
import Foundation
import Seq2Seq
import XCTest

final class ModelKindCLITests: XCTestCase {
    private let models = fixtures.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models")

    /// Asserts `status`, nothing on standard output and a single stderr line containing every fragment.
    private func assertFailure(_ result: RunResult, status: Int32, mentions fragments: [String],
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, status, "stderr: \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "expected one line: \(result.stderr)", file: file, line: line)
        for f in fragments { XCTAssertTrue(result.stderr.contains(f), "'\(f)' not in: \(result.stderr)", file: file, line: line) }
        XCTAssertEqual(result.stdout, "", file: file, line: line)
    }

    func testGenerateAndScoreOnAMarianFolderNameIt() throws {
        let firefox = models.appendingPathComponent("firefox/enpt").path
        guard FileManager.default.fileExists(atPath: firefox) else { throw XCTSkip("Firefox models not fetched: scripts/fetch_firefox_models.sh") }
        for arguments in [["generate", "--model", firefox, "--input-ids", "5 0"],
                          ["score", "--model", firefox, "--source-ids", "5 0", "--target-ids", "5 0"]] {
            let result = try runCLI(arguments)
            assertFailure(result, status: 3, mentions: ["firefox/enpt", "Marian (Firefox Translations) folder", "translate"])
            XCTAssertFalse(result.stderr.contains("config.json"), result.stderr)
        }
    }

    func testAFolderThatIsNoModelIsOneLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for command in [["translate", "Hello"], ["inspect"], ["transcribe", "x.wav"], ["generate", "--input-ids", "5 2"]] {
            assertFailure(try runCLI([command[0], "--model", folder.path] + command.dropFirst()), status: 3,
                          mentions: [folder.lastPathComponent, "config.json"])
        }
    }

    func testLanguageErrorsNameTheModelFolder() throws {
        let bart = fixtures.appendingPathComponent("bart").path, mbart = fixtures.appendingPathComponent("mbart").path
        assertFailure(try runCLI(["translate", "--model", bart, "--target-lang", "de", "Hello"]), status: 2,
                      mentions: ["Fixtures/bart: ", "no target language codes"])
        assertFailure(try runCLI(["translate", "--model", mbart, "--source-lang", "xx_YY", "Hello"]), status: 2,
                      mentions: ["Fixtures/mbart: ", "unknown source language \"xx_YY\"", "en_XX"])
    }

    /// `translate --source-lang/--target-lang` with NLLB (`fra_Latn`) and M2M-100 (`de`) codes:
    /// the output starts with the target's language token and is what `Translator` gives for
    /// that pair (whose parity with transformers MultilingualFamilyTests checks); a code the
    /// model lacks is refused naming the codes it has.
    func testNLLBAndM2M100LanguageCodes() throws {
        for (name, source, target) in [("nllb", "fra_Latn", "zul_Latn"), ("m2m100", "de", "ja")] {
            let folder = fixtures.appendingPathComponent(name)
            let texts = ["The green house.", "Größere Straßen führen über die Brücke nach Köln."]
            let result = try runCLI(["translate", "--model", folder.path, "--source-lang", source, "--target-lang", target,
                                     "--beam-size", "4", "--max-length", "12", "--json"] + texts)
            XCTAssertEqual(result.status, 0, result.stderr)
            let lines = result.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            XCTAssertEqual(lines.count, texts.count, result.stdout)
            let translator = try Translator(try Seq2SeqModel(directory: folder))
            var options = TranslationOptions(beamSize: 4, maxLength: 12)
            options.sourceLanguage = source
            options.targetLanguage = target
            let expected = try translator.run(texts, options: options)
            let targetID = try XCTUnwrap(translator.tokenizer.languageTokens?.ids[target])
            for (line, want) in zip(lines, expected) {
                XCTAssertEqual(line["ids"] as? [Int], want.ids, name)
                XCTAssertEqual((line["ids"] as? [Int])?.first, targetID, "\(name): starts with \(target)'s token")
                XCTAssertEqual(line["text"] as? String, want.text, name)
            }
            XCTAssertEqual(try translator.sourceIds(["Hi"], options: options)[0].first,
                           translator.tokenizer.languageTokens?.ids[source], "\(name): the source starts with \(source)'s token")
            let known = name == "nllb" ? "ace_Arab" : "af"
            assertFailure(try runCLI(["translate", "--model", folder.path, "--target-lang", "xx", "Hello"]), status: 2,
                          mentions: ["Fixtures/\(name): ", "unknown target language \"xx\"", known])
        }
    }
}
