// Float32 GEMM micro-kernels, and the macro-kernel that runs them over packed panels.
//
// Modelled on the GotoBLAS/BLIS design (a register tile of C accumulated over packed
// micro-panels of A and B, see BLIS `docs/KernelsHowTo.md`); the code is written anew here.
// Each instruction set gets the same two functions: a tile kernel, specialised at compile
// time for every row count 1...MR (so short edges do no wasted work), and a macro-kernel
// looping over the tiles of one cache block. The Swift driver (GEMM.swift) does blocking
// and threading; sgemm_pack.c packs. SwiftPM compiles C with -O2 in release (-O0 in debug),
// which does not unroll the 12-row tiles by itself: S2S_UNROLL does.
#include "s2s_kernels.h"
#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define S2S_X86_64 1
#define S2S_AVX2 __attribute__((target("avx2,fma,f16c")))
#define S2S_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,f16c")))
#endif
#define S2S_INLINE static inline __attribute__((always_inline))
// Register tiles must unroll completely, or the accumulators spill to the stack.
#define S2S_UNROLL _Pragma("GCC unroll 16")

int s2s_sgemm_tile_rows(int path) {
    return (path == S2S_SGEMM_AVX512 || path == S2S_SGEMM_SCALAR_WIDE) ? 12 : 6;
}

int s2s_sgemm_tile_columns(int path) {
    return (path == S2S_SGEMM_AVX512 || path == S2S_SGEMM_SCALAR_WIDE) ? 32 : 16;
}

int s2s_sgemm_path_supported(int path) {
    switch (path) {
    case S2S_SGEMM_SCALAR:
    case S2S_SGEMM_SCALAR_WIDE: return 1;
#ifdef S2S_X86_64
    case S2S_SGEMM_AVX2: return (s2s_cpu_features() & S2S_CPU_AVX2_FMA) != 0;
    case S2S_SGEMM_AVX512: return (s2s_cpu_features() & S2S_CPU_AVX512) != 0;
#endif
    default: return 0;
    }
}

int s2s_sgemm_f16_supported(int path) {
    if (!s2s_sgemm_path_supported(path)) return 0;
    return path == S2S_SGEMM_SCALAR || path == S2S_SGEMM_SCALAR_WIDE || (s2s_cpu_features() & S2S_CPU_F16C) != 0;
}

int s2s_sgemm_best_path(void) {
    if (s2s_sgemm_path_supported(S2S_SGEMM_AVX512)) return S2S_SGEMM_AVX512;
    if (s2s_sgemm_path_supported(S2S_SGEMM_AVX2)) return S2S_SGEMM_AVX2;
    return S2S_SGEMM_SCALAR;
}

// MARK: - Portable scalar tile (any geometry up to 12x32)

static void scalar_tile(int MR, int NR, int kc, const float *restrict a, const float *restrict b,
                        float *c, ptrdiff_t ldc, int mr, int nr, float beta, const float *bias) {
    float acc[12 * 32];
    for (int x = 0; x < mr * NR; x++) acc[x] = 0;
    for (int p = 0; p < kc; p++) {
        const float *ap = a + (ptrdiff_t)p * MR, *bp = b + (ptrdiff_t)p * NR;
        for (int i = 0; i < mr; i++) {
            float ai = ap[i];
            float *row = acc + i * NR;
            for (int j = 0; j < NR; j++) row[j] += ai * bp[j];
        }
    }
    for (int i = 0; i < mr; i++) {
        float *ci = c + (ptrdiff_t)i * ldc;
        for (int j = 0; j < nr; j++) {
            float v = acc[i * NR + j];
            if (bias) v += bias[j];
            if (beta != 0) v += beta * ci[j];
            ci[j] = v;
        }
    }
}

