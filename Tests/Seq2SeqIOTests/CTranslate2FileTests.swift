// CTranslate2 `model.bin` on small synthetic files: the layout round-trips, and the damage a
// fuzz campaign found (overflowing shapes, a file cut before its alias table, non-integral
// scalars) fails with one line naming the file.
import Foundation
import Seq2SeqIO
import XCTest

/// One variable of a synthetic CTranslate2 file: raw header fields, so tests can lie.
struct SyntheticVariable {
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
func ctranslate2File(_ variables: [SyntheticVariable], aliases: [(String, String)]? = []) -> [UInt8] {
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

/// Model files cut short by another process while they are being loaded: a mapped file would
/// raise SIGBUS at the first vanished page (it did, in 14–23 of 30–40 readers); read with
/// pread(2), loading ends in a `ModelFileError` naming the file.
final class TruncatedWhileLoadingTests: XCTestCase {
    private var url: URL!

    override func setUp() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("trunc-\(UUID().uuidString).safetensors")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: url) }

    func testSafetensorsTruncatedAfterOpeningIsAnError() throws {
        try SafetensorsWriter.write([.init(name: "a", shape: [4096], values: [Float](repeating: 1, count: 4096)),
                                     .init(name: "b", shape: [4096], values: [Float](repeating: 2, count: 4096))], to: url)
        let file = try SafetensorsFile(path: url.path)
        XCTAssertEqual(truncate(url.path, 4096), 0)
        XCTAssertThrowsError(try file.floatTensor("b")) { error in
            XCTAssertEqual((error as? ModelFileError)?.path, url.path)
            XCTAssertTrue("\(error)".contains("changed while being read"), "\(error)")
        }
    }

    func testCTranslate2TruncatedAfterOpeningIsAnError() throws {
        let values = [Float](repeating: 0.5, count: 1 << 16)
        let bytes = ctranslate2File([.floats("w", [256, 256], values)])
        try Data(bytes).write(to: url)
        let file = try CTranslate2File(path: url.path)
        XCTAssertEqual(truncate(url.path, 1000), 0)
        XCTAssertThrowsError(try file.floatTensor("w")) { XCTAssertTrue("\($0)".contains("changed while being read"), "\($0)") }
    }

    /// Readers race a truncation: every load either completes with the right values or throws.
    func testConcurrentTruncationNeverCrashes() throws {
        let items = (0..<64).map { SafetensorsWriter.Item(name: "t\($0)", shape: [64 * 1024], values: [Float](repeating: Float($0), count: 64 * 1024)) }
        var outcomes = (complete: 0, failed: 0)
        for round in 0..<8 {
            try SafetensorsWriter.write(items, to: url)
            let file = try SafetensorsFile(path: url.path)
            let lock = NSLock()
            DispatchQueue.concurrentPerform(iterations: 3) { worker in
                if worker == 0 {
                    usleep(UInt32(500 * round))
                    _ = truncate(url.path, off_t(8 * 1024 * 1024))
                    return
                }
                do {
                    for (i, item) in items.enumerated() {
                        // The tensor must outlive the read of its storage (a temporary's `data` dangles).
                        let tensor = try file.floatTensor(item.name)
                        let value = withExtendedLifetime(tensor) { tensor.data[100] }
                        XCTAssertEqual(value, Float(i))
                    }
                    lock.withLock { outcomes.complete += 1 }
                } catch {
                    XCTAssertTrue(error is ModelFileError, "\(error)")
                    lock.withLock { outcomes.failed += 1 }
                }
            }
        }
        XCTAssertEqual(outcomes.complete + outcomes.failed, 16)
        print("loads racing a truncation: \(outcomes.complete) completed, \(outcomes.failed) failed cleanly")
    }
}
