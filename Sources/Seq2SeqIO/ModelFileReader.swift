// Reading model files with pread(2) instead of mapping them.
//
// A mapped file that another process truncates while it is being read raises SIGBUS at the
// first page that is gone: a signal, not an error. pread returns fewer bytes instead, so a
// file cut short during loading ends in a `ModelFileError` naming it. Weights are converted to
// float32 (or packed) as they are read, so nothing keeps the file's bytes afterwards; reading
// costs no more than the page faults of a mapping did.
import Foundation
import Seq2SeqTensor
#if canImport(Glibc)
import Glibc
#endif

/// An open model file, read at explicit offsets; safe to use from several threads.
final class ModelFileReader: @unchecked Sendable {
    /// The file, for messages.
    let path: String
    /// Its size when it was opened.
    let length: Int
    private let descriptor: Int32

    /// Opens `path`; throws `ModelFileError` when it cannot be opened or is not a regular file.
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ModelFileError(path, "cannot open (\(String(cString: strerror(errno))))") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw ModelFileError(path, "not a regular file")
        }
        descriptor = fd
        length = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Reads exactly `count` bytes at `offset` into `buffer`; a short read means the file
    /// shrank after it was opened.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
        guard offset >= 0, count >= 0, count <= length - offset else {
            throw ModelFileError(path, "truncated: bytes \(offset)..<\(offset + count) lie past the end of the \(length)-byte file")
        }
        var done = 0
        while done < count {
            let n = pread(descriptor, buffer + done, count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = n < 0 ? String(cString: strerror(errno)) : "it now ends before byte \(offset + done + 1)"
                throw ModelFileError(path, "changed while being read: \(reason), expected \(length) bytes (truncated or rewritten in place?)")
            }
            done += n
        }
    }

    /// The `count` bytes at `offset`.
    func bytes(at offset: Int, count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { try read(into: buffer.baseAddress!, count: count, at: offset) }
            initialized = count
        }
    }

    /// Reads `count` int8 values at `offset` into `destination`. A value of −128 is refused:
    /// the int8 kernels take the symmetric range [−127, 127] (`tensor` names the data in the message).
    func readInt8(count: Int, at offset: Int, into destination: UnsafeMutablePointer<Int8>, tensor: String) throws {
        try read(into: destination, count: count, at: offset)
        for i in 0..<count where destination[i] == Int8.min {
            throw ModelFileError(path, "int8 tensor '\(tensor)' holds −128 at element \(i); quantized weights lie in [−127, 127]")
        }
    }

    /// Converts `count` stored elements of `kind` at `offset` into float32 at `destination`,
    /// reading a bounded chunk at a time (float32 is read in place).
    func readFloats(_ kind: StoredElement, count: Int, at offset: Int, into destination: UnsafeMutablePointer<Float>) throws {
        if kind == .float32 {
            try read(into: destination, count: 4 * count, at: offset)
            return
        }
        let chunk = 1 << 20
        var scratch = [UInt8](repeating: 0, count: min(count, chunk) * kind.size)
        var first = 0
        while first < count {
            let n = min(chunk, count - first)
            try scratch.withUnsafeMutableBytes { raw in
                try read(into: raw.baseAddress!, count: n * kind.size, at: offset + first * kind.size)
                kind.convert(UnsafeRawBufferPointer(raw), count: n, into: destination + first)
            }
            first += n
        }
    }
}

/// How an element is stored in a model file, for conversion to float32.
enum StoredElement: Sendable, Equatable {
    case float32, float16, bfloat16, float64, int8, int16, int32

    /// Bytes per element.
    var size: Int {
        switch self {
        case .int8: return 1
        case .float16, .bfloat16, .int16: return 2
        case .float32, .int32: return 4
        case .float64: return 8
        }
    }

    /// Converts the first `count` little-endian elements of `raw` to float32.
    func convert(_ raw: UnsafeRawBufferPointer, count n: Int, into dst: UnsafeMutablePointer<Float>) {
        switch self {
        case .float32:
            for i in 0..<n { dst[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .float16:
            // Little-endian on every platform this builds for (x86-64, arm64).
            VectorMath.halfToFloat(raw.baseAddress!.assumingMemoryBound(to: UInt16.self), dst, count: n)
        case .bfloat16:
            for i in 0..<n { dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
        case .float64:
            for i in 0..<n { dst[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
        case .int8:
            for i in 0..<n { dst[i] = Float(raw.load(fromByteOffset: i, as: Int8.self)) }
        case .int16:
            for i in 0..<n { dst[i] = Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
        case .int32:
            for i in 0..<n { dst[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
        }
    }
}
