// The mixed-radix FFT against a direct float64 DFT.
import Foundation
import Seq2SeqAudio
import XCTest

final class FFTTests: XCTestCase {
    /// X[k] = Σ_n x[n] e^{-2πi kn/N} in float64.
    private func naiveDFT(_ re: [Float], _ im: [Float]) -> ([Double], [Double]) {
        let n = re.count
        var outRe = [Double](repeating: 0, count: n), outIm = outRe
        for k in 0..<n {
            for j in 0..<n {
                let angle = -2 * Double.pi * Double((k * j) % n) / Double(n)
                outRe[k] += Double(re[j]) * cos(angle) - Double(im[j]) * sin(angle)
                outIm[k] += Double(re[j]) * sin(angle) + Double(im[j]) * cos(angle)
            }
        }
        return (outRe, outIm)
    }

    func testMatchesNaiveDFT() {
        var generator = SystemRandomNumberGenerator()
        for n in [1, 2, 3, 5, 7, 16, 49, 200, 400, 512, 1000] {
            var re = (0..<n).map { _ in Float.random(in: -1...1, using: &generator) }
            var im = (0..<n).map { _ in Float.random(in: -1...1, using: &generator) }
            let (expectRe, expectIm) = naiveDFT(re, im)
            var scratchRe = [Float](repeating: 0, count: n), scratchIm = scratchRe
            FFT<Float>(size: n).forward(re: &re, im: &im, scratchRe: &scratchRe, scratchIm: &scratchIm)
            var worst = 0.0
            for k in 0..<n { worst = max(worst, abs(Double(re[k]) - expectRe[k]), abs(Double(im[k]) - expectIm[k])) }
            // Float32 rounding grows like sqrt(N log N) for unit-size inputs.
            XCTAssertLessThan(worst, 2e-6 * Double(n).squareRoot() * max(1, log2(Double(n))), "N = \(n)")
        }
    }

    func testImpulseAndConstant() {
        let n = 400
        var re = [Float](repeating: 0, count: n), im = re, sr = re, si = re
        re[1] = 1  // X[k] = e^{-2πi k/N}
        FFT<Float>(size: n).forward(re: &re, im: &im, scratchRe: &sr, scratchIm: &si)
        for k in [0, 1, 57, 200, 399] {
            XCTAssertEqual(re[k], Float(cos(-2 * Double.pi * Double(k) / Double(n))), accuracy: 1e-6)
            XCTAssertEqual(im[k], Float(sin(-2 * Double.pi * Double(k) / Double(n))), accuracy: 1e-6)
        }
    }
}
