// Vector math with an AVX2+FMA path and a portable path, picked once per process.
// The exp polynomial is the classic Cephes expf range reduction (x = n·ln2 + r, degree-6
// polynomial on r, 2^n by exponent arithmetic), written here for 8 lanes. The erf of the
// exact GELU is the odd rational approximation x·P(x²)/Q(x²) on |x| ≤ 3.8325 (±1 beyond) used
// by Eigen's `generic_fast_erf_float` (its published coefficients), within 3e-7 of erf.
#include "s2s_vmath.h"
#include "s2s_kernels.h"
#include <math.h>
#include <float.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define S2S_X86 1
#endif

static int forced_level = 0;

void s2s_vmath_force_level(int level) { forced_level = level; }

int s2s_vmath_forced_level(void) { return forced_level; }

static inline int use_avx2(void) {
#ifdef S2S_X86
    return forced_level != 1 && (s2s_cpu_features() & S2S_CPU_AVX2_FMA);
#else
    return 0;
#endif
}

/* ----------------------------------------------------------------------------------------
   Portable reference versions. */

static float max_portable(const float *x, long n) {
    float m = -INFINITY;
    for (long i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

static double exp_shift_portable(float *y, const float *x, long n, float shift) {
    double s = 0;
    for (long i = 0; i < n; i++) {
        float e = expf(x[i] - shift);
        if (y) y[i] = e;
        s += e;
    }
    return s;
}

static float gelu_tanh_1(float v) { return 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v))); }
static float silu_1(float v) { return v / (1.0f + expf(-v)); }

static void activate_portable(int kind, float *x, long n, const float *up) {
    for (long i = 0; i < n; i++) {
        float v = x[i], y;
        switch (kind) {
        case 0: y = v > 0 ? v : 0; break;
        case 1: y = silu_1(v); break;
        case 2: y = gelu_tanh_1(v); break;
        default: y = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)); break;
        }
        x[i] = up ? y * up[i] : y;
    }
}

static float dot_portable(const float *a, const float *b, long n) {
    float s = 0;
    for (long i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* ----------------------------------------------------------------------------------------
   AVX2 + FMA versions. */

#ifdef S2S_X86
#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

AVX2 static inline float hmax8(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

AVX2 static inline double hsum4d(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

/// exp of 8 lanes; inputs below -87.3 (and -inf) give 0, above 88.37 give +inf.
AVX2 static inline __m256 exp8(__m256 x) {
    const __m256 hi = _mm256_set1_ps(88.3762626647949f), lo = _mm256_set1_ps(-87.3365478515625f);
    __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    __m256 over = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);
    // Lanes below `lo` (−inf from masked logits, above all) compute exp(0) and are zeroed
    // after: clamped to `lo` they would end in a denormal product, which Intel cores finish in
    // microcode at ~100 cycles a lane (30% of a shortlisted Marian decode on a Xeon).
    x = _mm256_blendv_ps(_mm256_min_ps(_mm256_max_ps(x, lo), hi), _mm256_setzero_ps(), under);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500E-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
    y = _mm256_andnot_ps(under, y);
    return _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), over);
}

AVX2 static float max_avx2(const float *x, long n) {
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
        m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + i + 8));
    }
    float m = hmax8(_mm256_max_ps(m0, m1));
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

AVX2 static double exp_shift_avx2(float *y, const float *x, long n, float shift) {
    __m256 s = _mm256_set1_ps(shift);
    __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
        if (y) _mm256_storeu_ps(y + i, e);
        acc0 = _mm256_add_pd(acc0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        acc1 = _mm256_add_pd(acc1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    double total = hsum4d(_mm256_add_pd(acc0, acc1));
    if (i < n) {
        float tail_in[8], tail_out[8];
        long rest = n - i;
        for (long j = 0; j < 8; j++) tail_in[j] = j < rest ? x[i + j] - shift : -INFINITY;
        _mm256_storeu_ps(tail_out, exp8(_mm256_loadu_ps(tail_in)));
        for (long j = 0; j < rest; j++) {
            if (y) y[i + j] = tail_out[j];
            total += tail_out[j];
        }
    }
    return total;
}

/// tanh(v) = 1 - 2 / (exp(2v) + 1), saturating correctly at ±inf.
AVX2 static inline __m256 tanh8(__m256 v) {
    __m256 e = exp8(_mm256_add_ps(v, v));
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
}

/// erf of 8 lanes, within 3e-7 absolute (a few float ulps of ±1).
AVX2 static inline __m256 erf8(__m256 x) {
    const __m256 limit = _mm256_set1_ps(3.832506856900711f);
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_sub_ps(_mm256_setzero_ps(), limit)), limit);
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(-2.72614225801306e-10f);
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.77068142495902e-08f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.10102402082508e-06f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-5.69250639462346e-05f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-7.34990630326855e-04f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.95459980854025e-03f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.60960333262415e-02f));
    __m256 q = _mm256_set1_ps(-1.45660718464996e-05f);
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-2.13374055278905e-04f));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.68282697438203e-03f));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-7.37332916720468e-03f));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.42647390514189e-02f));
    return _mm256_div_ps(_mm256_mul_ps(p, x), q);
}

