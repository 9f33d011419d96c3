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
