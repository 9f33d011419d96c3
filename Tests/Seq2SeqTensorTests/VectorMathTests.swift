// The vectorized row kernels against float64 references, on both the SIMD and the portable
// path, with odd lengths (tails), infinities and extreme values.
import Foundation
import Seq2SeqTensor
import XCTest

final class VectorMathTests: XCTestCase {
    private var generator = SystemRandomNumberGenerator()

    private func randomRow(_ n: Int, scale: Float = 4) -> [Float] {
        (0..<n).map { _ in Float.random(in: -scale...scale, using: &generator) }
    }

    /// Runs `body` on the best SIMD path, on AVX2 at most and on the portable path.
    private func onBothPaths(_ body: (String) throws -> Void) rethrows {
        defer { VectorMath.force(.best) }
        for path in VectorMath.Path.allCases {
            VectorMath.force(path)
            try body("\(path)")
        }
    }

    func testSoftmaxAndLogSoftmaxMatchFloat64() {
        onBothPaths { path in
            for n in [1, 7, 8, 9, 31, 64, 1000, 58101] {
                var row = randomRow(n, scale: 30)
                if n > 3 { row[2] = -.infinity }
                let m = row.map(Double.init).max()!
                let z = row.map { exp(Double($0) - m) }.reduce(0, +)
                var soft = row, logSoft = row
                soft.withUnsafeMutableBufferPointer { VectorMath.softmax($0.baseAddress!, count: n) }
                logSoft.withUnsafeMutableBufferPointer { VectorMath.logSoftmax($0.baseAddress!, count: n) }
                for i in 0..<n {
                    let p = exp(Double(row[i]) - m) / z
                    XCTAssertEqual(Double(soft[i]), p, accuracy: 2e-6 * max(p, 1e-3), "\(path) n=\(n) softmax[\(i)]")
                    if row[i].isFinite {
                        XCTAssertEqual(Double(logSoft[i]), Double(row[i]) - m - log(z), accuracy: 2e-5, "\(path) n=\(n)")
                    } else {
                        XCTAssertEqual(soft[i], 0)
                        XCTAssertEqual(logSoft[i], -.infinity)
                    }
                }
            }
        }
    }

    func testExpEdgesThroughLogSumExp() {
        onBothPaths { path in
            let cases: [([Float], Float)] = [
                ([-.infinity, -.infinity], -.infinity),
                ([0, -.infinity], 0),
                ([80, 80], 80 + Float(log(2.0))),
                ([-100, -100, -100], -100 + Float(log(3.0))),
                ([1, -200], 1),
            ]
            for (row, want) in cases {
                let got = row.withUnsafeBufferPointer { VectorMath.logSumExp($0.baseAddress!, count: row.count) }
                if want.isFinite { XCTAssertEqual(got, want, accuracy: 1e-5, "\(path) \(row)") } else { XCTAssertEqual(got, want) }
            }
            var allMasked: [Float] = [-.infinity, -.infinity, -.infinity]
            allMasked.withUnsafeMutableBufferPointer { VectorMath.softmax($0.baseAddress!, count: 3) }
            XCTAssertEqual(allMasked, [0, 0, 0], path)
        }
    }

    func testActivationsMatchFloat64Formulas() {
        let formulas: [(Activation, (Double) -> Double)] = [
            (.relu, { max($0, 0) }),
            (.silu, { $0 / (1 + exp(-$0)) }),
            (.geluTanh, { 0.5 * $0 * (1 + tanh(0.7978845608028654 * ($0 + 0.044715 * $0 * $0 * $0))) }),
            (.gelu, { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }),
        ]
        onBothPaths { path in
            for (act, f) in formulas {
                for gated in [false, true] {
                    let n = 77
                    var x = randomRow(n, scale: 9)
                    x[0] = 60; x[1] = -60; x[2] = 0
                    let up = randomRow(n)
                    let input = x
                    x.withUnsafeMutableBufferPointer { xp in
                        up.withUnsafeBufferPointer { VectorMath.activate(act, xp.baseAddress!, count: n, times: gated ? $0.baseAddress! : nil) }
                    }
                    for i in 0..<n {
                        let want = f(Double(input[i])) * (gated ? Double(up[i]) : 1)
                        XCTAssertEqual(Double(x[i]), want, accuracy: 1e-5 * max(1, abs(want)), "\(path) \(act) gated=\(gated) x=\(input[i])")
                    }
                }
            }
        }
    }

