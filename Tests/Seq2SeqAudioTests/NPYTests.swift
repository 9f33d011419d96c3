// .npy reading for --input-features: float32 C-order 2-D arrays, one clear error otherwise.
import Foundation
import Seq2SeqAudio
import XCTest

final class NPYTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("s2s-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// A version-1.0 .npy file with `header` (padded to 64 bytes) and `payload`.
    private func npy(_ name: String, header: String, payload: [UInt8], version: UInt8 = 1) throws -> String {
        let lengthBytes = version == 1 ? 2 : 4
        var text = header
        while (10 + lengthBytes - 2 + text.utf8.count + 1) % 64 != 0 { text += " " }
        text += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        for i in 0..<lengthBytes { bytes.append(UInt8((text.utf8.count >> (8 * i)) & 0xFF)) }
        bytes += Array(text.utf8) + payload
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func floats(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }

    private func assertProblem(_ path: String, contains words: String, line: UInt = #line) {
        XCTAssertThrowsError(try NPYFile.readFloat32Matrix(path: path), line: line) { error in
            let e = error as? AudioFileError
            XCTAssertEqual(e?.path, path, line: line)
            XCTAssertTrue(e?.problem.contains(words) ?? false, "\(error)", line: line)
            XCTAssertFalse("\(error)".contains("\n"), line: line)
        }
    }

    func testReadsFloat32Matrix() throws {
        let values: [Float] = [1, -2, 3.5, 0, 0.25, -7]
        for version: UInt8 in [1, 2] {
            let path = try npy("m\(version).npy", header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", payload: floats(values), version: version)
            let t = try NPYFile.readFloat32Matrix(path: path)
            XCTAssertEqual(t.shape, [2, 3])
            XCTAssertEqual(t.values, values)
        }
    }

    func testReadsNumpyWrittenFixture() throws {
        let t = try AudioFixtures.npy("pcm16_mono_16k.mel80.npy")
        XCTAssertEqual(t.shape, [80, 201])
    }

    func testRejectsOtherArrays() throws {
        assertProblem(try npy("f8.npy", header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", payload: [UInt8](repeating: 0, count: 8)), contains: "'<f8'")
        assertProblem(try npy("be.npy", header: "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 1), }", payload: [0, 0, 0, 0]), contains: "'>f4'")
        assertProblem(try npy("i4.npy", header: "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1), }", payload: [0, 0, 0, 0]), contains: "float32")
        assertProblem(try npy("f.npy", header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", payload: floats([1, 2, 3, 4])), contains: "Fortran")
        assertProblem(try npy("r1.npy", header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", payload: floats([1, 2, 3, 4])), contains: "2-D")
        assertProblem(try npy("r3.npy", header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }", payload: floats([1, 2, 3, 4])), contains: "2-D")
    }

    func testRejectsDamagedFiles() throws {
        assertProblem(try npy("short.npy", header: "{'descr': '<f4', 'fortran_order': False, 'shape': (80, 3000), }", payload: floats([1, 2])), contains: "truncated")
        assertProblem(try npy("huge.npy", header: "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 2), }", payload: []), contains: "truncated")
        assertProblem(try npy("noshape.npy", header: "{'descr': '<f4', 'fortran_order': False}", payload: []), contains: "shape")
        let empty = folder.appendingPathComponent("empty.npy")
        try Data().write(to: empty)
        assertProblem(empty.path, contains: "empty")
        let text = folder.appendingPathComponent("text.npy")
        try Data("hello world, not numpy".utf8).write(to: text)
        assertProblem(text.path, contains: "not a .npy")
        // Header length pointing past the end of the file.
        let cut = folder.appendingPathComponent("cut.npy")
        try Data([0x93] + Array("NUMPY".utf8) + [1, 0, 0xFF, 0xFF] + Array("{'descr'".utf8)).write(to: cut)
        assertProblem(cut.path, contains: "truncated")
        assertProblem(folder.appendingPathComponent("missing.npy").path, contains: "no such file")
    }
}
