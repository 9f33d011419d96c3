// Float32 matrix multiplication: row-major C = alpha·op(A)·op(B) + beta·C.
//
// GotoBLAS/BLIS blocking (see BLIS `docs/KernelsHowTo.md`; written anew here): op(A) is
// packed once per product into MR-row panels (shared by all threads), op(B) in KC×NC
// blocks of NR-column panels (or ahead of time, by `PackedMatrix`), and the C macro-kernel
// (`s2s_sgemm_macro`, CSeq2SeqKernels/sgemm.c) accumulates MR×NR register tiles over MC×KC
// blocks. Threads split C into column (or row) ranges on tile boundaries, so every element
// is summed in the same order whatever the thread count.
import CSeq2SeqKernels

/// The instruction set (and register-tile geometry) of the float32 GEMM micro-kernel.
public enum GEMMPath: Int32, CaseIterable, Sendable {
    /// Portable C, 6×16 tiles.
    case scalar = 0
    /// AVX2 + FMA, 6×16 tiles.
    case avx2 = 1
    /// AVX-512F, 12×32 tiles.
    case avx512 = 2
    /// Portable C with the AVX-512 geometry (12×32), to test that layout on any CPU.
    case scalarWide = 3

    /// The fastest path this CPU runs.
    public static var best: GEMMPath { GEMMPath(rawValue: s2s_sgemm_best_path()) ?? .scalar }

    /// Whether this CPU can run the path.
    public var isSupported: Bool { s2s_sgemm_path_supported(rawValue) != 0 }

    /// Rows of a register tile (MR).
    var tileRows: Int { Int(s2s_sgemm_tile_rows(rawValue)) }
    /// Columns of a register tile (NR).
    var tileColumns: Int { Int(s2s_sgemm_tile_columns(rawValue)) }

    /// Cache blocks: depth KC (a KC×NR panel of B stays in L1), rows MC (an MC×KC block of
    /// A stays in L2), columns NC (a KC×NC block of B stays in L3). Measured on Zen 5 with
    /// `seq2seq-bench gemm`: AVX2 2048³ runs at 120 GFLOP/s with MC 72, 95 with MC 144;
    /// AVX-512 1500×384·384×1536 at ~229 with KC 384 (one k block), ~185 with KC 256.
    var blocking: (depth: Int, rows: Int, columns: Int) {
        switch self {
        case .avx512, .scalarWide: (384, 72, 2048)
        case .avx2, .scalar: (256, 72, 2048)
        }
    }
}

/// Float32 matrix products on packed cache blocks with a runtime-chosen micro-kernel.
public enum GEMM {
    /// Forces a micro-kernel path (for tests and benchmarks); `nil` picks the fastest.
    ///
    /// Set it only while no multiplication runs. A forced path must be supported.
    public nonisolated(unsafe) static var forcedPath: GEMMPath? = nil {
        willSet { precondition(newValue?.isSupported ?? true, "GEMM path \(newValue!) is not supported on this CPU") }
    }

    /// The path multiplications use now: `forcedPath` or the fastest supported one.
    public static var activePath: GEMMPath { forcedPath ?? bestPath }

    private static let bestPath = GEMMPath.best

    /// Row-major C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C.
    ///
    /// op(A) is A[m, k] with row stride `lda`, or, when `transposeA`, the transpose of
    /// A[k, m]; likewise op(B) from B[k, n] or B[n, k]. With `beta == 0`, C is not read
    /// (it may hold anything, NaN included).
    public static func multiply(m: Int, n: Int, k: Int,
                                a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                                b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                                c: UnsafeMutablePointer<Float>, ldc: Int,
                                alpha: Float = 1, beta: Float = 0, pool: ThreadPool = .shared) {
        precondition(m >= 0 && n >= 0 && k >= 0, "negative GEMM size")
        precondition(ldc >= n && lda >= (transposeA ? m : k) && ldb >= (transposeB ? k : n), "GEMM stride too small")
        let left = GEMMLeftOperand(base: a, ld: lda, transposed: transposeA, alpha: alpha)
        let right = GEMMRightOperand.raw(b, ld: ldb, transposed: transposeB)
        GEMMDriver(path: activePath, m: m, n: n, k: k, left: left, right: right,
                   c: c, ldc: ldc, beta: beta, bias: nil).run(pool: pool)
    }

