// Int8 weights with one scale per output row, multiplied by activations quantized per row on
// the fly (CSeq2SeqKernels/gemm_s8.c): the `int8` compute type.
import CSeq2SeqKernels

/// How a model's weight matrices are stored and multiplied, as CTranslate2 names it.
public enum ComputeType: String, CaseIterable, Sendable, Codable {
    /// Float32 products (float16 storage when the checkpoint's values are exactly float16).
    case float32
    /// Int8 weights (a scale per output row), activations quantized per row, int32 sums.
    case int8
}

/// The instruction set of the int8 product kernel.
public enum Int8Path: Int32, CaseIterable, Sendable {
    /// Portable C.
    case reference = 0
    /// AVX2: vpmaddubsw / vpmaddwd.
    case avx2 = 1
    /// AVX-512BW: vpmaddubsw / vpmaddwd on 512-bit registers.
    case avx512bw = 2
    /// AVX-VNNI: vpdpbusd on 256-bit registers (CPUs with VNNI but no AVX-512).
    case avxVNNI = 3
    /// AVX512-VNNI: vpdpbusd on 512-bit registers.
    case avx512VNNI = 4
    /// AMX: tdpbssd on 16 × 64-byte tiles (AVX512-VNNI for fewer than 8 rows, or K not a
    /// multiple of 64).
    case amx = 5

    /// The fastest path this CPU runs.
    public static var best: Int8Path { Int8Path(rawValue: s2s_s8_best_path()) ?? .reference }

    /// Whether this CPU can run the path.
    public var isSupported: Bool { s2s_s8_path_supported(rawValue) != 0 }

    /// Forces a path (for tests and benchmarks); `nil` picks the fastest. Set it only while no
    /// multiplication runs.
    public nonisolated(unsafe) static var forced: Int8Path? = nil {
        willSet { precondition(newValue?.isSupported ?? true, "int8 path \(newValue!) is not supported on this CPU") }
    }

    /// The path products use now.
    public static var active: Int8Path { forced ?? bestPath }
    private static let bestPath = Int8Path.best
}

/// A weight W[N, K] quantized to int8 per output row and packed in 16-row blocks.
struct Int8Weight {
    let outFeatures: Int
    let inFeatures: Int
    /// `s2s_s8_packed_size(N, K)` bytes.
    let packed: UnsafeMutablePointer<Int8>
    /// N scales: W[j] ≈ packed row j · scales[j].
    let scales: UnsafeMutablePointer<Float>
    /// N sums of each packed row's int8 values (the AVX512-VNNI kernel's correction).
    let sums: UnsafeMutablePointer<Int32>

    /// A weight whose rows are all zero (scale 0) until `quantize` or `place` fills them.
    init(outFeatures: Int, inFeatures: Int) {
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        let bytes = max(1, s2s_s8_packed_size(outFeatures, inFeatures))
        packed = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Int8.self, capacity: bytes)
        packed.initialize(repeating: 0, count: bytes)
        scales = .allocate(capacity: max(1, outFeatures))
        scales.initialize(repeating: 0, count: max(1, outFeatures))
        sums = .allocate(capacity: max(1, outFeatures))
        sums.initialize(repeating: 0, count: max(1, outFeatures))
    }

    /// Quantizes rows [first, first + count) from float rows `w` (row stride `ld`).
    func quantize(rows first: Int, count: Int, from w: UnsafePointer<Float>, ld: Int) {
        precondition(first >= 0 && count >= 0 && first + count <= outFeatures && ld >= inFeatures, "Int8Weight: rows out of range")
        s2s_s8_pack_rows(inFeatures, first, count, w, ld, packed, scales, sums)
    }

    /// Places rows [first, first + count) that are int8 already (values in [-127, 127], row
    /// stride `ld`), with their scales.
    func place(rows first: Int, count: Int, values: UnsafePointer<Int8>, ld: Int, scales rowScales: UnsafePointer<Float>) {
        precondition(first >= 0 && count >= 0 && first + count <= outFeatures && ld >= inFeatures, "Int8Weight: rows out of range")
        s2s_s8_place_rows(inFeatures, first, count, values, ld, rowScales, packed, scales, sums)
    }

    func deallocate() {
        packed.deallocate()
        scales.deallocate()
        sums.deallocate()
    }

    /// Blocks of 16 output rows.
    var blocks: Int { (outFeatures + 15) / 16 }

    /// y[rows, N] = quantized(x) · Wᵀ + bias (y += … when `accumulate`), the column blocks
    /// split over the pool's threads.
    func apply(_ x: UnsafePointer<Float>, rows: Int, ldx: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
               bias: UnsafePointer<Float>?, accumulate: Bool, pool: ThreadPool) {
        guard rows > 0, outFeatures > 0 else { return }
        let kp = s2s_s8_padded_depth(inFeatures)
        let q = UnsafeMutablePointer<Int8>.allocate(capacity: rows * kp)
        let xScales = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        defer { q.deallocate(); xScales.deallocate() }
        let path = Int8Path.active.rawValue
        s2s_s8_quantize_rows(path, rows, inFeatures, x, ldx, q, xScales)
        // At least 4 blocks (64 columns) a thread: below that the hand-off costs more than it saves.
        pool.parallelChunks(blocks, minimumChunk: rows >= 16 ? 1 : 4) { range in
            s2s_gemm_s8(path, rows, outFeatures, inFeatures, q, xScales, packed, scales, sums, bias, y, ldy,
                        accumulate ? 1 : 0, range.lowerBound, range.upperBound)
        }
    }

    /// Row `j` as the int8 products see it (dequantized).
    func copyRow(_ j: Int, into out: UnsafeMutablePointer<Float>) {
        s2s_s8_copy_row(inFeatures, j, packed, scales, out)
    }
}

/// Symmetric per-row int8 quantization, as the int8 compute type quantizes weights at load.
public enum Int8Quantization {
    /// The rows of x[rows, width] (row-major): values row-major in [−127, 127], and each row's
    /// scale max|row|/127 (0 for a zero row), so that row ≈ values · scale.
    public static func quantizeRows(_ x: UnsafePointer<Float>, rows: Int, width: Int) -> (values: [Int8], scales: [Float]) {
        precondition(rows >= 0 && width >= 0, "negative size")
        let kp = s2s_s8_padded_depth(width)
        var padded = [Int8](repeating: 0, count: max(1, rows * kp))
        var scales = [Float](repeating: 0, count: rows)
        s2s_s8_quantize_rows(Int8Path.reference.rawValue, rows, width, x, width, &padded, &scales)
        var values = [Int8](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for c in 0..<width { values[r * width + c] = padded[r * kp + c] }
        }
        return (values, scales)
    }
}
