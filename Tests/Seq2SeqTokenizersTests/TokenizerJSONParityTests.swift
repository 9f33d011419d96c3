// Parity of HuggingFaceTokenizer with the `tokenizers` package on every corpus line, for the
// tokenizers made by scripts/make_tokenizer_json_fixtures.py.
import Foundation
import Seq2SeqTokenizers
import XCTest

/// The committed tokenizer fixtures.
let tokenizerFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/tokenizers")

/// The tokenizer.json fixtures, by folder name.
let tokenizerJSONNames = ["bart-bytelevel-bpe", "llama-metaspace-bpe", "bert-wordpiece", "t5-unigram", "split-sequence-bpe"]

/// The corpus, one case per line (empty lines included), as the fixture script reads it.
func corpusLines() throws -> [String] {
    var text = try String(contentsOf: tokenizerFixtures.appendingPathComponent("corpus.txt"), encoding: .utf8)
    if text.unicodeScalars.last == "\n" { text.unicodeScalars.removeLast() }
    return text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
}

/// Each line of a .jsonl file as an object.
func jsonLines(_ url: URL) throws -> [[String: Any]] {
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").map {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
}

/// Scalar-exact comparison (Swift `==` on strings is canonical equivalence).
func sameScalars(_ a: String, _ b: String) -> Bool { Array(a.unicodeScalars) == Array(b.unicodeScalars) }
func sameScalars(_ a: [String], _ b: [String]) -> Bool { a.count == b.count && zip(a, b).allSatisfy(sameScalars) }

final class TokenizerJSONParityTests: XCTestCase {
    func testEveryCorpusLineMatchesTokenizers() throws {
        let lines = try corpusLines()
        for name in tokenizerJSONNames {
            let folder = tokenizerFixtures.appendingPathComponent("json/\(name)")
            let tokenizer = try HuggingFaceTokenizer(contentsOf: folder.appendingPathComponent("tokenizer.json"))
            let expected = try jsonLines(folder.appendingPathComponent("expected.jsonl"))
            XCTAssertEqual(expected.count, lines.count, name)
            var mismatches: [String] = []
            for (i, (line, want)) in zip(lines, expected).enumerated() {
                let ids = try tokenizer.encode(line)
                let tokens = try tokenizer.tokens(line)
                let decoded = tokenizer.decode(ids)
                let wantIds = ints(want["ids"])
                let wantTokens = want["tokens"] as? [String] ?? []
                let wantDecoded = want["decoded"] as? String ?? ""
                if ids != wantIds {
                    mismatches.append("line \(i + 1) ids \(ids.prefix(12)) want \(wantIds.prefix(12))")
                } else if !sameScalars(tokens, wantTokens) {
                    mismatches.append("line \(i + 1) tokens \(tokens.prefix(12)) want \(wantTokens.prefix(12))")
                } else if !sameScalars(decoded, wantDecoded) {
                    mismatches.append("line \(i + 1) decoded \(decoded.debugDescription.prefix(120)) want \(wantDecoded.debugDescription.prefix(120))")
                }
            }
            XCTAssert(mismatches.isEmpty, "\(name): \(mismatches.count) of \(lines.count) lines differ; first: \(mismatches.prefix(3).joined(separator: " | "))")
            print("\(name): \(lines.count) lines, \(mismatches.count) mismatches")
        }
    }

    func testAddedTokenCasesMatchTokenizers() throws {
        for name in tokenizerJSONNames {
            let folder = tokenizerFixtures.appendingPathComponent("json/\(name)")
            let tokenizer = try HuggingFaceTokenizer(contentsOf: folder.appendingPathComponent("tokenizer.json"))
            for want in try jsonLines(folder.appendingPathComponent("added.jsonl")) {
                let text = try XCTUnwrap(want["text"] as? String)
                let ids = try tokenizer.encode(text)
                XCTAssertEqual(ids, ints(want["ids"]), "\(name) \(text.debugDescription)")
                XCTAssertEqual(try tokenizer.encode(text, addSpecialTokens: false),
                               ints(want["ids_plain"]), "\(name) \(text.debugDescription)")
                let tokens = try tokenizer.tokens(text)
                XCTAssert(sameScalars(tokens, want["tokens"] as? [String] ?? []), "\(name) \(text.debugDescription): \(tokens)")
                let decoded = tokenizer.decode(ids)
                XCTAssert(sameScalars(decoded, want["decoded"] as? String ?? "?"), "\(name) \(text.debugDescription): \(decoded.debugDescription)")
                let all = tokenizer.decode(ids, skipSpecialTokens: false)
                XCTAssert(sameScalars(all, want["decoded_all"] as? String ?? "?"), "\(name) \(text.debugDescription): \(all.debugDescription)")
            }
        }
    }

    func testLookupsAndVocabularySize() throws {
        let url = tokenizerFixtures.appendingPathComponent("json/bart-bytelevel-bpe/tokenizer.json")
        let tokenizer = try HuggingFaceTokenizer(contentsOf: url)
        XCTAssertEqual(tokenizer.vocabularySize, 1500)
        XCTAssertEqual(tokenizer.id(for: "<mask>"), 4)
        XCTAssertEqual(tokenizer.token(for: 2), "</s>")
        XCTAssertNil(tokenizer.token(for: 99_999))
        XCTAssertNil(tokenizer.id(for: "no such token"))
    }
}

/// A JSON array of numbers as integers.
func ints(_ value: Any?) -> [Int] { (value as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue ?? Int.min } }