AVX2 static void activate_avx2(int kind, float *x, long n, const float *up) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(0.5f);
    const __m256 c = _mm256_set1_ps(0.7978845608028654f), c3 = _mm256_set1_ps(0.044715f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), y;
        if (kind == 0) {
            y = _mm256_max_ps(v, zero);
        } else if (kind == 1) {
            y = _mm256_div_ps(v, _mm256_add_ps(one, exp8(_mm256_sub_ps(zero, v))));
        } else if (kind == 3) {
            __m256 e = erf8(_mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f)));
            y = _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, e));
        } else {
            __m256 inner = _mm256_mul_ps(c, _mm256_fmadd_ps(_mm256_mul_ps(c3, v), _mm256_mul_ps(v, v), v));
            y = _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, tanh8(inner)));
        }
        if (up) y = _mm256_mul_ps(y, _mm256_loadu_ps(up + i));
        _mm256_storeu_ps(x + i, y);
    }
    activate_portable(kind, x + i, n - i, up ? up + i : 0);
}

AVX2 static float dot_avx2(const float *a, const float *b, long n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0;
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = hsum8(_mm256_add_ps(s0, s1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

AVX2 static void axpy_avx2(float a, const float *x, float *y, long n) {
    __m256 av = _mm256_set1_ps(a);
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

AVX2 static void scale_add_avx2(float *x, long n, float a, float b) {
    __m256 av = _mm256_set1_ps(a), bv = _mm256_set1_ps(b);
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_fmadd_ps(_mm256_loadu_ps(x + i), av, bv));
    for (; i < n; i++) x[i] = x[i] * a + b;
}

AVX2 static void add_avx2(const float *x, float *y, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += x[i];
}
#endif

/* ----------------------------------------------------------------------------------------
   Dispatch. */

float s2s_max(const float *x, long n) {
#ifdef S2S_X86
    if (use_avx2()) return max_avx2(x, n);
#endif
    return max_portable(x, n);
}

double s2s_sum_exp(const float *x, long n, float shift) {
#ifdef S2S_X86
    if (use_avx2()) return exp_shift_avx2(0, x, n, shift);
#endif
    return exp_shift_portable(0, x, n, shift);
}

double s2s_exp_shift(float *y, const float *x, long n, float shift) {
#ifdef S2S_X86
    if (use_avx2()) return exp_shift_avx2(y, x, n, shift);
#endif
    return exp_shift_portable(y, x, n, shift);
}

void s2s_scale_add(float *x, long n, float a, float b) {
#ifdef S2S_X86
    if (use_avx2()) { scale_add_avx2(x, n, a, b); return; }
#endif
    for (long i = 0; i < n; i++) x[i] = x[i] * a + b;
}

static void activate(int kind, float *x, long n, const float *up) {
#ifdef S2S_X86
    if (use_avx2()) { activate_avx2(kind, x, n, up); return; }
#endif
    activate_portable(kind, x, n, up);
}

void s2s_relu(float *x, long n, const float *up) { activate(0, x, n, up); }
void s2s_silu(float *x, long n, const float *up) { activate(1, x, n, up); }
void s2s_gelu_tanh(float *x, long n, const float *up) { activate(2, x, n, up); }
void s2s_gelu_erf(float *x, long n, const float *up) { activate(3, x, n, up); }

float s2s_dot(const float *a, const float *b, long n) {
#ifdef S2S_X86
    if (use_avx2()) return dot_avx2(a, b, n);
#endif
    return dot_portable(a, b, n);
}

void s2s_axpy(float a, const float *x, float *y, long n) {
#ifdef S2S_X86
    if (use_avx2()) { axpy_avx2(a, x, y, n); return; }
#endif
    for (long i = 0; i < n; i++) y[i] += a * x[i];
}

void s2s_add(const float *x, float *y, long n) {
#ifdef S2S_X86
    if (use_avx2()) { add_avx2(x, y, n); return; }
#endif
    for (long i = 0; i < n; i++) y[i] += x[i];
}

void s2s_layer_norm(float *out, const float *x, long n, const float *gamma, const float *beta, float eps) {
    double mean = 0;
    for (long i = 0; i < n; i++) mean += x[i];
    mean /= (double)n;
    double var = 0;
    for (long i = 0; i < n; i++) { double d = x[i] - mean; var += d * d; }
    float inv = (float)(1.0 / sqrt(var / (double)n + eps)), m = (float)mean;
    for (long i = 0; i < n; i++) out[i] = (x[i] - m) * inv * gamma[i] + (beta ? beta[i] : 0.0f);
}

void s2s_rms_norm(float *out, const float *x, long n, const float *gamma, float eps) {
    double s = 0;
    for (long i = 0; i < n; i++) s += (double)x[i] * x[i];
    float inv = (float)(1.0 / sqrt(s / (double)n + eps));
    for (long i = 0; i < n; i++) out[i] = x[i] * inv * gamma[i];
}