static void scalar_macro(int MR, int NR, int mc, int nc, int kc, const float *a, const float *b,
                         ptrdiff_t bs, float *c, ptrdiff_t ldc, float beta, const float *bias) {
    for (int j = 0; j < nc; j += NR) {
        int nr = nc - j < NR ? nc - j : NR;
        for (int i = 0; i < mc; i += MR) {
            int mr = mc - i < MR ? mc - i : MR;
            scalar_tile(MR, NR, kc, a + (ptrdiff_t)(i / MR) * kc * MR, b + (ptrdiff_t)(j / NR) * bs,
                        c + (ptrdiff_t)i * ldc + j, ldc, mr, nr, beta, bias ? bias + j : NULL);
        }
    }
}

#ifdef S2S_X86_64
// MARK: - AVX2 + FMA: 6x16 tile, 12 ymm accumulators

// Rows 1 and 2 alone are FMA-latency bound; they spread k over U accumulator sets.
#define S2S_SPLIT(R) ((R) == 1 ? 4 : ((R) == 2 ? 2 : 1))

S2S_INLINE S2S_AVX2 void avx2_store(float *c, __m256 v0, __m256 v1, int nr, float beta, const float *bias) {
    if (nr == 16) {
        if (bias) {
            v0 = _mm256_add_ps(v0, _mm256_loadu_ps(bias));
            v1 = _mm256_add_ps(v1, _mm256_loadu_ps(bias + 8));
        }
        if (beta != 0) {
            __m256 vb = _mm256_set1_ps(beta);
            v0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), v0);
            v1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), v1);
        }
        _mm256_storeu_ps(c, v0);
        _mm256_storeu_ps(c + 8, v1);
        return;
    }
    __m256i n = _mm256_set1_epi32(nr);
    __m256i m0 = _mm256_cmpgt_epi32(n, _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256i m1 = _mm256_cmpgt_epi32(n, _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15));
    if (bias) {
        v0 = _mm256_add_ps(v0, _mm256_maskload_ps(bias, m0));
        v1 = _mm256_add_ps(v1, _mm256_maskload_ps(bias + 8, m1));
    }
    if (beta != 0) {
        __m256 vb = _mm256_set1_ps(beta);
        v0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c, m0), v0);
        v1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c + 8, m1), v1);
    }
    _mm256_maskstore_ps(c, m0, v0);
    _mm256_maskstore_ps(c + 8, m1, v1);
}

// C[R, nr] = A·B (+ bias + beta·C) over kc steps of packed A (stride 6) and B (stride 16).
// `next` is the same place in the next B panel: prefetching it while this panel is in use
// keeps the memory stream going for decode steps, whose few rows make the weight the traffic.
// Eight B values at element `i` of a float32 panel, or of a float16 one (`half`).
S2S_INLINE S2S_AVX2 __m256 avx2_load_b(const void *b, ptrdiff_t i, const int half) {
    return half ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)b + i)))
                : _mm256_loadu_ps((const float *)b + i);
}

