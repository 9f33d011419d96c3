// The GPT-2 / BART `vocab.json` + `merges.txt` reader against the tokenizer.json of the same
// byte-level BPE: the same ids on every corpus line.
import Foundation
import Seq2SeqTokenizers
import XCTest

final class VocabMergesTests: XCTestCase {
    func testVocabAndMergesFilesEncodeAsTheTokenizerJSON() throws {
        let url = tokenizerFixtures.appendingPathComponent("json/bart-bytelevel-bpe/tokenizer.json")
        let spec = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let model = try XCTUnwrap(spec["model"] as? [String: Any])
        let merges = try XCTUnwrap(model["merges"] as? [[String]]).map { $0.joined(separator: " ") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vocab-merges-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try JSONSerialization.data(withJSONObject: try XCTUnwrap(model["vocab"])).write(to: folder.appendingPathComponent("vocab.json"))
        try ("#version: 0.2\n" + merges.joined(separator: "\n") + "\n").write(
            to: folder.appendingPathComponent("merges.txt"), atomically: true, encoding: .utf8)

        let reference = try HuggingFaceTokenizer(contentsOf: url)
        let tokenizer = try HuggingFaceTokenizer(vocabJSON: folder.appendingPathComponent("vocab.json"),
                                                 merges: folder.appendingPathComponent("merges.txt"))
        XCTAssertEqual(tokenizer.vocabularySize, reference.vocabularySize)
        var differing: [Int] = []
        for (i, line) in try corpusLines().enumerated() {
            let ids = try tokenizer.encode(line)
            if ids != (try reference.encode(line)) || tokenizer.decode(ids) != reference.decode(ids) { differing.append(i + 1) }
        }
        XCTAssert(differing.isEmpty, "\(differing.count) lines differ, first: \(differing.prefix(5))")
        XCTAssertEqual(try tokenizer.encode("a <mask> b"), try reference.encode("a <mask> b"))
    }
}
