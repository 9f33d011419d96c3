// Marian `.bin`, config YAML and binary shortlist readers on small synthetic files: the
// layout round-trips, and broken files fail with one line naming the file and the problem.
import Foundation
import Seq2SeqIO
import XCTest

/// One item of a synthetic Marian file: raw header fields and data, so tests can lie.
struct SyntheticMarianItem {
    var name: String
    var type: UInt64
    var shape: [Int32]
    var data: [UInt8]
    /// The header's data length; defaults to the data padded to 256 bytes.
    var dataLength: UInt64?

    static func floats(_ name: String, _ shape: [Int32], _ values: [Float]) -> Self {
        Self(name: name, type: 0x404, shape: shape, data: values.flatMap { le($0.bitPattern) })
    }

    static func intgemm8(_ name: String, _ shape: [Int32], _ values: [Int8], multiplier: Float) -> Self {
        Self(name: name, type: 0x4101, shape: shape, data: values.map { UInt8(bitPattern: $0) } + le(multiplier.bitPattern))
    }

    static func text(_ name: String, _ text: String) -> Self {
        Self(name: name, type: 0x101, shape: [Int32(text.utf8.count)], data: Array(text.utf8))
    }
}

func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

/// The bytes of a Marian binary file holding `items` (version 1, data 256-aligned).
func marianFile(_ items: [SyntheticMarianItem]) -> [UInt8] {
    func padded(_ n: Int) -> Int { (n + 255) / 256 * 256 }
    var header: [UInt8] = le(UInt64(1)) + le(UInt64(items.count))
    for item in items {
        header += le(UInt64(item.name.utf8.count + 1)) + le(item.type) + le(UInt64(item.shape.count))
            + le(item.dataLength ?? UInt64(padded(item.data.count)))
    }
    for item in items { header += Array(item.name.utf8) + [0] }
    for item in items { header += item.shape.flatMap { le($0) } }
    let pad = padded(header.count + 8) - (header.count + 8)
    var bytes = header + le(UInt64(pad)) + [UInt8](repeating: 0, count: pad)
    for item in items {
        let length = Int(item.dataLength ?? UInt64(padded(item.data.count)))
        bytes += item.data.prefix(length) + [UInt8](repeating: 0, count: max(0, length - item.data.count))
    }
    return bytes
}

final class MarianBinaryTests: XCTestCase {
    let path = "synthetic.bin"
    let good: [SyntheticMarianItem] = [
        .floats("decoder_ff_logit_out_b", [1, 3], [0.5, -1, 2]),
        .intgemm8("Wemb", [3, 2], [127, -127, 2, 4, 0, -8], multiplier: 2),
        .floats("Wemb_QuantMultA", [1, 1], [14.5]),
        .text("special:model.yml", "dim-emb: 2\ntransformer-postprocess: dan\ntransformer-preprocess: \"\"\ndim-vocabs:\n  - 3\n  - 3\n"),
    ]

    func open(_ bytes: [UInt8]) throws -> MarianBinaryFile { try MarianBinaryFile(path: path, data: Data(bytes)) }

    func assertFails(_ bytes: [UInt8], mentioning words: String..., line: UInt = #line) {
        XCTAssertThrowsError(try open(bytes), line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(error is ModelFileError, "\(type(of: error))", line: line)
            XCTAssertTrue(message.hasPrefix(path + ": "), message, line: line)
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", line: line)
            for word in words { XCTAssertTrue(message.contains(word), "'\(word)' not in: \(message)", line: line) }
        }
    }

    func testReadsItemsAndValues() throws {
        let file = try open(marianFile(good))
        XCTAssertEqual(file.items.map(\.name), good.map(\.name))
        XCTAssertEqual(file.item("Wemb")?.type, .intgemm8)
        XCTAssertEqual(file.item("Wemb")?.shape, [3, 2])
        XCTAssertEqual(try file.floats("decoder_ff_logit_out_b"), [0.5, -1, 2])
        XCTAssertEqual(try file.quantizationMultiplier("Wemb"), 2)
        XCTAssertEqual(try file.floats("Wemb"), [63.5, -63.5, 1, 2, 0, -4])
        XCTAssertEqual(try file.int8Values("Wemb"), [127, -127, 2, 4, 0, -8])
        let yaml = try MarianYAML(text: try XCTUnwrap(file.text("special:model.yml")), path: path)
        XCTAssertEqual(try yaml.int("dim-emb"), 2)
        XCTAssertEqual(yaml.string("transformer-postprocess"), "dan")
        XCTAssertEqual(yaml.string("transformer-preprocess"), "")
        XCTAssertEqual(yaml.lists["dim-vocabs"], ["3", "3"])
        XCTAssertThrowsError(try file.floats("missing"))
    }

