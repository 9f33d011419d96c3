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
}

/// A weight checked and counted but not read yet: large tables are read in row chunks when
/// they are quantized, so their float32 copy never exists whole.
struct WeightHandle {
    let source: TensorSource
    let name: String
    /// [rows, width].
    let shape: [Int]

    /// The whole tensor.
    func tensor() throws -> Tensor { try source.floatTensor(name).reshaped(shape) }

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
        return try PackedMatrix(int8Rows: v, inFeatures: d) { rows, out in
            let part = try source.floatRows(name, rows: rows)
            out.update(from: part.data, count: part.count)
        }
    }
}

/// Reads the tensors a family names, checks shapes, and tracks which were used.
final class WeightReader {
    let source: TensorSource
    private(set) var used: Set<String> = []
    /// Names actually loaded (not merely ignored).
    private(set) var loaded: Set<String> = []

    /// How the linear layers' weights are stored (the compute type).
    let storage: PackedMatrix.Storage
    private var bytesSinceTrim = 0

    init(_ source: TensorSource, computeType: ComputeType) {
        self.source = source
        storage = computeType.weightStorage
    }

    /// The tensor `name`, which must have `shape`.
    func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        try claim(name, shape: shape, exactShape: false)
        // The float32 copies of earlier weights are freed by now; without a trim every 32 MB
        // their holes between packed weights raise the load's peak memory.
        bytesSinceTrim += shape.reduce(1, *) * MemoryLayout<Float>.size
        if bytesSinceTrim > 32 << 20 {
            releaseFreedMemory()
            bytesSinceTrim = 0
        }
        return try source.floatTensor(name).reshaped(shape)
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
        return WeightHandle(source: source, name: name, shape: shape)
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
    func firstTensor(_ names: [String], shape: [Int]) throws -> Tensor {
        try tensor(try firstPresent(names, shape: shape), shape: shape)
    }

    /// `name` if present (with `shape`), else nil.
    func optionalTensor(_ name: String, shape: [Int]) throws -> Tensor? {
        source.contains(name) ? try tensor(name, shape: shape) : nil
    }

    /// Marks names as read without loading them (duplicates of tied weights, stored constants).
    func ignore(_ names: [String]) {
        for n in names where source.contains(n) { used.insert(n) }
    }

    /// A linear layer stacking `prefixes` (each `prefix.weight` [out, in], and `prefix.bias` [out] when `bias`).
    func linear(_ prefixes: [String], out: Int, in inWidth: Int, bias: Bool) throws -> Linear {
        let parts = try prefixes.map { p in
            (weight: try tensor("\(p).weight", shape: [out, inWidth]),
             bias: bias ? try tensor("\(p).bias", shape: [out]) : nil)
        }
        return Linear(stacking: parts, storage: storage)
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
    func checkAllUsed() throws {
        let unused = source.names.filter { !used.contains($0) }
        if !unused.isEmpty {
            let shown = unused.prefix(3).joined(separator: ", ")
            throw ModelFileError(source.path, "\(unused.count) unexpected weight(s): \(shown)\(unused.count > 3 ? ", …" : "")")
        }
    }
}
