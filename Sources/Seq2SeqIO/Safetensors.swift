// Reading safetensors files: an 8-byte little-endian header length, a JSON header mapping
// tensor names to dtype, shape and byte offsets, then the raw little-endian data.
// Format: https://github.com/huggingface/safetensors (README, "Format").
import Foundation
import Seq2SeqTensor

/// Element types a safetensors file may store that this toolkit reads as float32.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case float32 = "F32", float16 = "F16", bfloat16 = "BF16"
    case float64 = "F64", int64 = "I64", int32 = "I32", int16 = "I16", int8 = "I8", uint8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }
}

/// One tensor's entry in a safetensors header.
public struct SafetensorsEntry: Sendable, Equatable {
    /// Element type.
    public let dtype: SafetensorsDType
    /// Shape, outermost first.
    public let shape: [Int]
    /// Byte range within the data section.
    public let range: Range<Int>
}

/// A safetensors file, validated on open and read tensor by tensor (see `ModelFileReader`).
public final class SafetensorsFile: @unchecked Sendable {
    /// The file path, for messages.
    public let path: String
    /// Header entries by tensor name.
    public let entries: [String: SafetensorsEntry]
    /// The `__metadata__` string map, if any.
    public let metadata: [String: String]
    private let file: ModelFileReader
    private let dataStart: Int

    /// Largest header accepted (the format caps it at 100 MB).
    static let maximumHeaderSize = 100_000_000

    /// Opens and validates `path`; throws `ModelFileError` naming the file and the problem.
    public init(path: String) throws {
        self.path = path
        file = try ModelFileReader(path: path)
        let length = file.length
        guard length >= 8 else { throw ModelFileError(path, "not a safetensors file (only \(length) bytes)") }
        let storedSize = try file.bytes(at: 0, count: 8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard storedSize > 0, storedSize <= UInt64(Self.maximumHeaderSize), storedSize <= UInt64(length - 8) else {
            throw ModelFileError(path, "not a safetensors file or truncated (header of \(storedSize) bytes in a \(length)-byte file)")
        }
        let headerSize = Int(storedSize)
        dataStart = 8 + headerSize
        let header = try file.bytes(at: 8, count: headerSize)
        (entries, metadata) = try Self.parseHeader(header, dataLength: length - dataStart, path: path)
    }

    private static func parseHeader(_ header: [UInt8], dataLength: Int, path: String) throws
        -> ([String: SafetensorsEntry], [String: String]) {
        guard let members = (try? JSONValue.parse(header))?.members else {
            throw ModelFileError(path, "corrupt safetensors header (not a JSON object)")
        }
        var entries: [String: SafetensorsEntry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                let pairs = (value.members ?? []).compactMap { key, text in text.stringValue.map { (key, $0) } }
                metadata = Dictionary(pairs, uniquingKeysWith: { _, last in last })
                continue
            }
            entries[name] = try parseEntry(name, value, dataLength: dataLength, path: path)
        }
        try checkContiguous(entries, dataLength: dataLength, path: path)
        return (entries, metadata)
    }