S2S_INLINE S2S_AVX2 void avx2_tile(const int R, const int half, int kc, const float *restrict a, const void *restrict b,
                                   const void *next, float *c, ptrdiff_t ldc, int nr, float beta, const float *bias) {
    const int size = half ? 2 : 4;
    const int U = S2S_SPLIT(R);
    __m256 s0[4][6], s1[4][6];
    S2S_UNROLL
    for (int u = 0; u < U; u++)
        S2S_UNROLL
        for (int i = 0; i < R; i++) s0[u][i] = s1[u][i] = _mm256_setzero_ps();
    int p = 0;
    for (; p + U <= kc; p += U) {
        S2S_UNROLL
        for (int u = 0; u < U; u++) {
            const float *ap = a + (ptrdiff_t)(p + u) * 6;
            _mm_prefetch((const char *)next + (ptrdiff_t)(p + u) * 16 * size, _MM_HINT_T0);
            __m256 b0 = avx2_load_b(b, (ptrdiff_t)(p + u) * 16, half), b1 = avx2_load_b(b, (ptrdiff_t)(p + u) * 16 + 8, half);
            S2S_UNROLL
            for (int i = 0; i < R; i++) {
                __m256 ai = _mm256_broadcast_ss(ap + i);
                s0[u][i] = _mm256_fmadd_ps(ai, b0, s0[u][i]);
                s1[u][i] = _mm256_fmadd_ps(ai, b1, s1[u][i]);
            }
        }
    }
    for (; p < kc; p++) {
        __m256 b0 = avx2_load_b(b, (ptrdiff_t)p * 16, half), b1 = avx2_load_b(b, (ptrdiff_t)p * 16 + 8, half);
        S2S_UNROLL
        for (int i = 0; i < R; i++) {
            __m256 ai = _mm256_broadcast_ss(a + (ptrdiff_t)p * 6 + i);
            s0[0][i] = _mm256_fmadd_ps(ai, b0, s0[0][i]);
            s1[0][i] = _mm256_fmadd_ps(ai, b1, s1[0][i]);
        }
    }
    S2S_UNROLL
    for (int u = 1; u < U; u++)
        S2S_UNROLL
        for (int i = 0; i < R; i++) {
            s0[0][i] = _mm256_add_ps(s0[0][i], s0[u][i]);
            s1[0][i] = _mm256_add_ps(s1[0][i], s1[u][i]);
        }
    S2S_UNROLL
    for (int i = 0; i < R; i++) avx2_store(c + (ptrdiff_t)i * ldc, s0[0][i], s1[0][i], nr, beta, bias);
}

S2S_INLINE S2S_AVX2 void avx2_macro(const int half, int mc, int nc, int kc, const float *a, const void *b, ptrdiff_t bs,
                                    float *c, ptrdiff_t ldc, float beta, const float *bias) {
    const int size = half ? 2 : 4;
    for (int j = 0; j < nc; j += 16) {
        int nr = nc - j < 16 ? nc - j : 16;
        const char *bp = (const char *)b + (ptrdiff_t)(j / 16) * bs * size;
        const float *bj = bias ? bias + j : NULL;
        // The first row panel pulls the next B panel towards L1 while this one is in use.
        const char *pf = j + 16 < nc ? bp + bs * size : bp;
        for (int i = 0; i < mc; i += 6, pf = bp) {
            const float *ap = a + (ptrdiff_t)(i / 6) * kc * 6;
            float *ct = c + (ptrdiff_t)i * ldc + j;
            switch (mc - i < 6 ? mc - i : 6) {
            case 1: avx2_tile(1, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 2: avx2_tile(2, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 3: avx2_tile(3, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 4: avx2_tile(4, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 5: avx2_tile(5, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            default: avx2_tile(6, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            }
        }
    }
}

// MARK: - AVX-512: 12x32 tile, 24 zmm accumulators (same structure as AVX2)

S2S_INLINE S2S_AVX512 void avx512_store(float *c, __m512 v0, __m512 v1, int nr, float beta, const float *bias) {
    __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : (nr <= 16 ? (__mmask16)0 : (__mmask16)((1u << (nr - 16)) - 1));
    if (bias) {
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, bias));
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, bias + 16));
    }
    if (beta != 0) {
        __m512 vb = _mm512_set1_ps(beta);
        v0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), v0);
        v1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), v1);
    }
    _mm512_mask_storeu_ps(c, m0, v0);
    _mm512_mask_storeu_ps(c + 16, m1, v1);
}

// As avx2_tile, with packed A of stride 12 and B of stride 32.
// Sixteen B values at element `i` of a float32 panel, or of a float16 one (`half`).
S2S_INLINE S2S_AVX512 __m512 avx512_load_b(const void *b, ptrdiff_t i, const int half) {
    return half ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)b + i)))
                : _mm512_loadu_ps((const float *)b + i);
}