    /// The vectorized erf (a rational approximation) stays within 1e-6 of the exact GELU over a
    /// dense grid, tails and the ±3.83 clamp included.
    func testExactGeluIsAccurateOnADenseGrid() {
        let grid = (-8000...8000).map { Float($0) / 1000 }
        onBothPaths { path in
            var x = grid
            x.withUnsafeMutableBufferPointer { VectorMath.activate(.gelu, $0.baseAddress!, count: $0.count, times: nil) }
            var worst = 0.0
            for (input, got) in zip(grid, x) {
                let want = 0.5 * Double(input) * (1 + erf(Double(input) / 2.0.squareRoot()))
                worst = max(worst, abs(Double(got) - want) / max(1, abs(want)))
            }
            XCTAssertLessThan(worst, 1e-6, path)
        }
    }

    /// Few-row products against float64 on every path: tails of the 64/32-column blocks, odd k,
    /// row and B strides wider than the operands, alpha.
    func testRowProductMatchesFloat64() {
        onBothPaths { path in
            for (m, n, k) in [(1, 1, 1), (1, 64, 64), (5, 1500, 64), (3, 64, 1499), (2, 77, 5), (4, 31, 33), (1, 17, 0)] {
                let lda = k + 3, ldb = n + 5, ldc = n + 2
                let a = randomRow(m * lda), b = randomRow(max(k, 1) * ldb)
                var c = [Float](repeating: .nan, count: m * ldc)
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            VectorMath.rowProduct(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                                  c: cp.baseAddress!, ldc: ldc, alpha: 0.125)
                        }
                    }
                }
                for i in 0..<m {
                    for j in 0..<ldc {
                        let got = c[i * ldc + j]
                        guard j < n else { XCTAssertTrue(got.isNaN, "\(path) wrote past column \(n)"); continue }
                        let want = 0.125 * (0..<k).reduce(0.0) { $0 + Double(a[i * lda + $1]) * Double(b[$1 * ldb + j]) }
                        XCTAssertEqual(Double(got), want, accuracy: 1e-4 * max(1, abs(want)), "\(path) \(m)x\(n)x\(k) [\(i), \(j)]")
                    }
                }
            }
        }
    }

    func testNormsDotAxpyAdd() {
        onBothPaths { path in
            for n in [1, 5, 16, 33, 512] {
                let x = randomRow(n), gamma = randomRow(n, scale: 2), beta = randomRow(n, scale: 1), y0 = randomRow(n)
                let xd = x.map(Double.init)
                let mean = xd.reduce(0, +) / Double(n)
                let variance = xd.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
                let meanSquare = xd.map { $0 * $0 }.reduce(0, +) / Double(n)
                var ln = [Float](repeating: 0, count: n), rms = ln, y = y0, sum = y0
                VectorMath.layerNorm(x, width: n, gamma: gamma, beta: beta, epsilon: 1e-5, into: &ln)
                VectorMath.rmsNorm(x, width: n, gamma: gamma, epsilon: 1e-6, into: &rms)
                VectorMath.axpy(0.75, x, &y, count: n)
                VectorMath.add(x, into: &sum, count: n)
                let dot = VectorMath.dot(x, y0, count: n)
                var dotWant = 0.0
                for i in 0..<n {
                    let l = (xd[i] - mean) / (variance + 1e-5).squareRoot() * Double(gamma[i]) + Double(beta[i])
                    XCTAssertEqual(Double(ln[i]), l, accuracy: 1e-4 * max(1, abs(l)), "\(path) layerNorm n=\(n)")
                    let r = xd[i] / (meanSquare + 1e-6).squareRoot() * Double(gamma[i])
                    XCTAssertEqual(Double(rms[i]), r, accuracy: 1e-5 * max(1, abs(r)), "\(path) rmsNorm n=\(n)")
                    XCTAssertEqual(y[i], y0[i] + 0.75 * x[i], accuracy: 1e-5, "\(path) axpy")
                    XCTAssertEqual(sum[i], y0[i] + x[i], accuracy: 1e-6, "\(path) add")
                    dotWant += xd[i] * Double(y0[i])
                }
                XCTAssertEqual(Double(dot), dotWant, accuracy: 1e-4 * Double(n).squareRoot(), "\(path) dot n=\(n)")
            }
        }
    }
}
