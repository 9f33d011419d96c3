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
// Paths (chosen at run time, the best first): AMX, AVX512-VNNI, AVX-VNNI, AVX-512BW, AVX2,
// portable C. vpmaddubsw and vpdpbusd take one unsigned and one signed operand, and vpmaddubsw
// saturates pairs at int16. With |x| and |w| both at most 127, moving x's sign onto w
// (`vpsignb`, or a masked negation on 512-bit registers) keeps |x|·(±w) pairs within
// 2·127² < 2^15; AVX512-VNNI instead feeds x + 128 and subtracts 128·Σ_k W[j, k], its products
// going straight into int32; AMX's tdpbssd multiplies signed bytes by signed bytes exactly.
// Every path gives the same int32 sums as the reference loop.
#include "s2s_kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

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

void s2s_s8_pack_rows(long k, long first, long count, const float *w, long ldw, int8_t *packed, float *row_scale,
                      int32_t *row_sum) {
    long kp = s2s_s8_padded_depth(k);
    for (long j = first; j < first + count; j++) {
        const float *row = w + (j - first) * ldw;
        float scale = row_factor(row, k, row_scale + j);
        int8_t *block = packed + (j / 16) * kp * 16;
        long lane = j % 16;
        int32_t sum = 0;
        for (long p = 0; p < k; p++) {
            int8_t v = quantize(row[p], scale);
            block[(p / 4) * 64 + lane * 4 + p % 4] = v;
            sum += v;
        }
        row_sum[j] = sum;
    }
}

