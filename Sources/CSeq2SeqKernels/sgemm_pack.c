// Packing of GEMM operands into the micro-kernels' panel layout: panel[p·W + i] holds
// element i of step p, for a panel W = MR rows of op(A) or NR columns of op(B) wide.
#include "s2s_kernels.h"

#define S2S_INLINE static inline __attribute__((always_inline))

// out[p·W + i] = alpha·src[i·ld + p] for i < h (strided rows interleaved), 0 for h ≤ i < W.
S2S_INLINE void interleave(const int W, int h, int kc, const float *restrict src, ptrdiff_t ld, float alpha,
                           float *restrict out) {
    if (h == W) {
        for (int p = 0; p < kc; p++) {
            _Pragma("GCC unroll 32")
            for (int i = 0; i < W; i++) out[(ptrdiff_t)p * W + i] = alpha * src[(ptrdiff_t)i * ld + p];
        }
        return;
    }
    for (int p = 0; p < kc; p++) {
        for (int i = 0; i < h; i++) out[(ptrdiff_t)p * W + i] = alpha * src[(ptrdiff_t)i * ld + p];
        for (int i = h; i < W; i++) out[(ptrdiff_t)p * W + i] = 0;
    }
}

// out[p·W + i] = alpha·src[p·ld + i] for i < h (contiguous rows copied), 0 for h ≤ i < W.
S2S_INLINE void copy_rows(const int W, int h, int kc, const float *restrict src, ptrdiff_t ld, float alpha,
                          float *restrict out) {
    for (int p = 0; p < kc; p++) {
        const float *s = src + (ptrdiff_t)p * ld;
        float *o = out + (ptrdiff_t)p * W;
        for (int i = 0; i < h; i++) o[i] = alpha * s[i];
        for (int i = h; i < W; i++) o[i] = 0;
    }
}

void s2s_sgemm_pack(int width, int count, int kc, const float *src, ptrdiff_t ld, int interleaved, float alpha,
                    float *out) {
    for (int r = 0; r < count; r += width) {
        int h = count - r < width ? count - r : width;
        float *panel = out + (ptrdiff_t)(r / width) * kc * width;
        if (interleaved) {
            const float *s = src + (ptrdiff_t)r * ld;
            switch (width) {
            case 6: interleave(6, h, kc, s, ld, alpha, panel); break;
            case 12: interleave(12, h, kc, s, ld, alpha, panel); break;
            case 16: interleave(16, h, kc, s, ld, alpha, panel); break;
            case 32: interleave(32, h, kc, s, ld, alpha, panel); break;
            default: interleave(width, h, kc, s, ld, alpha, panel); break;
            }
        } else {
            copy_rows(width, h, kc, src + r, ld, alpha, panel);
        }
    }
}
