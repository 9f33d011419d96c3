// The element-wise kernels the layers call, in one place (thin wrappers over Seq2SeqTensor).
import Foundation
import Seq2SeqTensor

enum K {
    /// out[R, W] = norm(x[R, W]) row by row.
    static func normalize(_ kind: NormKind, _ x: UnsafePointer<Float>, rows: Int, width: Int,
                          gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * width, o = out + r * width
            switch kind {
            case .layerNorm(let eps):
                var mean: Float = 0
                for i in 0..<width { mean += xr[i] }
                mean /= Float(width)
                var v: Float = 0
                for i in 0..<width { let d = xr[i] - mean; v += d * d }
                let inv = 1 / (v / Float(width) + eps).squareRoot()
                for i in 0..<width { o[i] = (xr[i] - mean) * inv * gamma[i] + (beta?[i] ?? 0) }
            case .rmsNorm(let eps):
                var s: Float = 0
                for i in 0..<width { s += xr[i] * xr[i] }
                let inv = 1 / (s / Float(width) + eps).squareRoot()
                for i in 0..<width { o[i] = xr[i] * inv * gamma[i] }
            }
        }
    }

    /// x = act(x), or x = act(x) ⊙ up when `up` is given.
    static func activate(_ act: Activation, _ x: UnsafeMutablePointer<Float>, count: Int, times up: UnsafePointer<Float>? = nil) {
        for i in 0..<count {
            let v = x[i]
            var y: Float
            switch act {
            case .relu: y = max(v, 0)
            case .gelu: y = 0.5 * v * (1 + Float(erf(Double(v) / 2.0.squareRoot())))
            case .geluTanh: y = 0.5 * v * (1 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))
            case .silu: y = v / (1 + exp(-v))
            }
            if let up { y *= up[i] }
            x[i] = y
        }
    }

    /// In-place softmax of `count` values.
    static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var m = -Float.infinity
        for i in 0..<count { m = max(m, x[i]) }
        if m == -.infinity { for i in 0..<count { x[i] = 0 }; return }
        var s: Float = 0
        for i in 0..<count { x[i] = exp(x[i] - m); s += x[i] }
        let inv = 1 / s
        for i in 0..<count { x[i] *= inv }
    }

    /// In-place log-softmax of `count` values.
    static func logSoftmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var m = -Float.infinity
        for i in 0..<count { m = max(m, x[i]) }
        var s: Double = 0
        for i in 0..<count { s += Double(exp(x[i] - m)) }
        let l = m + Float(log(s))
        for i in 0..<count { x[i] -= l }
    }

    /// Dot product of `count` values.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            acc = acc + x * y
            i += 8
        }
        var s = acc.sum()
        while i < count { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// y += a · x over `count` values.
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let av = SIMD8<Float>(repeating: a)
        var i = 0
        while i + 8 <= count {
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: yv + av * xv, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { y[i] += a * x[i]; i += 1 }
    }

    /// y += x over `count` values.
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += x[i] }
    }
}
