// Parallel corpora for training: TSV (`source<TAB>target`) or JSON Lines
// (`{"source": …, "target": …}`). The file is read in 1 MiB chunks, so memory holds only the
// pairs (`forEachPair` holds not even those). Malformed lines are skipped and reported by line
// number; a file that is missing, unreadable or without one valid pair is a
// `TrainingDataError`.
//
// Line rules, the same for both formats:
//   - lines end at "\n"; a "\r" before it (Windows) and a UTF-8 byte-order mark at the start
//     of the file are dropped; lines numbered from 1 as an editor shows them;
//   - empty lines and lines of spaces only are skipped silently (counted as blank);
//   - source and target are trimmed of surrounding whitespace; empty after trimming is a
//     problem ("empty source" / "empty target");
//   - a line longer than `maxLineBytes` is a problem ("line too long") and is never held in
//     memory whole.
import Foundation
import Seq2SeqIO

/// One source text and its target text.
public struct TextPair: Hashable, Sendable, Codable {
    /// The text to translate (or summarize, …).
    public var source: String
    /// Its reference output.
    public var target: String

    /// A pair of texts.
    public init(source: String, target: String) {
        self.source = source
        self.target = target
    }
}

/// How a parallel corpus file is laid out.
public enum ParallelCorpusFormat: String, Sendable, Codable, CaseIterable {
    /// `source<TAB>target`, one pair per line; exactly one tab.
    case tsv
    /// One JSON object per line with string fields `source` and `target` (others ignored).
    case jsonLines

    /// The format a file extension names: `tsv` → `.tsv`; `jsonl`, `json`, `ndjson` →
    /// `.jsonLines` (a `.json` file is read as JSON Lines); anything else → nil.
    public init?(pathExtension: String) {
        switch pathExtension.lowercased() {
        case "tsv": self = .tsv
        case "jsonl", "json", "ndjson": self = .jsonLines
        default: return nil
        }
    }

    /// The format of a file whose extension says nothing: JSON Lines when the first line that
    /// is not blank starts with `{`, else TSV.
    static func sniff(_ bytes: ArraySlice<UInt8>) -> ParallelCorpusFormat {
        var body = bytes
        if body.starts(with: utf8ByteOrderMark) { body = body.dropFirst(3) }
        let first = body.first { ![UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n")].contains($0) }
        return first == UInt8(ascii: "{") ? .jsonLines : .tsv
    }
}

/// How a parallel corpus is read.
public struct ParallelCorpusOptions: Sendable, Equatable {
    /// Longest accepted line in bytes (without the line ending); longer lines are skipped as
    /// "line too long". Default 1 MiB.
    public var maxLineBytes: Int
    /// How many problems the report lists individually; all are counted. Default 1000.
    public var maxRecordedProblems: Int

    /// Options with the defaults above.
    public init(maxLineBytes: Int = 1 << 20, maxRecordedProblems: Int = 1000) {
        self.maxLineBytes = maxLineBytes
        self.maxRecordedProblems = maxRecordedProblems
    }
}

/// A skipped line and why it was skipped.
public struct ParallelCorpusProblem: Hashable, Sendable {
    /// Why a line was skipped.
    public enum Reason: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// TSV: the line has no tab.
        case noTab = "no tab"
        /// TSV: the line has more than one tab.
        case extraTab = "more than one tab"
        /// The source is empty or only whitespace.
        case emptySource = "empty source"
        /// The target is empty or only whitespace.
        case emptyTarget = "empty target"
        /// The line is not valid UTF-8.
        case invalidUTF8 = "invalid UTF-8"
        /// JSON Lines: the line does not parse as JSON.
        case badJSON = "bad JSON"
        /// JSON Lines: valid JSON, but not an object.
        case notAnObject = "not a JSON object"
        /// JSON Lines: no `source` key.
        case missingSource = "missing \"source\""
        /// JSON Lines: no `target` key.
        case missingTarget = "missing \"target\""
        /// JSON Lines: `source` is not a string.
        case sourceNotString = "\"source\" is not a string"
        /// JSON Lines: `target` is not a string.
        case targetNotString = "\"target\" is not a string"
        /// The line is longer than `ParallelCorpusOptions.maxLineBytes`.
        case tooLong = "line too long"

        /// The reason as the summary prints it, e.g. "no tab".
        public var description: String { rawValue }
    }

    /// The line number, counted from 1.
    public let line: Int
    /// Why it was skipped.
    public let reason: Reason

    /// A problem on `line`.
    public init(line: Int, reason: Reason) {
        self.line = line
        self.reason = reason
    }
}

/// What reading a corpus found: counts and the skipped lines.
public struct ParallelCorpusReport: Sendable, Equatable {
    /// The file as the caller named it.
    public let path: String
    /// The format it was read as.
    public let format: ParallelCorpusFormat
    /// Lines in the file (a last line without a newline counts).
    public internal(set) var lineCount = 0
    /// Valid pairs.
    public internal(set) var pairCount = 0
    /// Empty lines and lines of spaces, skipped silently.
    public internal(set) var blankLineCount = 0
    /// Malformed lines skipped, all of them.
    public internal(set) var skippedCount = 0
    /// The first `maxRecordedProblems` malformed lines, in file order.
    public internal(set) var problems: [ParallelCorpusProblem] = []
    /// Malformed lines by reason, all of them.
    public internal(set) var skippedByReason: [ParallelCorpusProblem.Reason: Int] = [:]

