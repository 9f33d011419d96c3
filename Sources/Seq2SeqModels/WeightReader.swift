// Strict weight loading: every expected tensor must exist with the expected shape, and every
// tensor in the checkpoint must be used (or be a known duplicate), as mlx-swift-lm does.
import Foundation
import Seq2SeqIO
import Seq2SeqTensor

/// A source of named float tensors (a safetensors checkpoint, a CTranslate2 model, …).
public protocol TensorSource {
    /// The file or folder, for messages.
    var path: String { get }
    /// All tensor names.
    var names: [String] { get }
    /// Whether `name` is present.
    func contains(_ name: String) -> Bool
    /// Shape of `name`, if present.
    func shape(of name: String) -> [Int]?
    /// The tensor `name` as float32.
    func floatTensor(_ name: String) throws -> Tensor
    /// The stored element type of `name` (`F32`, `F16`, `BF16`, `I8`, …), if present.
    func dtypeName(of name: String) -> String?
    /// Rows `rows` of `name` (split along its first dimension) as float32.
    func floatRows(_ name: String, rows: Range<Int>) throws -> Tensor
    /// Whether `name` is stored as int8 rows with a scale per row, which the int8 compute
    /// type reads as they are (no float32 copy, no second quantization).
    func storesInt8Rows(_ name: String) -> Bool
    /// Rows `rows` of an int8-stored `name`: values row-major into `values` (in [−127, 127]),
    /// each row's scale (row ≈ values·scale) into `scales`.
    func int8Rows(_ name: String, rows: Range<Int>, values: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>) throws
}

extension TensorSource {
    /// Reads the whole tensor and copies the rows (sources that can read a part override it).
    public func floatRows(_ name: String, rows: Range<Int>) throws -> Tensor {
        let whole = try floatTensor(name)
        let width = whole.shape.dropFirst().reduce(1, *)
        let out = Tensor(zeros: [rows.count] + whole.shape.dropFirst())
        out.data.update(from: whole.data + rows.lowerBound * width, count: rows.count * width)
        return out
    }

    /// No int8 storage (sources that have it override both).
    public func storesInt8Rows(_ name: String) -> Bool { false }

    public func int8Rows(_ name: String, rows: Range<Int>, values: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>) throws {
        throw ModelFileError(path, "'\(name)' is not stored as int8")
    }
}

extension TensorSource {
    /// Writes the 2-D weight `name` ([rows, width]) into rows `first…` of an int8 weight: as
    /// stored when it is int8 already, else quantized from float32 a chunk of rows at a time.
    func fillInt8(_ writer: PackedMatrix.Int8RowWriter, name: String, first: Int, rows: Int, width: Int) throws {
        // About 1 M values (4 MB of float32) a chunk: the float copy of a table never weighs
        // on the peak (16 M values, 64 MB, did: a third of an int8 Marian-base load's peak).
        let chunk = max(1, min(rows, (1 << 20) / max(1, width)))
        if storesInt8Rows(name) {
            let values = UnsafeMutablePointer<Int8>.allocate(capacity: max(1, chunk * width))
            let scales = UnsafeMutablePointer<Float>.allocate(capacity: chunk)
            defer { values.deallocate(); scales.deallocate() }
            for start in stride(from: 0, to: rows, by: chunk) {
                let part = start..<min(rows, start + chunk)
                try int8Rows(name, rows: part, values: values, scales: scales)
                writer.place(rows: first + start, count: part.count, values: values, ld: width, scales: scales)
            }
            return
        }
        for start in stride(from: 0, to: rows, by: chunk) {
            let part = start..<min(rows, start + chunk)
            let floats = try floatRows(name, rows: part)
            writer.quantize(rows: first + start, count: part.count, from: floats.data, ld: width)
        }
    }
}

/// A weight checked and counted but not read yet: large tables are read in row chunks when
/// they are quantized, so their float32 copy never exists whole.
struct WeightHandle {
    let reader: WeightReader
    let name: String
    /// [rows, width].
    let shape: [Int]
    var source: TensorSource { reader.source }

