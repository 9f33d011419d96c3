// Writing safetensors files, atomically: the file appears whole or not at all.
import Foundation

/// Writes named tensors to a safetensors file.
public enum SafetensorsWriter {
    /// One tensor to write: its name, shape, element type and little-endian bytes.
    public struct Item: Sendable {
        /// Tensor name.
        public let name: String
        /// Shape, outermost first.
        public let shape: [Int]
        /// Element type.
        public let dtype: SafetensorsDType
        /// Row-major little-endian elements: the product of `shape` times `dtype.size` bytes.
        public let bytes: [UInt8]

        /// A float32 tensor.
        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not match \(values.count) values")
            self.init(name: name, shape: shape, dtype: .float32, bytes: values.map(\.bitPattern.littleEndian).withUnsafeBytes { Array($0) })
        }

        /// A tensor of any element type from its stored bytes.
        public init(name: String, shape: [Int], dtype: SafetensorsDType, bytes: [UInt8]) {
            precondition(shape.reduce(1, *) * dtype.size == bytes.count, "shape \(shape) of \(dtype.rawValue) does not match \(bytes.count) bytes")
            self.name = name
            self.shape = shape
            self.dtype = dtype
            self.bytes = bytes
        }

        /// The values of a float32 item.
        public var values: [Float] {
            precondition(dtype == .float32, "'\(name)' is \(dtype.rawValue), not F32")
            return bytes.withUnsafeBytes { raw in
                (0..<bytes.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
        }
    }

    /// Writes `items` (sorted by name, the data after an 8-byte aligned header) to `url` via a
    /// temporary file and a rename, so a failure or a crash never leaves a partial file (an
    /// existing file is replaced atomically).
    public static func write(_ items: [Item], metadata: [String: String] = ["format": "pt"], to url: URL) throws {
        let sorted = items.sorted { $0.name < $1.name }
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for item in sorted {
            header[item.name] = ["dtype": item.dtype.rawValue, "shape": item.shape, "data_offsets": [offset, offset + item.bytes.count]] as [String: Any]
            offset += item.bytes.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        do {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw ModelFileError(temporary.path, "cannot create (\(String(cString: strerror(errno))))")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            var prefix = Data()
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { prefix.append(contentsOf: $0) }
            prefix.append(json)
            try handle.write(contentsOf: prefix)
            for item in sorted { try handle.write(contentsOf: item.bytes) }
            try handle.synchronize()
            // rename(2) replaces an existing file atomically: readers see the old or the new one.
            guard rename(temporary.path, url.path) == 0 else {
                throw ModelFileError(url.path, "cannot replace (\(String(cString: strerror(errno))))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let error = error as? ModelFileError { throw error }
            throw ModelFileError(url.path, "cannot write (\(error.localizedDescription))")
        }
    }
}