    /// Plain triple loop in float64, the reference the fast kernels are tested against.
    public static func referenceMultiply(m: Int, n: Int, k: Int,
                                         a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                                         b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                                         c: UnsafeMutablePointer<Float>, ldc: Int,
                                         alpha: Float = 1, beta: Float = 0) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * sum + old)
            }
        }
    }
}

/// op(A): rows of the product, packed once per product.
struct GEMMLeftOperand {
    let base: UnsafePointer<Float>
    let ld: Int
    let transposed: Bool
    let alpha: Float

    /// Packs op(A)[rows, columns] (scaled by alpha) into MR-row panels: panel[p·MR + i].
    func pack(rows: Range<Int>, columns: Range<Int>, tileRows mr: Int, into out: UnsafeMutablePointer<Float>) {
        let start = transposed ? columns.lowerBound * ld + rows.lowerBound : rows.lowerBound * ld + columns.lowerBound
        s2s_sgemm_pack(Int32(mr), Int32(rows.count), Int32(columns.count), base + start, ld, transposed ? 0 : 1, alpha, out)
    }
}

/// op(B): columns of the product, either raw (packed per block) or packed once ahead.
enum GEMMRightOperand {
    /// B[k, n] with row stride `ld`, or B[n, k] when `transposed`.
    case raw(UnsafePointer<Float>, ld: Int, transposed: Bool)
    /// Whole-k NR-column panels, `k·NR` floats apart (see `PackedMatrix`).
    case packed(UnsafePointer<Float>)
    /// The same panels stored as float16 (weights exactly representable in float16).
    case packedHalf(UnsafePointer<UInt16>)

    var isPacked: Bool {
        if case .raw = self { return false }
        return true
    }

    /// Packs op(B)[rows, columns] into NR-column panels (panel[p·NR + j], zero-padded).
    static func pack(_ b: UnsafePointer<Float>, ld: Int, transposed: Bool, rows: Range<Int>, columns: Range<Int>,
                     tileColumns nr: Int, into out: UnsafeMutablePointer<Float>) {
        let start = transposed ? columns.lowerBound * ld + rows.lowerBound : rows.lowerBound * ld + columns.lowerBound
        s2s_sgemm_pack(Int32(nr), Int32(columns.count), Int32(rows.count), b + start, ld, transposed ? 1 : 0, 1, out)
    }
}

/// One multiplication: splits C among threads and runs the blocked loops on each part.
struct GEMMDriver {
    let path: GEMMPath
    let m: Int, n: Int, k: Int
    let left: GEMMLeftOperand
    let right: GEMMRightOperand
    let c: UnsafeMutablePointer<Float>
    let ldc: Int
    let beta: Float
    let bias: UnsafePointer<Float>?

    func run(pool: ThreadPool) {
        if m == 0 || n == 0 { return }
        if k == 0 { return scaleOnly() }
        let mr = path.tileRows, nr = path.tileColumns
        let panels = (n + nr - 1) / nr, rowPanels = (m + mr - 1) / mr
        let threads = m * n * k < 1 << 17 ? 1 : pool.threadCount
        let kc = Self.evenSplit(k, maximum: path.blocking.depth, multiple: 8)
        // op(A) is packed once, shared by all parts: k block after k block, each holding
        // all row panels, so that any (k block, row range) is one contiguous run.
        let packedA = s2s_thread_scratch(0, rowPanels * mr * k)!
        pool.parallelChunks(rowPanels, minimumChunk: max(1, 4096 / k)) { chunk in
            let rows = chunk.lowerBound * mr..<min(m, chunk.upperBound * mr)
            for p0 in stride(from: 0, to: k, by: kc) {
                left.pack(rows: rows, columns: p0..<min(k, p0 + kc), tileRows: mr,
                          into: packedA + p0 * rowPanels * mr + chunk.lowerBound * min(kc, k - p0) * mr)
            }
        }
        let a = UnsafePointer(packedA)
        // More parts than threads balance the load when another process holds a core.
        if threads > 1 && panels >= 2 * threads && (n >= m || rowPanels < 2 * threads) {
            let parts = min(4 * threads, panels / 2)
            pool.parallelFor(parts) { t in
                let lo = panels * t / parts * nr, hi = min(n, panels * (t + 1) / parts * nr)
                block(rows: 0..<m, columns: lo..<hi, packedA: a, rowPanels: rowPanels, kc: kc)
            }
        } else if threads > 1 && rowPanels >= threads {
            // Row parts each pack their own copy of a raw B: keep them few then.
            var parts = threads
            if right.isPacked { parts = min(4 * threads, rowPanels) }
            pool.parallelFor(parts) { t in
                let lo = rowPanels * t / parts * mr, hi = min(m, rowPanels * (t + 1) / parts * mr)
                block(rows: lo..<hi, columns: 0..<n, packedA: a, rowPanels: rowPanels, kc: kc)
            }
        } else {
            block(rows: 0..<m, columns: 0..<n, packedA: a, rowPanels: rowPanels, kc: kc)
        }
    }

