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
        for model in ["t5-v1_0", "bart", "mbart", "marian"] {
            let folder = fixturesDirectory.appendingPathComponent(model)
            let tokenizer = try XCTUnwrap(try ModelTokenizer.load(directory: folder), model)
            let expected = try String(contentsOf: folder.appendingPathComponent("tokenizer.expected.jsonl"), encoding: .utf8)
                .split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            XCTAssertEqual(expected.count, lines.count, model)
            var idMismatches: [Int] = [], textMismatches: [Int] = []
            for (i, (line, want)) in zip(lines, expected).enumerated() {
                let ids = try tokenizer.source.encode(line, addSpecialTokens: true)
                if ids != (want["ids"] as? [Int] ?? []) { idMismatches.append(i + 1) }
                let text = tokenizer.target.decode(want["ids"] as? [Int] ?? [], skipSpecialTokens: true)
                if !text.unicodeScalars.elementsEqual((want["text"] as? String ?? "").unicodeScalars) { textMismatches.append(i + 1) }
            }
            XCTAssertEqual(idMismatches.count, 0, "\(model): ids differ on \(idMismatches.count) lines, first \(idMismatches.prefix(5))")
            XCTAssertEqual(textMismatches.count, 0, "\(model): text differs on \(textMismatches.count) lines, first \(textMismatches.prefix(5))")
        }
    }
}
