// The 512-bit int8 kernel of gemm_s8.c, included once per instruction set: with
// S8_ZMM_NAME(x) naming the functions, S8_ZMM_TARGET their target attribute,
// S8_ZMM_DOT(acc, x4, w) adding to the sixteen int32 lanes of `acc` the four-term dot
// products of the broadcast activation bytes `x4` with the weight bytes `w` (one 16-row
// block × 4 k), and S8_ZMM_UNSIGNED set when those bytes are x + 128 (vpdpbusd's unsigned
// operand), the kernel then subtracting 128 · Σ_k W[j, k] (`w_sum`) from every sum.

/// y[i, 16b …] from the int32 sums of row i against block b, as `finish` computes each value
/// (the same float operations in the same order, so the same bits).
S2S_INLINE S8_ZMM_TARGET void S8_ZMM_NAME(store)(__m512i acc, long i, long b, long n, const float *x_scale,
                                                const float *w_scale, const float *bias, float *y, long ldy,
                                                int accumulate) {
    long j0 = 16 * b, count = n - j0 < 16 ? n - j0 : 16;
    __mmask16 mask = (__mmask16)((1u << count) - 1);
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_set1_ps(x_scale[i]));
    v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(mask, w_scale + j0));
    if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias + j0));
    float *out = y + i * ldy + j0;
    if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, out), v);
    _mm512_mask_storeu_ps(out, mask, v);
}

/// R ≤ 8 rows of x against one block, the k groups dealt round-robin to C separate sums per
/// row so that even one row keeps several dependency chains going.
S2S_INLINE S8_ZMM_TARGET void S8_ZMM_NAME(tile)(const int R, const int C, long groups, const int8_t *x, long kp,
                                               const int8_t *block, __m512i correction, long i, long b, long n,
                                               const float *x_scale, const float *w_scale, const float *bias, float *y,
                                               long ldy, int accumulate) {
    const __m512i ones = _mm512_set1_epi16(1);
    (void)ones;
    __m512i acc[8][4];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_si512();
    long g = 0;
    for (; g + C <= groups; g += C) {
        for (int c = 0; c < C; c++) {
            __m512i w = _mm512_loadu_si512(block + (g + c) * 64);
            for (int r = 0; r < R; r++) {
                int32_t v;
                memcpy(&v, x + r * kp + 4 * (g + c), 4);
                acc[r][c] = S8_ZMM_DOT(acc[r][c], _mm512_set1_epi32(v), w);
            }
        }
    }
    for (int c = 0; g < groups; g++, c++) {
        __m512i w = _mm512_loadu_si512(block + g * 64);
        for (int r = 0; r < R; r++) {
            int32_t v;
            memcpy(&v, x + r * kp + 4 * g, 4);
            acc[r][c] = S8_ZMM_DOT(acc[r][c], _mm512_set1_epi32(v), w);
        }
    }
    for (int r = 0; r < R; r++) {
        __m512i sum = acc[r][0];
        for (int c = 1; c < C; c++) sum = _mm512_add_epi32(sum, acc[r][c]);
        S8_ZMM_NAME(store)(_mm512_sub_epi32(sum, correction), i + r, b, n, x_scale, w_scale, bias, y, ldy, accumulate);
    }
}

/// Rows in chunks of about 16 KB of activations (kept in L1 while the blocks stream past),
/// within a chunk block by block, eight rows at a time.
S8_ZMM_TARGET static void S8_ZMM_NAME(rows)(long m, long n, long kp, const int8_t *x, const float *x_scale,
                                           const int8_t *packed, const float *w_scale, const int32_t *w_sum,
                                           const float *bias, float *y, long ldy, int accumulate, long first_block,
                                           long end_block) {
    (void)w_sum;
    long groups = kp / 4, chunk = (16384 / kp) & ~7L;
    if (chunk < 8) chunk = 8;
    for (long r0 = 0; r0 < m; r0 += chunk) {
        long rows = m - r0 < chunk ? m - r0 : chunk;
        for (long b = first_block; b < end_block; b++) {
            const int8_t *block = packed + b * kp * 16;
            __m512i correction = _mm512_setzero_si512();
#if S8_ZMM_UNSIGNED
            long columns = n - 16 * b < 16 ? n - 16 * b : 16;
            correction = _mm512_slli_epi32(_mm512_maskz_loadu_epi32((__mmask16)((1u << columns) - 1), w_sum + 16 * b), 7);
#endif
            for (long i = r0; i < r0 + rows; i += 8) {
                const int8_t *xi = x + i * kp;
                long left = r0 + rows - i;
                switch (left < 8 ? left : 8) {
                case 1: S8_ZMM_NAME(tile)(1, 4, groups, xi, kp, block, correction, i, b, n, x_scale, w_scale, bias, y, ldy, accumulate); break;
                case 2: S8_ZMM_NAME(tile)(2, 4, groups, xi, kp, block, correction, i, b, n, x_scale, w_scale, bias, y, ldy, accumulate); break;
                case 3: S8_ZMM_NAME(tile)(3, 2, groups, xi, kp, block, correction, i, b, n, x_scale, w_scale, bias, y, ldy, accumulate); break;
                case 4: S8_ZMM_NAME(tile)(4, 2, groups, xi, kp, block, correction, i, b, n, x_scale, w_scale, bias, y, ldy, accumulate); break;
                case 5: S8_ZMM_NAME(tile)(5, 2, groups, xi, kp, block, correction, i, b, n, x_scale, w_scale, bias, y, ldy, accumulate); break;
                case 6: S8_ZMM_NAME(tile)(6, 2, groups, xi, kp, block, correction, i, b, n, x_scale, w_scale, bias, y, ldy, accumulate); break;
                case 7: S8_ZMM_NAME(tile)(7, 2, groups, xi, kp, block, correction, i, b, n, x_scale, w_scale, bias, y, ldy, accumulate); break;
                default: S8_ZMM_NAME(tile)(8, 2, groups, xi, kp, block, correction, i, b, n, x_scale, w_scale, bias, y, ldy, accumulate); break;
                }
            }
        }
    }
}