    /// The whole tensor.
    func tensor() throws -> Tensor {
        reader.readAsFloat.insert(name)
        return try source.floatTensor(name).reshaped(shape)
    }

    /// Whether two stored tables hold the same values, compared a chunk of rows at a time.
    func sameValues(as other: WeightHandle) throws -> Bool {
        guard shape == other.shape else { return false }
        let chunk = 4096
        for start in stride(from: 0, to: shape[0], by: chunk) {
            let rows = start..<min(shape[0], start + chunk)
            let a = try source.floatRows(name, rows: rows), b = try other.source.floatRows(other.name, rows: rows)
            if memcmp(a.data, b.data, a.count * MemoryLayout<Float>.size) != 0 { return false }
        }
        return true
    }

    /// The table packed as `storage` says: an int8 table is quantized a chunk of rows at a time.
    func packed(_ storage: PackedMatrix.Storage) throws -> PackedMatrix {
        let (v, d) = (shape[0], shape[1])
        guard storage == .int8 else {
            let t = try tensor()
            return PackedMatrix(weight: t.data, outFeatures: v, inFeatures: d, storage: storage)
        }
        reader.readAsInt8.insert(name)
        return try PackedMatrix(int8Rows: v, inFeatures: d) { writer in
            try source.fillInt8(writer, name: name, first: 0, rows: v, width: d)
        }
    }
}

/// Reads the tensors a family names, checks shapes, and tracks which were used: the one strict
/// loader of the toolkit (inference families, and the trainer reading a Hugging Face folder).
public final class WeightReader {
    /// Where the tensors come from.
    public let source: TensorSource
    private(set) var used: Set<String> = []
    /// Names actually loaded (not merely ignored).
    private(set) var loaded: Set<String> = []

    /// How the linear layers' weights are stored (the compute type).
    let storage: PackedMatrix.Storage
    private var bytesSinceTrim = 0
    /// Weights kept as int8 rows (the int8 compute type's linear layers, embeddings and head).
    fileprivate(set) var readAsInt8: Set<String> = []
    /// Tensors read as float32.
    fileprivate(set) var readAsFloat: Set<String> = []

    /// A reader of `source`; linear layers are stored as `computeType` says.
    public init(_ source: TensorSource, computeType: ComputeType) {
        self.source = source
        storage = computeType.weightStorage
    }

