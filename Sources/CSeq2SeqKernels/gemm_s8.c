// Int8 products for `--compute-type int8`: y = x · Wᵀ with W stored as int8 with one float
// scale per output row, and each row of x quantized to int8 on the fly (symmetric, its own
// scale), accumulated in int32, as CTranslate2's int8 compute type defines it.
//
// Packed weight layout (every path reads the same bytes): the N output rows are cut into
// blocks of 16; block b holds, for each group g of 4 consecutive k, the 4 int8 values of its
// 16 rows: byte [b·kp·16 + g·64 + j·4 + t] = W[16b + j, 4g + t], zero past N and past K
// (kp = K rounded up to a multiple of 4). A 32-byte AVX2 register then holds 8 rows × 4 k,
// a 64-byte AVX-512 register all 16.
//
// The AVX2 path multiplies with vpmaddubsw, which takes one unsigned and one signed operand
// and saturates pairs at int16. With |x| and |w| both at most 127, `vpsignb` moves x's sign
// onto w and |x|·(±w) pairs stay within 2·127² < 2^15: exact, the same int32 sums as the
// reference loop.
#include "s2s_kernels.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define S2S_X86 1
#endif

long s2s_s8_padded_depth(long k) { return (k + 3) & ~3L; }

long s2s_s8_packed_size(long n, long k) { return ((n + 15) / 16) * s2s_s8_padded_depth(k) * 16; }

static inline float scale_for_top(float top, float *row_scale) {
    *row_scale = top > 0 ? top / 127.0f : 0.0f;
    return top > 0 ? 127.0f / top : 1.0f;
}

static inline int8_t quantize(float v, float scale) {
    float q = nearbyintf(v * scale);
    if (q > 127) q = 127;
    if (q < -127) q = -127;
    return (int8_t)q;
}

/// The factor that maps `row` onto [-127, 127] (1 for a zero row); its inverse, the row's
/// scale (0 for a zero row), goes to `*row_scale`.
static float row_factor(const float *row, long k, float *row_scale) {
    float top = 0;
    for (long p = 0; p < k; p++) {
        float a = fabsf(row[p]);
        if (a > top) top = a;
    }
    return scale_for_top(top, row_scale);
}

void s2s_s8_pack_weight(long n, long k, const float *w, long ldw, int8_t *packed, float *row_scale) {
    memset(packed, 0, (size_t)s2s_s8_packed_size(n, k));
    s2s_s8_pack_rows(k, 0, n, w, ldw, packed, row_scale);
}

void s2s_s8_pack_rows(long k, long first, long count, const float *w, long ldw, int8_t *packed, float *row_scale) {
    long kp = s2s_s8_padded_depth(k);
    for (long j = first; j < first + count; j++) {
        const float *row = w + (j - first) * ldw;
        float scale = row_factor(row, k, row_scale + j);
        int8_t *block = packed + (j / 16) * kp * 16;
        long lane = j % 16;
        for (long p = 0; p < k; p++) block[(p / 4) * 64 + lane * 4 + p % 4] = quantize(row[p], scale);
    }
}

void s2s_s8_place_rows(long k, long first, long count, const int8_t *q, long ldq, const float *scales,
                       int8_t *packed, float *row_scale) {
    long kp = s2s_s8_padded_depth(k);
    for (long j = first; j < first + count; j++) {
        const int8_t *row = q + (j - first) * ldq;
        row_scale[j] = scales[j - first];
        int8_t *block = packed + (j / 16) * kp * 16;
        long lane = j % 16;
        for (long p = 0; p < k; p++) block[(p / 4) * 64 + lane * 4 + p % 4] = row[p];
    }
}

void s2s_s8_copy_row(long k, long j, const int8_t *packed, const float *row_scale, float *out) {
    long kp = s2s_s8_padded_depth(k);
    const int8_t *block = packed + (j / 16) * kp * 16;
    long lane = j % 16;
    for (long p = 0; p < k; p++) out[p] = (float)block[(p / 4) * 64 + lane * 4 + p % 4] * row_scale[j];
}

#ifdef S2S_X86
/// One row as `quantize_row_reference` does it, 8 values at a time: the same products and the
/// same round-half-to-even (vroundps in the default rounding mode), so the same bytes.
__attribute__((target("avx2,fma"))) static void quantize_row_avx2(long k, long kp, const float *row, int8_t *out, float *row_scale) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 top8 = _mm256_setzero_ps();
    long p = 0;
    for (; p + 8 <= k; p += 8) top8 = _mm256_max_ps(top8, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + p)));
    float lanes[8], top = 0;
    _mm256_storeu_ps(lanes, top8);
    for (int l = 0; l < 8; l++) if (lanes[l] > top) top = lanes[l];
    for (; p < k; p++) if (fabsf(row[p]) > top) top = fabsf(row[p]);
    float scale = scale_for_top(top, row_scale);
    const __m256 s = _mm256_set1_ps(scale), hi = _mm256_set1_ps(127), lo = _mm256_set1_ps(-127);
    for (p = 0; p + 8 <= k; p += 8) {
        __m256 v = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(row + p), s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m256i n = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(v, lo), hi));
        __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(n), _mm256_extracti128_si256(n, 1));
        _mm_storel_epi64((__m128i *)(out + p), _mm_packs_epi16(w, w));
    }
    for (; p < k; p++) out[p] = quantize(row[p], scale);
    for (p = k; p < kp; p++) out[p] = 0;
}
#endif

