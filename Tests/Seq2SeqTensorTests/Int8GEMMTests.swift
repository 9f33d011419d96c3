// The int8 products (`ComputeType.int8`) against a quantize-and-sum written here in Swift, on
// every path this CPU runs, over ragged shapes (k not a multiple of 4 or of a vector, m 1…17,
// n across the 16-row blocks).
import XCTest
import Seq2SeqTensor

final class Int8GEMMTests: XCTestCase {
    override func tearDown() { Int8Path.forced = nil }

    /// Symmetric per-row quantization as the compute type defines it: scale max|row|/127,
    /// values rounded half to even into [-127, 127].
    private func quantize(_ row: ArraySlice<Float>) -> (values: [Int32], scale: Float) {
        let top = row.map(abs).max() ?? 0
        guard top > 0 else { return (row.map { _ in 0 }, 0) }
        let factor = 127 / top
        return (row.map { Int32(max(-127, min(127, ($0 * factor).rounded(.toNearestOrEven)))) }, top / 127)
    }

    /// y = Σ q_x·q_w · s_x · s_w + bias, accumulated over int32 sums: what every path must give bit for bit.
    private func expected(x: [Float], w: [Float], bias: [Float]?, m: Int, n: Int, k: Int) -> [Float] {
        let qx = (0..<m).map { quantize(x[$0 * k..<($0 + 1) * k]) }, qw = (0..<n).map { quantize(w[$0 * k..<($0 + 1) * k]) }
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc: Int64 = 0
                for p in 0..<k { acc += Int64(qx[i].values[p] * qw[j].values[p]) }
                y[i * n + j] = Float(acc) * qx[i].scale * qw[j].scale + (bias?[j] ?? 0)
            }
        }
        return y
    }

    private func product(_ x: [Float], _ matrix: PackedMatrix, m: Int, bias: [Float]?, initial: [Float]? = nil,
                         pool: ThreadPool = .shared) -> [Float] {
        var y = initial ?? [Float](repeating: .nan, count: m * matrix.outFeatures)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                if let bias {
                    bias.withUnsafeBufferPointer { b in
                        matrix.apply(xp.baseAddress!, rows: m, ldx: matrix.inFeatures, into: yp.baseAddress!,
                                     ldy: matrix.outFeatures, bias: b.baseAddress, accumulate: initial != nil, pool: pool)
                    }
                } else {
                    matrix.apply(xp.baseAddress!, rows: m, ldx: matrix.inFeatures, into: yp.baseAddress!,
                                 ldy: matrix.outFeatures, accumulate: initial != nil, pool: pool)
                }
            }
        }
        return y
    }

    func testEveryPathGivesTheQuantizedSumsExactly() {
        XCTAssertTrue(Int8Path.reference.isSupported)
        let ms = Array(1...17), ns = [1, 7, 15, 16, 17, 31, 33, 64, 100], ks = [1, 2, 3, 4, 5, 7, 9, 31, 32, 33, 67, 130]
        for path in Int8Path.allCases where path.isSupported {
            Int8Path.forced = path
            var rng = TestRandom(seed: 11 + UInt64(path.rawValue))
            for index in 0..<300 {
                let m = rng.pick(ms), n = rng.pick(ns), k = rng.pick(ks)
                let x = rng.matrix(m * k).map { $0 * 3 }, w = rng.matrix(n * k)
                let bias: [Float]? = rng.bit() ? rng.matrix(n) : nil
                let matrix = w.withUnsafeBufferPointer { PackedMatrix(weight: $0.baseAddress!, outFeatures: n, inFeatures: k, storage: .int8) }
                XCTAssertTrue(matrix.isInt8)
                let got = product(x, matrix, m: m, bias: bias), want = expected(x: x, w: w, bias: bias, m: m, n: n, k: k)
                XCTAssertEqual(got, want, "\(path) case \(index): m \(m) n \(n) k \(k)")
            }
        }
    }

    /// Prefill shapes: many rows, so the kernels' row chunks (about 8–16 KB of activations each)
    /// and their eight- and four-row tiles all run, with ragged remainders.
    func testManyRowsOnEveryPath() {
        let shapes = [(m: 130, n: 33, k: 515), (m: 70, n: 100, k: 130), (m: 257, n: 17, k: 64), (m: 41, n: 48, k: 1030),
                      // K a multiple of 64 (the AMX tiles' depth), rows from 8 up with ragged ends:
                      (m: 8, n: 16, k: 64), (m: 23, n: 40, k: 127), (m: 33, n: 100, k: 192), (m: 48, n: 31, k: 512)]
        for path in Int8Path.allCases where path.isSupported {
            Int8Path.forced = path
            var rng = TestRandom(seed: 23 + UInt64(path.rawValue))
            for (m, n, k) in shapes {
                let x = rng.matrix(m * k), w = rng.matrix(n * k), bias = rng.matrix(n)
                let matrix = w.withUnsafeBufferPointer { PackedMatrix(weight: $0.baseAddress!, outFeatures: n, inFeatures: k, storage: .int8) }
                XCTAssertEqual(product(x, matrix, m: m, bias: bias), expected(x: x, w: w, bias: bias, m: m, n: n, k: k),
                               "\(path): m \(m) n \(n) k \(k)")
            }
        }
    }

    /// The paths this CPU runs are the ones its flags in /proc/cpuinfo allow, so the tests above
    /// do cover every kernel the machine has (the VNNI and AVX-512 kernels on such a machine).
    func testSupportedPathsFollowTheCPUFlags() throws {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo")
        }
        let flags = Set(line.split(separator: " ").map(String.init))
        let avx2 = flags.contains("avx2") && flags.contains("fma")
        let avx512 = avx2 && ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains)
        XCTAssertEqual(Int8Path.avx2.isSupported, avx2)
        XCTAssertEqual(Int8Path.avx512bw.isSupported, avx512)
        XCTAssertEqual(Int8Path.avx512VNNI.isSupported, avx512 && flags.contains("avx512_vnni"))
        XCTAssertEqual(Int8Path.avxVNNI.isSupported, avx2 && flags.contains("avx_vnni"))
        // AMX also needs Linux's permission for the tile state (granted from 5.16 on).
        XCTAssertEqual(Int8Path.amx.isSupported, avx512 && ["avx512_vnni", "amx_tile", "amx_int8"].allSatisfy(flags.contains))
        let best = Int8Path.allCases.filter(\.isSupported)
        XCTAssertEqual(Int8Path.best, [.amx, .avx512VNNI, .avxVNNI, .avx512bw, .avx2, .reference].first(where: best.contains))
    }

    /// Every pair at the extremes (±127·±127 twice is 32258, just under int16's limit):
    /// vpmaddubsw would saturate if an operand reached ±128 or the sign were not moved.
    func testExtremeValuesDoNotSaturate() {
        let m = 5, n = 19, k = 64
        var x = [Float](repeating: 0, count: m * k), w = [Float](repeating: 0, count: n * k)
        for i in 0..<m { for p in 0..<k { x[i * k + p] = (p + i) % 3 == 0 ? -1 : 1 } }
        for j in 0..<n { for p in 0..<k { w[j * k + p] = (p * j) % 2 == 0 ? -2 : 2 } }
        for path in Int8Path.allCases where path.isSupported {
            Int8Path.forced = path
            let matrix = w.withUnsafeBufferPointer { PackedMatrix(weight: $0.baseAddress!, outFeatures: n, inFeatures: k, storage: .int8) }
            let got = product(x, matrix, m: m, bias: nil)
            // ±1 and ±2 quantize exactly, so the product is exact.
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Float = 0
                    for p in 0..<k { sum += x[i * k + p] * w[j * k + p] }
                    XCTAssertEqual(got[i * n + j], sum, accuracy: 1e-4, "\(path) row \(i) column \(j)")
                }
            }
        }
    }

    func testZeroRowsAccumulationAndThreadCounts() {
        let m = 9, n = 70, k = 45
        var rng = TestRandom(seed: 5)
        var x = rng.matrix(m * k), w = rng.matrix(n * k)
        for p in 0..<k { x[2 * k + p] = 0; w[3 * k + p] = 0 }  // an all-zero input row and weight row
        let matrix = w.withUnsafeBufferPointer { PackedMatrix(weight: $0.baseAddress!, outFeatures: n, inFeatures: k, storage: .int8) }
        let one = product(x, matrix, m: m, bias: nil, pool: ThreadPool(threads: 1))
        let two = product(x, matrix, m: m, bias: nil, pool: ThreadPool(threads: 2))
        XCTAssertEqual(one, two)
        XCTAssertEqual(one, expected(x: x, w: w, bias: nil, m: m, n: n, k: k))
        XCTAssertTrue((0..<n).allSatisfy { one[2 * n + $0] == 0 } && (0..<m).allSatisfy { one[$0 * n + 3] == 0 })
        let base = rng.matrix(m * n)
        let accumulated = product(x, matrix, m: m, bias: nil, initial: base)
        XCTAssertEqual(accumulated, zip(base, one).map { $0 + $1 })
    }

    /// The weight int8 stands for: `unpacked`/`copyRow` give W rounded to its row's grid, within
    /// half a step of W; products stay within the quantization error of float32's.
    func testDequantizedWeightAndErrorAgainstFloat() {
        let m = 4, n = 40, k = 96
        var rng = TestRandom(seed: 8)
        let x = rng.matrix(m * k), w = rng.matrix(n * k)
        let matrix = w.withUnsafeBufferPointer { PackedMatrix(weight: $0.baseAddress!, outFeatures: n, inFeatures: k, storage: .int8) }
        let exact = w.withUnsafeBufferPointer { PackedMatrix(weight: $0.baseAddress!, outFeatures: n, inFeatures: k) }
        let unpacked = matrix.unpacked()
        for j in 0..<n {
            let step = (w[j * k..<(j + 1) * k].map(abs).max() ?? 0) / 127
            for p in 0..<k { XCTAssertLessThanOrEqual(abs(unpacked[j * k + p] - w[j * k + p]), step / 2 * 1.0001) }
            var row = [Float](repeating: 0, count: k)
            row.withUnsafeMutableBufferPointer { matrix.copyRow(j, into: $0.baseAddress!) }
            XCTAssertEqual(row, Array(unpacked[j * k..<(j + 1) * k]))
        }
        let q = product(x, matrix, m: m, bias: nil), f = product(x, exact, m: m, bias: nil)
        let scale = f.map(abs).max()!
        XCTAssertLessThan(zip(q, f).map { abs($0 - $1) }.max()!, scale * 0.03)
    }

    /// Weights already stored as int8 (a CTranslate2 int8 model: each row scaled so its largest
    /// value is ±127) arrive as q/scale; quantizing those values again gives q back exactly, so
    /// such a model runs on its own bytes.
    func testQuantizingDequantizedWeightsGivesTheSameValues() {
        let n = 37, k = 53
        var rng = TestRandom(seed: 21)
        let w = rng.matrix(n * k)
        let first = w.withUnsafeBufferPointer { PackedMatrix(weight: $0.baseAddress!, outFeatures: n, inFeatures: k, storage: .int8) }
        // As the CTranslate2 reader gives them: stored int8 divided by the stored per-row factor 127/max.
        var stored = [Float](repeating: 0, count: n * k)
        let dequantized = first.unpacked()
        for j in 0..<n {
            let top = dequantized[j * k..<(j + 1) * k].map(abs).max()!
            let factor = 127 / top
            for p in 0..<k { stored[j * k + p] = (dequantized[j * k + p] * factor).rounded() / factor }
        }
        let second = stored.withUnsafeBufferPointer { PackedMatrix(weight: $0.baseAddress!, outFeatures: n, inFeatures: k, storage: .int8) }
        let again = second.unpacked()
        for j in 0..<n {
            let a = dequantized[j * k..<(j + 1) * k], b = again[j * k..<(j + 1) * k]
            let stepA = a.map(abs).max()! / 127, stepB = b.map(abs).max()! / 127
            XCTAssertEqual(a.map { ($0 / stepA).rounded() }, b.map { ($0 / stepB).rounded() }, "row \(j)")
        }
    }

    /// Rows placed as stored (int8 values and scales, `seq2seq convert`'s layout) pack to the
    /// same weight as rows quantized at load, in any order and chunking, and multiply the same.
    func testPlacedRowsEqualRowsQuantizedAtLoad() {
        for (n, k) in [(1, 1), (17, 5), (37, 53), (64, 130)] {
            var rng = TestRandom(seed: UInt64(n * 100 + k))
            let w = rng.matrix(n * k), x = rng.matrix(3 * k)
            let quantized = w.withUnsafeBufferPointer { PackedMatrix(weight: $0.baseAddress!, outFeatures: n, inFeatures: k, storage: .int8) }
            let (values, scales) = w.withUnsafeBufferPointer { Int8Quantization.quantizeRows($0.baseAddress!, rows: n, width: k) }
            XCTAssertTrue(values.allSatisfy { $0 != Int8.min })
            let placed = PackedMatrix(int8Rows: n, inFeatures: k) { writer in
                // The second half first, then the first half, two rows at a time.
                for start in Array(stride(from: n / 2, to: n, by: 2)) + Array(stride(from: 0, to: n / 2, by: 2)) {
                    let count = min(2, (start < n / 2 ? n / 2 : n) - start)
                    values.withUnsafeBufferPointer { v in
                        scales.withUnsafeBufferPointer { s in
                            writer.place(rows: start, count: count, values: v.baseAddress! + start * k, ld: k, scales: s.baseAddress! + start)
                        }
                    }
                }
            }
            XCTAssertEqual(placed.unpacked(), quantized.unpacked(), "\(n)×\(k)")
            for j in 0..<n { for p in 0..<k { XCTAssertEqual(quantized.unpacked()[j * k + p], Float(values[j * k + p]) * scales[j]) } }
            var y1 = [Float](repeating: 0, count: 3 * n), y2 = y1
            x.withUnsafeBufferPointer { xp in
                quantized.apply(xp.baseAddress!, rows: 3, ldx: k, into: &y1, ldy: n)
                placed.apply(xp.baseAddress!, rows: 3, ldx: k, into: &y2, ldy: n)
            }
            XCTAssertEqual(y1, y2, "\(n)×\(k)")
        }
    }
}
