// `seq2seq translate` on broken Marian folders (exit 3, one line) and, when the Firefox
// models are fetched (scripts/fetch_firefox_models.sh), on a real sentence.
import Foundation
import XCTest

final class TranslateCLITests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-translate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    /// A Marian file of one item `x` with the given header fields and `data` (data 256-aligned).
    func oneItemFile(type: UInt64, shape: [Int32], dataLength: UInt64, data: [UInt8]) -> [UInt8] {
        var header = le(UInt64(1)) + le(UInt64(1)) + le(UInt64(2)) + le(type) + le(UInt64(shape.count)) + le(dataLength)
        header += Array("x".utf8) + [0] + shape.flatMap { le($0) }
        let pad = (header.count + 8 + 255) / 256 * 256 - (header.count + 8)
        return header + le(UInt64(pad)) + [UInt8](repeating: 0, count: pad) + data
    }

    /// A folder with a Marian config naming `model.bin` holding `bytes`.
    func folder(_ bytes: [UInt8]) throws -> String {
        let dir = scratch.appendingPathComponent("m\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "models:\n  - model.bin\nbeam-size: 1\n".write(to: dir.appendingPathComponent("config.yml"), atomically: true, encoding: .utf8)
        try Data(bytes).write(to: dir.appendingPathComponent("model.bin"))
        return dir.path
    }

    func assertBadModel(_ bytes: [UInt8], mentions fragments: [String], line: UInt = #line) throws {
        let result = try runCLI(["translate", "--model", try folder(bytes), "--input-ids", "5 0"])
        XCTAssertEqual(result.status, 3, "stderr: \(result.stderr)", line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr, line: line)
        for f in ["model.bin"] + fragments { XCTAssertTrue(result.stderr.contains(f), "'\(f)' not in: \(result.stderr)", line: line) }
    }

    func testTruncatedModel() throws {
        let whole = oneItemFile(type: 0x404, shape: [1, 4], dataLength: 256, data: [UInt8](repeating: 0, count: 256))
        try assertBadModel(Array(whole.prefix(whole.count - 100)), mentions: ["truncated"])
        try assertBadModel(Array(whole.prefix(12)), mentions: ["truncated"])
    }

    func testItemSizeDisagreeingWithShape() throws {
        try assertBadModel(oneItemFile(type: 0x404, shape: [2, 4], dataLength: 16, data: [UInt8](repeating: 0, count: 16)),
                           mentions: ["'x'", "[2, 4]", "needs 32"])
    }

    func testUnknownItemType() throws {
        try assertBadModel(oneItemFile(type: 0x999, shape: [4], dataLength: 256, data: [UInt8](repeating: 0, count: 256)),
                           mentions: ["'x'", "unknown type 0x999"])
    }

    func testRealModelTranslates() throws {
        let models = fixtures.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models/firefox/enpt")
        guard FileManager.default.fileExists(atPath: models.appendingPathComponent("config.intgemm8bitalpha.yml").path) else {
            throw XCTSkip("Firefox models not fetched: run scripts/fetch_firefox_models.sh")
        }
        // "The children were playing in the garden." → "As crianças brincavam no jardim."
        let result = try runCLI(["translate", "--model", models.path, "--input-ids", "38 824 167 5344 12 6 4043 3 0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "156 929 27392 1901 29 3493 3 0\n")
        let svg = scratch.appendingPathComponent("align.svg")
        let withHeatmap = try runCLI(["translate", "--model", models.path, "--input-ids", "38 824 167 5344 12 6 4043 3 0",
                                      "--attention-out", svg.path])
        XCTAssertEqual(withHeatmap.status, 0, withHeatmap.stderr)
        let text = try String(contentsOf: svg, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("<svg") && text.contains("▁jardim") && text.contains("▁garden"), String(text.prefix(200)))
    }
}
