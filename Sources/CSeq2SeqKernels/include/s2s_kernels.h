// Seq2Seq micro-kernels: the few innermost loops that need AVX2/FMA or AVX-512,
// compiled per instruction set with target attributes and chosen at run time.
#ifndef S2S_KERNELS_H
#define S2S_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CPU features detected with cpuid (bit set).
enum {
    S2S_CPU_AVX2_FMA = 1 << 0,
    S2S_CPU_AVX512 = 1 << 1,   // F, BW, VL, DQ
    S2S_CPU_AVX512_VNNI = 1 << 2,
    S2S_CPU_AVX512_BF16 = 1 << 3,
    S2S_CPU_F16C = 1 << 4,
    S2S_CPU_AVX_VNNI = 1 << 5,   // VEX-encoded vpdpbusd on 256-bit registers
    S2S_CPU_AMX_INT8 = 1 << 6,   // AMX tiles with int8 products, enabled by the OS (XCR0)
};

/// The features of this CPU (cached after the first call).
int s2s_cpu_features(void);

/// Cores this process may run on (its affinity mask), at least 1.
int s2s_available_cores(void);

/// Atomic load (acquire) of a word shared between threads.
static inline long s2s_atomic_load(const long *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

/// Atomic store (release) of a word shared between threads.
static inline void s2s_atomic_store(long *p, long value) { __atomic_store_n(p, value, __ATOMIC_RELEASE); }

/// Atomically adds `value` to `*p`; returns the previous value.
static inline long s2s_atomic_fetch_add(long *p, long value) { return __atomic_fetch_add(p, value, __ATOMIC_ACQ_REL); }

/// Spins (with a pause hint) until `*p != value` or `nanoseconds` pass; returns whether it changed.
int s2s_spin_until_changed(const long *p, long value, long nanoseconds);

/// Float32 GEMM micro-kernel paths (instruction set + register-tile geometry).
enum {
    S2S_SGEMM_SCALAR = 0,        // portable C, 6x16 tiles
    S2S_SGEMM_AVX2 = 1,          // AVX2 + FMA, 6x16 tiles (12 ymm accumulators)
    S2S_SGEMM_AVX512 = 2,        // AVX-512F, 12x32 tiles (24 zmm accumulators)
    S2S_SGEMM_SCALAR_WIDE = 3,   // portable C with the AVX-512 geometry (12x32), to test that layout anywhere
};

/// Rows of a register tile (MR) of `path`: packed A holds MR rows per panel.
int s2s_sgemm_tile_rows(int path);

/// Columns of a register tile (NR) of `path`: packed B holds NR columns per panel.
int s2s_sgemm_tile_columns(int path);

/// Whether this CPU can run `path`.
int s2s_sgemm_path_supported(int path);

/// Whether this CPU can run `path` over float16 panels (`s2s_sgemm_macro_f16`).
int s2s_sgemm_f16_supported(int path);

/// The fastest path this CPU runs.
int s2s_sgemm_best_path(void);

/// Macro-kernel: C[mc, nc] = A[mc, kc] · B[kc, nc] + beta·C + bias, over packed operands.
///
/// - `a`: packed A, ceil(mc/MR) row panels of kc·MR floats; row i of step p of a panel
///   at panel[p·MR + i]. Rows past mc in the last panel are never read.
/// - `b`: packed B, ceil(nc/NR) column panels, `b_panel_stride` floats apart; column j of
///   step p at panel[p·NR + j], zero-padded past nc.
/// - `c`: row-major with row stride `ldc`. With beta == 0, C is only written (never read).
/// - `bias`: NULL or nc floats added to every row.
void s2s_sgemm_macro(int path, int mc, int nc, int kc,
                     const float *a, const float *b, ptrdiff_t b_panel_stride,
                     float *c, ptrdiff_t ldc, float beta, const float *bias);

/// As `s2s_sgemm_macro`, with packed B stored as IEEE float16 (same layout, 2-byte elements;
/// `b_panel_stride` in elements). Products are computed in float32, so a weight that is
/// exactly representable in float16 gives exactly the float32 result at half the traffic.
void s2s_sgemm_macro_f16(int path, int mc, int nc, int kc,
                         const float *a, const uint16_t *b, ptrdiff_t b_panel_stride,
                         float *c, ptrdiff_t ldc, float beta, const float *bias);

/// y[i] = float16(x[i]) rounded to nearest; returns 1 when every value converted exactly
/// (so the float16 copy stands for x without any loss), 0 otherwise.
int s2s_f32_to_f16_exact(const float *x, uint16_t *y, long n);

/// y[i] = float32(x[i]).
void s2s_f16_to_f32(const uint16_t *x, float *y, long n);

/// Packs `count` rows of op(A) (or columns of op(B)) over `kc` steps into panels `width` wide.
///
/// Panel r (of ⌈count/width⌉, kc·width floats apart) holds element i of step p at
/// panel[p·width + i] = alpha·x, zero past `count`. With `interleaved`, element i of step p
/// is src[i·ld + p] (A not transposed, B transposed); otherwise src[p·ld + i].
void s2s_sgemm_pack(int width, int count, int kc, const float *src, ptrdiff_t ld, int interleaved, float alpha,
                    float *out);

/// Int8 product paths (`s2s_gemm_s8`); every path gives the same int32 sums.
enum {
    S2S_S8_REFERENCE = 0,   // portable C
    S2S_S8_AVX2 = 1,        // vpmaddubsw + vpmaddwd, with vpsignb keeping pairs exact
    S2S_S8_AVX512BW = 2,    // the same on 512-bit registers, the sign moved by a mask
    S2S_S8_AVX_VNNI = 3,    // vpdpbusd (VEX) on 256-bit registers, with vpsignb
    S2S_S8_AVX512_VNNI = 4, // vpdpbusd on 512-bit registers over x + 128, less 128·Σw
    S2S_S8_AMX = 5,         // AMX tdpbssd on 16×64 tiles (AVX512-VNNI for few rows or K % 64 ≠ 0)
};

/// Whether this CPU can run int8 `path`.
int s2s_s8_path_supported(int path);

/// The fastest int8 path this CPU runs.
int s2s_s8_best_path(void);

/// K rounded up to a multiple of 4: the row length of quantized activations.
long s2s_s8_padded_depth(long k);

/// Bytes of a packed int8 weight with `n` output rows of `k` values.
long s2s_s8_packed_size(long n, long k);

/// Quantizes rows [first, first + count) of W[n, k] (`w` pointing at row `first`, row stride
/// `ldw`) symmetrically: row j's scale is max|W[j]|/127 (0 for a zero row), its values
/// round(W/scale) in [-127, 127], their sum row_sum[j]. Writes them into the blocks of 16 rows
/// described in gemm_s8.c in `packed` (`s2s_s8_packed_size` bytes, zeroed beforehand: padding
/// is not written).
void s2s_s8_pack_rows(long k, long first, long count, const float *w, long ldw, int8_t *packed, float *row_scale,
                      int32_t *row_sum);

/// Places rows [first, first + count) that are already int8 (row stride `ldq`, values in
/// [-127, 127]) with their scales (W[j] ≈ q[j]·scales[j]) into `packed`, as
/// `s2s_s8_pack_rows` would have written them; `packed` must have been zeroed.
void s2s_s8_place_rows(long k, long first, long count, const int8_t *q, long ldq, const float *scales,
                       int8_t *packed, float *row_scale, int32_t *row_sum);

/// Row `j` of a packed int8 weight, dequantized (its int8 values times its scale), into out[k].
void s2s_s8_copy_row(long k, long j, const int8_t *packed, const float *row_scale, float *out);

/// Quantizes x[m, k] row by row as `s2s_s8_pack_rows` does, into q[m, kp] (kp =
/// `s2s_s8_padded_depth(k)`, zero past k) and row_scale[m], with int8 `path`'s instructions
/// (every path writes the same bytes).
void s2s_s8_quantize_rows(int path, long m, long k, const float *x, long ldx, int8_t *q, float *row_scale);

/// y[i, j] = Σ_p q[i, p]·W[j, p] · x_scale[i] · w_scale[j] + bias[j] (y += … with
/// `accumulate`) for the output columns of blocks [first_block, end_block) (16 columns each,
/// the last clipped at n). `bias` may be NULL.
void s2s_gemm_s8(int path, long m, long n, long k, const int8_t *q, const float *x_scale, const int8_t *packed,
                 const float *w_scale, const int32_t *w_sum, const float *bias, float *y, long ldy, int accumulate,
                 long first_block, long end_block);

/// Returns the pages of freed heap blocks to the system (glibc's malloc_trim; nothing elsewhere).
void s2s_release_free_memory(void);

/// Per-thread, 64-byte aligned scratch of at least `count` floats in slot 0 or 1.
///
/// Grows as needed; freed when the thread exits. Contents are undefined.
float *s2s_thread_scratch(int slot, size_t count);

#ifdef __cplusplus
}
#endif
#endif
