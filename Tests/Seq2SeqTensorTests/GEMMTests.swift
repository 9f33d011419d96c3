// GEMM and PackedMatrix against the float64 reference, on every path this CPU runs.
import XCTest
import Seq2SeqTensor

final class GEMMTests: XCTestCase {
    /// Sizes around the tile edges (MR 6/12, NR 16/32), primes, and up to 70.
    static let sizes = [1, 2, 3, 5, 6, 7, 11, 12, 13, 16, 17, 23, 31, 32, 33, 47, 64, 70]

    override func tearDown() { GEMM.forcedPath = nil }

    func testMultiplyMatchesReferenceOnEveryPath() {
        for path in GEMMPath.allCases where path.isSupported {
            GEMM.forcedPath = path
            var rng = TestRandom(seed: UInt64(path.rawValue) + 1)
            for _ in 0..<250 {
                let m = rng.pick(Self.sizes), n = rng.pick(Self.sizes), k = rng.pick(Self.sizes)
                let alpha: Float = rng.pick([1, 0.5, -2]), beta: Float = rng.pick([0, 1, -0.75])
                checkMultiply(m: m, n: n, k: k, transposeA: rng.bit(), transposeB: rng.bit(),
                              pad: rng.pick([0, 3]), alpha: alpha, beta: beta, pool: .shared, rng: &rng, path: path)
            }
        }
    }

    func testMultiplyAcrossCacheBlocks() {
        for path in GEMMPath.allCases where path.isSupported {
            GEMM.forcedPath = path
            var rng = TestRandom(seed: 99)
            // k > KC (256 or 384), m > MC (72), n > NC (2048).
            for (m, n, k) in [(150, 40, 300), (13, 2100, 20), (157, 75, 513), (1, 37, 600)] {
                for (ta, tb) in [(false, false), (true, true)] {
                    checkMultiply(m: m, n: n, k: k, transposeA: ta, transposeB: tb, pad: 1, alpha: 1, beta: 0.5,
                                  pool: .shared, rng: &rng, path: path)
                }
            }
        }
    }

    func testBetaZeroIgnoresGarbageAndKZeroScales() {
        var c = [Float](repeating: .nan, count: 6 * 5)
        let a = [Float](repeating: 1, count: 6 * 4), b = [Float](repeating: 2, count: 4 * 5)
        GEMM.multiply(m: 6, n: 5, k: 4, a: a, lda: 4, transposeA: false, b: b, ldb: 5, transposeB: false, c: &c, ldc: 5)
        XCTAssertEqual(c, [Float](repeating: 8, count: 30))
        GEMM.multiply(m: 6, n: 5, k: 0, a: a, lda: 4, transposeA: false, b: b, ldb: 5, transposeB: false, c: &c, ldc: 5,
                      beta: 0.5)
        XCTAssertEqual(c, [Float](repeating: 4, count: 30))
    }

    func testOneAndTwoThreadsGiveIdenticalResults() {
        let one = ThreadPool(threads: 1), two = ThreadPool(threads: 2)
        for path in GEMMPath.allCases where path.isSupported {
            GEMM.forcedPath = path
            var rng = TestRandom(seed: 5)
            for (m, n, k) in [(64, 200, 37), (300, 20, 64), (7, 513, 70), (129, 131, 300)] {
                let a = rng.matrix(m * k), b = rng.matrix(k * n)
                var c1 = [Float](repeating: 0, count: m * n), c2 = c1
                GEMM.multiply(m: m, n: n, k: k, a: a, lda: k, transposeA: false, b: b, ldb: n, transposeB: false,
                              c: &c1, ldc: n, pool: one)
                GEMM.multiply(m: m, n: n, k: k, a: a, lda: k, transposeA: false, b: b, ldb: n, transposeB: false,
                              c: &c2, ldc: n, pool: two)
                XCTAssertEqual(c1, c2, "\(path) \(m)x\(n)x\(k)")
                let w = PackedMatrix(weight: b, outFeatures: n, inFeatures: k, path: path)
                let x = rng.matrix(m * k)
                w.apply(x, rows: m, ldx: k, into: &c1, ldy: n, pool: one)
                w.apply(x, rows: m, ldx: k, into: &c2, ldy: n, pool: two)
                XCTAssertEqual(c1, c2, "PackedMatrix \(path) \(m)x\(n)x\(k)")
            }
        }
    }