    private static func parseEntry(_ name: String, _ value: JSONValue, dataLength: Int, path: String) throws -> SafetensorsEntry {
        func integers(_ key: String) -> [Int]? {
            guard let items = value[key]?.arrayValue else { return nil }
            let ints = items.compactMap { item -> Int? in if case .integer(let n) = item { return n } else { return nil } }
            return ints.count == items.count ? ints : nil
        }
        guard let dtypeName = value["dtype"]?.stringValue, let shape = integers("shape"),
              let offsets = integers("data_offsets"), offsets.count == 2 else {
            throw ModelFileError(path, "corrupt safetensors header entry for '\(name)'")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw ModelFileError(path, "tensor '\(name)' has unsupported dtype \(dtypeName)")
        }
        guard shape.allSatisfy({ $0 >= 0 && $0 < 1 << 40 }) else {
            throw ModelFileError(path, "tensor '\(name)' has an invalid shape \(shape)")
        }
        let (count, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        guard !overflow, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength else {
            throw ModelFileError(path, "tensor '\(name)' lies outside the file (bytes \(offsets[0])..<\(offsets[1]) of \(dataLength)); truncated or corrupt")
        }
        let (bytes, tooLarge) = count.multipliedReportingOverflow(by: dtype.size)
        guard !tooLarge, offsets[1] - offsets[0] == bytes else {
            throw ModelFileError(path, "tensor '\(name)' has \(offsets[1] - offsets[0]) bytes, shape \(shape) of \(dtypeName) needs \(tooLarge ? "more than \(Int.max)" : "\(bytes)")")
        }
        return SafetensorsEntry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
    }

    /// The tensors must tile the data region exactly, as the reference reader requires: no
    /// overlap, no gap, and the last one ending where the file does (a header length that is
    /// off by a byte shifts every tensor, and only this check sees it).
    private static func checkContiguous(_ entries: [String: SafetensorsEntry], dataLength: Int, path: String) throws {
        let sorted = entries.sorted { ($0.value.range.lowerBound, $0.value.range.upperBound) < ($1.value.range.lowerBound, $1.value.range.upperBound) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.value.range.upperBound > b.value.range.lowerBound {
            throw ModelFileError(path, "tensors '\(a.key)' and '\(b.key)' overlap; corrupt file")
        }
        var end = 0
        for (name, entry) in sorted {
            guard entry.range.lowerBound == end else {
                throw ModelFileError(path, "tensor '\(name)' starts at data byte \(entry.range.lowerBound), expected \(end); corrupt header")
            }
            end = entry.range.upperBound
        }
        guard end == dataLength else {
            throw ModelFileError(path, "the tensors end at data byte \(end) but the data region holds \(dataLength) bytes; wrong header length or corrupt file")
        }
    }

    /// The stored bytes of tensor `name`.
    public func bytes(_ name: String) throws -> [UInt8] {
        guard let e = entries[name] else { throw ModelFileError(path, "no tensor '\(name)'") }
        return try file.bytes(at: dataStart + e.range.lowerBound, count: e.range.count)
    }

    /// How entry `e` (tensor `name`) is stored, when it is a floating-point type.
    private func floatElement(_ name: String, _ e: SafetensorsEntry) throws -> StoredElement {
        switch e.dtype {
        case .float32: return .float32
        case .float16: return .float16
        case .bfloat16: return .bfloat16
        case .float64: return .float64
        default: throw ModelFileError(path, "tensor '\(name)' is \(e.dtype.rawValue), expected a floating-point type")
        }
    }

    /// Tensor `name` converted to float32 (from F32, F16, BF16 or F64).
    public func floatTensor(_ name: String) throws -> Tensor {
        guard let e = entries[name] else { throw ModelFileError(path, "no tensor '\(name)'") }
        let kind = try floatElement(name, e)
        let out = Tensor(zeros: e.shape)
        try file.readFloats(kind, count: out.count, at: dataStart + e.range.lowerBound, into: out.data)
        return out
    }

    /// Rows `rows` of the 2-D int8 tensor `name` as stored, into `values` (row-major).
    public func int8Values(_ name: String, rows: Range<Int>, into values: UnsafeMutablePointer<Int8>) throws {
        guard let e = entries[name] else { throw ModelFileError(path, "no tensor '\(name)'") }
        guard e.dtype == .int8, e.shape.count == 2 else {
            throw ModelFileError(path, "tensor '\(name)' is \(e.dtype.rawValue) \(e.shape), expected a 2-D I8 tensor")
        }
        guard rows.lowerBound >= 0, rows.upperBound <= e.shape[0] else { throw ModelFileError(path, "tensor '\(name)' has no rows \(rows)") }
        let width = e.shape[1]
        try file.readInt8(count: rows.count * width, at: dataStart + e.range.lowerBound + rows.lowerBound * width,
                          into: values, tensor: name)
    }

    /// Rows `rows` of tensor `name` (split along its first dimension) as float32, read alone.
    public func floatRows(_ name: String, rows: Range<Int>) throws -> Tensor {
        guard let e = entries[name] else { throw ModelFileError(path, "no tensor '\(name)'") }
        guard let first = e.shape.first, rows.lowerBound >= 0, rows.upperBound <= first else {
            throw ModelFileError(path, "tensor '\(name)' has no rows \(rows)")
        }
        let kind = try floatElement(name, e)
        let width = e.shape.dropFirst().reduce(1, *), elementBytes = e.range.count / max(1, first * width)
        let out = Tensor(zeros: [rows.count] + e.shape.dropFirst())
        let start = dataStart + e.range.lowerBound + rows.lowerBound * width * elementBytes
        try file.readFloats(kind, count: out.count, at: start, into: out.data)
        return out
    }
}

/// All tensors of a model folder: `model.safetensors`, or shards listed by
/// `model.safetensors.index.json`.
public final class SafetensorsCheckpoint: @unchecked Sendable {
    /// The folder (or single file), for messages.
    public let path: String
    private let files: [SafetensorsFile]
    private let location: [String: Int]

    /// Opens the checkpoint in `directory`.
    public convenience init(directory: URL) throws {
        let single = directory.appendingPathComponent("model.safetensors")
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        let manager = FileManager.default
        if manager.fileExists(atPath: single.path) {
            try self.init(files: [SafetensorsFile(path: single.path)], path: single.path)
        } else if manager.fileExists(atPath: index.path) {
            try self.init(index: index)
        } else {
            throw ModelFileError(directory.path, "no model.safetensors or model.safetensors.index.json in the folder")
        }
    }

    /// A checkpoint made of already opened files; a name present in two files is an error.
    public init(files: [SafetensorsFile], path: String) throws {
        self.path = path
        self.files = files
        var location: [String: Int] = [:]
        for (i, f) in files.enumerated() {
            for name in f.entries.keys {
                if let j = location[name] {
                    throw ModelFileError(f.path, "tensor '\(name)' also appears in \(files[j].path)")
                }
                location[name] = i
            }
        }
        self.location = location
    }

    private convenience init(index: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: index) } catch { throw ModelFileError(index.path, "cannot read") }
        let weightMap = (try? JSONValue.parse([UInt8](data)))?["weight_map"]?.members
        let names = weightMap?.compactMap { name, file in file.stringValue.map { (name, $0) } }
        guard let names, names.count == weightMap?.count else {
            throw ModelFileError(index.path, "corrupt index (expected a JSON object with a \"weight_map\" of strings)")
        }
        let map = Dictionary(names, uniquingKeysWith: { _, last in last })
        let folder = index.deletingLastPathComponent()
        let shardNames = Array(Set(map.values)).sorted()
        guard shardNames.allSatisfy({ !$0.contains("/") && !$0.hasPrefix(".") }) else {
            throw ModelFileError(index.path, "weight_map names a file outside the folder")
        }
        let shards = try shardNames.map { try SafetensorsFile(path: folder.appendingPathComponent($0).path) }
        try self.init(files: shards, path: index.path)
        for (name, shard) in map {
            guard let i = location[name], files[i].path.hasSuffix("/" + shard) else {
                throw ModelFileError(folder.appendingPathComponent(shard).path, "tensor '\(name)' listed in the index is missing")
            }
        }
    }

