// Row-wise vector math over raw pointers (softmax, log-sum-exp, activations, norms, dot,
// axpy), backed by the C kernels' AVX2+FMA path when the CPU has it.
import CSeq2SeqKernels

/// Vectorized element-wise and row operations on float32 buffers.
public enum VectorMath {
    /// Converts `count` IEEE float16 values (host byte order) to float32 (F16C when the CPU has it).
    public static func halfToFloat(_ x: UnsafePointer<UInt16>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        s2s_f16_to_f32(x, y, count)
    }

    /// Largest of `count` values (-inf when empty).
    @inlinable public static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float { s2s_max(x, count) }

    /// log Σ exp(x[i]) over `count` values, computed stably (-inf when all are -inf).
    public static func logSumExp(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let m = s2s_max(x, count)
        guard m > -.infinity else { return -.infinity }
        guard m < .infinity else { return .infinity }
        return m + Float(log(s2s_sum_exp(x, count, m)))
    }

    /// In place: x ← log-softmax(x).
    public static func logSoftmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let l = logSumExp(x, count: count)
        guard l.isFinite else { return }
        s2s_scale_add(x, count, 1, -l)
    }

    /// In place: x ← softmax(x); an all -inf row becomes zeros.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let m = s2s_max(x, count)
        guard m > -.infinity else { x.update(repeating: 0, count: count); return }
        let sum = s2s_exp_shift(x, x, count, m)
        s2s_scale_add(x, count, Float(1 / sum), 0)
    }

    /// x ← x·a + b.
    @inlinable public static func scaleAdd(_ x: UnsafeMutablePointer<Float>, count: Int, scale a: Float, add b: Float) {
        s2s_scale_add(x, count, a, b)
    }

    /// Σ a[i]·b[i].
    @inlinable public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        s2s_dot(a, b, count)
    }

    /// y ← y + a·x.
    @inlinable public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        s2s_axpy(a, x, y, count)
    }

    /// C[m, n] = alpha · A[m, k] · B[k, n] for few rows, B read where it lies (row p at b + p·ldb);
    /// one thread, no packing: a decoding step's queries against one source's keys or values.
    @inlinable public static func rowProduct(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                             b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                             alpha: Float = 1) {
        s2s_row_gemm(m, n, k, a, lda, b, ldb, c, ldc, alpha)
    }

    /// y ← y + x.
    @inlinable public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        s2s_add(x, y, count)
    }

    /// In place: x ← act(x), times `up` element-wise when given (gated feed-forward).
    public static func activate(_ act: Activation, _ x: UnsafeMutablePointer<Float>, count: Int, times up: UnsafePointer<Float>? = nil) {
        switch act {
        case .relu: s2s_relu(x, count, up)
        case .silu: s2s_silu(x, count, up)
        case .geluTanh: s2s_gelu_tanh(x, count, up)
        case .gelu: s2s_gelu_erf(x, count, up)
        }
    }

    /// One row: out ← (x - mean)/sqrt(var + ε)·γ + β (β optional).
    @inlinable public static func layerNorm(_ x: UnsafePointer<Float>, width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>?,
                                            epsilon: Float, into out: UnsafeMutablePointer<Float>) {
        s2s_layer_norm(out, x, width, gamma, beta, epsilon)
    }

    /// One row: out ← x/sqrt(mean(x²) + ε)·γ.
    @inlinable public static func rmsNorm(_ x: UnsafePointer<Float>, width: Int, gamma: UnsafePointer<Float>, epsilon: Float,
                                          into out: UnsafeMutablePointer<Float>) {
        s2s_rms_norm(out, x, width, gamma, epsilon)
    }

    /// Instruction sets the kernels may use.
    public enum Path: Int32, Sendable, CaseIterable {
        /// The best this CPU runs (the default).
        case best = 0
        /// Plain C, no SIMD intrinsics.
        case portable = 1
        /// AVX2 + FMA at most, even on an AVX-512 CPU.
        case avx2 = 2
    }

    /// Limits the kernels to `path` (tests reach every code path on one machine).
    public static func force(_ path: Path) { s2s_vmath_force_level(path.rawValue) }
}

#if canImport(Glibc)
import Glibc
#endif

/// The element-wise activation of a feed-forward layer: one type for the kernels, the model
/// specs read from `config.json` and the trainer's configuration. The raw values are the
/// Hugging Face names the trainer writes to `config.json`, its run files and `--activation`.
public enum Activation: String, Codable, Sendable, CaseIterable {
    /// max(0, x).
    case relu
    /// The exact GELU, x·Φ(x) (Hugging Face `gelu`).
    case gelu
    /// x·σ(x) (`swish`, also called SiLU).
    case silu = "swish"
    /// GELU's tanh approximation (`gelu_new`, `gelu_pytorch_tanh`; T5 v1.1's gated-GELU).
    case geluTanh = "gelu_new"

    /// The activation of a Hugging Face `activation_function` / `hidden_act` name; nil when unknown.
    public init?(huggingFaceName name: String) {
        switch name {
        case "relu": self = .relu
        case "gelu": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_accurate": self = .geluTanh
        case "silu", "swish": self = .silu
        default: return nil
        }
    }
}
