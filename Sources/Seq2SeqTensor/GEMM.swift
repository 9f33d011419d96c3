// Float32 matrix multiplication: row-major C = alpha·op(A)·op(B) + beta·C.
//
// GotoBLAS/BLIS blocking (see BLIS `docs/KernelsHowTo.md`; written anew here): op(B) is
// packed in KC×NC blocks of NR-column panels, op(A) in MC×KC blocks of MR-row panels, and
// the C macro-kernel (`s2s_sgemm_macro`, CSeq2SeqKernels/sgemm.c) accumulates MR×NR
// register tiles. Threads split C into column (or row) ranges on tile boundaries, so every
// element is summed in the same order whatever the thread count.
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

/// op(A): rows of the product, packed per MC×KC block.
struct GEMMLeftOperand {
    let base: UnsafePointer<Float>
    let ld: Int
    let transposed: Bool
    let alpha: Float

    /// Packs op(A)[rows, columns] (scaled by alpha) into MR-row panels: panel[p·MR + i].
    func pack(rows: Range<Int>, columns: Range<Int>, tileRows mr: Int, into out: UnsafeMutablePointer<Float>) {
        let kc = columns.count
        var panel = out
        for r in stride(from: rows.lowerBound, to: rows.upperBound, by: mr) {
            let height = min(mr, rows.upperBound - r)
            if transposed {
                for p in 0..<kc {
                    let src = base + (columns.lowerBound + p) * ld + r, dst = panel + p * mr
                    for i in 0..<height { dst[i] = alpha * src[i] }
                }
            } else {
                for i in 0..<height {
                    let src = base + (r + i) * ld + columns.lowerBound, dst = panel + i
                    if alpha == 1 {
                        for p in 0..<kc { dst[p * mr] = src[p] }
                    } else {
                        for p in 0..<kc { dst[p * mr] = alpha * src[p] }
                    }
                }
            }
            panel += kc * mr
        }
    }
}

/// op(B): columns of the product, either raw (packed per block) or packed once ahead.
enum GEMMRightOperand {
    /// B[k, n] with row stride `ld`, or B[n, k] when `transposed`.
    case raw(UnsafePointer<Float>, ld: Int, transposed: Bool)
    /// Whole-k NR-column panels, `k·NR` floats apart (see `PackedMatrix`).
    case packed(UnsafePointer<Float>)

    /// Packs op(B)[rows, columns] into NR-column panels (panel[p·NR + j], zero-padded).
    static func pack(_ b: UnsafePointer<Float>, ld: Int, transposed: Bool, rows: Range<Int>, columns: Range<Int>,
                     tileColumns nr: Int, into out: UnsafeMutablePointer<Float>) {
        let kc = rows.count
        var panel = out
        for j0 in stride(from: columns.lowerBound, to: columns.upperBound, by: nr) {
            let width = min(nr, columns.upperBound - j0)
            if width < nr { (panel).initialize(repeating: 0, count: kc * nr) }
            if transposed {
                for j in 0..<width {
                    let src = b + (j0 + j) * ld + rows.lowerBound, dst = panel + j
                    for p in 0..<kc { dst[p * nr] = src[p] }
                }
            } else {
                for p in 0..<kc {
                    (panel + p * nr).update(from: b + (rows.lowerBound + p) * ld + j0, count: width)
                }
            }
            panel += kc * nr
        }
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

    /// Depth of a k block (KC), rows of an A block (MC), columns of a B block (NC).
    static let maxDepth = 256, maxRows = 144, maxColumns = 2048

    func run(pool: ThreadPool) {
        if m == 0 || n == 0 { return }
        if k == 0 { return scaleOnly() }
        let mr = path.tileRows, nr = path.tileColumns
        let panels = (n + nr - 1) / nr, rowPanels = (m + mr - 1) / mr
        let threads = m * n * k < 1 << 17 ? 1 : pool.threadCount
        if threads > 1 && panels >= 2 * threads && (n >= m || rowPanels < 2 * threads) {
            // With one A block (decode steps), extra column parts cost nothing and balance
            // the load when another process holds a core; otherwise each part repacks A.
            let parts = m <= Self.maxRows ? min(4 * threads, panels / 2) : threads
            pool.parallelFor(parts) { t in
                let lo = panels * t / parts * nr, hi = min(n, panels * (t + 1) / parts * nr)
                if lo < hi { block(rows: 0..<m, columns: lo..<hi) }
            }
        } else if threads > 1 && rowPanels >= threads {
            let parts = threads
            pool.parallelFor(parts) { t in
                let lo = rowPanels * t / parts * mr, hi = min(m, rowPanels * (t + 1) / parts * mr)
                if lo < hi { block(rows: lo..<hi, columns: 0..<n) }
            }
        } else {
            block(rows: 0..<m, columns: 0..<n)
        }
    }

    /// Blocked loops over one part of C: columns by NC, depth by KC, rows by MC.
    private func block(rows: Range<Int>, columns: Range<Int>) {
        let mr = path.tileRows, nr = path.tileColumns
        let kc = Self.evenSplit(k, maximum: Self.maxDepth, multiple: 8)
        let mc = Self.evenSplit(rows.count, maximum: Self.maxRows, multiple: mr)
        let packedA = s2s_thread_scratch(0, mc * kc)!
        var packedB: UnsafeMutablePointer<Float>? = nil
        if case .raw = right { packedB = s2s_thread_scratch(1, kc * Self.maxColumns)! }
        for j0 in stride(from: columns.lowerBound, to: columns.upperBound, by: Self.maxColumns) {
            let js = j0..<min(columns.upperBound, j0 + Self.maxColumns)
            for p0 in stride(from: 0, to: k, by: kc) {
                let ps = p0..<min(k, p0 + kc)
                let b: UnsafePointer<Float>, panelStride: Int
                switch right {
                case let .raw(base, ld, transposed):
                    GEMMRightOperand.pack(base, ld: ld, transposed: transposed, rows: ps, columns: js,
                                          tileColumns: nr, into: packedB!)
                    (b, panelStride) = (UnsafePointer(packedB!), ps.count * nr)
                case let .packed(base):
                    (b, panelStride) = (base + (js.lowerBound / nr) * k * nr + p0 * nr, k * nr)
                }
                let first = p0 == 0
                for i0 in stride(from: rows.lowerBound, to: rows.upperBound, by: mc) {
                    let rs = i0..<min(rows.upperBound, i0 + mc)
                    left.pack(rows: rs, columns: ps, tileRows: mr, into: packedA)
                    s2s_sgemm_macro(path.rawValue, Int32(rs.count), Int32(js.count), Int32(ps.count),
                                    packedA, b, panelStride, c + i0 * ldc + js.lowerBound, ldc,
                                    first ? beta : 1, first ? bias.map { $0 + js.lowerBound } : nil)
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