void s2s_s8_place_rows(long k, long first, long count, const int8_t *q, long ldq, const float *scales,
                       int8_t *packed, float *row_scale, int32_t *row_sum) {
    long kp = s2s_s8_padded_depth(k);
    for (long j = first; j < first + count; j++) {
        const int8_t *row = q + (j - first) * ldq;
        row_scale[j] = scales[j - first];
        int8_t *block = packed + (j / 16) * kp * 16;
        long lane = j % 16;
        int32_t sum = 0;
        for (long p = 0; p < k; p++) {
            block[(p / 4) * 64 + lane * 4 + p % 4] = row[p];
            sum += row[p];
        }
        row_sum[j] = sum;
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
    if (path != S2S_S8_REFERENCE) {   // every vector path has AVX2
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

/// y[i, j] (+)= acc · x_scale[i] · w_scale[j] + bias[j], the one place every path's
/// values come from (the 512-bit kernels do the same operations in the same order, 16 at a time).
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
#define S2S_INLINE static inline __attribute__((always_inline))
#define S2S_AVX2 __attribute__((target("avx2,fma")))
#define S2S_AVX_VNNI __attribute__((target("avx2,fma,avxvnni")))
#define S2S_AVX512BW __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#define S2S_AVX512_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

/// AVX2: |x|·(±w) pairs summed to int16 (at most 2·127², exact), then to int32.
S2S_INLINE S2S_AVX2 __m256i dot4_avx2(__m256i acc, __m256i x4, __m256i w, __m256i ones) {
    __m256i pairs = _mm256_maddubs_epi16(_mm256_abs_epi8(x4), _mm256_sign_epi8(w, x4));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
}
#define S8_YMM_NAME(x) avx2_##x
#define S8_YMM_TARGET S2S_AVX2
#define S8_YMM_DOT(acc, x4, w) dot4_avx2(acc, x4, w, ones)
#include "gemm_s8_ymm.h"
#undef S8_YMM_NAME
#undef S8_YMM_TARGET
#undef S8_YMM_DOT

/// AVX-VNNI: |x|·(±w) summed four at a time straight into int32 (vpdpbusd, VEX-encoded).
S2S_INLINE S2S_AVX_VNNI __m256i dot4_avx_vnni(__m256i acc, __m256i x4, __m256i w) {
    return _mm256_dpbusd_avx_epi32(acc, _mm256_abs_epi8(x4), _mm256_sign_epi8(w, x4));
}
#define S8_YMM_NAME(x) avx_vnni_##x
#define S8_YMM_TARGET S2S_AVX_VNNI
#define S8_YMM_DOT(acc, x4, w) dot4_avx_vnni(acc, x4, w)
#include "gemm_s8_ymm.h"
#undef S8_YMM_NAME
#undef S8_YMM_TARGET
#undef S8_YMM_DOT

/// AVX-512BW: as AVX2 on 16 rows at once; with no vpsignb for 512-bit registers, w is negated
/// under the mask of x's negative bytes (a zero x zeroes the product through |x|).
S2S_INLINE S2S_AVX512BW __m512i dot4_avx512bw(__m512i acc, __m512i x4, __m512i w, __m512i ones) {
    __m512i signed_w = _mm512_mask_sub_epi8(w, _mm512_movepi8_mask(x4), _mm512_setzero_si512(), w);
    return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(_mm512_abs_epi8(x4), signed_w), ones));
}
#define S8_ZMM_NAME(x) avx512bw_##x
#define S8_ZMM_TARGET S2S_AVX512BW
#define S8_ZMM_DOT(acc, x4, w) dot4_avx512bw(acc, x4, w, ones)
#define S8_ZMM_UNSIGNED 0
#include "gemm_s8_zmm.h"
#undef S8_ZMM_NAME
#undef S8_ZMM_TARGET
#undef S8_ZMM_DOT
#undef S8_ZMM_UNSIGNED

/// AVX512-VNNI: vpdpbusd takes x + 128 (unsigned) times w; the kernel subtracts 128 · Σw
/// (the row sums `s2s_s8_pack_rows` kept).
/// Products of at most 255·127, four to a lane, go straight into int32: exact.
#define S8_ZMM_NAME(x) avx512_vnni_##x
#define S8_ZMM_TARGET S2S_AVX512_VNNI
#define S8_ZMM_DOT(acc, x4, w) _mm512_dpbusd_epi32(acc, x4, w)
#define S8_ZMM_UNSIGNED 1
#include "gemm_s8_zmm.h"
#undef S8_ZMM_NAME
#undef S8_ZMM_TARGET
#undef S8_ZMM_DOT
#undef S8_ZMM_UNSIGNED

/// x + 128 for vpdpbusd (flipping the top bit), then the VNNI kernel; without memory for
/// the copy, the AVX-512BW kernel (same sums).
S2S_AVX512_VNNI static void gemm_s8_avx512_vnni(long m, long n, long kp, const int8_t *q, const float *x_scale,
                                                const int8_t *packed, const float *w_scale, const int32_t *w_sum,
                                                const float *bias, float *y, long ldy, int accumulate, long first_block,
                                                long end_block) {
    int8_t *u = malloc((size_t)(m * kp));
    if (!u) {
        avx512bw_rows(m, n, kp, q, x_scale, packed, w_scale, NULL, bias, y, ldy, accumulate, first_block, end_block);
        return;
    }
    const __m512i top = _mm512_set1_epi8((char)0x80);
    long p = 0, total = m * kp;
    for (; p + 64 <= total; p += 64) _mm512_storeu_si512(u + p, _mm512_xor_si512(_mm512_loadu_si512(q + p), top));
    for (; p < total; p++) u[p] = (int8_t)(q[p] ^ 0x80);
    avx512_vnni_rows(m, n, kp, u, x_scale, packed, w_scale, w_sum, bias, y, ldy, accumulate, first_block, end_block);
    free(u);
}

/// AMX (Sapphire Rapids and later): tdpbssd multiplies a 16-row × 64-byte tile of x (signed)
/// by a 64 k × 16 column tile of W (signed) into a 16 × 16 int32 tile, exact. The packed
/// weight's layout is the B-tile layout already: group g of block b holds the 4 k values of
/// 16 columns in 64 bytes, so a block's 16 groups from k0 on are one tile with a 64-byte
/// stride. Used when K (padded to 4) is a multiple of 64; x's rows are padded to 16.
#define S2S_AMX_MIN_ROWS 8
#define S2S_AMX __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

struct amx_tile_config {
    uint8_t palette;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
};

/// Asks Linux once for the right to use the AMX tile data (arch_prctl ARCH_REQ_XCOMP_PERM).
static int amx_permitted(void) {
    static int state = -1;
    if (state < 0) state = syscall(SYS_arch_prctl, 0x1023, 18) == 0;
    return state;
}

S2S_AMX static void gemm_s8_amx(long m, long n, long kp, const int8_t *q, const float *x_scale,
                                const int8_t *packed, const float *w_scale, const float *bias, float *y, long ldy,
                                int accumulate, long first_block, long end_block) {
    long mp = (m + 15) & ~15L;
    int8_t *a = (int8_t *)q;
    if (mp != m) {
        a = calloc((size_t)(mp * kp), 1);
        if (!a) {
            avx512bw_rows(m, n, kp, q, x_scale, packed, w_scale, NULL, bias, y, ldy, accumulate, first_block, end_block);
            return;
        }
        memcpy(a, q, (size_t)(m * kp));
    }
    struct amx_tile_config config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 8; t++) { config.rows[t] = 16; config.colsb[t] = 64; }
    _tile_loadconfig(&config);
    int32_t sums[4][256] __attribute__((aligned(64)));
    for (long i = 0; i < mp; i += 32) {
        int two_rows = i + 16 < mp;
        for (long b = first_block; b < end_block; b += 2) {
            int two_blocks = b + 1 < end_block;
            const int8_t *b0 = packed + b * kp * 16, *b1 = b0 + kp * 16;
            const int8_t *a0 = a + i * kp, *a1 = a0 + 16 * kp;
            _tile_zero(0);
            _tile_zero(1);
            _tile_zero(2);
            _tile_zero(3);
            for (long k0 = 0; k0 < kp; k0 += 64) {
                _tile_loadd(4, a0 + k0, kp);
                _tile_loadd(6, b0 + k0 * 16, 64);
                _tile_dpbssd(0, 4, 6);
                if (two_blocks) {
                    _tile_loadd(7, b1 + k0 * 16, 64);
                    _tile_dpbssd(1, 4, 7);
                }
                if (two_rows) {
                    _tile_loadd(5, a1 + k0, kp);
                    _tile_dpbssd(2, 5, 6);
                    if (two_blocks) _tile_dpbssd(3, 5, 7);
                }
            }
            _tile_stored(0, sums[0], 64);
            if (two_blocks) _tile_stored(1, sums[1], 64);
            if (two_rows) {
                _tile_stored(2, sums[2], 64);
                if (two_blocks) _tile_stored(3, sums[3], 64);
            }
            for (int t = 0; t < 4; t++) {
                long row0 = i + (t >= 2 ? 16 : 0), block = b + (t & 1);
                if ((t & 1) && !two_blocks) continue;
                if (t >= 2 && !two_rows) continue;
                for (long r = 0; r < 16 && row0 + r < m; r++)
                    avx512_vnni_store(_mm512_load_si512(sums[t] + 16 * r), row0 + r, block, n, x_scale, w_scale, bias, y,
                                      ldy, accumulate);
            }
        }
    }
    _tile_release();
    if (a != q) free(a);
}
#endif