    init(path: String, format: ParallelCorpusFormat) {
        self.path = path
        self.format = format
    }

    /// "skipped 3 malformed lines in train.tsv: line 7 (no tab), line 12 (empty target),
    /// line 40 (invalid UTF-8)", listing the first `limit` lines; nil when nothing was skipped.
    public func summary(listing limit: Int = 3) -> String? {
        guard skippedCount > 0 else { return nil }
        let name = URL(fileURLWithPath: path).lastPathComponent
        let listed = problems.prefix(limit).map { "line \($0.line) (\($0.reason))" }
        let rest = skippedCount - listed.count
        let noun = skippedCount == 1 ? "line" : "lines"
        return "skipped \(skippedCount) malformed \(noun) in \(name): " + listed.joined(separator: ", ")
            + (rest > 0 ? " and \(rest) more" : "")
    }

    mutating func record(_ problem: ParallelCorpusProblem, limit: Int) {
        skippedCount += 1
        skippedByReason[problem.reason, default: 0] += 1
        if problems.count < limit { problems.append(problem) }
    }
}

/// The valid pairs of a parallel corpus file, and the report of what was skipped.
///
///     let corpus = try ParallelCorpus(contentsOf: URL(fileURLWithPath: "train.tsv"))
///     if let note = corpus.report.summary() { print(note) }   // skipped 2 malformed lines …
///     for pair in corpus.pairs { … }
public struct ParallelCorpus: Sendable {
    /// The valid pairs, in file order.
    public var pairs: [TextPair]
    /// Counts and skipped lines.
    public var report: ParallelCorpusReport

    /// Reads a corpus file; the format comes from `format`, else the extension, else the
    /// content. Throws `TrainingDataError` when the file is missing, unreadable or has no
    /// valid pair.
    public init(contentsOf url: URL, format: ParallelCorpusFormat? = nil,
                options: ParallelCorpusOptions = ParallelCorpusOptions()) throws {
        var pairs: [TextPair] = []
        report = try Self.forEachPair(in: url, format: format, options: options) { pairs.append($0) }
        self.pairs = pairs
    }

    /// Parses a corpus held in memory; `name` stands for the file in the report and errors.
    public init(parsing bytes: [UInt8], name: String, format: ParallelCorpusFormat? = nil,
                options: ParallelCorpusOptions = ParallelCorpusOptions()) throws {
        var pairs: [TextPair] = []
        var chunks = [bytes][...]
        report = try Self.scan(path: name, format: format, options: options,
                               nextChunk: { chunks.popFirst() }, body: { pairs.append($0) })
        self.pairs = pairs
    }

    /// Streams the valid pairs of a corpus file to `body` in file order and returns the
    /// report; errors as `init(contentsOf:)`, the no-valid-pair error after the whole file.
    @discardableResult
    public static func forEachPair(in url: URL, format: ParallelCorpusFormat? = nil,
                                   options: ParallelCorpusOptions = ParallelCorpusOptions(),
                                   _ body: (TextPair) throws -> Void) throws -> ParallelCorpusReport {
        let path = url.path
        let handle = try openForReading(url)
        defer { try? handle.close() }
        let known = format ?? ParallelCorpusFormat(pathExtension: url.pathExtension)
        return try scan(path: path, format: known, options: options, nextChunk: {
            do {
                guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
                return [UInt8](data)
            } catch {
                throw TrainingDataError(path: path, code: .unreadable, detail: "read failed: \(error.localizedDescription)")
            }
        }, body: body)
    }

