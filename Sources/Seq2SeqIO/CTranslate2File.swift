// Reading CTranslate2 `model.bin` files (binary version ≥ 4): a spec name and revision, then
// named variables (rank, dims, dtype, byte count, raw little-endian data, no alignment), then
// aliases. The layout is written down in docs/formats.md; CTranslate2's
// `src/models/model.cc` is the writer of record.
import Foundation
import Seq2SeqTensor
#if canImport(Glibc)
import Glibc
#endif

/// A memory-mapped CTranslate2 `model.bin`, validated on open.
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
    private let mapping: UnsafeRawPointer
    private let length: Int

    /// Opens and validates `path`; throws `ModelFileError` naming the file and the problem.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ModelFileError(path, "cannot open (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ModelFileError(path, "cannot stat") }
        length = Int(info.st_size)
        guard length >= 8 else { throw ModelFileError(path, "not a CTranslate2 model (only \(length) bytes)") }
        guard let base = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw ModelFileError(path, "cannot map the file into memory")
        }
        mapping = UnsafeRawPointer(base)
        do {
            var reader = Reader(base: mapping, length: length, path: path)
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
        } catch {
            munmap(base, length)
            throw error
        }
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: mapping), length) }

    /// A scalar variable (num_heads, flags) as an integer; nil when absent, not a single
    /// value, or a float that is not a whole number of `Int32`'s range.
    public func scalarInt(_ name: String) -> Int? {
        guard let v = variables[name], v.shape.reduce(1, *) == 1 else { return nil }
        let p = mapping + v.offset
        let value: Float
        switch v.dtype {
        case .int8: return Int(p.load(as: Int8.self))
        case .int16: return Int(p.loadUnaligned(as: Int16.self))
        case .int32: return Int(p.loadUnaligned(as: Int32.self))
        case .float32: value = p.loadUnaligned(as: Float.self)
        case .float16: value = Float(Float16(bitPattern: p.loadUnaligned(as: UInt16.self)))
        case .bfloat16: value = Float(bitPattern: UInt32(p.loadUnaligned(as: UInt16.self)) << 16)
        }
        return Int32(exactly: value).map(Int.init)
    }

    /// Variable `name` as float32: F32/F16/BF16 converted; int8 divided by the per-row
    /// `name_scale` variable when present (value = q / scale).
    public func floatTensor(_ name: String) throws -> Tensor {
        guard let v = variables[name] else { throw ModelFileError(path, "missing variable '\(name)'") }
        let out = Tensor(zeros: v.shape.isEmpty ? [1] : v.shape)
        let n = out.count, dst = out.data, src = mapping + v.offset
        switch v.dtype {
        case .float32:
            if n > 0 { memcpy(dst, src, n * 4) }
        case .float16:
            for i in 0..<n { dst[i] = Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bfloat16:
            for i in 0..<n { dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
        case .int8:
            for i in 0..<n { dst[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
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
        case .int16:
            for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
        case .int32:
            for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
        }
        return out
    }

    /// Bounds-checked little-endian reads over the mapping.
    private struct Reader {
        let base: UnsafeRawPointer
        let length: Int
        let path: String
        var offset = 0

        mutating func need(_ n: Int, _ what: String) throws {
            guard n >= 0, offset + n <= length else {
                throw ModelFileError(path, "truncated: \(what) runs past the end of the file (\(length) bytes)")
            }
        }
        mutating func u8() throws -> UInt8 {
            try need(1, "a header field")
            defer { offset += 1 }
            return base.load(fromByteOffset: offset, as: UInt8.self)
        }
        mutating func u16() throws -> UInt16 {
            try need(2, "a header field")
            defer { offset += 2 }
            return UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        }
        mutating func u32() throws -> UInt32 {
            try need(4, "a header field")
            defer { offset += 4 }
            return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }
        mutating func string() throws -> String {
            let n = Int(try u16())
            try need(n, "a name")
            let bytes = UnsafeRawBufferPointer(start: base + offset, count: n)
            offset += n
            let text = bytes.prefix { $0 != 0 }
            guard let s = String(bytes: text, encoding: .utf8) else { throw ModelFileError(path, "a name is not valid UTF-8") }
            return s
        }
        mutating func skip(_ n: Int, what: String) throws {
            try need(n, what)
            offset += n
        }
    }
}
