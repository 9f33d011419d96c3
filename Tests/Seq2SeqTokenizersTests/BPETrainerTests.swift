// BPETrainer: merge order on a corpus small enough to check by hand, exact vocabulary size,
// determinism, byte fallback, reloading the saved files, and parity with Hugging Face
// `tokenizers` / `transformers.AutoTokenizer` on the committed fixture that
// scripts/make_bpe_training_reference.py records.
//
// Regenerate the fixture: BPE_TRAINING_WRITE_FIXTURE=1 swift test -c release --filter BPETrainerTests
// then python3 scripts/make_bpe_training_reference.py.
// Time training: BPE_TRAINING_CORPUS=/path/a.txt:/path/b.txt swift test -c release --filter BPETrainerTests/testTrainingSpeed
import Foundation
import Seq2SeqTokenizers
import XCTest

/// The committed trained tokenizer and what Hugging Face makes of it.
let bpeTrainingFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/bpe-training")

/// The settings the fixture was trained with, on every line of tokenizers/corpus.txt.
func fixtureTrainer() -> BPETrainer {
    var trainer = BPETrainer(vocabularySize: 2000)
    trainer.userTokens = ["[[note]]"]
    return trainer
}

final class BPETrainerTests: XCTestCase {
    /// "low lower lowest newer wider", every pair counted once per word:
    /// e r (3) · l o (2, "l" < "lo"… < "w" < "▁") · lo w (2) · ▁ low (2) · then all pairs occur
    /// once and go by their strings: d er · e s · e w.
    func testMergesFollowTheDocumentedOrder() throws {
        var trainer = BPETrainer(vocabularySize: 4 + 256 + 11 + 7)
        trainer.minimumFrequency = 1
        let tokenizer = try trainer.train(lines: ["low lower lowest newer wider"])
        XCTAssertEqual(tokenizer.merges.map { "\($0.0) \($0.1)" },
                       ["e r", "l o", "lo w", "▁ low", "d er", "e s", "e w"])
        XCTAssertEqual(Array(tokenizer.vocabulary.prefix(5)), ["<pad>", "</s>", "<unk>", "<s>", "<0x00>"])
        XCTAssertEqual(tokenizer.vocabulary[259], "<0xFF>")
        XCTAssertEqual(Array(tokenizer.vocabulary[260...]),
                       ["▁", "e", "w", "l", "o", "r", "d", "i", "n", "s", "t", "er", "lo", "low", "▁low", "der", "es", "ew"])
        XCTAssertEqual(try tokenizer.tokens("lowest"), ["▁low", "es", "t", "</s>"])
        XCTAssertEqual(try tokenizer.encode("lowest"), [274, 276, 270, 1])
        XCTAssertEqual(try tokenizer.encode("lowest", addSpecialTokens: false), [274, 276, 270])
        XCTAssertEqual(tokenizer.decode([274, 276, 270, 1]), "lowest")
    }

    func testMinimumFrequencyStopsTraining() throws {
        let tokenizer = try BPETrainer(vocabularySize: 1000).train(lines: ["low lower lowest newer wider"])
        XCTAssertEqual(tokenizer.merges.map { "\($0.0) \($0.1)" }, ["e r", "l o", "lo w", "▁ low"])
        XCTAssertEqual(tokenizer.vocabularySize, 4 + 256 + 11 + 4)
    }

    func testVocabularySizeIsExactAndTrainingIsDeterministic() throws {
        let lines = try corpusLines()
        for size in [600, 1000, 3000] {
            let a = try BPETrainer(vocabularySize: size).train(lines: lines)
            XCTAssertEqual(a.vocabularySize, size)
            XCTAssertEqual(a.vocabulary.count, size)
            XCTAssertEqual(Set(a.vocabulary.map { Array($0.utf8) }).count, size, "tokens are distinct")
            let b = try BPETrainer(vocabularySize: size).train(lines: lines)
            XCTAssertEqual(a.tokenizerJSON, b.tokenizerJSON)
        }
    }

