// Products with few rows and no packing: C[m, n] = alpha · A[m, k] · B[k, n] with B read in
// place (rows of n contiguous floats, any stride). Decoding steps multiply a handful of query
// rows by a source's keys and values; packing B for the general GEMM would read it twice.
// AVX-512, AVX2+FMA and portable paths, chosen at run time (the portable one when vector
// math is forced portable).
#include "s2s_vmath.h"
#include "s2s_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define S2S_X86 1
#endif

static void row_gemm_portable(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                              float *c, long ldc, float alpha) {
    for (long i = 0; i < m; i++) {
        float *ci = c + i * ldc;
        for (long j = 0; j < n; j++) ci[j] = 0;
        for (long p = 0; p < k; p++) {
            float x = a[i * lda + p];
            const float *bp = b + p * ldb;
            for (long j = 0; j < n; j++) ci[j] += x * bp[j];
        }
        for (long j = 0; j < n; j++) ci[j] *= alpha;
    }
}

#ifdef S2S_X86
#define S2S_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define S2S_AVX2 __attribute__((target("avx2,fma")))

/// 64-column blocks, one row at a time (the block of B stays in cache across rows); two
/// accumulator sets for even and odd p keep eight FMA chains in flight.
S2S_AVX512 static void row_gemm_avx512(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                                       float *c, long ldc, float alpha) {
    for (long j = 0; j < n; j += 64) {
        long w = n - j < 64 ? n - j : 64;
        __mmask16 mask[4];
        for (int v = 0; v < 4; v++) {
            long lanes = w - 16 * v;
            mask[v] = lanes >= 16 ? (__mmask16)0xffff : lanes <= 0 ? 0 : (__mmask16)((1u << lanes) - 1);
        }
        for (long i = 0; i < m; i++) {
            const float *ai = a + i * lda, *bj = b + j;
            __m512 e0 = _mm512_setzero_ps(), e1 = e0, e2 = e0, e3 = e0, o0 = e0, o1 = e0, o2 = e0, o3 = e0;
            long p = 0;
            for (; p + 2 <= k; p += 2) {
                __m512 x = _mm512_set1_ps(ai[p]), y = _mm512_set1_ps(ai[p + 1]);
                const float *r0 = bj + p * ldb, *r1 = r0 + ldb;
                e0 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(mask[0], r0), e0);
                e1 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(mask[1], r0 + 16), e1);
                e2 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(mask[2], r0 + 32), e2);
                e3 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(mask[3], r0 + 48), e3);
                o0 = _mm512_fmadd_ps(y, _mm512_maskz_loadu_ps(mask[0], r1), o0);
                o1 = _mm512_fmadd_ps(y, _mm512_maskz_loadu_ps(mask[1], r1 + 16), o1);
                o2 = _mm512_fmadd_ps(y, _mm512_maskz_loadu_ps(mask[2], r1 + 32), o2);
                o3 = _mm512_fmadd_ps(y, _mm512_maskz_loadu_ps(mask[3], r1 + 48), o3);
            }
            if (p < k) {
                __m512 x = _mm512_set1_ps(ai[p]);
                const float *r0 = bj + p * ldb;
                e0 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(mask[0], r0), e0);
                e1 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(mask[1], r0 + 16), e1);
                e2 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(mask[2], r0 + 32), e2);
                e3 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(mask[3], r0 + 48), e3);
            }
            __m512 s = _mm512_set1_ps(alpha);
            float *ci = c + i * ldc + j;
            _mm512_mask_storeu_ps(ci, mask[0], _mm512_mul_ps(s, _mm512_add_ps(e0, o0)));
            _mm512_mask_storeu_ps(ci + 16, mask[1], _mm512_mul_ps(s, _mm512_add_ps(e1, o1)));
            _mm512_mask_storeu_ps(ci + 32, mask[2], _mm512_mul_ps(s, _mm512_add_ps(e2, o2)));
            _mm512_mask_storeu_ps(ci + 48, mask[3], _mm512_mul_ps(s, _mm512_add_ps(e3, o3)));
        }
    }
}

