// Writing safetensors files (float32), atomically: the file appears whole or not at all.
import Foundation

/// Writes named float32 tensors to a safetensors file.
public enum SafetensorsWriter {
    /// One tensor to write: its name, shape and row-major values.
    public struct Item: Sendable {
        /// Tensor name.
        public let name: String
        /// Shape, outermost first.
        public let shape: [Int]
        /// Row-major values; `values.count` equals the product of `shape`.
        public let values: [Float]

        /// A tensor to write.
        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not match \(values.count) values")
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// Writes `items` (sorted by name, 8-byte aligned data) to `url` via a temporary file
    /// and a rename, so a failure or a crash never leaves a partial file (an existing file is
    /// replaced atomically).
    public static func write(_ items: [Item], metadata: [String: String] = ["format": "pt"], to url: URL) throws {
        let sorted = items.sorted { $0.name < $1.name }
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for item in sorted {
            let bytes = item.values.count * 4
            header[item.name] = ["dtype": "F32", "shape": item.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for item in sorted {
            item.values.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        do {
            try out.write(to: temporary)
            // rename(2) replaces an existing file atomically: readers see the old or the new one.
            guard rename(temporary.path, url.path) == 0 else {
                throw ModelFileError(url.path, "cannot replace (\(String(cString: strerror(errno))))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ModelFileError(url.path, "cannot write (\(error.localizedDescription))")
        }
    }
}