    func testTrainingFromFilesEqualsTrainingFromLines() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = try corpusLines()
        let first = folder.appendingPathComponent("a.txt"), second = folder.appendingPathComponent("b.txt")
        try (lines[..<1000].joined(separator: "\r\n") + "\r\n").write(to: first, atomically: true, encoding: .utf8)
        try lines[1000...].joined(separator: "\n").write(to: second, atomically: true, encoding: .utf8)
        let fromFiles = try BPETrainer(vocabularySize: 1200).train(files: [first, second])
        let fromLines = try BPETrainer(vocabularySize: 1200).train(lines: lines)
        XCTAssertEqual(fromFiles.tokenizerJSON, fromLines.tokenizerJSON)
    }

    /// Text the training never saw — emoji, CJK, symbols — is bytes, never `<unk>`, and comes
    /// back exactly; so does every corpus line (NFKC-normalized, "▁" read as a space, one
    /// leading space dropped as Metaspace decoding does).
    func testByteFallbackRoundTrips() throws {
        let lines = try corpusLines()
        let tokenizer = try BPETrainer(vocabularySize: 1000).train(lines: lines.filter { $0.unicodeScalars.allSatisfy { $0.value < 0x80 } })
        let unknown = try XCTUnwrap(tokenizer.id(for: "<unk>"))
        for text in ["🦜 parrots 🦩🏽", "机器翻译很好。", "Ꙭ ᚠᛇᚻ 𝄞 ∮ E⋅da", "naïve café — façade", "tab\there", "a  b   c "] {
            let ids = try tokenizer.encode(text)
            XCTAssertFalse(ids.contains(unknown), text)
            XCTAssertEqual(ids.last, 1)
            XCTAssert(sameScalars(tokenizer.decode(ids), text.precomposedStringWithCompatibilityMapping), text)
        }
        let parrot = try tokenizer.tokens("🦜")
        XCTAssertEqual(parrot, ["▁", "<0xF0>", "<0x9F>", "<0xA6>", "<0x9C>", "</s>"])

        let full = try BPETrainer(vocabularySize: 2000).train(lines: lines)
        var differing: [Int] = []
        for (i, line) in lines.enumerated() {
            let ids = try full.encode(line, addSpecialTokens: false)
            if (ids.contains(unknown) && !line.contains("<unk>")) || !sameScalars(full.decode(ids, skipSpecialTokens: false), metaspaceRoundTrip(line)) {
                differing.append(i + 1)
            }
        }
        XCTAssert(differing.isEmpty, "\(differing.count) lines do not round-trip, first: \(differing.prefix(5))")
    }

    /// What decode(encode(line)) gives: NFKC between the special tokens, "▁" as a space, and the
    /// single leading space Metaspace puts before each stretch dropped again at the very start.
    private func metaspaceRoundTrip(_ line: String) -> String {
        let specials = ["</s>", "<pad>", "<unk>", "<s>"]
        var out = "", rest = Substring(line)
        var atStart = true
        while !rest.isEmpty {
            let hit = specials.compactMap { s in rest.range(of: s).map { ($0, s) } }.min { $0.0.lowerBound < $1.0.lowerBound }
            let stretch = hit.map { rest[..<$0.0.lowerBound] } ?? rest
            var text = String(stretch).precomposedStringWithCompatibilityMapping.replacingOccurrences(of: "\u{2581}", with: " ")
            if !text.isEmpty {
                if text.first != " " { text = " " + text }
                if atStart { text.removeFirst() }
            }
            out += text
            if let (range, special) = hit { out += special; rest = rest[range.upperBound...] } else { rest = "" }
            atStart = false
        }
        return out
    }

    func testSpecialAndUserTokensStayWhole() throws {
        var trainer = BPETrainer(vocabularySize: 400)
        trainer.userTokens = ["<sep>", "[[note]]"]
        let lines = Array(repeating: "hello</s>world <sep> again [[note]] hello", count: 50)
        let tokenizer = try trainer.train(lines: lines)
        XCTAssertEqual(tokenizer.id(for: "<sep>"), 4)
        XCTAssertEqual(tokenizer.id(for: "[[note]]"), 5)
        XCTAssertEqual(tokenizer.vocabulary[6], "<0x00>")
        XCTAssertFalse(tokenizer.vocabulary[262...].contains { $0.contains("</") || $0.contains("[[") || $0.contains("<s") })
        let ids = try tokenizer.encode("x [[note]] y<sep>")
        XCTAssert(ids.contains(5) && ids.contains(4))
        XCTAssertEqual(tokenizer.decode(ids), "x [[note]] y<sep>")
        XCTAssertEqual(tokenizer.decode(try tokenizer.encode("a</s>b")), "a b")
    }

    func testWithoutByteFallbackRareCharactersAreUnknown() throws {
        var trainer = BPETrainer(vocabularySize: 300)
        trainer.byteFallback = false
        trainer.nfkc = false
        let tokenizer = try trainer.train(lines: Array(repeating: "the cat sat on the mat", count: 20))
        XCTAssertNil(tokenizer.id(for: "<0x41>"))
        XCTAssertEqual(try tokenizer.tokens("cat🦜🦜s"), ["▁cat", "<unk>", "s", "</s>"])
        XCTAssertEqual(String(decoding: tokenizer.tokenizerJSON, as: UTF8.self).contains("\"normalizer\": null"), true)
    }

    func testCharacterCoverageDropsTheRarestCharacters() throws {
        var trainer = BPETrainer(vocabularySize: 300)
        trainer.characterCoverage = 0.99
        let lines = Array(repeating: "aaaa bbbb cccc dddd", count: 30) + ["x"]
        let tokenizer = try trainer.train(lines: lines)
        XCTAssertNil(tokenizer.id(for: "x"))
        XCTAssertEqual(try tokenizer.tokens("x", addSpecialTokens: false), ["▁", "<0x78>"])
        trainer.characterCoverage = 1
        XCTAssertNotNil(try trainer.train(lines: lines).id(for: "x"))
    }

    func testSavedFilesReloadAndEncodeTheSame() throws {
        let lines = try corpusLines()
        let trained = try BPETrainer(vocabularySize: 1500).train(lines: lines)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-save-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try trained.save(to: folder)
        let loaded = try HuggingFaceTokenizer(contentsOf: folder.appendingPathComponent("tokenizer.json"))
        XCTAssertEqual(loaded.vocabularySize, 1500)
        for line in lines + ["🦜 <s> x", "[[note]]", ""] {
            let ids = try loaded.encode(line)
            XCTAssertEqual(ids, try trained.encode(line), line)
            XCTAssert(sameScalars(loaded.decode(ids), trained.decode(ids)), line)
        }
        let config = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("tokenizer_config.json"))) as? [String: Any])
        XCTAssertEqual(config["tokenizer_class"] as? String, "PreTrainedTokenizerFast")
        XCTAssertEqual(config["eos_token"] as? String, "</s>")
        XCTAssertEqual(config["pad_token"] as? String, "<pad>")
    }

    func testInvalidSettingsAndMissingFilesThrow() {
        var small = BPETrainer(vocabularySize: 260)
        XCTAssertThrowsError(try small.train(lines: ["a"])) { XCTAssert("\($0)".contains("vocabularySize 260")) }
        small.vocabularySize = 1000
        small.unknownToken = "[UNK]"
        XCTAssertThrowsError(try small.train(lines: ["a"])) { XCTAssert("\($0)".contains("unknownToken")) }
        var duplicate = BPETrainer()
        duplicate.userTokens = ["<s>"]
        XCTAssertThrowsError(try duplicate.train(lines: ["a"])) { XCTAssert("\($0)".contains("distinct")) }
        var coverage = BPETrainer()
        coverage.characterCoverage = 0
        XCTAssertThrowsError(try coverage.train(lines: ["a"])) { XCTAssert("\($0)".contains("characterCoverage")) }
        XCTAssertThrowsError(try BPETrainer().train(files: [URL(fileURLWithPath: "/nonexistent/corpus.txt")])) {
            XCTAssertEqual("\($0)", "/nonexistent/corpus.txt: missing file")
        }
    }

    // MARK: The committed fixture and Hugging Face parity

    func testTrainingReproducesTheFixtureByteForByte() throws {
        let trained = try fixtureTrainer().train(lines: try corpusLines())
        if ProcessInfo.processInfo.environment["BPE_TRAINING_WRITE_FIXTURE"] == "1" {
            try trained.save(to: bpeTrainingFixtures)
            print("wrote \(bpeTrainingFixtures.path)")
        }
        let committed = try Data(contentsOf: bpeTrainingFixtures.appendingPathComponent("tokenizer.json"))
        XCTAssert(trained.tokenizerJSON == committed, "training no longer reproduces Tests/Fixtures/bpe-training/tokenizer.json")
        let config = try Data(contentsOf: bpeTrainingFixtures.appendingPathComponent("tokenizer_config.json"))
        XCTAssert(trained.tokenizerConfigJSON == config, "tokenizer_config.json differs")
    }

    /// Ids and decoded text of every corpus line (and a few extra cases) as `tokenizers` and
    /// `transformers.AutoTokenizer` give them for the committed file.
    func testEncodesAsHuggingFaceOnEveryCorpusLine() throws {
        let tokenizer = try HuggingFaceTokenizer(contentsOf: bpeTrainingFixtures.appendingPathComponent("tokenizer.json"))
        let trained = try fixtureTrainer().train(lines: try corpusLines())
        let expected = try jsonLines(bpeTrainingFixtures.appendingPathComponent("expected.jsonl"))
        XCTAssertGreaterThan(expected.count, try corpusLines().count)
        var mismatches: [String] = []
        for (i, want) in expected.enumerated() {
            let text = try XCTUnwrap(want["text"] as? String)
            let ids = try tokenizer.encode(text)
            let decoded = tokenizer.decode(ids)
            let trainedIds = try trained.encode(text)
            if ids != ints(want["ids"]) || ids != trainedIds {
                mismatches.append("case \(i + 1) ids \(ids.prefix(12)) want \(ints(want["ids"]).prefix(12))")
            } else if !sameScalars(decoded, want["decoded"] as? String ?? "?") || !sameScalars(trained.decode(ids), decoded) {
                mismatches.append("case \(i + 1) decoded \(decoded.debugDescription.prefix(80))")
            } else if let all = want["decoded_all"] as? String, !sameScalars(tokenizer.decode(ids, skipSpecialTokens: false), all) {
                mismatches.append("case \(i + 1) decoded with specials \(tokenizer.decode(ids, skipSpecialTokens: false).debugDescription.prefix(80))")
            }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) of \(expected.count) cases differ; first: \(mismatches.prefix(3).joined(separator: " | "))")
        print("bpe-training parity: \(expected.count) cases, \(mismatches.count) mismatches")
    }

    // MARK: The character vocabulary (`seq2seq train --tokenizer char`)

    private var characterFixtures: URL { bpeTrainingFixtures.deletingLastPathComponent().appendingPathComponent("bpe-training-char") }

    func testCharacterTrainingReproducesTheFixture() throws {
        let trained = try BPETrainer.characters().train(lines: try corpusLines())
        if ProcessInfo.processInfo.environment["BPE_TRAINING_WRITE_FIXTURE"] == "1" {
            try trained.save(to: characterFixtures)
            print("wrote \(characterFixtures.path)")
        }
        XCTAssertTrue(trained.merges.isEmpty)
        // Every token past the special and byte tokens is one character.
        XCTAssertTrue(trained.vocabulary[260...].allSatisfy { $0.unicodeScalars.count == 1 }, "\(trained.vocabulary[260...].prefix(20))")
        XCTAssertEqual(try trained.tokens("ab c"), ["▁", "a", "b", "▁", "c", "</s>"])
        let committed = try Data(contentsOf: characterFixtures.appendingPathComponent("tokenizer.json"))
        XCTAssert(trained.tokenizerJSON == committed, "training no longer reproduces Tests/Fixtures/bpe-training-char/tokenizer.json")
    }

    /// The character tokenizer's ids and decoded text equal `tokenizers`' and `AutoTokenizer`'s
    /// on every corpus line and the extra cases (unseen scripts through byte fallback).
    func testCharacterTokenizerEncodesAsHuggingFace() throws {
        let tokenizer = try HuggingFaceTokenizer(contentsOf: characterFixtures.appendingPathComponent("tokenizer.json"))
        let expected = try jsonLines(characterFixtures.appendingPathComponent("expected.jsonl"))
        XCTAssertGreaterThan(expected.count, try corpusLines().count)
        var mismatches: [String] = []
        for (i, want) in expected.enumerated() {
            let text = try XCTUnwrap(want["text"] as? String)
            let ids = try tokenizer.encode(text)
            if ids != ints(want["ids"]) {
                mismatches.append("case \(i + 1) ids \(ids.prefix(12)) want \(ints(want["ids"]).prefix(12))")
            } else if !sameScalars(tokenizer.decode(ids), want["decoded"] as? String ?? "?") {
                mismatches.append("case \(i + 1) decoded \(tokenizer.decode(ids).debugDescription.prefix(80))")
            }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) of \(expected.count) cases differ; first: \(mismatches.prefix(3).joined(separator: " | "))")
    }

    // MARK: Speed

    /// Trains an 8,000-token vocabulary on the files in BPE_TRAINING_CORPUS (":"-separated).
    func testTrainingSpeed() throws {
        guard let paths = ProcessInfo.processInfo.environment["BPE_TRAINING_CORPUS"] else {
            throw XCTSkip("set BPE_TRAINING_CORPUS to time training")
        }
        let files = paths.split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        let bytes = try files.reduce(0) { $0 + (try Data(contentsOf: $1)).count }
        let start = Date()
        let tokenizer = try BPETrainer(vocabularySize: 8000).train(files: files)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(tokenizer.vocabularySize, 8000)
        print(String(format: "BPE training: %.1f MB, 8000 tokens (%d merges) in %.2f s", Double(bytes) / 1e6, tokenizer.merges.count, seconds))
    }
}
