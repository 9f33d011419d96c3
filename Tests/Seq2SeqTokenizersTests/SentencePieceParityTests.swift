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
let spmModels = ["unigram", "unigram_bytes", "bpe", "bpe_bytes", "identity", "suffix", "char", "word"]

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
        let lines = try spmCorpusLines()
        XCTAssertEqual(lines.count, 2082)
        for name in spmModels {
            let tokenizer = try spmTokenizer(name)
            let vocabulary = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(contentsOf: spmFixtures.appendingPathComponent("\(name).vocab.json"))) as? [String])
            XCTAssertEqual(tokenizer.vocabularySize, vocabulary.count, name)
            XCTAssertEqual((0..<tokenizer.vocabularySize).map { tokenizer.token(for: $0) ?? "" }, vocabulary, name)
            try assertParity(tokenizer, name, lines, spmFixtures.appendingPathComponent("\(name).expected.jsonl"))
        }
    }

    /// A model given by SPM_PARITY_MODEL against SPM_PARITY_EXPECTED (made by
    /// `scripts/make_spm_fixtures.py --check`); skipped when they are not set.
    func testModelNamedByEnvironment() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let model = environment["SPM_PARITY_MODEL"], let expected = environment["SPM_PARITY_EXPECTED"] else {
            throw XCTSkip("SPM_PARITY_MODEL / SPM_PARITY_EXPECTED not set")
        }
        let tokenizer = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: model))
        try assertParity(tokenizer, model, try spmCorpusLines(), URL(fileURLWithPath: expected))
    }

    /// Every line's ids, pieces and decoded text against `expected` (one JSON object a line).
    private func assertParity(_ tokenizer: SentencePieceTokenizer, _ name: String, _ lines: [String], _ expected: URL) throws {
        let cases = try spmJSONLines(expected)
        XCTAssertEqual(cases.count, lines.count, name)
        var mismatches: [String] = []
        for (line, (text, c)) in zip(lines, cases).enumerated() {
            let ids = tokenizer.encode(text, addSpecialTokens: false)
            let pieces = tokenizer.pieces(text)
            let decoded = tokenizer.decode(ids)
            let wantIDs = intArray(c["ids"])
            let wantPieces = c["pieces"] as? [String] ?? wantIDs.map { tokenizer.token(for: $0) ?? "?" }
            let wantDecoded = c["decoded"] as? String ?? text
            // Compare decoded text by scalars: String == treats canonically equivalent text as equal.
            if ids != wantIDs || pieces != wantPieces || !spmSameScalars(decoded, wantDecoded) {
                mismatches.append("line \(line + 1) \(String(reflecting: text).prefix(80)): ids \(ids == wantIDs) pieces \(pieces == wantPieces) decoded \(spmSameScalars(decoded, wantDecoded)); \(firstDifference(pieces, wantPieces))")
            }
        }
        XCTAssertTrue(mismatches.isEmpty, "\(name): \(mismatches.count) of \(cases.count) lines differ; first: \(mismatches.prefix(3).joined(separator: " | "))")
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
        var models = ["unigram", "bpe"]
        if let extra = ProcessInfo.processInfo.environment["SPM_PARITY_MODEL"] { models.append(extra) }
        for name in models {
            let tokenizer = name.contains("/")
                ? try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: name)) : try spmTokenizer(name)
            var seconds = Double.infinity
            var count = 0
            for _ in 0..<3 {  // best of three, as scripts/bench_spm.py
                let start = Date()
                count = 0
                for _ in 0..<5 { for line in lines { count += tokenizer.encode(line, addSpecialTokens: false).count } }
                seconds = min(seconds, Date().timeIntervalSince(start))
            }
            print("\(name): \(String(format: "%.1f", Double(bytes * 5) / seconds / 1e6)) MB/s (\(count) ids)")
        }
    }
}

/// Where two piece lists first differ, with a few pieces of context.
func firstDifference(_ got: [String], _ want: [String]) -> String {
    let i = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
    let lo = max(0, i - 3)
    return "from piece \(i): got \(got[lo..<min(got.count, i + 6)]) want \(want[lo..<min(want.count, i + 6)])"
}

/// A JSON array of integers (NSNumber on Linux Foundation).
func intArray(_ value: Any?) -> [Int] {
    (value as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue ?? ($0 as? Int) ?? Int.min }
}

/// Whether two strings have the same Unicode scalars.
func spmSameScalars(_ a: String, _ b: String) -> Bool { a.unicodeScalars.elementsEqual(b.unicodeScalars) }
