// Parity with the `sentencepiece` package: every corpus line through every fixture model
// (made by scripts/make_spm_fixtures.py) must give the same ids, pieces and decoded text.
import Foundation
import Seq2SeqTokenizers
import XCTest

/// Tests/Fixtures/tokenizers/spm.
let spmFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/tokenizers/spm")

/// The fixture models, by file name without `.model`.
let spmModels = ["unigram", "unigram_bytes", "bpe", "bpe_bytes", "identity", "char"]

/// The JSON objects of a `.jsonl` file, one a line.
func spmJSONLines(_ url: URL) throws -> [[String: Any]] {
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}

/// The corpus lines, split on "\n" bytes only, as the fixture script splits them.
func spmCorpusLines() throws -> [String] {
    let data = try Data(contentsOf: spmFixtures.deletingLastPathComponent().appendingPathComponent("corpus.txt"))
    var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    if data.last == 0x0A { lines.removeLast() }
    return lines
}

func spmTokenizer(_ name: String, addEOS: Bool = false) throws -> SentencePieceTokenizer {
    try SentencePieceTokenizer(contentsOf: spmFixtures.appendingPathComponent("\(name).model"), addEOS: addEOS)
}

final class SentencePieceParityTests: XCTestCase {
    func testEncodeAndDecodeMatchSentencePieceOnTheCorpus() throws {
        var total = 0
        let lines = try spmCorpusLines()
        XCTAssertEqual(lines.count, 2082)
        for name in spmModels {
            let tokenizer = try spmTokenizer(name)
            let vocabulary = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(contentsOf: spmFixtures.appendingPathComponent("\(name).vocab.json"))) as? [String])
            XCTAssertEqual(tokenizer.vocabularySize, vocabulary.count, name)
            XCTAssertEqual((0..<tokenizer.vocabularySize).map { tokenizer.token(for: $0) ?? "" }, vocabulary, name)
            let cases = try spmJSONLines(spmFixtures.appendingPathComponent("\(name).expected.jsonl"))
            XCTAssertEqual(cases.count, lines.count, name)
            var mismatches: [String] = []
            for (line, (text, c)) in zip(lines, cases).enumerated() {
                let ids = tokenizer.encode(text, addSpecialTokens: false)
                let pieces = tokenizer.pieces(text)
                let decoded = tokenizer.decode(ids)
                let wantIDs = intArray(c["ids"])
                let wantPieces = c["pieces"] as? [String] ?? wantIDs.map { vocabulary.indices.contains($0) ? vocabulary[$0] : "?" }
                let wantDecoded = c["decoded"] as? String ?? text
                // Compare decoded text by scalars: String == treats canonically equivalent text as equal.
                if ids != wantIDs || pieces != wantPieces || !spmSameScalars(decoded, wantDecoded) {
                    mismatches.append("line \(line + 1) \(String(reflecting: text).prefix(80)): ids \(ids == wantIDs) pieces \(pieces == wantPieces) decoded \(spmSameScalars(decoded, wantDecoded)); got \(pieces.prefix(12)) want \(wantPieces.prefix(12))")
                }
            }
            total += cases.count
            XCTAssertTrue(mismatches.isEmpty, "\(name): \(mismatches.count) of \(cases.count) lines differ; first: \(mismatches.prefix(3).joined(separator: " | "))")
        }
        XCTAssertEqual(total, 2082 * spmModels.count)
    }

    func testDecodeOfArbitraryIdsMatchesSentencePiece() throws {
        for name in spmModels {
            let tokenizer = try spmTokenizer(name)
            let cases = try spmJSONLines(spmFixtures.appendingPathComponent("\(name).decode.jsonl"))
            var mismatches: [String] = []
            for c in cases {
                let ids = intArray(c["ids"])
                let want = c["decoded"] as? String ?? ""
                let got = tokenizer.decode(ids)
                if !spmSameScalars(got, want) { mismatches.append("\(ids): got \(String(reflecting: got)) want \(String(reflecting: want))") }
            }
            XCTAssertTrue(mismatches.isEmpty, "\(name): \(mismatches.count) of \(cases.count) differ; first: \(mismatches.prefix(3).joined(separator: " | "))")
        }
    }

    func testSpecialTokensAndLookups() throws {
        let t5Like = try spmTokenizer("unigram", addEOS: true)
        let eos = try XCTUnwrap(t5Like.eosID)
        XCTAssertEqual(t5Like.token(for: eos), "</s>")
        XCTAssertEqual(t5Like.id(for: "</s>"), eos)
        XCTAssertEqual(t5Like.id(for: "<unk>"), t5Like.unknownID)
        XCTAssertNil(t5Like.id(for: "no such piece here"))
        XCTAssertNil(t5Like.token(for: t5Like.vocabularySize))
        let plain = t5Like.encode("Hello world", addSpecialTokens: false)
        XCTAssertEqual(try t5Like.encode("Hello world"), plain + [eos])
        XCTAssertEqual(t5Like.decode(plain + [eos]), t5Like.decode(plain))
        XCTAssertEqual(t5Like.decode(plain + [eos], skipSpecialTokens: false), t5Like.decode(plain) + "</s>")
        XCTAssertEqual(try spmTokenizer("unigram").encode("Hello world"), plain)
    }

    func testSpeed() throws {
        let lines = try spmCorpusLines()
        let bytes = lines.reduce(0) { $0 + $1.utf8.count }
        for name in ["unigram", "bpe"] {
            let tokenizer = try spmTokenizer(name)
            let start = Date()
            var count = 0
            for _ in 0..<5 { for line in lines { count += tokenizer.encode(line, addSpecialTokens: false).count } }
            let seconds = Date().timeIntervalSince(start)
            print("\(name): \(String(format: "%.1f", Double(bytes * 5) / seconds / 1e6)) MB/s (\(count) ids)")
        }
    }
}

/// A JSON array of integers (NSNumber on Linux Foundation).
func intArray(_ value: Any?) -> [Int] {
    (value as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue ?? ($0 as? Int) ?? Int.min }
}

/// Whether two strings have the same Unicode scalars.
func spmSameScalars(_ a: String, _ b: String) -> Bool { a.unicodeScalars.elementsEqual(b.unicodeScalars) }
