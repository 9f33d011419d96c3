// A linear layer's weight packed once into the GEMM micro-kernel's panel layout.
import CSeq2SeqKernels

/// A weight W[N, K] (PyTorch `nn.Linear` layout: out × in) packed for y = x · Wᵀ + bias.
///
/// Packing happens once, here: Wᵀ is stored as ⌈N/NR⌉ panels of K×NR floats (column j of
/// step p at panel[p·NR + j], zero-padded past N), so `apply` reads the weight as one
/// sequential stream. That matters most for decode steps (1–16 rows), which are bound by
/// the memory traffic of the weight.
public final class PackedMatrix: @unchecked Sendable {
    /// N: rows of the weight, columns of the output.
    public let outFeatures: Int
    /// K: columns of the weight, columns of the input.
    public let inFeatures: Int
    /// The micro-kernel path whose tile geometry the panels follow.
    public let path: GEMMPath
    /// Whether the panels are stored as float16 (see `Storage.float16WhenExact`).
    public let isHalfPrecision: Bool
    /// Float32 panels, or nil when stored as float16.
    private let panels: UnsafeMutablePointer<Float>?
    /// Float16 panels, or nil when stored as float32.
    private let halfPanels: UnsafeMutablePointer<UInt16>?
    /// The weight quantized to int8, when stored so (then there are no float panels).
    private let int8: Int8Weight?
    /// Whether the weight is stored as int8 (`Storage.int8`).
    public var isInt8: Bool { int8 != nil }

    /// How the panels are kept in memory.
    public enum Storage: Sendable {
        /// Float32, always.
        case float32
        /// Float16 when every value of the weight is exactly a float16 (a checkpoint stored in
        /// float16), float32 otherwise. Products are computed in float32 either way, so the
        /// results are bit for bit those of float32 panels, with half the memory and half the
        /// traffic of decode steps.
        case float16WhenExact
        /// Int8 with one scale per output row; products quantize the input rows on the fly
        /// and sum in int32 (the `int8` compute type).
        case int8
    }

    /// Packs `weight` (row-major [outFeatures, inFeatures]) for the active GEMM path.
    public convenience init(weight: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int, storage: Storage = .float32) {
        self.init(weight: weight, outFeatures: outFeatures, inFeatures: inFeatures, path: GEMM.activePath, storage: storage)
    }