S2S_INLINE S2S_AVX512 void avx512_tile(const int R, const int half, int kc, const float *restrict a, const void *restrict b,
                                       const void *next, float *c, ptrdiff_t ldc, int nr, float beta, const float *bias) {
    const int size = half ? 2 : 4;
    const int U = S2S_SPLIT(R);
    __m512 s0[4][12], s1[4][12];
    S2S_UNROLL
    for (int u = 0; u < U; u++)
        S2S_UNROLL
        for (int i = 0; i < R; i++) s0[u][i] = s1[u][i] = _mm512_setzero_ps();
    int p = 0;
    for (; p + U <= kc; p += U) {
        S2S_UNROLL
        for (int u = 0; u < U; u++) {
            const float *ap = a + (ptrdiff_t)(p + u) * 12;
            _mm_prefetch((const char *)next + (ptrdiff_t)(p + u) * 32 * size, _MM_HINT_T0);
            if (!half) _mm_prefetch((const char *)next + (ptrdiff_t)(p + u) * 32 * size + 64, _MM_HINT_T0);
            __m512 b0 = avx512_load_b(b, (ptrdiff_t)(p + u) * 32, half), b1 = avx512_load_b(b, (ptrdiff_t)(p + u) * 32 + 16, half);
            S2S_UNROLL
            for (int i = 0; i < R; i++) {
                __m512 ai = _mm512_set1_ps(ap[i]);
                s0[u][i] = _mm512_fmadd_ps(ai, b0, s0[u][i]);
                s1[u][i] = _mm512_fmadd_ps(ai, b1, s1[u][i]);
            }
        }
    }
    for (; p < kc; p++) {
        __m512 b0 = avx512_load_b(b, (ptrdiff_t)p * 32, half), b1 = avx512_load_b(b, (ptrdiff_t)p * 32 + 16, half);
        S2S_UNROLL
        for (int i = 0; i < R; i++) {
            __m512 ai = _mm512_set1_ps(a[(ptrdiff_t)p * 12 + i]);
            s0[0][i] = _mm512_fmadd_ps(ai, b0, s0[0][i]);
            s1[0][i] = _mm512_fmadd_ps(ai, b1, s1[0][i]);
        }
    }
    S2S_UNROLL
    for (int u = 1; u < U; u++)
        S2S_UNROLL
        for (int i = 0; i < R; i++) {
            s0[0][i] = _mm512_add_ps(s0[0][i], s0[u][i]);
            s1[0][i] = _mm512_add_ps(s1[0][i], s1[u][i]);
        }
    S2S_UNROLL
    for (int i = 0; i < R; i++) avx512_store(c + (ptrdiff_t)i * ldc, s0[0][i], s1[0][i], nr, beta, bias);
}