    /// All tensor names, sorted; the scales of int8 tensors are part of their tensor, not listed.
    public var names: [String] { location.keys.filter { !isScaleOfInt8Tensor($0) }.sorted() }

    /// The `name_scale` tensor stored beside a 2-D int8 `name` (F32, one value per row), when
    /// there is one: `name` is then a quantized weight, row j ≈ q[j]·scale[j] — the layout
    /// `seq2seq convert --quantize int8` writes. Nil for any other tensor.
    public func int8ScaleName(of name: String) -> String? {
        guard let e = entry(name), e.dtype == .int8, e.shape.count == 2 else { return nil }
        let scaleName = name + "_scale"
        guard let s = entry(scaleName), s.dtype == .float32, s.shape == [e.shape[0]] else { return nil }
        return scaleName
    }

    private func isScaleOfInt8Tensor(_ name: String) -> Bool {
        name.hasSuffix("_scale") && int8ScaleName(of: String(name.dropLast("_scale".count))) == name
    }

    /// Whether `name` is stored as int8 rows with a scale per row (see `int8ScaleName`).
    public func storesInt8Rows(_ name: String) -> Bool { int8ScaleName(of: name) != nil }

    /// Rows `rows` of the int8 tensor `name` as stored: values row-major into `values`, each
    /// row's scale (row ≈ values·scale) into `scales`. Scales must be finite and ≥ 0, values in [−127, 127].
    public func int8Rows(_ name: String, rows: Range<Int>, values: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>) throws {
        guard let scaleName = int8ScaleName(of: name), let i = location[name], let j = location[scaleName] else {
            throw ModelFileError(path, "tensor '\(name)' is not an int8 tensor with a '\(name)_scale' beside it")
        }
        try files[i].int8Values(name, rows: rows, into: values)
        let rowScales = try files[j].floatRows(scaleName, rows: rows)
        for r in 0..<rows.count {
            let s = rowScales.data[r]
            guard s.isFinite, s >= 0 else {
                throw ModelFileError(files[j].path, "'\(scaleName)' holds \(s) for row \(rows.lowerBound + r); scales must be finite and ≥ 0")
            }
            scales[r] = s
        }
    }