int s2s_s8_path_supported(int path) {
    if (path == S2S_S8_REFERENCE) return 1;
#ifdef S2S_X86
    int f = s2s_cpu_features();
    switch (path) {
    case S2S_S8_AVX2: return (f & S2S_CPU_AVX2_FMA) != 0;
    case S2S_S8_AVX512BW: return (f & S2S_CPU_AVX2_FMA) && (f & S2S_CPU_AVX512);
    case S2S_S8_AVX_VNNI: return (f & S2S_CPU_AVX2_FMA) && (f & S2S_CPU_AVX_VNNI);
    case S2S_S8_AVX512_VNNI: return (f & S2S_CPU_AVX2_FMA) && (f & S2S_CPU_AVX512) && (f & S2S_CPU_AVX512_VNNI);
    case S2S_S8_AMX:
        return (f & S2S_CPU_AVX2_FMA) && (f & S2S_CPU_AVX512) && (f & S2S_CPU_AVX512_VNNI) && (f & S2S_CPU_AMX_INT8) &&
               amx_permitted();
    }
#endif
    return 0;
}

int s2s_s8_best_path(void) {
    static const int order[] = {S2S_S8_AMX, S2S_S8_AVX512_VNNI, S2S_S8_AVX_VNNI, S2S_S8_AVX512BW, S2S_S8_AVX2};
    for (int i = 0; i < 5; i++) if (s2s_s8_path_supported(order[i])) return order[i];
    return S2S_S8_REFERENCE;
}

void s2s_gemm_s8(int path, long m, long n, long k, const int8_t *q, const float *x_scale, const int8_t *packed,
                 const float *w_scale, const int32_t *w_sum, const float *bias, float *y, long ldy, int accumulate,
                 long first_block, long end_block) {
    long kp = s2s_s8_padded_depth(k);
#ifdef S2S_X86
    switch (path) {
    case S2S_S8_AVX2:
        avx2_gemm(m, n, kp, q, x_scale, packed, w_scale, bias, y, ldy, accumulate, first_block, end_block);
        return;
    case S2S_S8_AVX_VNNI:
        avx_vnni_gemm(m, n, kp, q, x_scale, packed, w_scale, bias, y, ldy, accumulate, first_block, end_block);
        return;
    case S2S_S8_AVX512BW:
        avx512bw_rows(m, n, kp, q, x_scale, packed, w_scale, NULL, bias, y, ldy, accumulate, first_block, end_block);
        return;
    case S2S_S8_AMX:
        // Tiles need K in steps of 64 and pay off from a few rows on; below, AVX512-VNNI.
        if (kp % 64 == 0 && m >= S2S_AMX_MIN_ROWS) {
            gemm_s8_amx(m, n, kp, q, x_scale, packed, w_scale, bias, y, ldy, accumulate, first_block, end_block);
            return;
        }
        gemm_s8_avx512_vnni(m, n, kp, q, x_scale, packed, w_scale, w_sum, bias, y, ldy, accumulate, first_block, end_block);
        return;
    case S2S_S8_AVX512_VNNI:
        gemm_s8_avx512_vnni(m, n, kp, q, x_scale, packed, w_scale, w_sum, bias, y, ldy, accumulate, first_block, end_block);
        return;
    }
#endif
    gemm_s8_reference(m, n, kp, q, x_scale, packed, w_scale, bias, y, ldy, accumulate, first_block, end_block);
}
