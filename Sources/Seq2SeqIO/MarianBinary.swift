// Reading Marian's binary model format (`*.bin`), modelled on marian-dev
// src/common/binary.cpp (`loadItems`) and src/tensors/cpu/integer_common.h
// (`prepareAndTransposeB`: intgemm matrices are stored transposed, shape not updated).
// Layout, little-endian (docs/formats.md, checked on the Firefox Translations files):
//
//     u64 version (1) · u64 n · n × {u64 nameLength (with NUL), u64 type, u64 shapeLength, u64 dataLength}
//     names (NUL-terminated) · shapes (i32 each) · u64 pad + pad bytes (data 256-aligned)
//     each item's data, padded to a multiple of 256 bytes
import Foundation

/// The element type of one item of a Marian binary model.
public enum MarianItemType: UInt64, Sendable, CaseIterable {
    /// Raw bytes (the `special:model.yml` config text).
    case int8 = 0x101
    /// float32 values.
    case float32 = 0x404
    /// intgemm 8-bit: int8 values, then one float32 quantization multiplier (value = q / multiplier).
    case intgemm8 = 0x4101

    /// Bytes the data of `elements` values needs (before padding).
    func byteCount(elements: Int) -> Int {
        switch self {
        case .int8: return elements
        case .float32: return 4 * elements
        case .intgemm8: return elements + 4
        }
    }
}

/// One item of a Marian binary model.
public struct MarianItem: Sendable, Equatable {
    /// Parameter name (`encoder_l1_self_Wq`, `Wemb`, `special:model.yml`, …).
    public let name: String
    /// Element type.
    public let type: MarianItemType
    /// Shape as stored, outermost first. An intgemm8 matrix of shape [K, N] holds its values
    /// transposed, as [N, K] row-major (marian-conv transposes without updating the shape).
    public let shape: [Int]
    /// Byte range of the item's data in the file (padding excluded).
    public let range: Range<Int>

    /// Number of values.
    public var elements: Int { shape.reduce(1, *) }
}

/// A Marian `.bin` model read into memory and validated.
///
///     let file = try MarianBinaryFile(path: "enpt/model.enpt.intgemm.alphas.bin")
///     let wemb = try file.floats("Wemb")            // dequantized: q / multiplier
///     print(file.text("special:model.yml") ?? "")
public final class MarianBinaryFile: @unchecked Sendable {
    /// The file path, for messages.
    public let path: String
    /// Items in file order.
    public let items: [MarianItem]
    private let index: [String: Int]
    private let bytes: Data

    /// The only binary version this reader knows.
    public static let version: UInt64 = 1