    /// Writes pairs as TSV, one `source<TAB>target` line each; tabs and line breaks inside a
    /// text become spaces so every pair stays on its line.
    public static func writeTSV(_ pairs: [TextPair], to url: URL) throws {
        var out = [UInt8]()
        out.reserveCapacity(pairs.count * 64)
        for pair in pairs {
            out.append(contentsOf: flattened(pair.source).utf8)
            out.append(UInt8(ascii: "\t"))
            out.append(contentsOf: flattened(pair.target).utf8)
            out.append(UInt8(ascii: "\n"))
        }
        try Data(out).write(to: url, options: .atomic)
    }

    private static func flattened(_ text: String) -> String {
        guard text.contains(where: { $0 == "\t" || $0.isNewline }) else { return text }
        return String(text.map { $0 == "\t" || $0.isNewline ? " " : $0 })
    }

    // MARK: - Reading

    private static func openForReading(_ url: URL) throws -> FileHandle {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw TrainingDataError(path: url.path, code: .fileNotFound, detail: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw TrainingDataError(path: url.path, code: .unreadable, detail: "is a directory, not a corpus file")
        }
        do {
            return try FileHandle(forReadingFrom: url)
        } catch {
            throw TrainingDataError(path: url.path, code: .unreadable, detail: "cannot be opened for reading")
        }
    }

    /// Splits the chunks into lines, parses each, and reports; the format is sniffed from the
    /// first chunk when nil.
    private static func scan(path: String, format: ParallelCorpusFormat?, options: ParallelCorpusOptions,
                             nextChunk: () throws -> [UInt8]?,
                             body: (TextPair) throws -> Void) throws -> ParallelCorpusReport {
        let first = try nextChunk()
        let format = format ?? ParallelCorpusFormat.sniff(first?[...] ?? [])
        var report = ParallelCorpusReport(path: path, format: format)
        var splitter = LineSplitter(maxLineBytes: options.maxLineBytes)
        func handle(_ number: Int, _ line: LineSplitter.Line) throws {
            switch parseLine(line, format: format) {
            case .pair(let pair):
                report.pairCount += 1
                try body(pair)
            case .blank:
                report.blankLineCount += 1
            case .problem(let reason):
                report.record(ParallelCorpusProblem(line: number, reason: reason), limit: options.maxRecordedProblems)
            }
        }
        var chunk = first
        while let bytes = chunk {
            try splitter.feed(bytes, handle)
            chunk = try nextChunk()
        }
        try splitter.finish(handle)
        report.lineCount = splitter.lineNumber
        guard report.pairCount > 0 else {
            let detail = report.lineCount == 0 ? "empty file, no pairs"
                : "no valid \(format == .tsv ? "TSV" : "JSON Lines") pairs in \(report.lineCount) lines"
                    + (report.summary().map { " (\($0))" } ?? "")
            throw TrainingDataError(path: path, code: .noValidPairs, detail: detail)
        }
        return report
    }

    private enum ParsedLine {
        case pair(TextPair)
        case blank
        case problem(ParallelCorpusProblem.Reason)
    }

    private static func parseLine(_ line: LineSplitter.Line, format: ParallelCorpusFormat) -> ParsedLine {
        guard case .bytes(let bytes) = line else { return .problem(.tooLong) }
        if bytes.allSatisfy({ $0 == UInt8(ascii: " ") }) { return .blank }
        switch format {
        case .tsv: return parseTSV(bytes)
        case .jsonLines: return parseJSON(bytes)
        }
    }

    /// Splits at the tab on bytes (a tab never sits inside a UTF-8 sequence), so only the two
    /// fields are decoded.
    private static func parseTSV(_ bytes: ArraySlice<UInt8>) -> ParsedLine {
        let tab = UInt8(ascii: "\t")
        guard let split = bytes.firstIndex(of: tab), !bytes[(split + 1)...].contains(tab) else {
            guard decodedUTF8(bytes) != nil else { return .problem(.invalidUTF8) }
            return .problem(bytes.contains(tab) ? .extraTab : .noTab)
        }
        guard let source = decodedUTF8(trimmedSpaces(bytes[..<split])),
              let target = decodedUTF8(trimmedSpaces(bytes[(split + 1)...])) else { return .problem(.invalidUTF8) }
        return checked(source: source, target: target)
    }

