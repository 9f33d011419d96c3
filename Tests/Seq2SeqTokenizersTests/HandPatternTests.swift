// The hand-written GPT-2 and Llama 3 pattern matchers against their reference twin, the same
// pattern run by Swift Regex: a byte-level BPE tokenizer whose pre-tokenizer splits with the
// pattern must give the same ids whether the pattern is written as tokenizer.json files write
// it (hand matcher) or wrapped in a group (so the fast path does not recognise it: Swift Regex).
import Foundation
import Seq2SeqTokenizers
import XCTest

final class HandPatternTests: XCTestCase {
    static let gpt2 = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The BART fixture with its pre-tokenizer replaced by Split(`pattern`) + ByteLevel.
    private func tokenizer(splittingWith pattern: String) throws -> HuggingFaceTokenizer {
        let url = tokenizerFixtures.appendingPathComponent("json/bart-bytelevel-bpe/tokenizer.json")
        var spec = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        spec["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
            ["type": "Split", "pattern": ["Regex": pattern], "behavior": "Isolated", "invert": false],
            ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false],
        ]]
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("pattern-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: copy) }
        try JSONSerialization.data(withJSONObject: spec).write(to: copy)
        return try HuggingFaceTokenizer(contentsOf: copy)
    }

    private func assertSameOnCorpus(_ pattern: String, extra: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let fast = try tokenizer(splittingWith: pattern)
        let reference = try tokenizer(splittingWith: "(?:\(pattern))")
        var differing: [String] = []
        for (i, text) in (try corpusLines() + extra).enumerated() where try fast.encode(text) != reference.encode(text) {
            differing.append("\(i + 1): \(text.debugDescription.prefix(60))")
        }
        XCTAssert(differing.isEmpty, "\(differing.count) lines differ, first: \(differing.prefix(3))", file: file, line: line)
    }

    private let extra = ["it's 'S 'LL 'Re x'd", "a\n\n  b \r\n c\t\n", "1234567 12", " !!\n\nx", "  ", " \n", "\n", "x  ", "é ñ 名字 ٣٤٥"]

    func testGPT2MatcherAgreesWithRegex() throws {
        let bart = try HuggingFaceTokenizer(contentsOf: tokenizerFixtures.appendingPathComponent("json/bart-bytelevel-bpe/tokenizer.json"))
        let viaSplit = try tokenizer(splittingWith: HandPatternTests.gpt2)
        XCTAssertEqual(try bart.encode("Hello  world's 12"), try viaSplit.encode("Hello  world's 12"))
        try assertSameOnCorpus(HandPatternTests.gpt2, extra: extra)
    }

    func testLlama3MatcherAgreesWithRegex() throws {
        try assertSameOnCorpus(HandPatternTests.llama3, extra: extra)
    }
}