void s2s_s8_quantize_rows(int path, long m, long k, const float *x, long ldx, int8_t *q, float *row_scale) {
    long kp = s2s_s8_padded_depth(k);
#ifdef S2S_X86
    if (path == S2S_S8_AVX2) {
        for (long i = 0; i < m; i++) quantize_row_avx2(k, kp, x + i * ldx, q + i * kp, row_scale + i);
        return;
    }
#endif
    for (long i = 0; i < m; i++) {
        const float *row = x + i * ldx;
        float scale = row_factor(row, k, row_scale + i);
        int8_t *out = q + i * kp;
        for (long p = 0; p < k; p++) out[p] = quantize(row[p], scale);
        for (long p = k; p < kp; p++) out[p] = 0;
    }
}

/// y[i, j] (+)= acc · x_scale[i] · w_scale[j] + bias[j], the one place both paths finish in.
static inline void finish(float *y, long acc, float xs, float ws, const float *bias, long j, int accumulate) {
    float v = (float)acc * xs * ws;
    if (bias) v += bias[j];
    *y = accumulate ? *y + v : v;
}

static void gemm_s8_reference(long m, long n, long kp, const int8_t *q, const float *x_scale, const int8_t *packed,
                              const float *w_scale, const float *bias, float *y, long ldy, int accumulate,
                              long first_block, long end_block) {
    for (long b = first_block; b < end_block; b++) {
        const int8_t *block = packed + b * kp * 16;
        for (long i = 0; i < m; i++) {
            const int8_t *row = q + i * kp;
            for (long lane = 0; lane < 16 && 16 * b + lane < n; lane++) {
                long acc = 0;
                for (long p = 0; p < kp; p++) acc += (long)row[p] * block[(p / 4) * 64 + lane * 4 + p % 4];
                long j = 16 * b + lane;
                finish(y + i * ldy + j, acc, x_scale[i], w_scale[j], bias, j, accumulate);
            }
        }
    }
}

#ifdef S2S_X86
#define S2S_AVX2 __attribute__((target("avx2,fma")))

S2S_AVX2 static inline __m256i dot4(__m256i x4, __m256i w, __m256i ones) {
    __m256i pairs = _mm256_maddubs_epi16(_mm256_abs_epi8(x4), _mm256_sign_epi8(w, x4));
    return _mm256_madd_epi16(pairs, ones);
}

S2S_AVX2 static void gemm_s8_avx2_rows(long m, long n, long kp, const int8_t *q, const float *x_scale,
                                       const int8_t *packed, const float *w_scale, const float *bias, float *y, long ldy,
                                       int accumulate, long first_block, long end_block);

S2S_AVX2 static void store_block(const __m256i acc[2], long i, long b, long n, const float *x_scale,
                                 const float *w_scale, const float *bias, float *y, long ldy, int accumulate) {
    int32_t sums[16];
    _mm256_storeu_si256((__m256i *)sums, acc[0]);
    _mm256_storeu_si256((__m256i *)(sums + 8), acc[1]);
    for (long lane = 0; lane < 16 && 16 * b + lane < n; lane++) {
        long j = 16 * b + lane;
        finish(y + i * ldy + j, sums[lane], x_scale[i], w_scale[j], bias, j, accumulate);
    }
}

/// Four rows at a time against one 16-row block of W: the block's two registers per k group
/// are loaded once and used by every row. Rows go in chunks of about 8 KB of activations, so
/// a chunk stays in L1 while the blocks stream past it.
S2S_AVX2 static void gemm_s8_avx2(long m, long n, long kp, const int8_t *q, const float *x_scale, const int8_t *packed,
                                  const float *w_scale, const float *bias, float *y, long ldy, int accumulate,
                                  long first_block, long end_block) {
    long chunk = (8192 / kp) & ~3L;
    if (chunk < 4) chunk = 4;
    for (long r = 0; r < m; r += chunk) {
        long rows = m - r < chunk ? m - r : chunk;
        gemm_s8_avx2_rows(rows, n, kp, q + r * kp, x_scale + r, packed, w_scale, bias, y + r * ldy, ldy, accumulate,
                          first_block, end_block);
    }
}

