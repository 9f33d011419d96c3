// Matrix products: forward and backward on the same GEMM kernel, with the transposes folded
// into the kernel's operand flags (no transposed copies).
//
//   Y = A·B          dA = dY·Bᵀ          dB = Aᵀ·dY
//   Y = X·Wᵀ + b     dX = dY·W           dW = dYᵀ·X      db = Σ_rows dY
import Seq2SeqTensor

/// Y[M, N] = A[M, K] · B[K, N].
public func matmul(_ a: Variable, _ b: Variable) -> Variable {
    precondition(a.value.rank == 2 && b.value.rank == 2 && a.value.shape[1] == b.value.shape[0],
                 "matmul of \(a.value.shape) and \(b.value.shape)")
    let (M, K, N) = (a.value.shape[0], a.value.shape[1], b.value.shape[1])
    let y = Tensor(zeros: [M, N])
    GEMM.multiply(m: M, n: N, k: K, a: a.value.data, lda: K, transposeA: false,
                  b: b.value.data, ldb: N, transposeB: false, c: y.data, ldc: N)
    return Variable.result(y, inputs: [a, b]) { dY in
        if a.requiresGradient {  // dA[M, K] += dY[M, N] · B[K, N]ᵀ
            GEMM.multiply(m: M, n: K, k: N, a: dY.data, lda: N, transposeA: false,
                          b: b.value.data, ldb: N, transposeB: true, c: a.gradientBuffer().data, ldc: K, beta: 1)
        }
        if b.requiresGradient {  // dB[K, N] += A[M, K]ᵀ · dY[M, N]
            GEMM.multiply(m: K, n: N, k: M, a: a.value.data, lda: K, transposeA: true,
                          b: dY.data, ldb: N, transposeB: false, c: b.gradientBuffer().data, ldc: N, beta: 1)
        }
    }
}

/// The affine map of `torch.nn.Linear`: Y[..., Dout] = X[..., Din] · W[Dout, Din]ᵀ + b[Dout].
///
/// `weight` is laid out [Dout, Din] as in PyTorch and Hugging Face checkpoints; `bias` is optional.
public func linear(_ x: Variable, weight: Variable, bias: Variable? = nil) -> Variable {
    let (Dout, Din) = (weight.value.shape[0], weight.value.shape[1])
    precondition(weight.value.rank == 2 && x.value.shape.last == Din, "linear of \(x.value.shape) with weight \(weight.value.shape)")
    precondition(bias == nil || bias!.value.count == Dout, "bias of \(bias!.value.shape) for \(Dout) outputs")
    let N = x.value.count / Din  // rows: all leading dimensions
    let y = Tensor(zeros: Array(x.value.shape.dropLast()) + [Dout])
    if let bias {
        for r in 0..<N { (y.data + r * Dout).update(from: bias.value.data, count: Dout) }
    }
    GEMM.multiply(m: N, n: Dout, k: Din, a: x.value.data, lda: Din, transposeA: false,
                  b: weight.value.data, ldb: Din, transposeB: true, c: y.data, ldc: Dout, beta: bias == nil ? 0 : 1)
    return Variable.result(y, inputs: [x, weight] + (bias.map { [$0] } ?? [])) { dY in
        if x.requiresGradient {  // dX[N, Din] += dY[N, Dout] · W[Dout, Din]
            GEMM.multiply(m: N, n: Din, k: Dout, a: dY.data, lda: Dout, transposeA: false,
                          b: weight.value.data, ldb: Din, transposeB: false, c: x.gradientBuffer().data, ldc: Din, beta: 1)
        }
        if weight.requiresGradient {  // dW[Dout, Din] += dY[N, Dout]ᵀ · X[N, Din]
            GEMM.multiply(m: Dout, n: Din, k: N, a: dY.data, lda: Dout, transposeA: true,
                          b: x.value.data, ldb: Din, transposeB: false, c: weight.gradientBuffer().data, ldc: Din, beta: 1)
        }
        if let bias, bias.requiresGradient {  // db[Dout] += Σ_rows dY
            let db = bias.gradientBuffer().data
            for r in 0..<N { VectorMath.add(dY.data + r * Dout, into: db, count: Dout) }
        }
    }
}
