// The im2col convolution against its direct float64 twin, with Whisper's two stem shapes
// (K 3, padding 1, strides 1 and 2) and odd sizes.
import Seq2SeqTensor
import XCTest

final class Conv1DTests: XCTestCase {
    func testMatchesDirectConvolution() {
        var generator = SystemRandomNumberGenerator()
        let cases: [(cin: Int, cout: Int, k: Int, stride: Int, padding: Int, length: Int, bias: Bool)] = [
            (80, 24, 3, 1, 1, 37, true), (24, 24, 3, 2, 1, 37, true), (5, 7, 1, 1, 0, 9, false),
            (3, 4, 5, 3, 2, 11, true), (2, 3, 3, 2, 1, 2, false), (16, 8, 3, 1, 0, 3, true),
        ]
        for c in cases {
            let x = (0..<(c.length * c.cin)).map { _ in Float.random(in: -1...1, using: &generator) }
            let w = (0..<(c.cout * c.cin * c.k)).map { _ in Float.random(in: -1...1, using: &generator) }
            let b = c.bias ? (0..<c.cout).map { _ in Float.random(in: -1...1, using: &generator) } : nil
            let conv = w.withUnsafeBufferPointer { wp in
                Conv1D(weight: wp.baseAddress!, bias: b, outChannels: c.cout, inChannels: c.cin,
                       kernelSize: c.k, stride: c.stride, padding: c.padding)
            }
            let lout = conv.outputLength(c.length)
            XCTAssertEqual(lout, (c.length + 2 * c.padding - c.k) / c.stride + 1)
            var y = [Float](repeating: .nan, count: lout * c.cout)
            conv.apply(x, length: c.length, into: &y)
            let want = Conv1D.reference(x, length: c.length, weight: w, bias: b, outChannels: c.cout, inChannels: c.cin,
                                        kernelSize: c.k, stride: c.stride, padding: c.padding)
            for i in 0..<want.count {
                XCTAssertEqual(y[i], want[i], accuracy: 1e-4 * Float(c.cin * c.k).squareRoot(), "\(c) at \(i)")
            }
        }
    }
}