    func testPackedMatrixMatchesReference() {
        for path in GEMMPath.allCases where path.isSupported {
            var rng = TestRandom(seed: 11 + UInt64(path.rawValue))
            for _ in 0..<150 {
                let rows = rng.pick([1, 1, 2, 5, 8, 13, 33, 70]), out = rng.pick(Self.sizes + [100, 257])
                let inputs = rng.pick(Self.sizes + [300]), padX = rng.pick([0, 2]), padY = rng.pick([0, 5])
                let useBias = rng.bit(), accumulate = rng.bit()
                let weight = rng.matrix(out * inputs), bias = rng.matrix(out)
                let x = rng.matrix(rows * (inputs + padX))
                var y = rng.matrix(rows * (out + padY))
                var expected = y
                let packed = PackedMatrix(weight: weight, outFeatures: out, inFeatures: inputs, path: path)
                XCTAssertEqual(packed.unpacked(), weight)
                packed.apply(x, rows: rows, ldx: inputs + padX, into: &y, ldy: out + padY,
                             bias: useBias ? bias : nil, accumulate: accumulate)
                GEMM.referenceMultiply(m: rows, n: out, k: inputs, a: x, lda: inputs + padX, transposeA: false,
                                       b: weight, ldb: inputs, transposeB: true, c: &expected, ldc: out + padY,
                                       beta: accumulate ? 1 : 0)
                for i in 0..<rows {
                    for j in 0..<out {
                        let e = expected[i * (out + padY) + j] + (useBias ? bias[j] : 0)
                        XCTAssertEqual(y[i * (out + padY) + j], e, accuracy: tolerance(k: inputs, alpha: 1),
                                       "\(path) rows \(rows) out \(out) in \(inputs) at \(i),\(j)")
                    }
                    for j in out..<(out + padY) {
                        XCTAssertEqual(y[i * (out + padY) + j], expected[i * (out + padY) + j], "padding written")
                    }
                }
            }
        }
    }

    /// Weights that are exactly float16 are kept as float16 panels and give the float32 panels'
    /// results bit for bit (tile edges, k across cache blocks, bias, accumulate); any other
    /// weight stays float32.
    func testHalfPanelsGiveFloat32ResultsBitForBit() {
        for path in GEMMPath.allCases where path.isSupported {
            var rng = TestRandom(seed: 21 + UInt64(path.rawValue))
            for (rows, out, inputs) in [(1, 33, 17), (2, 100, 64), (5, 257, 300), (13, 31, 513), (1, 2100, 40), (70, 47, 70)] {
                let weight = rng.matrix(out * inputs).map { Float(Float16($0)) }, bias = rng.matrix(out)
                let x = rng.matrix(rows * inputs), start = rng.matrix(rows * out)
                let wide = PackedMatrix(weight: weight, outFeatures: out, inFeatures: inputs, path: path)
                let half = PackedMatrix(weight: weight, outFeatures: out, inFeatures: inputs, path: path,
                                        storage: .float16WhenExact)
                XCTAssertFalse(wide.isHalfPrecision)
                XCTAssertTrue(half.isHalfPrecision, "\(path)")
                XCTAssertEqual(half.unpacked(), weight)
                var row = [Float](repeating: 0, count: inputs)
                half.copyRow(out - 1, into: &row)
                XCTAssertEqual(row, Array(weight[((out - 1) * inputs)...]))
                for accumulate in [false, true] {
                    var y1 = start, y2 = start
                    wide.apply(x, rows: rows, ldx: inputs, into: &y1, ldy: out, bias: bias, accumulate: accumulate)
                    half.apply(x, rows: rows, ldx: inputs, into: &y2, ldy: out, bias: bias, accumulate: accumulate)
                    XCTAssertEqual(y1, y2, "\(path) \(rows)x\(out)x\(inputs) accumulate \(accumulate)")
                }
            }
            var notHalf = rng.matrix(16 * 16)
            notHalf[7] = 1 + 1e-6  // one value off the float16 grid keeps the whole weight float32
            let packed = PackedMatrix(weight: notHalf, outFeatures: 16, inFeatures: 16,
                                      path: path, storage: .float16WhenExact)
            XCTAssertFalse(packed.isHalfPrecision, "\(path)")
            XCTAssertEqual(packed.unpacked(), notHalf)
        }
    }

    /// Inputs are uniform in [-1, 1]: the float32 rounding error of a k-term sum grows like √k.
    private func tolerance(k: Int, alpha: Float) -> Float {
        2e-5 * Float(k).squareRoot() * max(1, abs(alpha)) + 2e-6
    }

    private func checkMultiply(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, pad: Int,
                               alpha: Float, beta: Float, pool: ThreadPool, rng: inout TestRandom, path: GEMMPath) {
        let lda = (transposeA ? m : k) + pad, ldb = (transposeB ? k : n) + pad, ldc = n + pad
        let a = rng.matrix((transposeA ? k : m) * lda), b = rng.matrix((transposeB ? n : k) * ldb)
        var c = rng.matrix(m * ldc)
        var expected = c
        GEMM.multiply(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, transposeB: transposeB,
                      c: &c, ldc: ldc, alpha: alpha, beta: beta, pool: pool)
        GEMM.referenceMultiply(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb,
                               transposeB: transposeB, c: &expected, ldc: ldc, alpha: alpha, beta: beta)
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<ldc {
                let d = abs(c[i * ldc + j] - expected[i * ldc + j])
                if j >= n { XCTAssertEqual(d, 0, "padding column written") }
                worst = max(worst, d)
            }
        }
        XCTAssertLessThanOrEqual(worst, tolerance(k: k, alpha: alpha),
                                 "\(path) m \(m) n \(n) k \(k) tA \(transposeA) tB \(transposeB) pad \(pad) α \(alpha) β \(beta)")
    }
}

/// A small deterministic generator for test inputs.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bit() -> Bool { next() & 1 == 1 }
    mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }
    /// `count` values uniform in [-1, 1].
    mutating func matrix(_ count: Int) -> [Float] { (0..<count).map { _ in Float(next() % 2_000_001) / 1_000_000 - 1 } }
}
