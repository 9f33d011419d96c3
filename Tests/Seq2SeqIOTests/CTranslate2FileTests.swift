// CTranslate2 `model.bin` on small synthetic files: the layout round-trips, and the damage a
// fuzz campaign found (overflowing shapes, a file cut before its alias table, non-integral
// scalars) fails with one line naming the file.
import Foundation
import Seq2SeqIO
import XCTest

/// One variable of a synthetic CTranslate2 file: raw header fields, so tests can lie.
private struct SyntheticVariable {
    var name: String
    var shape: [UInt32]
    var dtype: UInt8
    var data: [UInt8]
    var byteCount: UInt32?

    static func floats(_ name: String, _ shape: [UInt32], _ values: [Float]) -> Self {
        Self(name: name, shape: shape, dtype: 0, data: values.flatMap { le($0.bitPattern) })
    }
}

/// The bytes of a version-6 CTranslate2 file; `aliases: nil` leaves the alias table out.
private func ctranslate2File(_ variables: [SyntheticVariable], aliases: [(String, String)]? = []) -> [UInt8] {
    func string(_ s: String) -> [UInt8] { le(UInt16(s.utf8.count + 1)) + Array(s.utf8) + [0] }
    var bytes = le(UInt32(6)) + string("WhisperSpec") + le(UInt32(3)) + le(UInt32(variables.count))
    for v in variables {
        bytes += string(v.name) + [UInt8(v.shape.count)] + v.shape.flatMap { le($0) } + [v.dtype]
            + le(v.byteCount ?? UInt32(v.data.count)) + v.data
    }
    if let aliases {
        bytes += le(UInt32(aliases.count))
        for (alias, target) in aliases { bytes += string(alias) + string(target) }
    }
    return bytes
}

final class CTranslate2FileTests: XCTestCase {
    private var url: URL!

    override func setUp() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ct2-\(UUID().uuidString).bin")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: url) }

    private func open(_ bytes: [UInt8]) throws -> CTranslate2File {
        try Data(bytes).write(to: url)
        return try CTranslate2File(path: url.path)
    }

    private func assertFails(_ bytes: [UInt8], mentioning words: String..., line: UInt = #line) {
        XCTAssertThrowsError(try open(bytes), line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix(url.path + ": "), message, line: line)
            XCTAssertFalse(message.contains("\n"), message, line: line)
            for word in words { XCTAssertTrue(message.contains(word), "'\(word)' not in: \(message)", line: line) }
        }
    }

    private let good: [SyntheticVariable] = [
        .floats("decoder/embeddings/weight", [2, 2], [1, 2, 3, 4]),
        SyntheticVariable(name: "encoder/num_heads", shape: [], dtype: 2, data: le(Int16(6))),
    ]

    func testReadsVariablesScalarsAndAliases() throws {
        let file = try open(ctranslate2File(good, aliases: [("decoder/projection/weight", "decoder/embeddings/weight")]))
        XCTAssertEqual(file.specName, "WhisperSpec")
        XCTAssertEqual(try file.floatTensor("decoder/projection/weight").values, [1, 2, 3, 4])
        XCTAssertEqual(file.scalarInt("encoder/num_heads"), 6)
    }

    func testShapeWhoseProductOverflowsIsRefused() {
        var variables = good
        variables[0].shape = [UInt32.max, UInt32.max, UInt32.max]
        assertFails(ctranslate2File(variables), mentioning: "decoder/embeddings/weight", "impossible shape")
    }

    func testFileCutBeforeItsAliasTableIsTruncated() {
        assertFails(ctranslate2File(good, aliases: nil), mentioning: "truncated")
    }

    func testNonIntegralFloatScalarsAreNotIntegers() throws {
        for bits: UInt32 in [Float.nan.bitPattern, Float.infinity.bitPattern, Float(1e30).bitPattern, Float(2.5).bitPattern] {
            var variables = good
            variables[1] = SyntheticVariable(name: "encoder/num_heads", shape: [], dtype: 0, data: le(bits))
            XCTAssertNil(try open(ctranslate2File(variables)).scalarInt("encoder/num_heads"), "\(Float(bitPattern: bits))")
        }
        var variables = good
        variables[1] = SyntheticVariable(name: "encoder/num_heads", shape: [], dtype: 0, data: le(Float(8).bitPattern))
        XCTAssertEqual(try open(ctranslate2File(variables)).scalarInt("encoder/num_heads"), 8)
    }
}