    /// Reads and validates `path`; throws `ModelFileError` naming the file and the problem.
    public convenience init(path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))  // read, not mapped: see ModelFileReader
        } catch {
            throw ModelFileError(path, "cannot read (\(error.localizedDescription))")
        }
        try self.init(path: path, data: data)
    }

    /// Validates `data` as a Marian binary model; `path` names it in errors.
    public init(path: String, data: Data) throws {
        self.path = path
        bytes = data
        items = try Self.parse(data, path: path)
        var index: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            guard index[item.name] == nil else { throw ModelFileError(path, "item '\(item.name)' appears twice") }
            index[item.name] = i
        }
        self.index = index
    }

    /// The item called `name`, if present.
    public func item(_ name: String) -> MarianItem? { index[name].map { items[$0] } }

    /// The values of a float32 or intgemm8 item as float32 (intgemm8: q / multiplier), in
    /// stored order (see `MarianItem.shape` for the transposed intgemm8 layout).
    public func floats(_ name: String) throws -> [Float] {
        let item = try required(name)
        switch item.type {
        case .float32:
            return bytes.withUnsafeBytes { raw in
                (0..<item.elements).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: item.range.lowerBound + 4 * $0, as: UInt32.self))) }
            }
        case .intgemm8:
            let scale = 1 / (try quantizationMultiplier(name))
            return try int8Values(name).map { Float($0) * scale }
        case .int8:
            throw ModelFileError(path, "item '\(name)' holds bytes, not numbers")
        }
    }

    /// The int8 values of an intgemm8 item, in stored order.
    public func int8Values(_ name: String) throws -> [Int8] {
        let item = try required(name)
        guard item.type == .intgemm8 else { throw ModelFileError(path, "item '\(name)' is not an intgemm8 matrix") }
        return bytes.withUnsafeBytes { raw in
            (0..<item.elements).map { raw.load(fromByteOffset: item.range.lowerBound + $0, as: Int8.self) }
        }
    }

    /// The quantization multiplier of an intgemm8 item (value = q / multiplier).
    public func quantizationMultiplier(_ name: String) throws -> Float {
        let item = try required(name)
        guard item.type == .intgemm8 else { throw ModelFileError(path, "item '\(name)' is not an intgemm8 matrix") }
        let bits = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: item.range.upperBound - 4, as: UInt32.self) }
        let multiplier = Float(bitPattern: UInt32(littleEndian: bits))
        guard multiplier.isFinite, multiplier > 0 else {
            throw ModelFileError(path, "item '\(name)' has quantization multiplier \(multiplier)")
        }
        return multiplier
    }

    /// The text of an `int8` item (e.g. `special:model.yml`), trailing NULs removed.
    public func text(_ name: String) -> String? {
        guard let item = item(name), item.type == .int8 else { return nil }
        let slice = bytes[bytes.startIndex + item.range.lowerBound ..< bytes.startIndex + item.range.upperBound]
        return String(decoding: slice, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\0"))
    }

    private func required(_ name: String) throws -> MarianItem {
        guard let item = item(name) else { throw ModelFileError(path, "missing item '\(name)'") }
        return item
    }

    // MARK: - Parsing

    private static func parse(_ data: Data, path: String) throws -> [MarianItem] {
        try data.withUnsafeBytes { raw -> [MarianItem] in
            var reader = ByteReader(raw: raw, path: path)
            let version = try reader.u64("the version")
            guard version == Self.version else {
                throw ModelFileError(path, "not a Marian binary model (version \(version), expected \(Self.version))")
            }
            let count = try reader.u64("the item count")
            guard count <= UInt64(raw.count / 32) else {
                throw ModelFileError(path, "truncated: \(count) item headers do not fit in \(raw.count) bytes")
            }
            var headers: [(nameLength: Int, type: UInt64, rank: Int, dataLength: Int)] = []
            for i in 0..<Int(count) {
                let what = "the header of item \(i)"
                let header = (try reader.u64(what), try reader.u64(what), try reader.u64(what), try reader.u64(what))
                guard header.0 >= 1, header.0 < 1 << 20, header.2 <= 16, header.3 < UInt64(Int.max / 2) else {
                    throw ModelFileError(path, "item \(i) has an impossible header (name \(header.0) bytes, rank \(header.2), \(header.3) bytes)")
                }
                headers.append((Int(header.0), header.1, Int(header.2), Int(header.3)))
            }
            let names = try headers.enumerated().map { i, h in try reader.name(length: h.nameLength, item: i) }
            let shapes = try headers.enumerated().map { i, h in
                try (0..<h.rank).map { _ in Int(try reader.i32("the shape of '\(names[i])'")) }
            }
            let pad = try reader.u64("the alignment padding")
            try reader.skip(pad, "the alignment padding")
            var items: [MarianItem] = []
            for (i, h) in headers.enumerated() {
                let name = names[i], shape = shapes[i]
                guard let type = MarianItemType(rawValue: h.type) else {
                    throw ModelFileError(path, "item '\(name)' has unknown type 0x\(String(h.type, radix: 16))")
                }
                guard let elements = elementCount(shape) else {
                    throw ModelFileError(path, "item '\(name)' has an impossible shape \(shape)")
                }
                let needed = type.byteCount(elements: elements)
                guard h.dataLength >= needed, h.dataLength - needed < 256 else {
                    throw ModelFileError(path, "item '\(name)' holds \(h.dataLength) bytes, but shape \(shape) of \(type) needs \(needed)")
                }
                let start = reader.offset
                try reader.skip(UInt64(h.dataLength), "the data of '\(name)'")
                items.append(MarianItem(name: name, type: type, shape: shape, range: start ..< start + needed))
            }
            return items
        }
    }
}

/// Bounds-checked little-endian reads; running off the end is a truncated file.
private struct ByteReader {
    let raw: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    mutating func take(_ n: Int, _ what: String) throws -> Int {
        guard n >= 0, n <= raw.count - offset else {
            throw ModelFileError(path, "truncated: file ends at byte \(raw.count) inside \(what)")
        }
        defer { offset += n }
        return offset
    }

    mutating func u64(_ what: String) throws -> UInt64 {
        UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: try take(8, what), as: UInt64.self))
    }

    mutating func i32(_ what: String) throws -> Int32 {
        Int32(littleEndian: raw.loadUnaligned(fromByteOffset: try take(4, what), as: Int32.self))
    }

    mutating func skip(_ n: UInt64, _ what: String) throws {
        guard n <= UInt64(Int.max) else { throw ModelFileError(path, "truncated: \(what) runs past the end of the file") }
        _ = try take(Int(n), what)
    }

    mutating func name(length: Int, item: Int) throws -> String {
        let start = try take(length, "the name of item \(item)")
        guard raw[start + length - 1] == 0 else { throw ModelFileError(path, "the name of item \(item) is not NUL-terminated") }
        return String(decoding: UnsafeRawBufferPointer(rebasing: raw[start ..< start + length - 1]), as: UTF8.self)
    }
}