    /// Rows `rows` of an int8 tensor with scales, dequantized.
    private func dequantizedRows(_ name: String, rows: Range<Int>) throws -> Tensor {
        let width = shape(of: name)![1]
        let out = Tensor(zeros: [rows.count, width])
        let values = UnsafeMutablePointer<Int8>.allocate(capacity: max(1, rows.count * width))
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows.count))
        defer { values.deallocate(); scales.deallocate() }
        try int8Rows(name, rows: rows, values: values, scales: scales)
        for r in 0..<rows.count {
            for c in 0..<width { out.data[r * width + c] = Float(values[r * width + c]) * scales[r] }
        }
        return out
    }

    /// Whether the checkpoint holds `name`.
    public func contains(_ name: String) -> Bool { location[name] != nil }

    /// Header entry of `name`.
    public func entry(_ name: String) -> SafetensorsEntry? {
        location[name].flatMap { files[$0].entries[name] }
    }

    /// Shape of `name`.
    public func shape(of name: String) -> [Int]? { entry(name)?.shape }

    /// The stored element type of `name`, as the header spells it.
    public func dtypeName(of name: String) -> String? { entry(name)?.dtype.rawValue }

    /// The distinct element types stored.
    public var dtypes: Set<SafetensorsDType> { Set(files.flatMap { $0.entries.values.map(\.dtype) }) }

    /// The stored bytes of tensor `name` (a scale of an int8 tensor included).
    public func storedBytes(_ name: String) throws -> [UInt8] {
        guard let i = location[name] else { throw ModelFileError(path, "missing weight '\(name)'") }
        return try files[i].bytes(name)
    }

    /// The files of the checkpoint (one, or the shards).
    public var filePaths: [String] { files.map(\.path) }

    /// Tensor `name` as float32 (an int8 tensor with scales dequantized).
    public func floatTensor(_ name: String) throws -> Tensor {
        guard let i = location[name] else { throw ModelFileError(path, "missing weight '\(name)'") }
        if storesInt8Rows(name) { return try dequantizedRows(name, rows: 0..<shape(of: name)![0]) }
        return try files[i].floatTensor(name)
    }

    /// Rows `rows` of `name` as float32, read without the rest of the tensor.
    public func floatRows(_ name: String, rows: Range<Int>) throws -> Tensor {
        guard let i = location[name] else { throw ModelFileError(path, "missing weight '\(name)'") }
        if storesInt8Rows(name) {
            guard rows.lowerBound >= 0, rows.upperBound <= shape(of: name)![0] else { throw ModelFileError(path, "tensor '\(name)' has no rows \(rows)") }
            return try dequantizedRows(name, rows: rows)
        }
        return try files[i].floatRows(name, rows: rows)
    }
}
