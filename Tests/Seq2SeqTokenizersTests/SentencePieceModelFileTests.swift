// The `.model` reader on damaged files: every failure is a TokenizerError naming the file
// in one line.
import Foundation
import Seq2SeqTokenizers
import XCTest

final class SentencePieceModelFileTests: XCTestCase {
    private func assertRejected(_ bytes: [UInt8], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let path = "damaged/\(what).model"
        do {
            _ = try SentencePieceTokenizer(modelBytes: bytes, path: path)
            XCTFail("\(what): loaded", file: file, line: line)
        } catch let e as TokenizerError {
            XCTAssertEqual(e.path, path, file: file, line: line)
            XCTAssertTrue(e.description.hasPrefix(path + ": "), e.description, file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), e.description, file: file, line: line)
        } catch {
            XCTFail("\(what): \(error)", file: file, line: line)
        }
    }

    func testDamagedFilesThrowTokenizerErrors() throws {
        let good = [UInt8](try Data(contentsOf: spmFixtures.appendingPathComponent("unigram_bytes.model")))
        XCTAssertNoThrow(try SentencePieceTokenizer(modelBytes: good))
        assertRejected([], "empty")
        assertRejected(Array(good.prefix(good.count / 2)), "half")
        assertRejected(Array(good.prefix(3)), "three-bytes")
        assertRejected([0x0A, 0xFF], "truncated-varint")
        assertRejected([0x0A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], "long-varint")
        assertRejected([0x0A, 0x05, 0x0A, 0x01], "length-past-end")
        assertRejected([0x0B, 0x00], "group-wire-type")
        assertRejected([0x0A, 0x04, 0x0A, 0x02, 0xC3, 0x28], "not-utf8-piece")
        // Every cut of the first kilobyte is either rejected or a prefix that loads.
        for cut in stride(from: 1, to: 1024, by: 7) {
            do {
                _ = try SentencePieceTokenizer(modelBytes: Array(good.prefix(cut)), path: "cut.model")
            } catch let e as TokenizerError {
                XCTAssertEqual(e.path, "cut.model")
                XCTAssertFalse(e.description.contains("\n"))
            }
        }
    }

    func testMissingFileNamesIt() {
        let url = URL(fileURLWithPath: "/nonexistent/spiece.model")
        XCTAssertThrowsError(try SentencePieceTokenizer(contentsOf: url)) { error in
            XCTAssertEqual((error as? TokenizerError)?.path, url.path)
        }
    }

    func testGarbageCharsMapIsRejected() {
        XCTAssertThrowsError(try PrecompiledCharsMap(data: [1, 2]))
        XCTAssertThrowsError(try PrecompiledCharsMap(data: [0xFF, 0xFF, 0, 0, 1, 2, 3, 4]))
    }
}