/// 32-column blocks with even/odd accumulators, as above with 8 lanes; masked tail loads.
S2S_AVX2 static void row_gemm_avx2(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                                   float *c, long ldc, float alpha) {
    for (long j = 0; j < n; j += 32) {
        long w = n - j < 32 ? n - j : 32;
        __m256i mask[4];
        for (int v = 0; v < 4; v++) {
            int lane[8];
            for (int l = 0; l < 8; l++) lane[l] = 8 * v + l < w ? -1 : 0;
            mask[v] = _mm256_loadu_si256((const __m256i *)lane);
        }
        for (long i = 0; i < m; i++) {
            const float *ai = a + i * lda, *bj = b + j;
            __m256 e0 = _mm256_setzero_ps(), e1 = e0, e2 = e0, e3 = e0, o0 = e0, o1 = e0, o2 = e0, o3 = e0;
            long p = 0;
            for (; p + 2 <= k; p += 2) {
                __m256 x = _mm256_set1_ps(ai[p]), y = _mm256_set1_ps(ai[p + 1]);
                const float *r0 = bj + p * ldb, *r1 = r0 + ldb;
                e0 = _mm256_fmadd_ps(x, _mm256_maskload_ps(r0, mask[0]), e0);
                e1 = _mm256_fmadd_ps(x, _mm256_maskload_ps(r0 + 8, mask[1]), e1);
                e2 = _mm256_fmadd_ps(x, _mm256_maskload_ps(r0 + 16, mask[2]), e2);
                e3 = _mm256_fmadd_ps(x, _mm256_maskload_ps(r0 + 24, mask[3]), e3);
                o0 = _mm256_fmadd_ps(y, _mm256_maskload_ps(r1, mask[0]), o0);
                o1 = _mm256_fmadd_ps(y, _mm256_maskload_ps(r1 + 8, mask[1]), o1);
                o2 = _mm256_fmadd_ps(y, _mm256_maskload_ps(r1 + 16, mask[2]), o2);
                o3 = _mm256_fmadd_ps(y, _mm256_maskload_ps(r1 + 24, mask[3]), o3);
            }
            if (p < k) {
                __m256 x = _mm256_set1_ps(ai[p]);
                const float *r0 = bj + p * ldb;
                e0 = _mm256_fmadd_ps(x, _mm256_maskload_ps(r0, mask[0]), e0);
                e1 = _mm256_fmadd_ps(x, _mm256_maskload_ps(r0 + 8, mask[1]), e1);
                e2 = _mm256_fmadd_ps(x, _mm256_maskload_ps(r0 + 16, mask[2]), e2);
                e3 = _mm256_fmadd_ps(x, _mm256_maskload_ps(r0 + 24, mask[3]), e3);
            }
            __m256 s = _mm256_set1_ps(alpha);
            float *ci = c + i * ldc + j;
            _mm256_maskstore_ps(ci, mask[0], _mm256_mul_ps(s, _mm256_add_ps(e0, o0)));
            _mm256_maskstore_ps(ci + 8, mask[1], _mm256_mul_ps(s, _mm256_add_ps(e1, o1)));
            _mm256_maskstore_ps(ci + 16, mask[2], _mm256_mul_ps(s, _mm256_add_ps(e2, o2)));
            _mm256_maskstore_ps(ci + 24, mask[3], _mm256_mul_ps(s, _mm256_add_ps(e3, o3)));
        }
    }
}
#endif

void s2s_row_gemm(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                  float *c, long ldc, float alpha) {
#ifdef S2S_X86
    int level = s2s_vmath_forced_level();
    if (level != 1) {
        int features = s2s_cpu_features();
        if ((features & S2S_CPU_AVX512) && level == 0) { row_gemm_avx512(m, n, k, a, lda, b, ldb, c, ldc, alpha); return; }
        if (features & S2S_CPU_AVX2_FMA) { row_gemm_avx2(m, n, k, a, lda, b, ldb, c, ldc, alpha); return; }
    }
#endif
    row_gemm_portable(m, n, k, a, lda, b, ldb, c, ldc, alpha);
}
