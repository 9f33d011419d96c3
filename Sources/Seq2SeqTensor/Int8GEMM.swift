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

    init(weight: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int) {
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        let bytes = max(1, s2s_s8_packed_size(outFeatures, inFeatures))
        packed = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Int8.self, capacity: bytes)
        scales = .allocate(capacity: max(1, outFeatures))
        s2s_s8_pack_weight(outFeatures, inFeatures, weight, inFeatures, packed, scales)
    }

    /// The rows of `parts` one after the other, each quantized where it lies.
    init(stacking parts: [(weight: UnsafePointer<Float>, rows: Int)], inFeatures: Int) {
        outFeatures = parts.reduce(0) { $0 + $1.rows }
        self.inFeatures = inFeatures
        let bytes = max(1, s2s_s8_packed_size(outFeatures, inFeatures))
        packed = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Int8.self, capacity: bytes)
        packed.initialize(repeating: 0, count: bytes)
        scales = .allocate(capacity: max(1, outFeatures))
        var first = 0
        for part in parts {
            s2s_s8_pack_rows(inFeatures, first, part.rows, part.weight, inFeatures, packed, scales)
            first += part.rows
        }
    }

    /// Quantizes the rows `reading` gives, `chunk` rows at a time (its second argument holds
    /// room for `chunk`·K floats): only one chunk is ever float32.
    init(outFeatures: Int, inFeatures: Int, chunk: Int = 4096,
         reading: (Range<Int>, UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        let bytes = max(1, s2s_s8_packed_size(outFeatures, inFeatures))
        let packed = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Int8.self, capacity: bytes)
        packed.initialize(repeating: 0, count: bytes)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: max(1, outFeatures))
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, min(chunk, outFeatures) * inFeatures))
        defer { buffer.deallocate() }
        do {
            for start in stride(from: 0, to: outFeatures, by: chunk) {
                let rows = start..<min(outFeatures, start + chunk)
                try reading(rows, buffer)
                s2s_s8_pack_rows(inFeatures, rows.lowerBound, rows.count, buffer, inFeatures, packed, scales)
            }
        } catch {
            packed.deallocate()
            scales.deallocate()
            throw error
        }
        (self.packed, self.scales) = (packed, scales)
    }

    func deallocate() {
        packed.deallocate()
        scales.deallocate()
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
            s2s_gemm_s8(path, rows, outFeatures, inFeatures, q, xScales, packed, scales, bias, y, ldy,
                        accumulate ? 1 : 0, range.lowerBound, range.upperBound)
        }
    }

    /// Row `j` as the int8 products see it (dequantized).
    func copyRow(_ j: Int, into out: UnsafeMutablePointer<Float>) {
        let kp = s2s_s8_padded_depth(inFeatures)
        let block = packed + (j / 16) * kp * 16, lane = j % 16
        for p in 0..<inFeatures { out[p] = Float(block[(p / 4) * 64 + lane * 4 + p % 4]) * scales[j] }
    }
}
