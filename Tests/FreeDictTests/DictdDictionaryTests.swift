// dictd reading: base-64 numbers, the committed dictzip fixture (Tests/Fixtures/dictd, made by
// scripts/make_dictd_fixture.py), corrupt inputs as typed errors.
import Foundation
import FreeDict
import Seq2SeqTraining
import XCTest

let dictdFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/dictd/tiny").path

final class DictdDictionaryTests: XCTestCase {
    func testBase64Numbers() {
        let cases: [(String, Int)] = [("A", 0), ("B", 1), ("Z", 25), ("a", 26), ("0", 52), ("+", 62), ("/", 63),
                                      ("BA", 64), ("B0", 116), ("GHAt", 1_601_581), ("F9D6M", 99_892_876)]
        for (digits, value) in cases {
            XCTAssertEqual(DictdDictionary.decodeNumber(digits), value, digits)
            XCTAssertEqual(DictdDictionary.encodeNumber(value), digits)
        }
        for bad in ["", "A-", "A B", "é", "=", String(repeating: "/", count: 12)] {
            XCTAssertNil(DictdDictionary.decodeNumber(bad), bad)
        }
        var random = TrainingRandom(seed: 9)
        for _ in 0 ..< 1000 {
            let value = Int(random.next() >> 3)
            XCTAssertEqual(DictdDictionary.decodeNumber(DictdDictionary.encodeNumber(value)), value)
        }
    }

    func testFixtureIndexAndEntries() throws {
        let dictionary = try DictdDictionary(path: dictdFixture)
        XCTAssertEqual(dictionary.entries.count, 15)
        XCTAssertEqual(dictionary.text.count, 1371)
        XCTAssertEqual(dictionary.entries.filter(\.isMetadata).map(\.headword), ["00-database-short", "00-database-url"])
        let haus = try XCTUnwrap(dictionary.entries.first { $0.headword == "haus" })
        XCTAssertEqual(haus.offset, 63)   // "/" in the index
        XCTAssertEqual(dictionary.entries.first { $0.headword == "heim" }, DictdDictionary.Entry(headword: "heim", offset: 63, length: haus.length))
        let text = try XCTUnwrap(dictionary.text(of: haus))
        XCTAssertTrue(text.hasPrefix("Haus /hˈaʊs/ <neut, n, sg>\nhouse <n>\n"))
        XCTAssertTrue(text.hasSuffix("{frei Haus}\n\n"))
        let short = try XCTUnwrap(dictionary.entries.first { $0.headword == "00-database-short" })
        XCTAssertEqual(dictionary.text(of: short), "German - English tiny test dictionary\n")
        XCTAssertEqual(try DictdDictionary(path: dictdFixture + ".index").entries, dictionary.entries)
    }

    func testCorruptInputsThrowTypedErrors() throws {
        func code(_ body: () throws -> Void) -> TrainingDataError.Code? {
            do { try body() } catch let error as TrainingDataError { return error.code } catch { return nil }
            return nil
        }
        let text = Array("Haus\nhouse\n".utf8)
        XCTAssertEqual(try DictdDictionary(index: Array("haus\tA\tL\n".utf8), text: text).entries.first?.length, 11)
        XCTAssertEqual(code { _ = try DictdDictionary(index: Array("haus\tA\tM\n".utf8), text: text) }, .corrupt)
        XCTAssertEqual(code { _ = try DictdDictionary(index: Array("haus\tA\n".utf8), text: text) }, .corrupt)
        XCTAssertEqual(code { _ = try DictdDictionary(index: Array("ok\tA\tB\nhaus\tA?\tB\n".utf8), text: text) }, .corrupt)
        XCTAssertEqual(code { _ = try DictdDictionary(index: [], text: text) }, .noValidPairs)
        do {
            _ = try DictdDictionary(index: Array("ok\tA\tB\nhaus\tA?\tB\n".utf8), text: text, indexPath: "x.index")
        } catch {
            XCTAssertEqual("\(error)", "x.index: index line 2: bad base-64 offset \"A?\"")
        }
        XCTAssertEqual(code { _ = try DictdDictionary(path: "/nonexistent/freedict") }, .fileNotFound)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dictd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let compressed = try Data(contentsOf: URL(fileURLWithPath: dictdFixture + ".dict.dz"))
        try compressed.prefix(compressed.count / 2).write(to: folder.appendingPathComponent("cut.dict.dz"))
        try Data("not gzip at all".utf8).write(to: folder.appendingPathComponent("junk.dict.dz"))
        for name in ["cut", "junk"] {
            try FileManager.default.copyItem(atPath: dictdFixture + ".index", toPath: folder.appendingPathComponent("\(name).index").path)
            XCTAssertEqual(code { _ = try DictdDictionary(path: folder.appendingPathComponent(name).path) }, .corrupt, name)
        }
    }
}