    /// The tensor `name`, which must have `shape` (or the same sizes with extra 1s).
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        try claim(name, shape: shape, exactShape: false)
        countFloatCopy(elements: shape.reduce(1, *))
        readAsFloat.insert(name)
        return try source.floatTensor(name).reshaped(shape)
    }

    /// Counts a float32 copy about to be read: the copies of earlier weights are freed by now,
    /// and without a trim every 32 MB their holes between packed weights raise the load's peak memory.
    private func countFloatCopy(elements: Int) {
        bytesSinceTrim += elements * MemoryLayout<Float>.size
        if bytesSinceTrim > 32 << 20 {
            releaseFreedMemory()
            bytesSinceTrim = 0
        }
    }

    /// Checks that `name` is present with `shape` (or, unless `exactShape`, the same sizes with
    /// extra 1s) and counts it as used and loaded.
    private func claim(_ name: String, shape: [Int], exactShape: Bool) throws {
        guard let actual = source.shape(of: name) else {
            throw ModelFileError(source.path, "missing weight '\(name)' (expected shape \(shape))")
        }
        let equivalent = !exactShape && actual.reduce(1, *) == shape.reduce(1, *) && actual.filter { $0 != 1 } == shape.filter { $0 != 1 }
        guard actual == shape || equivalent else {
            throw ModelFileError(source.path, "weight '\(name)' has shape \(actual), expected \(shape)")
        }
        used.insert(name)
        loaded.insert(name)
    }

    /// The first of `names` that is present.
    private func firstPresent(_ names: [String], shape: [Int]) throws -> String {
        guard let name = names.first(where: source.contains) else {
            throw ModelFileError(source.path, "missing weight '\(names[0])' (expected shape \(shape))")
        }
        return name
    }

    /// `name`, which must have `shape`, counted as loaded but not read (`WeightHandle`).
    func handle(_ name: String, shape: [Int]) throws -> WeightHandle {
        try claim(name, shape: shape, exactShape: true)  // read by rows: no extra dimensions
        return WeightHandle(reader: self, name: name, shape: shape)
    }

    /// The first of `names` that is present, as a handle.
    func firstHandle(_ names: [String], shape: [Int]) throws -> WeightHandle {
        try handle(try firstPresent(names, shape: shape), shape: shape)
    }

    /// `name` as a handle if present, else nil.
    func optionalHandle(_ name: String, shape: [Int]) throws -> WeightHandle? {
        source.contains(name) ? try handle(name, shape: shape) : nil
    }

    /// The first of `names` that is present, with `shape`.
    public func firstTensor(_ names: [String], shape: [Int]) throws -> Tensor {
        try tensor(try firstPresent(names, shape: shape), shape: shape)
    }

    /// `name` if present (with `shape`), else nil.
    public func optionalTensor(_ name: String, shape: [Int]) throws -> Tensor? {
        source.contains(name) ? try tensor(name, shape: shape) : nil
    }

    /// Marks names as read without loading them (duplicates of tied weights, stored constants).
    public func ignore(_ names: [String]) {
        for n in names where source.contains(n) { used.insert(n) }
    }

    /// A linear layer stacking `prefixes` (each `prefix.weight` [out, in], and `prefix.bias` [out] when `bias`).
    func linear(_ prefixes: [String], out: Int, in inWidth: Int, bias: Bool) throws -> Linear {
        try linear(prefixes.map { (weight: "\($0).weight", rows: out, bias: bias ? "\($0).bias" : nil) }, in: inWidth)
    }

    /// A linear layer stacking the weights `parts` (each [rows, in], its bias [rows] when
    /// named). With the int8 compute type a weight stored as int8 is read as it is; the others
    /// are quantized where they lie.
    func linear(_ parts: [(weight: String, rows: Int, bias: String?)], in inWidth: Int) throws -> Linear {
        let biases = try parts.map { p in try p.bias.map { try tensor($0, shape: [p.rows]) } }
        guard storage == .int8 else {
            let weights = try parts.map { try tensor($0.weight, shape: [$0.rows, inWidth]) }
            return Linear(stacking: zip(weights, biases).map { (weight: $0, bias: $1) }, storage: storage)
        }
        for p in parts {
            try claim(p.weight, shape: [p.rows, inWidth], exactShape: false)
            readAsInt8.insert(p.weight)
        }
        let weight = try PackedMatrix(int8Rows: parts.reduce(0) { $0 + $1.rows }, inFeatures: inWidth) { writer in
            var first = 0
            for p in parts {
                if source.storesInt8Rows(p.weight) {
                    try source.fillInt8(writer, name: p.weight, first: first, rows: p.rows, width: inWidth)
                } else {
                    countFloatCopy(elements: p.rows * inWidth)
                    let w = try source.floatTensor(p.weight)  // whole: it may carry extra 1-sized dimensions
                    writer.quantize(rows: first, count: p.rows, from: w.data, ld: inWidth)
                }
                first += p.rows
            }
        }
        return Linear(weight: weight, biases: zip(parts, biases).map { (rows: $0.rows, bias: $1) })
    }

    /// A norm with `prefix.weight` (and `prefix.bias` for LayerNorm).
    func norm(_ prefix: String, kind: NormKind, width: Int) throws -> Norm {
        let gamma = try tensor("\(prefix).weight", shape: [width])
        if case .layerNorm = kind {
            return Norm(kind: kind, gamma: gamma, beta: try tensor("\(prefix).bias", shape: [width]))
        }
        return Norm(kind: kind, gamma: gamma, beta: nil)
    }

    /// Throws when the checkpoint holds tensors nobody read.
    public func checkAllUsed() throws {
        let unused = source.names.filter { !used.contains($0) }
        if !unused.isEmpty {
            let shown = unused.prefix(3).joined(separator: ", ")
            throw ModelFileError(source.path, "\(unused.count) unexpected weight(s): \(shown)\(unused.count > 3 ? ", …" : "")")
        }
    }
}