S2S_INLINE S2S_AVX512 void avx512_macro(const int half, int mc, int nc, int kc, const float *a, const void *b, ptrdiff_t bs,
                                        float *c, ptrdiff_t ldc, float beta, const float *bias) {
    const int size = half ? 2 : 4;
    for (int j = 0; j < nc; j += 32) {
        int nr = nc - j < 32 ? nc - j : 32;
        const char *bp = (const char *)b + (ptrdiff_t)(j / 32) * bs * size;
        const float *bj = bias ? bias + j : NULL;
        // The first row panel pulls the next B panel towards L1 while this one is in use.
        const char *pf = j + 32 < nc ? bp + bs * size : bp;
        for (int i = 0; i < mc; i += 12, pf = bp) {
            const float *ap = a + (ptrdiff_t)(i / 12) * kc * 12;
            float *ct = c + (ptrdiff_t)i * ldc + j;
            switch (mc - i < 12 ? mc - i : 12) {
            case 1: avx512_tile(1, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 2: avx512_tile(2, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 3: avx512_tile(3, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 4: avx512_tile(4, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 5: avx512_tile(5, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 6: avx512_tile(6, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 7: avx512_tile(7, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 8: avx512_tile(8, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 9: avx512_tile(9, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 10: avx512_tile(10, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            case 11: avx512_tile(11, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            default: avx512_tile(12, half, kc, ap, bp, pf, ct, ldc, nr, beta, bj); break;
            }
        }
    }
}
#endif

#ifdef S2S_X86_64
static S2S_AVX2 void avx2_macro_f32(int mc, int nc, int kc, const float *a, const void *b, ptrdiff_t bs,
                                    float *c, ptrdiff_t ldc, float beta, const float *bias) {
    avx2_macro(0, mc, nc, kc, a, b, bs, c, ldc, beta, bias);
}

static S2S_AVX2 void avx2_macro_f16(int mc, int nc, int kc, const float *a, const void *b, ptrdiff_t bs,
                                    float *c, ptrdiff_t ldc, float beta, const float *bias) {
    avx2_macro(1, mc, nc, kc, a, b, bs, c, ldc, beta, bias);
}

static S2S_AVX512 void avx512_macro_f32(int mc, int nc, int kc, const float *a, const void *b, ptrdiff_t bs,
                                        float *c, ptrdiff_t ldc, float beta, const float *bias) {
    avx512_macro(0, mc, nc, kc, a, b, bs, c, ldc, beta, bias);
}

static S2S_AVX512 void avx512_macro_f16(int mc, int nc, int kc, const float *a, const void *b, ptrdiff_t bs,
                                        float *c, ptrdiff_t ldc, float beta, const float *bias) {
    avx512_macro(1, mc, nc, kc, a, b, bs, c, ldc, beta, bias);
}
#endif

void s2s_sgemm_macro_f16(int path, int mc, int nc, int kc, const float *a, const uint16_t *b, ptrdiff_t b_panel_stride,
                         float *c, ptrdiff_t ldc, float beta, const float *bias) {
    switch (path) {
#ifdef S2S_X86_64
    case S2S_SGEMM_AVX2: avx2_macro_f16(mc, nc, kc, a, b, b_panel_stride, c, ldc, beta, bias); return;
    case S2S_SGEMM_AVX512: avx512_macro_f16(mc, nc, kc, a, b, b_panel_stride, c, ldc, beta, bias); return;
#endif
    default: {
        // Portable: widen the panels of this block to float32, then the scalar kernel.
        int nr = s2s_sgemm_tile_columns(path), panels = (nc + nr - 1) / nr;
        float *wide = malloc(sizeof(float) * (size_t)panels * (size_t)kc * (size_t)nr + 1);
        for (int q = 0; q < panels; q++)
            s2s_f16_to_f32(b + (ptrdiff_t)q * b_panel_stride, wide + (ptrdiff_t)q * kc * nr, (long)kc * nr);
        s2s_sgemm_macro(path, mc, nc, kc, a, wide, (ptrdiff_t)kc * nr, c, ldc, beta, bias);
        free(wide);
    }
    }
}

void s2s_sgemm_macro(int path, int mc, int nc, int kc, const float *a, const float *b, ptrdiff_t b_panel_stride,
                     float *c, ptrdiff_t ldc, float beta, const float *bias) {
    switch (path) {
#ifdef S2S_X86_64
    case S2S_SGEMM_AVX2: avx2_macro_f32(mc, nc, kc, a, b, b_panel_stride, c, ldc, beta, bias); return;
    case S2S_SGEMM_AVX512: avx512_macro_f32(mc, nc, kc, a, b, b_panel_stride, c, ldc, beta, bias); return;
#endif
    case S2S_SGEMM_SCALAR_WIDE: scalar_macro(12, 32, mc, nc, kc, a, b, b_panel_stride, c, ldc, beta, bias); return;
    default: scalar_macro(6, 16, mc, nc, kc, a, b, b_panel_stride, c, ldc, beta, bias); return;
    }
}
