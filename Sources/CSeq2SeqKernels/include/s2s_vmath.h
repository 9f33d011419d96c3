// Seq2Seq vector math: exp-based row operations (softmax, log-sum-exp), activations, norms
// and the dot/axpy loops of attention, with AVX2+FMA variants chosen at run time and a
// portable fallback. All take plain pointers and sizes and allocate nothing.
#ifndef S2S_VMATH_H
#define S2S_VMATH_H

#ifdef __cplusplus
extern "C" {
#endif

/// Restores the run-time choice (0), forces the portable path (1) or allows at most AVX2 (2),
/// for tests.
void s2s_vmath_force_level(int level);

/// The level set by `s2s_vmath_force_level`.
int s2s_vmath_forced_level(void);

/// Largest of x[0..<n] (-inf when n is 0).
float s2s_max(const float *x, long n);

/// Σ exp(x[i] - shift), accumulated in double; exp(-inf) counts 0.
double s2s_sum_exp(const float *x, long n, float shift);

/// y[i] = exp(x[i] - shift); returns Σ y (double accumulation). y may equal x.
double s2s_exp_shift(float *y, const float *x, long n, float shift);

/// x[i] = x[i] * a + b.
void s2s_scale_add(float *x, long n, float a, float b);

/// Activations in place; when `up` is not NULL the result is multiplied by up[i] (gated FFN).
void s2s_relu(float *x, long n, const float *up);
void s2s_silu(float *x, long n, const float *up);
/// tanh-approximated GELU (gelu_new / gelu_pytorch_tanh).
void s2s_gelu_tanh(float *x, long n, const float *up);
/// Exact GELU, 0.5·x·(1 + erf(x/√2)).
void s2s_gelu_erf(float *x, long n, const float *up);

/// out = (x - mean) / sqrt(var + eps) * gamma + beta, one row of width n (beta may be NULL).
void s2s_layer_norm(float *out, const float *x, long n, const float *gamma, const float *beta, float eps);
/// out = x / sqrt(mean(x²) + eps) * gamma, one row of width n.
void s2s_rms_norm(float *out, const float *x, long n, const float *gamma, float eps);

/// Σ a[i]·b[i].
float s2s_dot(const float *a, const float *b, long n);
/// y[i] += a·x[i].
void s2s_axpy(float a, const float *x, float *y, long n);
/// y[i] += x[i].
void s2s_add(const float *x, float *y, long n);

/// C[m, n] = alpha · A[m, k] · B[k, n] for few rows m, B read in place (row p at b + p·ldb);
/// no packing, no threads. AVX-512 or AVX2 when the CPU has them and the portable path is
/// not forced.
void s2s_row_gemm(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                  float *c, long ldc, float alpha);

#ifdef __cplusplus
}
#endif
#endif
