// End to end with text: `translate` prints exactly what transformers generates and decodes
// for the fixture checkpoints and their tokenizers; the attention heatmap carries the
// reference cross-attention; empty lines and bad input behave as the contract says.
import Foundation
import XCTest

final class TextCommandTests: XCTestCase {
    private func textCase(_ model: String, _ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(model).appendingPathComponent("reference.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(json["text"] as? [[String: Any]], "\(model): no text cases")
        return try XCTUnwrap(cases.first { $0["name"] as? String == name })
    }

    func testTranslateMatchesTransformersGreedyAndBeam() throws {
        for model in ["t5-v1_0", "t5-v1_1", "bart", "mbart", "marian", "opus-mt", "opus-mt-separate"] {
            for (name, beams) in [("text_greedy", "1"), ("text_beam4", "4")] {
                let c = try textCase(model, name)
                let texts = try XCTUnwrap(c["texts"] as? [String])
                let result = try runCLI(["translate", "--model", fixtures.appendingPathComponent(model).path,
                                         "--beam-size", beams, "--max-length", "12", "--batch-size", "3", "--json"] + texts)
                XCTAssertEqual(result.status, 0, "\(model): \(result.stderr)")
                let lines = result.stdout.split(separator: "\n").map(String.init)
                XCTAssertEqual(lines.count, texts.count, "\(model) \(name): one line per input")
                let records = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
                XCTAssertEqual(records.map { $0["text"] as? String ?? "?" }, c["outputs"] as? [String], "\(model) \(name): text")
                XCTAssertEqual(records.map { $0["ids"] as? [Int] ?? [] }, c["ids"] as? [[Int]], "\(model) \(name): ids")
                let plain = try runCLI(["translate", "--model", fixtures.appendingPathComponent(model).path,
                                        "--beam-size", beams, "--max-length", "12"],
                                       stdin: Data(texts.joined(separator: "\n").utf8 + Data("\n".utf8)))
                XCTAssertEqual(plain.stdout, (c["outputs"] as? [String] ?? []).map { $0 + "\n" }.joined(), "\(model) \(name): stdin")
            }
        }
    }

    func testAttentionHeatmapCarriesReferenceCrossAttention() throws {
        for model in ["t5-v1_0", "bart", "marian"] {
            let c = try textCase(model, "text_greedy")
            let texts = try XCTUnwrap(c["texts"] as? [String])
            let svg = scratchFile("\(model).svg")
            let result = try runCLI(["translate", "--model", fixtures.appendingPathComponent(model).path, "--beam-size", "1",
                                     "--max-length", "12", "--attention-out", svg.path, texts[0]])
            XCTAssertEqual(result.status, 0, result.stderr)
            let text = try String(contentsOf: svg, encoding: .utf8)
            XCTAssertTrue(text.hasPrefix("<svg"), model)
            let want = try XCTUnwrap(c["first_cross_attention"] as? [[Double]])
            let cells = try NSRegularExpression(pattern: #"data-row="(\d+)" data-col="(\d+)" data-weight="([^"]+)""#)
            var seen = 0
            for m in cells.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let field = { (k: Int) in String(text[Range(m.range(at: k), in: text)!]) }
                let (i, j, w) = (Int(field(1))!, Int(field(2))!, Double(field(3))!)
                XCTAssertEqual(w, want[i][j], accuracy: 1e-4, "\(model) cell \(i),\(j)")
                seen += 1
            }
            XCTAssertEqual(seen, want.count * (want.first?.count ?? 0), "\(model): every cell drawn")
        }
    }

    func testEmptyLineStaysInPlaceAndTokenize() throws {
        let model = fixtures.appendingPathComponent("bart").path
        let result = try runCLI(["translate", "--model", model, "--beam-size", "1", "--max-length", "4"],
                                stdin: Data("Hello\n\nworld\n".utf8))
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.components(separatedBy: "\n")
        XCTAssertEqual(lines.count, 4, result.stdout)
        XCTAssertEqual(lines[1], "")
        let tokens = try runCLI(["tokenize", "--model", model, "--json", "Hello world"])
        XCTAssertEqual(tokens.status, 0, tokens.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(tokens.stdout.utf8)) as? [String: Any])
        let ids = try XCTUnwrap(object["ids"] as? [Int])
        XCTAssertEqual(ids.first, 0, "<s> first")
        XCTAssertEqual(ids.last, 2, "</s> last")
        let decoded = try runCLI(["tokenize", "--model", model, "--decode", ids.map(String.init).joined(separator: " ")])
        XCTAssertEqual(decoded.stdout, "Hello world\n")
    }

    func testInvalidUTF8AndBrokenTokenizerAreBadInput() throws {
        let model = fixtures.appendingPathComponent("marian").path
        let result = try runCLI(["translate", "--model", model], stdin: Data([0x48, 0xFF, 0xFE, 0x0A]))
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.contains("UTF-8"), result.stderr)
        let broken = scratchFile("broken-marian")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("marian"), to: broken)
        try Data([0x0A, 0x05, 0x01, 0x02]).write(to: broken.appendingPathComponent("source.spm"))
        let bad = try runCLI(["translate", "--model", broken.path, "hello"])
        XCTAssertEqual(bad.status, 3, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("source.spm"), bad.stderr)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
        let json = scratchFile("broken-bart")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("bart"), to: json)
        let tokenizerFile = json.appendingPathComponent("tokenizer.json")
        let text = try String(contentsOf: tokenizerFile, encoding: .utf8)
        try text.replacingOccurrences(of: "\"ByteLevel\"", with: "\"NoSuchPreTokenizer\"").write(to: tokenizerFile, atomically: true, encoding: .utf8)
        let unknown = try runCLI(["translate", "--model", json.path, "hello"])
        XCTAssertEqual(unknown.status, 3, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("NoSuchPreTokenizer"), unknown.stderr)
    }

    private func scratchFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-text-\(UUID().uuidString)-\(name)")
    }
}