    private static func parseJSON(_ bytes: ArraySlice<UInt8>) -> ParsedLine {
        guard decodedUTF8(bytes) != nil else { return .problem(.invalidUTF8) }
        guard let value = try? JSONValue.parse(Array(bytes)) else { return .problem(.badJSON) }
        guard value.members != nil else { return .problem(.notAnObject) }
        guard let rawSource = value["source"] else { return .problem(.missingSource) }
        guard let rawTarget = value["target"] else { return .problem(.missingTarget) }
        guard let source = rawSource.stringValue else { return .problem(.sourceNotString) }
        guard let target = rawTarget.stringValue else { return .problem(.targetNotString) }
        return checked(source: source, target: target)
    }

    /// Trims surrounding whitespace (ASCII on the fast path, all of Unicode's Zs when a side
    /// is not ASCII) and rejects empty sides.
    private static func checked(source: String, target: String) -> ParsedLine {
        let source = trimmedWhitespace(source), target = trimmedWhitespace(target)
        if source.isEmpty { return .problem(.emptySource) }
        if target.isEmpty { return .problem(.emptyTarget) }
        return .pair(TextPair(source: source, target: target))
    }

    private static func trimmedSpaces(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return bytes[bytes.endIndex...]
        }
        return bytes[first...last]
    }

    private static func trimmedWhitespace(_ text: String) -> String {
        guard let first = text.utf8.first, let last = text.utf8.last else { return text }
        if first < 0x80, last < 0x80, first != UInt8(ascii: " "), last != UInt8(ascii: " "),
           first != UInt8(ascii: "\t"), last != UInt8(ascii: "\t") {
            return text
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    private static func decodedUTF8(_ bytes: ArraySlice<UInt8>) -> String? {
        bytes.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
    }
}

private let utf8ByteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

/// Cuts a byte stream, fed in chunks, into numbered lines; drops "\r" before "\n" and a BOM
/// on line 1. A line longer than `maxLineBytes` is reported as `.tooLong` without being
/// buffered past the limit.
struct LineSplitter {
    enum Line {
        case bytes(ArraySlice<UInt8>)
        case tooLong
    }

    let maxLineBytes: Int
    private(set) var lineNumber = 0
    private var pending: [UInt8] = []
    private var pendingTooLong = false

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Calls `body` for every line that `chunk` completes; keeps the unfinished rest.
    mutating func feed(_ chunk: [UInt8], _ body: (Int, Line) throws -> Void) rethrows {
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
            try emit(chunk[start..<newline], body)
            start = newline + 1
        }
        hold(chunk[start...])
    }

    /// Emits the last line when the stream did not end with a newline.
    mutating func finish(_ body: (Int, Line) throws -> Void) rethrows {
        if !pending.isEmpty || pendingTooLong { try emit([], body) }
    }

    /// A little slack over `maxLineBytes` for a BOM and a "\r", which do not count.
    private var holdLimit: Int { maxLineBytes + 4 }

    private mutating func hold(_ rest: ArraySlice<UInt8>) {
        guard !pendingTooLong, !rest.isEmpty else { return }
        if pending.count + rest.count > holdLimit {
            pendingTooLong = true
            pending.removeAll()
        } else {
            pending.append(contentsOf: rest)
        }
    }

    private mutating func emit(_ tail: ArraySlice<UInt8>, _ body: (Int, Line) throws -> Void) rethrows {
        lineNumber += 1
        let tooLong = pendingTooLong || pending.count + tail.count > holdLimit
        var line = tooLong ? [] : (pending.isEmpty ? tail : ArraySlice(pending + tail))
        pending.removeAll(keepingCapacity: true)
        pendingTooLong = false
        if tooLong { return try body(lineNumber, .tooLong) }
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        if lineNumber == 1, line.starts(with: utf8ByteOrderMark) { line = line.dropFirst(3) }
        try body(lineNumber, line.count > maxLineBytes ? .tooLong : .bytes(line))
    }
}
