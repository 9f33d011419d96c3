// Reading CTranslate2 `model.bin` files (binary version ≥ 4): a spec name and revision, then
// named variables (rank, dims, dtype, byte count, raw little-endian data, no alignment), then
// aliases. The layout is written down in docs/formats.md; CTranslate2's
// `src/models/model.cc` is the writer of record.
import Foundation
import Seq2SeqTensor

/// A CTranslate2 `model.bin`, validated on open and read variable by variable (see `ModelFileReader`).
public final class CTranslate2File: @unchecked Sendable {
    /// Element types of CTranslate2 variables.
    public enum DType: UInt8, Sendable {
        case float32 = 0, int8 = 1, int16 = 2, int32 = 3, float16 = 4, bfloat16 = 5

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .int8: return 1
            case .int16, .float16, .bfloat16: return 2
            case .float32, .int32: return 4
            }
        }

        /// The conversion to float32.
        var stored: StoredElement {
            switch self {
            case .float32: return .float32
            case .int8: return .int8
            case .int16: return .int16
            case .int32: return .int32
            case .float16: return .float16
            case .bfloat16: return .bfloat16
            }
        }

        /// Short name (`F32`, `I8`, …), as safetensors spells them.
        public var name: String {
            switch self {
            case .float32: return "F32"
            case .int8: return "I8"
            case .int16: return "I16"
            case .int32: return "I32"
            case .float16: return "F16"
            case .bfloat16: return "BF16"
            }
        }
    }

    /// One variable's place in the file.
    public struct Variable: Sendable {
        /// Element type.
        public let dtype: DType
        /// Shape, outermost first (empty for a scalar).
        public let shape: [Int]
        /// Byte offset of the data in the file.
        public let offset: Int
        /// Byte count of the data.
        public let byteCount: Int
    }

    /// The file, for messages.
    public let path: String
    /// The spec the model was written with (`WhisperSpec`, `TransformerSpec`, …).
    public let specName: String
    /// The spec revision.
    public let specRevision: Int
    /// Variables by name (aliases resolved to their targets' entries).
    public let variables: [String: Variable]
    /// Alias → target name.
    public let aliases: [String: String]
    private let file: ModelFileReader

    /// Opens and validates `path`; throws `ModelFileError` naming the file and the problem.
    public init(path: String) throws {
        self.path = path
        file = try ModelFileReader(path: path)
        guard file.length >= 8 else { throw ModelFileError(path, "not a CTranslate2 model (only \(file.length) bytes)") }
        var reader = Reader(file: file)
        let version = try reader.u32()
        guard version >= 4 && version <= 6 else {
            throw ModelFileError(path, "not a CTranslate2 model or unsupported binary version \(version) (expected 4–6)")
        }
        specName = try reader.string()
        specRevision = Int(try reader.u32())
        let count = Int(try reader.u32())
        guard count < 1_000_000 else { throw ModelFileError(path, "corrupt header: \(count) variables") }
        var variables: [String: Variable] = [:]
        for _ in 0..<count {
            let name = try reader.string()
            let rank = Int(try reader.u8())
            guard rank <= 8 else { throw ModelFileError(path, "variable '\(name)' has rank \(rank); corrupt file") }
            let shape = try (0..<rank).map { _ in Int(try reader.u32()) }
            let code = try reader.u8()
            guard let dtype = DType(rawValue: code) else {
                throw ModelFileError(path, "variable '\(name)' has unknown dtype \(code)")
            }
            let bytes = Int(try reader.u32())
            guard let elements = elementCount(shape) else {
                throw ModelFileError(path, "variable '\(name)' has an impossible shape \(shape); corrupt file")
            }
            guard bytes == elements * dtype.size else {
                throw ModelFileError(path, "variable '\(name)' has \(bytes) bytes, shape \(shape) of \(dtype.name) needs \(elements * dtype.size)")
            }
            let offset = reader.offset
            try reader.skip(bytes, what: "variable '\(name)'")
            variables[name] = Variable(dtype: dtype, shape: shape, offset: offset, byteCount: bytes)
        }
        var aliases: [String: String] = [:]
        if version >= 3 {
            // The alias table is always written (possibly empty): a file that ends before
            // it was cut short.
            let n = Int(try reader.u32())
            for _ in 0..<n {
                let alias = try reader.string(), target = try reader.string()
                guard let v = variables[target] else {
                    throw ModelFileError(path, "alias '\(alias)' names a missing variable '\(target)'")
                }
                aliases[alias] = target
                variables[alias] = v
            }
        }
        self.variables = variables
        self.aliases = aliases
    }

    /// A scalar variable (num_heads, flags) as an integer; nil when absent, not a single
    /// value, or a float that is not a whole number of `Int32`'s range.
    public func scalarInt(_ name: String) -> Int? {
        guard let v = variables[name], v.shape.reduce(1, *) == 1 else { return nil }
        var value: Float = .nan
        guard (try? file.readFloats(v.dtype.stored, count: 1, at: v.offset, into: &value)) != nil else { return nil }
        return Int32(exactly: value).map(Int.init)
    }

    /// Variable `name` as float32: F32/F16/BF16 converted; int8 divided by the per-row
    /// `name_scale` variable when present (value = q / scale).
    public func floatTensor(_ name: String) throws -> Tensor {
        guard let v = variables[name] else { throw ModelFileError(path, "missing variable '\(name)'") }
        let out = Tensor(zeros: v.shape.isEmpty ? [1] : v.shape)
        let n = out.count, dst = out.data
        try file.readFloats(v.dtype.stored, count: n, at: v.offset, into: dst)
        if v.dtype == .int8 {
            let scaleName = (aliases[name] ?? name) + "_scale"
            if variables[scaleName] != nil {
                let scales = try floatTensor(scaleName)
                let rows = scales.count
                guard rows > 0, n % rows == 0 else {
                    throw ModelFileError(path, "'\(scaleName)' has \(rows) values for \(n) weights")
                }
                let width = n / rows
                for r in 0..<rows {
                    let s = scales.data[r]
                    for i in 0..<width { dst[r * width + i] /= s }
                }
            }
        }
        return out
    }

    /// The per-row scale variable of a 2-D int8 variable `name` (CTranslate2 writes
    /// `name_scale`, one value per row, value = q / scale), when there is one.
    public func int8ScaleName(of name: String) -> String? {
        guard let v = variables[name], v.dtype == .int8, v.shape.count == 2 else { return nil }
        let scaleName = (aliases[name] ?? name) + "_scale"
        guard let s = variables[scaleName], s.shape.reduce(1, *) == v.shape[0], s.dtype != .int8 else { return nil }
        return scaleName
    }

    /// Whether `name` is stored as int8 rows with a scale per row (faster-whisper's int8 conversions).
    public func storesInt8Rows(_ name: String) -> Bool { int8ScaleName(of: name) != nil }

    /// Rows `rows` of the int8 variable `name` as stored: values row-major into `values`, and
    /// each row's scale in this toolkit's sense (row ≈ values·scale, the inverse of
    /// CTranslate2's) into `scales`. CTranslate2's scales must be positive (+∞ for a zero row).
    public func int8Rows(_ name: String, rows: Range<Int>, values: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>) throws {
        guard let scaleName = int8ScaleName(of: name), let v = variables[name], let s = variables[scaleName] else {
            throw ModelFileError(path, "variable '\(name)' is not int8 with a per-row scale")
        }
        guard rows.lowerBound >= 0, rows.upperBound <= v.shape[0] else { throw ModelFileError(path, "variable '\(name)' has no rows \(rows)") }
        let width = v.shape[1]
        try file.readInt8(count: rows.count * width, at: v.offset + rows.lowerBound * width, into: values, tensor: name)
        try file.readFloats(s.dtype.stored, count: rows.count, at: s.offset + rows.lowerBound * s.dtype.size, into: scales)
        for r in 0..<rows.count {
            let stored = scales[r]
            guard stored > 0, !stored.isNaN else {
                throw ModelFileError(path, "'\(scaleName)' holds \(stored) for row \(rows.lowerBound + r); CTranslate2 scales are positive")
            }
            scales[r] = 1 / stored
        }
    }

    /// Sequential little-endian reads of the header through a buffer; data is skipped, not read.
    private struct Reader {
        let file: ModelFileReader
        var offset = 0
        private var buffer: [UInt8] = []
        private var bufferStart = 0

        init(file: ModelFileReader) { self.file = file }

        /// Makes `n` bytes from `offset` available in the buffer; returns their index there.
        private mutating func need(_ n: Int, _ what: String) throws -> Int {
            guard n >= 0, n <= file.length - offset else {
                throw ModelFileError(file.path, "truncated: \(what) runs past the end of the file (\(file.length) bytes)")
            }
            if offset < bufferStart || offset + n > bufferStart + buffer.count {
                bufferStart = offset
                buffer = try file.bytes(at: offset, count: min(file.length - offset, max(n, 1 << 16)))
            }
            defer { offset += n }
            return offset - bufferStart
        }
        private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let at = try need(MemoryLayout<T>.size, "a header field")
            return buffer.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: T.self)) }
        }
        mutating func u8() throws -> UInt8 { try integer(UInt8.self) }
        mutating func u16() throws -> UInt16 { try integer(UInt16.self) }
        mutating func u32() throws -> UInt32 { try integer(UInt32.self) }
        mutating func string() throws -> String {
            let n = Int(try u16())
            let at = try need(n, "a name")
            let text = buffer[at..<(at + n)].prefix { $0 != 0 }
            guard let s = String(bytes: text, encoding: .utf8) else { throw ModelFileError(file.path, "a name is not valid UTF-8") }
            return s
        }
        mutating func skip(_ n: Int, what: String) throws {
            guard n >= 0, n <= file.length - offset else {
                throw ModelFileError(file.path, "truncated: \(what) runs past the end of the file (\(file.length) bytes)")
            }
            offset += n
        }
    }
}
