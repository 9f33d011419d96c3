// A dictionary in the dictd format (as `dictfmt` writes it, described in dictd's
// `dictfmt.1` and `dictd.8`): NAME.index holds one line per headword,
//     headword<TAB>offset<TAB>length
// with offset and length written in base 64 over the alphabet A–Z a–z 0–9 + / (most
// significant digit first: "B0" = 1·64 + 52 = 116), both counting bytes of the dictionary
// text; NAME.dict.dz is that text gzip-compressed (dictzip: a gzip stream whose header adds a
// random-access table, which a plain gzip reader skips), or NAME.dict uncompressed. Several
// headwords may point at the same entry; entries whose headword starts with "00-database" /
// "00database" hold the database's metadata. The whole text is decompressed into memory with
// the system zlib (FreeDict German–English: 16 MB compressed, 100 MB of text).
import CZlib
import Foundation
import Seq2SeqTraining

/// A dictd dictionary: the index and the decompressed text its entries point into.
///
///     let dictionary = try DictdDictionary(path: "/usr/share/dictd/freedict-deu-eng")
///     for entry in dictionary.entries where !entry.isMetadata {
///         print(dictionary.text(of: entry) ?? "")
///     }
public struct DictdDictionary: Sendable {
    /// One index line: a headword and the byte range of its entry in the text.
    public struct Entry: Hashable, Sendable {
        /// The headword as the index spells it (dictfmt lower-cases and strips it for lookup).
        public let headword: String
        /// Byte offset of the entry in the decompressed text.
        public let offset: Int
        /// Byte length of the entry.
        public let length: Int

        /// An index entry.
        public init(headword: String, offset: Int, length: Int) {
            self.headword = headword
            self.offset = offset
            self.length = length
        }

        /// A metadata entry (`00-database-info`, `00databaseurl`, …), not a dictionary word.
        public var isMetadata: Bool { headword.hasPrefix("00-database") || headword.hasPrefix("00database") }
    }

    /// The index lines in file order.
    public let entries: [Entry]
    /// The decompressed dictionary text.
    public let text: [UInt8]

    /// Opens `PATH.index` and `PATH.dict.dz` (or `PATH.dict`); `path` may also name the
    /// `.index` file itself.
    public init(path: String) throws {
        var base = path
        for suffix in [".index", ".dict.dz", ".dict"] where base.hasSuffix(suffix) {
            base.removeLast(suffix.count)
            break
        }
        let compressed = base + ".dict.dz", plain = base + ".dict"
        let text = FileManager.default.fileExists(atPath: compressed) || !FileManager.default.fileExists(atPath: plain)
            ? compressed : plain
        try self.init(indexURL: URL(fileURLWithPath: base + ".index"), textURL: URL(fileURLWithPath: text))
    }

    /// Opens an index and its text; a text file ending in `.dz` or `.gz` is decompressed.
    public init(indexURL: URL, textURL: URL) throws {
        let indexBytes = try Self.readFile(indexURL)
        let raw = try Self.readFile(textURL)
        let text: [UInt8]
        if ["dz", "gz"].contains(textURL.pathExtension) {
            do { text = try gunzip(raw) } catch let error as GzipError {
                throw TrainingDataError(path: textURL.path, code: .corrupt, detail: error.description)
            }
        } else {
            text = raw
        }
        try self.init(index: indexBytes, text: text, indexPath: indexURL.path)
    }

