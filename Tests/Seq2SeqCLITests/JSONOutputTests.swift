// `--json` output is byte-identical run to run, with the member order docs/cli.md shows
// (Foundation's JSONSerialization ordered keys by hash: the order changed between runs).
import Foundation
import XCTest

final class JSONOutputTests: XCTestCase {
    private func path(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// Runs `arguments` six times; asserts identical output and returns it.
    private func stableOutput(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let runs = try (0..<6).map { _ in try runCLI(arguments) }
        for run in runs { XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line) }
        XCTAssertEqual(Set(runs.map(\.stdout)).count, 1, "output differs between runs: \(arguments)", file: file, line: line)
        return runs[0].stdout
    }

    /// The keys of the first JSON object in `text`, in the order they appear.
    private func keyOrder(_ text: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: #"[{,]"([a-z_]+)":"#)
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
            String(text[Range($0.range(at: 1), in: text)!])
        }
    }

    func testEveryJSONCommandIsStableAndOrdered() throws {
        let hypotheses = FileManager.default.temporaryDirectory.appendingPathComponent("hyp-\(UUID()).txt")
        defer { try? FileManager.default.removeItem(at: hypotheses) }
        try "the cat sat\non the mat\n".write(to: hypotheses, atomically: true, encoding: .utf8)
        let cases: [([String], [String])] = [
            (["translate", "--model", path("bart"), "--json", "--beam-size", "2", "Hello there."], ["text", "ids", "score"]),
            (["translate", "--model", path("marian"), "--json", "--attention", "Hello"],
             ["text", "ids", "score", "source_tokens", "target_tokens", "cross_attention"]),
            (["generate", "--model", path("bart"), "--input-ids", "5 6 7 8 2", "--num-beams", "4", "--num-return-sequences", "2", "--json"],
             ["sequences", "ids", "text", "score", "ids", "text", "score"]),
            (["score", "--model", path("bart"), "--source-ids", "5 6 2", "--target-ids", "7 2", "--json"], ["token_log_probs", "log_prob", "ids"]),
            (["tokenize", "--model", path("opus-mt"), "--json", "Hello"], ["ids", "tokens"]),
            (["inspect", "--model", path("bart"), "--json"], ["family", "parameters", "weights_dtypes", "d_model"]),
            (["evaluate", "--hypotheses", hypotheses.path, "--reference", hypotheses.path, "--json"],
             ["name", "score", "precisions", "counts", "totals", "bp", "ratio", "hyp_len", "ref_len", "signature", "metric", "line", "segments", "references"]),
        ]
        for (arguments, keys) in cases {
            let output = try stableOutput(arguments)
            XCTAssertEqual(Array(keyOrder(output).prefix(keys.count)), keys, "\(arguments[0]): \(output.prefix(200))")
        }
    }
}