    func testTruncatedFile() {
        let bytes = marianFile(good)
        assertFails(Array(bytes.prefix(bytes.count - 300)), mentioning: "truncated")
        assertFails(Array(bytes.prefix(40)), mentioning: "truncated")
        assertFails(Array(bytes.prefix(5)), mentioning: "truncated")
    }

    func testSizeDisagreeingWithShape() {
        var items = good
        items[0].dataLength = 8              // [1, 3] float32 needs 12 bytes
        assertFails(marianFile(items), mentioning: "decoder_ff_logit_out_b", "[1, 3]", "needs 12")
        items = good
        items[1].shape = [3, 200]            // 600 int8 + multiplier do not fit in 256 bytes
        assertFails(marianFile(items), mentioning: "Wemb", "[3, 200]")
        items = good
        items[0].dataLength = 1024           // more than padding allows
        assertFails(marianFile(items), mentioning: "decoder_ff_logit_out_b", "1024")
    }

    /// A fuzz find: a shape whose product overflows trapped instead of failing.
    func testShapeWhoseProductOverflows() {
        var items = good
        items[0].shape = [Int32.max, Int32.max, Int32.max]
        assertFails(marianFile(items), mentioning: "decoder_ff_logit_out_b", "impossible shape")
    }

    func testUnknownItemType() {
        var items = good
        items[2].type = 0x208
        assertFails(marianFile(items), mentioning: "Wemb_QuantMultA", "unknown type 0x208")
    }

    func testWrongVersion() {
        var bytes = marianFile(good)
        bytes[0] = 7
        assertFails(bytes, mentioning: "version 7")
    }

    func testYAMLRejectsNesting() {
        XCTAssertThrowsError(try MarianYAML(text: "a:\n  b: 1\n", path: "c.yml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("c.yml: line 2"), "\(error)")
        }
        XCTAssertThrowsError(try MarianYAML(text: "beam-size: many\n", path: "c.yml").int("beam-size"))
    }

    /// The Firefox configs end lines with CRLF; one edited line ending in LF ran the lines
    /// after it together (a String's "\r\n" is one Character).
    func testYAMLWithMixedLineEndings() throws {
        let yaml = try MarianYAML(text: "models:\r\n  - a.bin\nbeam-size: 2\r\nnormalize: 1.0\r\nmax-length-factor: 2.5\n", path: "c.yml")
        XCTAssertEqual(yaml.lists["models"], ["a.bin"])
        XCTAssertEqual(try yaml.int("beam-size"), 2)
        XCTAssertEqual(try yaml.float("normalize"), 1)
        XCTAssertEqual(try yaml.float("max-length-factor"), 2.5)
    }

    func shortlistFile(firstNum: UInt64, offsets: [UInt64], words: [UInt32]) -> [UInt8] {
        le(UInt64(0xF11A_48D5_0134_17F5)) + le(UInt64(0)) + le(firstNum) + le(UInt64(2)) + le(UInt64(offsets.count))
            + le(UInt64(words.count)) + offsets.flatMap { le($0) } + words.flatMap { le($0) }
    }

    func testShortlist() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lex-\(UUID()).bin")
        defer { try? FileManager.default.removeItem(at: url) }
        // Source word 0 → {5}, word 1 → {}, word 2 → {20, 9}; 4 first words always kept.
        try Data(shortlistFile(firstNum: 4, offsets: [0, 1, 1, 3], words: [5, 20, 9])).write(to: url)
        let list = try MarianShortlist(path: url.path)
        XCTAssertEqual(list.sourceVocabularySize, 3)
        // {0,1,2,3} ∪ {20, 9} = 6 ids, padded to 8 with the first unused ids from 4 up.
        XCTAssertEqual(list.allowedTargets(source: [2, 1], targetVocabulary: 32), [0, 1, 2, 3, 4, 5, 9, 20])
        try Data(shortlistFile(firstNum: 4, offsets: [0, 1, 1, 3], words: [5, 20, 9]).dropLast(2)).write(to: url)
        XCTAssertThrowsError(try MarianShortlist(path: url.path)) { XCTAssertTrue("\($0)".contains("does not match"), "\($0)") }
        // Fuzz finds: 64-bit counts and offsets that do not fit an Int trapped on conversion.
        try Data(shortlistFile(firstNum: 1 << 63, offsets: [0, 1, 1, 3], words: [5, 20, 9])).write(to: url)
        XCTAssertThrowsError(try MarianShortlist(path: url.path)) { XCTAssertTrue("\($0)".contains("firstNum"), "\($0)") }
        try Data(shortlistFile(firstNum: 4, offsets: [0, 1 << 63, UInt64.max, 3], words: [5, 20, 9])).write(to: url)
        XCTAssertThrowsError(try MarianShortlist(path: url.path)) { XCTAssertTrue("\($0)".contains("out of order"), "\($0)") }
    }
}
