// Safetensors reading and writing: round trips, half-precision decoding, sharded folders,
// and one clear error naming the file for every kind of damage.
import Foundation
import Seq2SeqIO
import XCTest

final class SafetensorsTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("s2s-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// A raw safetensors file from a header object and data bytes.
    private func rawFile(_ name: String, header: [String: Any], data: [UInt8], headerSize: UInt64? = nil) throws -> URL {
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var bytes = [UInt8]()
        withUnsafeBytes(of: (headerSize ?? UInt64(json.count)).littleEndian) { bytes += $0 }
        bytes += json
        bytes += data
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    private func assertProblem(_ url: URL, contains words: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafetensorsFile(path: url.path), file: file, line: line) { error in
            let e = error as? ModelFileError
            XCTAssertEqual(e?.path, url.path, file: file, line: line)
            XCTAssertTrue(e?.problem.contains(words) ?? false, "\(error)", file: file, line: line)
            XCTAssertFalse("\(error)".contains("\n"), file: file, line: line)
        }
    }

    func testWriteThenReadRoundTrips() throws {
        let url = folder.appendingPathComponent("model.safetensors")
        let a = (0..<6).map { Float($0) * 0.5 - 1 }, b: [Float] = [3.25, -7]
        try SafetensorsWriter.write([.init(name: "b", shape: [2], values: b), .init(name: "a", shape: [2, 3], values: a)], to: url)
        let file = try SafetensorsFile(path: url.path)
        XCTAssertEqual(Set(file.entries.keys), ["a", "b"])
        XCTAssertEqual(try file.floatTensor("a").shape, [2, 3])
        XCTAssertEqual(try file.floatTensor("a").values, a)
        XCTAssertEqual(try file.floatTensor("b").values, b)
        XCTAssertEqual(file.metadata["format"], "pt")
        let checkpoint = try SafetensorsCheckpoint(directory: folder)
        XCTAssertEqual(checkpoint.names, ["a", "b"])
        XCTAssertEqual(checkpoint.shape(of: "a"), [2, 3])
        XCTAssertFalse(checkpoint.contains("c"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent(".model.safetensors.partial").path))
    }

    func testHalfAndBFloat16AreDecoded() throws {
        // 1.0, -2.0, 0.5 in IEEE half: 0x3C00, 0xC000, 0x3800; in bfloat16: 0x3F80, 0xC000, 0x3F00.
        let half: [UInt16] = [0x3C00, 0xC000, 0x3800], brain: [UInt16] = [0x3F80, 0xC000, 0x3F00]
        let data = (half + brain).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let url = try rawFile("h.safetensors", header: [
            "h": ["dtype": "F16", "shape": [3], "data_offsets": [0, 6]],
            "b": ["dtype": "BF16", "shape": [3], "data_offsets": [6, 12]],
        ], data: data)
        let file = try SafetensorsFile(path: url.path)
        XCTAssertEqual(try file.floatTensor("h").values, [1, -2, 0.5])
        XCTAssertEqual(try file.floatTensor("b").values, [1, -2, 0.5])
        XCTAssertEqual(file.entries["h"]?.dtype, .float16)
    }

    func testDamagedFilesGiveOneLineNamingTheFile() throws {
        let good: [String: Any] = ["w": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]]]
        let tiny = folder.appendingPathComponent("tiny.safetensors")
        try Data([1, 2, 3]).write(to: tiny)
        assertProblem(tiny, contains: "not a safetensors file")
        assertProblem(try rawFile("huge-header.safetensors", header: good, data: [UInt8](repeating: 0, count: 8), headerSize: 1 << 40),
                      contains: "truncated")
        assertProblem(try rawFile("truncated.safetensors", header: good, data: [0, 0, 0]), contains: "outside the file")
        assertProblem(try rawFile("offsets.safetensors", header: ["w": ["dtype": "F32", "shape": [2], "data_offsets": [4, 9000]]],
                                  data: [UInt8](repeating: 0, count: 8)), contains: "outside the file")
        assertProblem(try rawFile("size.safetensors", header: ["w": ["dtype": "F32", "shape": [3], "data_offsets": [0, 8]]],
                                  data: [UInt8](repeating: 0, count: 8)), contains: "needs 12")
        assertProblem(try rawFile("dtype.safetensors", header: ["w": ["dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]]],
                                  data: [0, 0]), contains: "unsupported dtype")
        assertProblem(try rawFile("overlap.safetensors", header: [
            "a": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]],
            "b": ["dtype": "F32", "shape": [1], "data_offsets": [4, 8]],
        ], data: [UInt8](repeating: 0, count: 8)), contains: "overlap")
        assertProblem(try rawFile("entry.safetensors", header: ["w": ["dtype": "F32"]], data: []), contains: "corrupt")
        let garbage = folder.appendingPathComponent("garbage.safetensors")
        var bytes = [UInt8]()
        withUnsafeBytes(of: UInt64(5).littleEndian) { bytes += $0 }
        bytes += Array("{oops".utf8)
        try Data(bytes).write(to: garbage)
        assertProblem(garbage, contains: "not a JSON object")
        assertProblem(folder.appendingPathComponent("absent.safetensors"), contains: "cannot open")
    }

    /// Cases a fuzz campaign found: sizes from the file that overflow, and a header length one
    /// byte short that shifted every tensor and was accepted.
    func testOverflowingSizesAndMisplacedDataAreRefused() throws {
        let good: [String: Any] = ["w": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]]]
        assertProblem(try rawFile("length-2^63.safetensors", header: good, data: [UInt8](repeating: 0, count: 8), headerSize: 1 << 63),
                      contains: "truncated")
        assertProblem(try rawFile("length-max.safetensors", header: good, data: [UInt8](repeating: 0, count: 8), headerSize: UInt64.max),
                      contains: "truncated")
        let huge = 1 << 39
        assertProblem(try rawFile("product.safetensors", header: ["w": ["dtype": "F32", "shape": [huge, huge, huge], "data_offsets": [0, 8]]],
                                  data: [UInt8](repeating: 0, count: 8)), contains: "'w'")
        assertProblem(try rawFile("bytes.safetensors", header: ["w": ["dtype": "F64", "shape": [1 << 31, 1 << 30], "data_offsets": [0, 8]]],
                                  data: [UInt8](repeating: 0, count: 8)), contains: "'w'")
        // A header padded with a space, its length stored one byte short: the JSON still parses,
        // and the data region gains the space at its front.
        let json = try JSONSerialization.data(withJSONObject: good, options: [.sortedKeys])
        var bytes = [UInt8]()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        bytes += json + [0x20] + [UInt8](repeating: 0, count: 8)
        let short = folder.appendingPathComponent("short-length.safetensors")
        try Data(bytes).write(to: short)
        assertProblem(short, contains: "data region")
        assertProblem(try rawFile("gap.safetensors", header: ["w": ["dtype": "F32", "shape": [1], "data_offsets": [4, 8]]],
                                  data: [UInt8](repeating: 0, count: 8)), contains: "expected 0")
        assertProblem(try rawFile("trailing.safetensors", header: good, data: [UInt8](repeating: 0, count: 12)), contains: "data region")
    }

    func testShardedFolderAndBrokenIndex() throws {
        try SafetensorsWriter.write([.init(name: "a", shape: [1], values: [1])], to: folder.appendingPathComponent("s1.safetensors"))
        try SafetensorsWriter.write([.init(name: "b", shape: [1], values: [2])], to: folder.appendingPathComponent("s2.safetensors"))
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        try Data(#"{"metadata":{},"weight_map":{"a":"s1.safetensors","b":"s2.safetensors"}}"#.utf8).write(to: index)
        let checkpoint = try SafetensorsCheckpoint(directory: folder)
        XCTAssertEqual(checkpoint.names, ["a", "b"])
        XCTAssertEqual(try checkpoint.floatTensor("b").values, [2])

        try Data(#"{"weight_map":{"a":"s1.safetensors","c":"s3.safetensors"}}"#.utf8).write(to: index)
        XCTAssertThrowsError(try SafetensorsCheckpoint(directory: folder)) { error in
            XCTAssertTrue((error as? ModelFileError)?.path.hasSuffix("s3.safetensors") ?? false, "\(error)")
        }
        try Data(#"{"weight_map":{"a":"s1.safetensors","c":"s2.safetensors"}}"#.utf8).write(to: index)
        XCTAssertThrowsError(try SafetensorsCheckpoint(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("'c'"), "\(error)")
        }
        try Data("[1,2]".utf8).write(to: index)
        XCTAssertThrowsError(try SafetensorsCheckpoint(directory: folder)) { error in
            XCTAssertEqual((error as? ModelFileError)?.path, index.path)
        }
        try FileManager.default.removeItem(at: index)
        XCTAssertThrowsError(try SafetensorsCheckpoint(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("no model.safetensors"), "\(error)")
        }
    }
}

final class JSONConfigTests: XCTestCase {
    func testTypedLookups() throws {
        let object = try JSONValue.parse(Array(#"""
            {"d_model": 512, "eps": 1e-6, "scale": 1, "tie": true, "name": "t5", "eos": [1, 2], "one": 3, "nothing": null}
            """#.utf8))
        let c = JSONConfig(path: "config.json", object: object)
        XCTAssertEqual(try c.int("d_model"), 512)
        XCTAssertEqual(try c.double("eps"), 1e-6)
        XCTAssertEqual(try c.double("scale"), 1)
        XCTAssertEqual(try c.bool("tie"), true)
        XCTAssertEqual(try c.string("name"), "t5")
        XCTAssertEqual(try c.intArray("eos"), [1, 2])
        XCTAssertEqual(try c.intOrIntArray("one"), [3])
        XCTAssertEqual(try c.intOrIntArray("eos"), [1, 2])
        XCTAssertNil(try c.int("nothing"))
        XCTAssertNil(try c.int("absent"))
        XCTAssertThrowsError(try c.int("eps")) { XCTAssertTrue("\($0)".hasPrefix("config.json: \"eps\"")) }
        XCTAssertThrowsError(try c.int("tie"))
        XCTAssertThrowsError(try c.bool("d_model"))
        XCTAssertThrowsError(try c.string("d_model"))
        XCTAssertThrowsError(try c.double("name"))
    }

    func testUnreadableFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("s2s-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("config.json")
        XCTAssertThrowsError(try JSONConfig(contentsOf: url)) { XCTAssertTrue("\($0)".contains("missing file")) }
        try Data("{\"a\": ".utf8).write(to: url)
        XCTAssertThrowsError(try JSONConfig(contentsOf: url)) { XCTAssertTrue("\($0)".contains("not valid JSON")) }
        try Data("[1]".utf8).write(to: url)
        XCTAssertThrowsError(try JSONConfig(contentsOf: url)) { XCTAssertTrue("\($0)".contains("JSON object")) }
    }
}

final class JSONValueTests: XCTestCase {
    private func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    func testNumbersKeepTheirKind() throws {
        let v = try parse(#"{"a": 3, "b": 3.0, "c": -2e3, "d": 12345678901234567890, "e": -0}"#)
        XCTAssertEqual(v["a"], .integer(3))
        XCTAssertEqual(v["b"], .number(3))
        XCTAssertEqual(v["c"], .number(-2000))
        XCTAssertEqual(v["d"], .number(12345678901234567890))  // past Int: a decimal, not an overflow
        XCTAssertEqual(v["e"], .integer(0))
        XCTAssertEqual(v["b"]?.intValue, 3)
        XCTAssertNil(v["d"]?.intValue)
        XCTAssertEqual(v["a"]?.doubleValue, 3)
    }

    func testObjectsKeepOrderExactKeysAndTheLastDuplicate() throws {
        let v = try parse(#"{"z": 1, "\u00e9": 2, "e\u0301": 3, "z": 4}"#)
        XCTAssertEqual(v.members?.map(\.0).map { Array($0.unicodeScalars) }, [["z"], ["\u{E9}"], ["e", "\u{301}"], ["z"]])
        XCTAssertEqual(v["\u{E9}"], .integer(2))
        XCTAssertEqual(v["e\u{301}"], .integer(3))  // canonically equal keys stay apart
        XCTAssertEqual(v["z"], .integer(4))  // the last, as Python's json reads it
        var w = v
        w["z"] = "x"
        XCTAssertEqual(w.members?.last?.1, .string("x"))
        XCTAssertEqual(w.members?.count, 3)
        w["z"] = nil
        XCTAssertNil(w["z"])
        XCTAssertEqual(w.members?.count, 2)
    }

    func testStringsEscapesAndByteOrderMark() throws {
        XCTAssertEqual(try JSONValue.parse([0xEF, 0xBB, 0xBF] + Array(#""a\n\u00e9\ud83d\ude00\/""#.utf8)), .string("a\n\u{E9}\u{1F600}/"))
        XCTAssertEqual(try parse(#""\ud800x""#), .string("\u{FFFD}x"))  // a lone surrogate
    }

    func testSyntaxErrorsSayWhere() {
        let cases: [(String, Int, String)] = [
            (#"{"a": }"#, 6, "expected a value"), (#"{"a": 1} x"#, 9, "unexpected text"), ("[1, 2", 5, "unterminated array"),
            (#"{"a" 1}"#, 5, "expected ':'"), ("NaN", 0, "expected a value"), ("1e999", 0, "expected a value"), ("tru", 3, "expected true"),
            (String(repeating: "[", count: 600), 512, "nested too deeply"),
        ]
        for (text, offset, problem) in cases {
            XCTAssertThrowsError(try parse(text), text) { error in
                let e = error as? JSONSyntaxError
                XCTAssertEqual(e?.offset, offset, text)
                XCTAssertTrue(e?.problem.contains(problem) ?? false, "\(text): \(error)")
            }
        }
        XCTAssertThrowsError(try JSONValue.parse(Array(#"{"k": ""#.utf8) + [0xC3, 0x28, 0x22, 0x7D])) { error in
            XCTAssertEqual("\(error)", "byte 6: a string is not valid UTF-8")
        }
    }

    func testWrittenTextReadsBackAndKeepsDecimals() throws {
        let value: JSONValue = ["name": "a\"b\\c\u{1}é", "dropout": .float(0.1), "zero": .float(0), "n": 7, "none": nil,
                                "rows": [[1, 2], [3]], "flags": [true, false], "empty": [:]]
        let text = String(decoding: value.serialized(), as: UTF8.self)
        XCTAssertTrue(text.contains(#""dropout": 0.1,"#), text)
        XCTAssertTrue(text.contains(#""zero": 0.0,"#), text)
        XCTAssertTrue(text.contains(#""name": "a\"b\\c\u0001é","#), text)
        XCTAssertTrue(text.contains(#""flags": [true, false],"#), text)
        XCTAssertEqual(try JSONValue.parse(value.serialized()), value)
    }

    func testFoundationValuesBridge() throws {
        let object = try JSONSerialization.jsonObject(with: Data(#"{"b": true, "i": 1, "d": 1.5, "s": "x", "l": [0, null]}"#.utf8))
        XCTAssertEqual(JSONValue(jsonObject: object), ["b": true, "d": 1.5, "i": 1, "l": [0, nil], "s": "x"])
        XCTAssertEqual(JSONValue(jsonObject: ["k": 2, "f": false] as [String: Any]), ["f": false, "k": 2])
        XCTAssertNil(JSONValue(jsonObject: Date()))
    }
}
