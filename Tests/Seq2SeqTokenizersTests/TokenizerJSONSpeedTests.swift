// Encoding speed on the corpus, one thread, one call per line, best of three passes — the
// numbers to set beside `scripts/make_tokenizer_json_fixtures.py --time` for `tokenizers`.
import Foundation
import Seq2SeqTokenizers
import XCTest

final class TokenizerJSONSpeedTests: XCTestCase {
    func testEncodeSpeed() throws {
        let lines = try corpusLines()
        let bytes = Double(lines.reduce(0) { $0 + $1.utf8.count })
        let only = ProcessInfo.processInfo.environment["TOKENIZER_SPEED_ONLY"]
        for name in tokenizerJSONNames where only == nil || only == name {
            let url = tokenizerFixtures.appendingPathComponent("json/\(name)/tokenizer.json")
            let tokenizer = try HuggingFaceTokenizer(contentsOf: url)
            var best = Double.infinity
            for _ in 0..<3 {
                let start = Date()
                for line in lines { _ = try tokenizer.encode(line) }
                best = min(best, Date().timeIntervalSince(start))
            }
            print("\(name): encode \(String(format: "%.2f", bytes / best / 1e6)) MB/s (Swift, one thread, best of 3)")
        }
    }
}
