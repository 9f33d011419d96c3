// `seq2seq convert` as CONTRACT.md names it: both spellings, the same int8 output as
// `--compute-type int8` on the original folder, and usage / bad-data exits.
import Foundation
import XCTest

final class ConvertCLITests: XCTestCase {
    func testConvertInt8GeneratesAsTheOriginalAtInt8() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("convert-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let original = fixtures.appendingPathComponent("marian").path
        let first = scratch.appendingPathComponent("a").path, second = scratch.appendingPathComponent("b").path
        let converted = try runCLI(["convert", "--quantize", "int8", original, first])
        XCTAssertEqual(converted.status, 0, converted.stderr)
        XCTAssertTrue(converted.stdout.contains("int8"), converted.stdout)
        let spelled = try runCLI(["convert", "--model", original, "--out", second, "--quantize", "int8"])
        XCTAssertEqual(spelled.status, 0, spelled.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: first + "/model.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: second + "/model.safetensors")))
        let texts = ["Hello world, this is a test.", "Another line."]
        let want = try runCLI(["generate", "--model", original, "--compute-type", "int8", "--json"] + texts)
        let got = try runCLI(["generate", "--model", first, "--compute-type", "int8", "--json"] + texts)
        XCTAssertEqual(want.status, 0, want.stderr)
        XCTAssertEqual(got.stdout, want.stdout)
        let inspected = try runCLI(["inspect", "--model", first])
        XCTAssertTrue(inspected.stdout.contains("I8"), inspected.stdout)

        let occupied = try runCLI(["convert", "--quantize", "int8", original, first])
        XCTAssertEqual(occupied.status, 3)
        XCTAssertTrue(occupied.stderr.contains("not an empty folder"), occupied.stderr)
        XCTAssertEqual(occupied.stderr.split(separator: "\n").count, 1, occupied.stderr)
        let lonely = try runCLI(["convert", original])
        XCTAssertEqual(lonely.status, 2, lonely.stderr)
        let unknown = try runCLI(["convert", "--quantize", "int4", original, scratch.appendingPathComponent("c").path])
        XCTAssertEqual(unknown.status, 2, unknown.stderr)
    }
}
