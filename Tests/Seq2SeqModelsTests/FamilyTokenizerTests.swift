// Each fixture model's own tokenizer, loaded as `ModelTokenizer` loads it, against what
// transformers' AutoTokenizer gives on every line of the tokenizer corpus: identical ids (with
// the special tokens `encode` adds) and identical decoded text (special tokens skipped).
import Foundation
import Seq2Seq
import XCTest

final class FamilyTokenizerTests: XCTestCase {
    func testEveryCorpusLineMatchesTransformers() throws {
        let corpus = try Data(contentsOf: fixturesDirectory.appendingPathComponent("tokenizers/corpus.txt"))
        var lines = corpus.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if lines.last == "" { lines.removeLast() }
        XCTAssertGreaterThanOrEqual(lines.count, 2000)
        for model in ["t5-v1_0", "bart", "mbart", "marian", "opus-mt", "opus-mt-separate", "m2m100", "nllb", "nllb-legacy", "pegasus"] {
            let folder = fixturesDirectory.appendingPathComponent(model)
            let tokenizer = try XCTUnwrap(try ModelTokenizer.load(directory: folder), model)
            let expected = try String(contentsOf: folder.appendingPathComponent("tokenizer.expected.jsonl"), encoding: .utf8)
                .split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            let encoded = expected.filter { $0["decode"] == nil }, decodedOnly = expected.filter { $0["decode"] != nil }
            XCTAssertGreaterThanOrEqual(encoded.count, lines.count, model)
            // The opus-mt fixtures add lines with language tokens after the corpus.
            let texts = lines + ((encoded.count > lines.count) ? opusMTExtraLines : [])
            XCTAssertEqual(encoded.count, texts.count, model)
            var idMismatches: [Int] = [], textMismatches: [Int] = []
            for (i, (line, want)) in zip(texts, encoded).enumerated() {
                let ids = try tokenizer.source.encode(line, addSpecialTokens: true)
                if ids != (want["ids"] as? [Int] ?? []) { idMismatches.append(i + 1) }
                if !decodes(tokenizer, want["ids"], as: want) { textMismatches.append(i + 1) }
            }
            XCTAssertEqual(idMismatches.count, 0, "\(model): ids differ on \(idMismatches.count) lines, first \(idMismatches.prefix(5))")
            XCTAssertEqual(textMismatches.count, 0, "\(model): text differs on \(textMismatches.count) lines, first \(textMismatches.prefix(5))")
            let decodeMismatches = decodedOnly.indices.filter { !decodes(tokenizer, decodedOnly[$0]["decode"], as: decodedOnly[$0]) }
            XCTAssertEqual(decodeMismatches.count, 0, "\(model): random id sequences decode differently: \(decodeMismatches.prefix(5).map { decodedOnly[$0] })")
        }
    }

    /// The lines `scripts/make_opusmt_fixtures.py` adds after the corpus.
    private let opusMTExtraLines = [">>por<< The green house.", ">>deu<<Hello world", ">>xx<< unknown code", "Plain >>por<< inside"]

    /// Whether `ids` decode to the entry's `text` (special tokens skipped) and, when it has one,
    /// its `text_with_special` (kept).
    private func decodes(_ tokenizer: ModelTokenizer, _ ids: Any?, as want: [String: Any]) -> Bool {
        let ids = ids as? [Int] ?? []
        let same = { (a: String, b: Any?) in a.unicodeScalars.elementsEqual((b as? String ?? "").unicodeScalars) }
        guard same(tokenizer.target.decode(ids, skipSpecialTokens: true), want["text"]) else { return false }
        guard let withSpecial = want["text_with_special"] else { return true }
        return same(tokenizer.target.decode(ids, skipSpecialTokens: false), withSpecial)
    }
}
