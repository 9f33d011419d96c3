// INTERIM: naive stand-ins with the agreed GEMM API, replaced by the real kernels on merge.
public enum GEMM {
    public static func multiply(m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        alpha: Float = 1, beta: Float = 0, pool: ThreadPool = .shared) {
        for i in 0..<m { for j in 0..<n {
            var s: Float = 0
            for p in 0..<k {
                let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                s += x * y
            }
            c[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j])
        } }
    }
}
public final class PackedMatrix: @unchecked Sendable {
    public let outFeatures: Int, inFeatures: Int
    let w: [Float]
    public init(weight: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int) {
        self.outFeatures = outFeatures; self.inFeatures = inFeatures
        w = Array(UnsafeBufferPointer(start: weight, count: outFeatures * inFeatures))
    }
    public func apply(_ x: UnsafePointer<Float>, rows: Int, ldx: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
                      bias: UnsafePointer<Float>? = nil, accumulate: Bool = false, pool: ThreadPool = .shared) {
        w.withUnsafeBufferPointer { wp in
            pool.parallelFor(rows) { i in
                for j in 0..<outFeatures {
                    var s: Float = 0
                    let wr = wp.baseAddress! + j * inFeatures, xr = x + i * ldx
                    for p in 0..<inFeatures { s += xr[p] * wr[p] }
                    if let bias { s += bias[j] }
                    y[i * ldy + j] = accumulate ? y[i * ldy + j] + s : s
                }
            }
        }
    }
    public func unpacked() -> [Float] { w }
}
