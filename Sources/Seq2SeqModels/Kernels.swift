// The element-wise kernels the layers call, in one place (thin wrappers over VectorMath).
import Seq2SeqTensor

enum K {
    /// out[R, W] = norm(x[R, W]) row by row.
    static func normalize(_ kind: NormKind, _ x: UnsafePointer<Float>, rows: Int, width: Int,
                          gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            switch kind {
            case .layerNorm(let eps):
                VectorMath.layerNorm(x + r * width, width: width, gamma: gamma, beta: beta, epsilon: eps, into: out + r * width)
            case .rmsNorm(let eps):
                VectorMath.rmsNorm(x + r * width, width: width, gamma: gamma, epsilon: eps, into: out + r * width)
            }
        }
    }

    /// x = act(x), or x = act(x) ⊙ up when `up` is given.
    static func activate(_ act: Activation, _ x: UnsafeMutablePointer<Float>, count: Int, times up: UnsafePointer<Float>? = nil) {
        let kind: VectorMath.Activation
        switch act {
        case .relu: kind = .relu
        case .gelu: kind = .geluErf
        case .geluTanh: kind = .geluTanh
        case .silu: kind = .silu
        }
        VectorMath.activate(kind, x, count: count, times: up)
    }

    /// In-place softmax of `count` values.
    @inline(__always)
    static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) { VectorMath.softmax(x, count: count) }

    /// In-place log-softmax of `count` values.
    @inline(__always)
    static func logSoftmax(_ x: UnsafeMutablePointer<Float>, count: Int) { VectorMath.logSoftmax(x, count: count) }

    /// Dot product of `count` values.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float { VectorMath.dot(a, b, count: count) }

    /// y += a · x over `count` values.
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.axpy(a, x, y, count: count)
    }

    /// y += x over `count` values.
    @inline(__always)
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) { VectorMath.add(x, into: y, count: count) }
}