    /// An index (the bytes of a `.index` file) over a decompressed text; `indexPath` names the
    /// index in errors. Throws on a malformed index line or an entry past the end of the text.
    public init(index: [UInt8], text: [UInt8], indexPath: String = "<index>") throws {
        var entries: [Entry] = []
        var lineNumber = 0
        for line in index.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty { continue }
            let entry = try Self.parseIndexLine(line, number: lineNumber, path: indexPath)
            guard entry.offset + entry.length <= text.count else {
                throw TrainingDataError(path: indexPath, code: .corrupt, detail: "line \(lineNumber): entry "
                    + "\(entry.offset)+\(entry.length) runs past the end of the \(text.count)-byte dictionary text")
            }
            entries.append(entry)
        }
        guard !entries.isEmpty else { throw TrainingDataError(path: indexPath, code: .noValidPairs, detail: "empty index") }
        self.entries = entries
        self.text = text
    }

    /// The entry's text, nil when it is not valid UTF-8.
    public func text(of entry: Entry) -> String? {
        String(validating: text[entry.offset ..< entry.offset + entry.length], as: UTF8.self)
    }

    /// Decodes a dictd base-64 number ("B0" → 116); nil for an empty string, a character
    /// outside A–Z a–z 0–9 + /, or overflow.
    public static func decodeNumber<S: StringProtocol>(_ digits: S) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits.utf8 {
            guard let digit = base64Digit(byte) else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 64)
            guard !overflow, shifted <= Int.max - digit else { return nil }
            value = shifted + digit
        }
        return value
    }

    /// Writes `value` (≥ 0) as a dictd base-64 number (116 → "B0", 0 → "A").
    public static func encodeNumber(_ value: Int) -> String {
        precondition(value >= 0, "dictd numbers are not negative")
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var digits: [Character] = []
        var rest = value
        repeat {
            digits.append(alphabet[rest % 64])
            rest /= 64
        } while rest > 0
        return String(digits.reversed())
    }

    private static func base64Digit(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return Int(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return Int(byte - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }

    private static func parseIndexLine(_ line: ArraySlice<UInt8>, number: Int, path: String) throws -> Entry {
        let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
        func corrupt(_ what: String) -> TrainingDataError {
            TrainingDataError(path: path, code: .corrupt, detail: "index line \(number): \(what)")
        }
        guard fields.count == 3 else { throw corrupt("expected headword<TAB>offset<TAB>length, found \(fields.count) fields") }
        guard let headword = String(validating: fields[0], as: UTF8.self) else { throw corrupt("headword is not UTF-8") }
        let offsetDigits = String(decoding: fields[1], as: UTF8.self)
        let lengthDigits = String(decoding: fields[2], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard let offset = decodeNumber(offsetDigits) else { throw corrupt("bad base-64 offset \"\(offsetDigits)\"") }
        guard let length = decodeNumber(lengthDigits) else { throw corrupt("bad base-64 length \"\(lengthDigits)\"") }
        return Entry(headword: headword, offset: offset, length: length)
    }

    private static func readFile(_ url: URL) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingDataError(path: url.path, code: .fileNotFound, detail: "no such file")
        }
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw TrainingDataError(path: url.path, code: .unreadable, detail: "cannot be read")
        }
    }
}

/// Why gzip data could not be inflated.
struct GzipError: Error, CustomStringConvertible {
    let description: String
}

/// Inflates gzip data (one or more members, as `gzip -d` does; dictzip's extra header field
/// is skipped by zlib) with the system zlib.
func gunzip(_ compressed: [UInt8]) throws -> [UInt8] {
    guard !compressed.isEmpty else { throw GzipError(description: "empty gzip file") }
    var stream = z_stream()
    guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw GzipError(description: "zlib could not start inflating")
    }
    defer { inflateEnd(&stream) }
    var input = compressed
    var output: [UInt8] = []
    output.reserveCapacity(compressed.count * 4)
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    try input.withUnsafeMutableBufferPointer { inBuffer in
        stream.next_in = inBuffer.baseAddress
        stream.avail_in = uInt(inBuffer.count)
        while true {
            let status = buffer.withUnsafeMutableBufferPointer { outBuffer -> Int32 in
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            output.append(contentsOf: buffer[0 ..< buffer.count - Int(stream.avail_out)])
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                if stream.avail_in == 0 { return }
                guard inflateReset(&stream) == Z_OK else { throw GzipError(description: "zlib could not restart") }
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw GzipError(description: "gzip data is truncated")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                throw GzipError(description: "gzip data is corrupt (\(message))")
            }
        }
    }
    return output
}