    /// Blocked loops over one part of C: columns by NC, depth by KC, rows by MC.
    private func block(rows: Range<Int>, columns: Range<Int>, packedA: UnsafePointer<Float>, rowPanels: Int, kc: Int) {
        if rows.isEmpty || columns.isEmpty { return }
        let mr = path.tileRows, nr = path.tileColumns
        let mc = Self.evenSplit(rows.count, maximum: path.blocking.rows, multiple: mr), nc = path.blocking.columns
        var packedB: UnsafeMutablePointer<Float>? = nil
        if case .raw = right { packedB = s2s_thread_scratch(1, kc * nc)! }
        for j0 in stride(from: columns.lowerBound, to: columns.upperBound, by: nc) {
            let js = j0..<min(columns.upperBound, j0 + nc)
            for p0 in stride(from: 0, to: k, by: kc) {
                let ps = p0..<min(k, p0 + kc)
                var b: UnsafePointer<Float>? = nil, half: UnsafePointer<UInt16>? = nil, panelStride = k * nr
                let offset = (js.lowerBound / nr) * k * nr + p0 * nr
                switch right {
                case let .raw(base, ld, transposed):
                    GEMMRightOperand.pack(base, ld: ld, transposed: transposed, rows: ps, columns: js,
                                          tileColumns: nr, into: packedB!)
                    (b, panelStride) = (UnsafePointer(packedB!), ps.count * nr)
                case let .packed(base): b = base + offset
                case let .packedHalf(base): half = base + offset
                }
                let first = p0 == 0
                let aBlock = packedA + p0 * rowPanels * mr
                for i0 in stride(from: rows.lowerBound, to: rows.upperBound, by: mc) {
                    let rs = i0..<min(rows.upperBound, i0 + mc)
                    let (a, cBlock) = (aBlock + (i0 / mr) * ps.count * mr, c + i0 * ldc + js.lowerBound)
                    let (blockBeta, blockBias) = (first ? beta : 1, first ? bias.map { $0 + js.lowerBound } : nil)
                    if let half {
                        s2s_sgemm_macro_f16(path.rawValue, Int32(rs.count), Int32(js.count), Int32(ps.count),
                                            a, half, panelStride, cBlock, ldc, blockBeta, blockBias)
                    } else {
                        s2s_sgemm_macro(path.rawValue, Int32(rs.count), Int32(js.count), Int32(ps.count),
                                        a, b, panelStride, cBlock, ldc, blockBeta, blockBias)
                    }
                }
            }
        }
    }

    /// C = beta·C + bias when k == 0.
    private func scaleOnly() {
        for i in 0..<m {
            let row = c + i * ldc
            for j in 0..<n { row[j] = (beta == 0 ? 0 : beta * row[j]) + (bias?[j] ?? 0) }
        }
    }

    /// The block size ≤ `maximum` (a multiple of `multiple`) that splits `total` evenly.
    static func evenSplit(_ total: Int, maximum: Int, multiple: Int) -> Int {
        let blocks = max(1, (total + maximum - 1) / maximum)
        let size = (total + blocks - 1) / blocks
        return min(maximum, (size + multiple - 1) / multiple * multiple)
    }
}
