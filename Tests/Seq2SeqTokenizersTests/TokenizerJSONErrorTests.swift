// tokenizer.json files that cannot be used throw a TokenizerError naming the file and the
// component type or field; small hand-written files check added-token stripping.
import Foundation
import Seq2SeqTokenizers
import XCTest

final class TokenizerJSONErrorTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokjson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// A tokenizer.json with a WordLevel model over a few words and the given extra members.
    private func write(_ extra: String, model: String? = nil) throws -> URL {
        let wordLevel = #"{"type": "WordLevel", "vocab": {"<unk>": 0, "hello": 1, "world": 2, "[M]": 3, "!": 4}, "unk_token": "<unk>"}"#
        let text = #"{"version": "1.0", "model": \#(model ?? wordLevel)\#(extra.isEmpty ? "" : ", " + extra)}"#
        let url = folder.appendingPathComponent("tokenizer.json")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private func assertThrows(_ url: URL, mentioning words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try HuggingFaceTokenizer(contentsOf: url), file: file, line: line) { error in
            guard let e = error as? TokenizerError else { return XCTFail("not a TokenizerError: \(error)", file: file, line: line) }
            XCTAssertEqual(e.path, url.path, file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
            for w in words { XCTAssert(e.problem.contains(w), "\(e.problem) lacks \(w)", file: file, line: line) }
        }
    }

    func testUnknownComponentTypesThrowNamingTheType() throws {
        assertThrows(try write(#""normalizer": {"type": "Frobnicate"}"#), mentioning: ["normalizer", "Frobnicate"])
        assertThrows(try write(#""pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Shredder"}]}"#),
                     mentioning: ["pre-tokenizer", "Shredder"])
        assertThrows(try write("", model: #"{"type": "Markov", "vocab": {}}"#), mentioning: ["model", "Markov"])
        assertThrows(try write(#""decoder": {"type": "Unzip"}"#), mentioning: ["decoder", "Unzip"])
        assertThrows(try write(#""post_processor": {"type": "Glue"}"#), mentioning: ["post-processor", "Glue"])
    }

    func testMalformedFieldsThrowNamingTheField() throws {
        assertThrows(try write(#""pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways"}"#),
                     mentioning: ["Sideways"])
        assertThrows(try write(#""normalizer": {"type": "Prepend"}"#), mentioning: ["prepend"])
        assertThrows(try write("", model: #"{"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}"#), mentioning: ["b", "vocabulary"])
        assertThrows(try write("", model: #"{"type": "WordLevel", "vocab": {"a": "zero"}}"#), mentioning: ["vocab.a"])
        assertThrows(try write(#""normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAAA"}"#),
                     mentioning: ["Precompiled"])
    }

    func testCorruptJSONThrows() throws {
        let url = folder.appendingPathComponent("tokenizer.json")
        for text in [#"{"model": {"type": "BPE", "vocab": {"a": 0"#, "not json", "[1, 2]", #"{"model": {"type": "BPE"} } x"#] {
            try text.write(to: url, atomically: true, encoding: .utf8)
            assertThrows(url, mentioning: [])
        }
        assertThrows(folder.appendingPathComponent("missing.json"), mentioning: ["missing"])
    }

    func testAddedTokensStripSpacesAsConfigured() throws {
        let url = try write(#"""
            "added_tokens": [{"id": 3, "content": "[M]", "single_word": false, "lstrip": true, "rstrip": true,
                              "normalized": false, "special": true},
                             {"id": 5, "content": "hel", "single_word": true, "lstrip": false, "rstrip": false,
                              "normalized": true, "special": false}],
            "pre_tokenizer": {"type": "WhitespaceSplit"}, "normalizer": {"type": "Lowercase"}
            """#)
        let tokenizer = try HuggingFaceTokenizer(contentsOf: url)
        XCTAssertEqual(try tokenizer.encode("hello  [M]  world"), [1, 3, 2])
        XCTAssertEqual(try tokenizer.tokens("hello  [M]  world"), ["hello", "  [M]  ", "world"])
        XCTAssertEqual(try tokenizer.encode("HEL world hello"), [5, 2, 1])
        XCTAssertEqual(try tokenizer.encode("hello[M]!"), [1, 3, 4])
        XCTAssertEqual(tokenizer.decode([1, 3, 2]), "hello world")
        XCTAssertEqual(tokenizer.decode([1, 3, 2], skipSpecialTokens: false), "hello [M] world")
        XCTAssertEqual(tokenizer.vocabularySize, 6)
    }
}
