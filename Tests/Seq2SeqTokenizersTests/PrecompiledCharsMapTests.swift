// PrecompiledCharsMap against known NFKC cases and against Hugging Face tokenizers'
// `Precompiled` normalizer on the whole corpus (fixtures by scripts/make_spm_fixtures.py).
import Foundation
import Seq2SeqTokenizers
import XCTest

final class PrecompiledCharsMapTests: XCTestCase {
    private func nfkc() throws -> PrecompiledCharsMap {
        try PrecompiledCharsMap(data: [UInt8](Data(contentsOf: spmFixtures.appendingPathComponent("nmt_nfkc.charsmap"))))
    }

    func testKnownNFKCCases() throws {
        let map = try nfkc()
        XCTAssertEqual(map.normalize("\u{FB01}"), "fi")
        XCTAssertEqual(map.normalize("\u{FF21}\u{FF42}\u{FF43}\u{FF11}"), "Abc1")
        XCTAssertEqual(map.normalize("\u{2460}"), "1")
        XCTAssertEqual(map.normalize("\u{3000}"), " ")
        XCTAssertEqual(map.normalize("plain ascii"), "plain ascii")
        XCTAssertEqual(map.normalize(""), "")
    }

    func testMatchesHuggingFacePrecompiledOnTheCorpus() throws {
        let map = try nfkc()
        let cases = try spmJSONLines(spmFixtures.appendingPathComponent("charsmap.expected.jsonl"))
        XCTAssertGreaterThan(cases.count, 2082)
        var mismatches: [String] = []
        for c in cases {
            let text = c["text"] as? String ?? ""
            let want = c["normalized"] as? String ?? ""
            let got = map.normalize(text)
            if !spmSameScalars(got, want) {
                mismatches.append("\(String(reflecting: text).prefix(60)): got \(String(reflecting: got).prefix(60)) want \(String(reflecting: want).prefix(60))")
            }
        }
        XCTAssertTrue(mismatches.isEmpty, "\(mismatches.count) of \(cases.count) differ; first: \(mismatches.prefix(3).joined(separator: " | "))")
    }
}
