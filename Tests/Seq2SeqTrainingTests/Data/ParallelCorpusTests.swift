// Parallel corpus reading: every kind of malformed line reported with its exact line number,
// both formats, CRLF and BOM, lines across read chunks, and the typed file errors.
import Foundation
import Seq2SeqTraining
import XCTest

final class ParallelCorpusTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func write(_ bytes: [UInt8], _ name: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// Lines 1–11 with one problem of each TSV kind; line 8 is 65 bytes with a 64-byte limit.
    private var malformedTSV: [UInt8] {
        var bytes = Array("Hallo\tHello\n\nno tab here\na\tb\tc\n\tonly target\nonly source\t  \n".utf8)
        bytes += [0x63, 0x61, 0x66, 0xE9, 0x09, 0x63, 0x61, 0x66, 0x65, 0x0A]   // "caf\xE9\tcafe": Latin-1, not UTF-8
        bytes += Array((String(repeating: "x", count: 40) + "\t" + String(repeating: "y", count: 24) + "\n").utf8)
        bytes += Array("Guten Tag\t Good day \n   \nx\ty".utf8)
        return bytes
    }

    private let tsvProblems: [ParallelCorpusProblem] = [
        .init(line: 3, reason: .noTab), .init(line: 4, reason: .extraTab), .init(line: 5, reason: .emptySource),
        .init(line: 6, reason: .emptyTarget), .init(line: 7, reason: .invalidUTF8), .init(line: 8, reason: .tooLong),
    ]

    func testTSVReportsEveryMalformedLineByNumber() throws {
        let corpus = try ParallelCorpus(parsing: malformedTSV, name: "train.tsv", options: .init(maxLineBytes: 64))
        XCTAssertEqual(corpus.pairs, [TextPair(source: "Hallo", target: "Hello"),
                                      TextPair(source: "Guten Tag", target: "Good day"), TextPair(source: "x", target: "y")])
        XCTAssertEqual(corpus.report.format, .tsv)
        XCTAssertEqual(corpus.report.problems, tsvProblems)
        XCTAssertEqual(corpus.report.lineCount, 11)
        XCTAssertEqual(corpus.report.blankLineCount, 2)
        XCTAssertEqual(corpus.report.skippedCount, 6)
        XCTAssertEqual(corpus.report.skippedByReason[.noTab], 1)
        XCTAssertEqual(corpus.report.summary(), "skipped 6 malformed lines in train.tsv: line 3 (no tab), "
            + "line 4 (more than one tab), line 5 (empty source) and 3 more")
        XCTAssertEqual(corpus.report.summary(listing: 10)?.hasSuffix("line 7 (invalid UTF-8), line 8 (line too long)"), true)
    }

    func testCRLFAndByteOrderMarkKeepLineNumbers() throws {
        var bytes: [UInt8] = [0xEF, 0xBB, 0xBF]
        for (i, line) in malformedTSV.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            bytes += line + (i < 10 ? [0x0D, 0x0A] : [])
        }
        let url = try write(bytes, "windows.tsv")
        let corpus = try ParallelCorpus(contentsOf: url, options: .init(maxLineBytes: 64))
        XCTAssertEqual(corpus.pairs.first, TextPair(source: "Hallo", target: "Hello"))
        XCTAssertEqual(corpus.pairs.count, 3)
        XCTAssertFalse(corpus.pairs.contains { $0.source.contains("\r") || $0.target.contains("\r") })
        XCTAssertEqual(corpus.report.problems, tsvProblems)
        XCTAssertEqual(corpus.report.summary(listing: 1), "skipped 6 malformed lines in windows.tsv: line 3 (no tab) and 5 more")
    }

    func testJSONLinesReportsEveryMalformedLineByNumber() throws {
        let lines = [
            #"{"source": "Hallo", "target": "Hello", "id": 7}"#,
            #"{"source": "a"}"#,
            #"{"target": "b"}"#,
            #"[1, 2]"#,
            #"{bad"#,
            #"{"source": 1, "target": "x"}"#,
            #"{"source": "x", "target": null}"#,
            #"{"source": "  ", "target": "x"}"#,
            #"{"source": "x", "target": ""}"#,
            "",
            #"{"source": "Tab\there", "target": "Zeile\nzwei"}"#,
        ]
        var bytes = Array(lines.joined(separator: "\n").utf8) + [0x0A]
        bytes += Array(#"{"source": "caf"#.utf8) + [0xE9] + Array(#"", "target": "cafe"}"#.utf8) + [0x0A]
        let url = try write(bytes, "valid.jsonl")
        let corpus = try ParallelCorpus(contentsOf: url)
        XCTAssertEqual(corpus.report.format, .jsonLines)
        XCTAssertEqual(corpus.pairs, [TextPair(source: "Hallo", target: "Hello"), TextPair(source: "Tab\there", target: "Zeile\nzwei")])
        XCTAssertEqual(corpus.report.problems.map(\.line), [2, 3, 4, 5, 6, 7, 8, 9, 12])
        XCTAssertEqual(corpus.report.problems.map(\.reason), [.missingTarget, .missingSource, .notAnObject, .badJSON,
                                                             .sourceNotString, .targetNotString, .emptySource, .emptyTarget, .invalidUTF8])
        XCTAssertEqual(corpus.report.blankLineCount, 1)
        XCTAssertEqual(corpus.report.lineCount, 12)
    }

    func testFormatFromExtensionOrContent() throws {
        let json = Array(#"{"source": "a", "target": "b"}"#.utf8)
        XCTAssertEqual(try ParallelCorpus(contentsOf: write([0xEF, 0xBB, 0xBF] + json, "data.txt")).report.format, .jsonLines)
        XCTAssertEqual(try ParallelCorpus(contentsOf: write(Array("a\tb\n".utf8), "data")).report.format, .tsv)
        XCTAssertEqual(try ParallelCorpus(contentsOf: write(json, "data.json")).pairs, [TextPair(source: "a", target: "b")])
        let forced = try ParallelCorpus(contentsOf: write(json, "data.tsv"), format: .jsonLines)
        XCTAssertEqual(forced.pairs.count, 1)
        XCTAssertEqual(ParallelCorpusFormat(pathExtension: "JSONL"), .jsonLines)
        XCTAssertNil(ParallelCorpusFormat(pathExtension: "csv"))
    }

    func testLinesAcrossReadChunksAndOverlongLines() throws {
        var bytes: [UInt8] = []
        for i in 0 ..< 60_000 { bytes += Array("source sentence \(i)\ttarget sentence \(i)\n".utf8) }   // ~2.4 MB
        bytes += Array(repeating: UInt8(ascii: "z"), count: 3 << 20) + [0x0A]                          // 3 MiB line
        bytes += Array("last\tline\n".utf8)
        var seen = 0
        let report = try ParallelCorpus.forEachPair(in: write(bytes, "big.tsv")) { pair in
            if seen < 60_000 {
                XCTAssertEqual(pair, TextPair(source: "source sentence \(seen)", target: "target sentence \(seen)"))
            }
            seen += 1
        }
        XCTAssertEqual(seen, 60_001)
        XCTAssertEqual(report.problems, [ParallelCorpusProblem(line: 60_001, reason: .tooLong)])
        XCTAssertEqual(report.lineCount, 60_002)
    }

    func testMissingEmptyAndUselessFilesThrowTypedErrors() throws {
        func code(_ body: () throws -> Void) -> TrainingDataError.Code? {
            do { try body() } catch let error as TrainingDataError { return error.code } catch { return nil }
            return nil
        }
        let missing = folder.appendingPathComponent("nope.tsv")
        XCTAssertEqual(code { _ = try ParallelCorpus(contentsOf: missing) }, .fileNotFound)
        XCTAssertEqual(code { _ = try ParallelCorpus(contentsOf: self.folder) }, .unreadable)
        XCTAssertEqual(code { _ = try ParallelCorpus(contentsOf: self.write([], "empty.tsv")) }, .noValidPairs)
        XCTAssertEqual(code { _ = try ParallelCorpus(contentsOf: self.write(Array("\n\n".utf8), "blank.tsv")) }, .noValidPairs)
        do {
            _ = try ParallelCorpus(contentsOf: write(Array("one\ntwo\tthree\tfour\n".utf8), "bad.tsv"))
            XCTFail("expected an error")
        } catch let error as TrainingDataError {
            XCTAssertEqual(error.code, .noValidPairs)
            XCTAssertTrue(error.description.hasPrefix(folder.appendingPathComponent("bad.tsv").path + ": "))
            XCTAssertTrue(error.description.contains("line 1 (no tab), line 2 (more than one tab)"), error.description)
        }
        do {
            _ = try ParallelCorpus(contentsOf: missing)
        } catch {
            XCTAssertEqual("\(error)", "\(missing.path): no such file")
        }
    }

    func testWriteTSVRoundTripsAndFlattensLineBreaks() throws {
        let url = folder.appendingPathComponent("out.tsv")
        try ParallelCorpus.writeTSV([TextPair(source: "a\tb", target: "c\nd"), TextPair(source: "Ä", target: "é")], to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "a b\tc d\nÄ\té\n")
        XCTAssertEqual(try ParallelCorpus(contentsOf: url).pairs.count, 2)
    }
}