    /// Packs `weight` (row-major [outFeatures, inFeatures]) for the micro-kernel `path`.
    public init(weight: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int, path: GEMMPath,
                storage: Storage = .float32, pool: ThreadPool = .shared) {
        precondition(outFeatures >= 0 && inFeatures >= 0, "negative weight size")
        precondition(path.isSupported, "GEMM path \(path) is not supported on this CPU")
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.path = path
        if storage == .int8 {
            (panels, halfPanels, isHalfPrecision) = (nil, nil, false)
            let int8 = Int8Weight(outFeatures: outFeatures, inFeatures: inFeatures)
            int8.quantize(rows: 0, count: outFeatures, from: weight, ld: inFeatures)
            self.int8 = int8
            return
        }
        int8 = nil
        let nr = path.tileColumns, k = inFeatures
        let panelCount = (outFeatures + nr - 1) / nr
        let count = max(1, panelCount * k * nr)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        let panels = raw.bindMemory(to: Float.self, capacity: count)
        pool.parallelChunks(panelCount) { range in
            let columns = range.lowerBound * nr..<min(outFeatures, range.upperBound * nr)
            GEMMRightOperand.pack(weight, ld: k, transposed: true, rows: 0..<k, columns: columns,
                                  tileColumns: nr, into: panels + range.lowerBound * k * nr)
        }
        if storage == .float16WhenExact && s2s_sgemm_f16_supported(path.rawValue) != 0 {
            let rawHalf = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<UInt16>.stride, alignment: 64)
            let half = rawHalf.bindMemory(to: UInt16.self, capacity: count)
            if s2s_f32_to_f16_exact(panels, half, count) != 0 {
                panels.deallocate()
                (self.panels, halfPanels, isHalfPrecision) = (nil, half, true)
                return
            }
            half.deallocate()
        }
        (self.panels, halfPanels, isHalfPrecision) = (panels, nil, false)
    }

    /// Fills the rows of an int8 weight: each row quantized from float32 values or placed as
    /// stored (int8 values with their scale).
    public struct Int8RowWriter {
        fileprivate let weight: Int8Weight

        /// Quantizes rows [first, first + count) from `w` (row-major, row stride `ld`): row j's
        /// scale is max|W[j]|/127, its values round(W/scale).
        public func quantize(rows first: Int, count: Int, from w: UnsafePointer<Float>, ld: Int) {
            weight.quantize(rows: first, count: count, from: w, ld: ld)
        }

        /// Places rows [first, first + count) that are int8 already: `values` row-major (row
        /// stride `ld`) in [-127, 127], W[j] ≈ values[j]·scales[j].
        public func place(rows first: Int, count: Int, values: UnsafePointer<Int8>, ld: Int, scales: UnsafePointer<Float>) {
            weight.place(rows: first, count: count, values: values, ld: ld, scales: scales)
        }
    }

    /// An int8 weight [outFeatures, inFeatures] (`Storage.int8`) whose rows `filling` writes,
    /// in any order and as many at a time as it likes: a large table is never float32 whole,
    /// and stacked parts (fused Q, K, V) are quantized where they lie. Rows left unwritten are zero.
    public init(int8Rows outFeatures: Int, inFeatures: Int, path: GEMMPath = GEMM.activePath,
                filling: (Int8RowWriter) throws -> Void) rethrows {
        precondition(outFeatures >= 0 && inFeatures >= 0, "negative weight size")
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.path = path
        (panels, halfPanels, isHalfPrecision) = (nil, nil, false)
        let weight = Int8Weight(outFeatures: outFeatures, inFeatures: inFeatures)
        do {
            try filling(Int8RowWriter(weight: weight))
        } catch {
            weight.deallocate()
            throw error
        }
        int8 = weight
    }

    deinit {
        panels?.deallocate()
        halfPanels?.deallocate()
        int8?.deallocate()
    }

    /// The right operand of products with this weight.
    private var operand: GEMMRightOperand {
        if let halfPanels { return .packedHalf(halfPanels) }
        return .packed(panels!)
    }

    /// Element `index` of the packed panels, as float32.
    @inline(__always)
    private func panelValue(_ index: Int) -> Float {
        if let panels { return panels[index] }
        var value: Float = 0
        s2s_f16_to_f32(halfPanels! + index, &value, 1)
        return value
    }

    /// y[rows, N] = x[rows, K] · Wᵀ + bias, or y += x · Wᵀ + bias when `accumulate`.
    ///
    /// `x` and `y` are row-major with row strides `ldx` ≥ K and `ldy` ≥ N; `bias` holds N
    /// values. Without `accumulate`, y is only written.
    public func apply(_ x: UnsafePointer<Float>, rows: Int, ldx: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
                      bias: UnsafePointer<Float>? = nil, accumulate: Bool = false, pool: ThreadPool = .shared) {
        precondition(rows >= 0 && ldx >= inFeatures && ldy >= outFeatures, "PackedMatrix.apply: bad size or stride")
        if let int8 {
            int8.apply(x, rows: rows, ldx: ldx, into: y, ldy: ldy, bias: bias, accumulate: accumulate, pool: pool)
            return
        }
        let left = GEMMLeftOperand(base: x, ld: ldx, transposed: false, alpha: 1)
        GEMMDriver(path: path, m: rows, n: outFeatures, k: inFeatures, left: left, right: operand,
                   c: y, ldc: ldy, beta: accumulate ? 1 : 0, bias: bias).run(pool: pool)
    }

    /// Writes row `j` of the weight (its `inFeatures` values for output feature `j`) to `out`;
    /// lets a tied embedding table be read from the LM head instead of being stored twice.
    public func copyRow(_ j: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(j >= 0 && j < outFeatures, "row out of range")
        if let int8 { return int8.copyRow(j, into: out) }
        let nr = path.tileColumns, k = inFeatures
        let start = (j / nr) * k * nr + j % nr
        if let panels {
            for p in 0..<k { out[p] = panels[start + p * nr] }
        } else {
            for p in 0..<k { out[p] = panelValue(start + p * nr) }
        }
    }

    /// The weight as given: row-major [outFeatures, inFeatures].
    public func unpacked() -> [Float] {
        let nr = path.tileColumns, k = inFeatures
        var weight = [Float](repeating: 0, count: outFeatures * k)
        if let int8 {
            weight.withUnsafeMutableBufferPointer { w in
                for j in 0..<outFeatures { int8.copyRow(j, into: w.baseAddress! + j * k) }
            }
            return weight
        }
        weight.withUnsafeMutableBufferPointer { w in
            for j in 0..<outFeatures {
                let start = (j / nr) * k * nr + j % nr
                for p in 0..<k { w[j * k + p] = panelValue(start + p * nr) }
            }
        }
        return weight
    }
}