S2S_AVX2 static void gemm_s8_avx2_rows(long m, long n, long kp, const int8_t *q, const float *x_scale, const int8_t *packed,
                                       const float *w_scale, const float *bias, float *y, long ldy, int accumulate,
                                       long first_block, long end_block) {
    const __m256i ones = _mm256_set1_epi16(1);
    long groups = kp / 4;
    for (long b = first_block; b < end_block; b++) {
        const int8_t *block = packed + b * kp * 16;
        long i = 0;
        for (; i + 4 <= m; i += 4) {
            const int8_t *r0 = q + i * kp, *r1 = r0 + kp, *r2 = r1 + kp, *r3 = r2 + kp;
            __m256i a00 = _mm256_setzero_si256(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (long g = 0; g < groups; g++) {
                __m256i w0 = _mm256_loadu_si256((const __m256i *)(block + g * 64));
                __m256i w1 = _mm256_loadu_si256((const __m256i *)(block + g * 64 + 32));
                int32_t v0, v1, v2, v3;
                memcpy(&v0, r0 + 4 * g, 4);
                memcpy(&v1, r1 + 4 * g, 4);
                memcpy(&v2, r2 + 4 * g, 4);
                memcpy(&v3, r3 + 4 * g, 4);
                __m256i x0 = _mm256_set1_epi32(v0), x1 = _mm256_set1_epi32(v1);
                __m256i x2 = _mm256_set1_epi32(v2), x3 = _mm256_set1_epi32(v3);
                a00 = _mm256_add_epi32(a00, dot4(x0, w0, ones));
                a01 = _mm256_add_epi32(a01, dot4(x0, w1, ones));
                a10 = _mm256_add_epi32(a10, dot4(x1, w0, ones));
                a11 = _mm256_add_epi32(a11, dot4(x1, w1, ones));
                a20 = _mm256_add_epi32(a20, dot4(x2, w0, ones));
                a21 = _mm256_add_epi32(a21, dot4(x2, w1, ones));
                a30 = _mm256_add_epi32(a30, dot4(x3, w0, ones));
                a31 = _mm256_add_epi32(a31, dot4(x3, w1, ones));
            }
            __m256i r[2];
            r[0] = a00; r[1] = a01; store_block(r, i, b, n, x_scale, w_scale, bias, y, ldy, accumulate);
            r[0] = a10; r[1] = a11; store_block(r, i + 1, b, n, x_scale, w_scale, bias, y, ldy, accumulate);
            r[0] = a20; r[1] = a21; store_block(r, i + 2, b, n, x_scale, w_scale, bias, y, ldy, accumulate);
            r[0] = a30; r[1] = a31; store_block(r, i + 3, b, n, x_scale, w_scale, bias, y, ldy, accumulate);
        }
        for (; i < m; i++) {
            const int8_t *r0 = q + i * kp;
            __m256i e0 = _mm256_setzero_si256(), e1 = e0, o0 = e0, o1 = e0;
            long g = 0;
            for (; g + 2 <= groups; g += 2) {
                int32_t v0, v1;
                memcpy(&v0, r0 + 4 * g, 4);
                memcpy(&v1, r0 + 4 * g + 4, 4);
                __m256i x0 = _mm256_set1_epi32(v0), x1 = _mm256_set1_epi32(v1);
                e0 = _mm256_add_epi32(e0, dot4(x0, _mm256_loadu_si256((const __m256i *)(block + g * 64)), ones));
                e1 = _mm256_add_epi32(e1, dot4(x0, _mm256_loadu_si256((const __m256i *)(block + g * 64 + 32)), ones));
                o0 = _mm256_add_epi32(o0, dot4(x1, _mm256_loadu_si256((const __m256i *)(block + g * 64 + 64)), ones));
                o1 = _mm256_add_epi32(o1, dot4(x1, _mm256_loadu_si256((const __m256i *)(block + g * 64 + 96)), ones));
            }
            if (g < groups) {
                int32_t v0;
                memcpy(&v0, r0 + 4 * g, 4);
                __m256i x0 = _mm256_set1_epi32(v0);
                e0 = _mm256_add_epi32(e0, dot4(x0, _mm256_loadu_si256((const __m256i *)(block + g * 64)), ones));
                e1 = _mm256_add_epi32(e1, dot4(x0, _mm256_loadu_si256((const __m256i *)(block + g * 64 + 32)), ones));
            }
            __m256i r[2] = {_mm256_add_epi32(e0, o0), _mm256_add_epi32(e1, o1)};
            store_block(r, i, b, n, x_scale, w_scale, bias, y, ldy, accumulate);
        }
    }
}
#endif

int s2s_s8_path_supported(int path) {
    if (path == S2S_S8_REFERENCE) return 1;
#ifdef S2S_X86
    if (path == S2S_S8_AVX2) return (s2s_cpu_features() & S2S_CPU_AVX2_FMA) != 0;
#endif
    return 0;
}

int s2s_s8_best_path(void) { return s2s_s8_path_supported(S2S_S8_AVX2) ? S2S_S8_AVX2 : S2S_S8_REFERENCE; }

void s2s_gemm_s8(int path, long m, long n, long k, const int8_t *q, const float *x_scale, const int8_t *packed,
                 const float *w_scale, const float *bias, float *y, long ldy, int accumulate,
                 long first_block, long end_block) {
    long kp = s2s_s8_padded_depth(k);
#ifdef S2S_X86
    if (path == S2S_S8_AVX2) {
        gemm_s8_avx2(m, n, kp, q, x_scale, packed, w_scale, bias, y, ldy, accumulate, first_block, end_block);
        return;
    }
#endif
    gemm_s8_reference(m, n, kp, q, x_scale, packed, w_scale, bias, y, ldy, accumulate, first_block, end_block);
}
