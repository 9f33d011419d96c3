// The 256-bit int8 kernel of gemm_s8.c, included once per instruction set: with
// S8_YMM_NAME(x) naming the functions, S8_YMM_TARGET their target attribute and
// S8_YMM_DOT(acc, x4, w) adding to the eight int32 lanes of `acc` the four-term dot products
// of the broadcast activation bytes `x4` with the weight bytes `w` (8 rows × 4 k).
//
// Both definitions (AVX2's vpmaddubsw + vpmaddwd, AVX-VNNI's vpdpbusd) take |x| as the
// unsigned operand and move x's sign onto w (vpsignb), so every product is exact.

S8_YMM_TARGET static void S8_YMM_NAME(store_block)(const __m256i acc[2], long i, long b, long n, const float *x_scale,
                                                  const float *w_scale, const float *bias, float *y, long ldy, int accumulate) {
    int32_t sums[16];
    _mm256_storeu_si256((__m256i *)sums, acc[0]);
    _mm256_storeu_si256((__m256i *)(sums + 8), acc[1]);
    for (long lane = 0; lane < 16 && 16 * b + lane < n; lane++) {
        long j = 16 * b + lane;
        finish(y + i * ldy + j, sums[lane], x_scale[i], w_scale[j], bias, j, accumulate);
    }
}

S8_YMM_TARGET static void S8_YMM_NAME(rows)(long m, long n, long kp, const int8_t *q, const float *x_scale,
                                           const int8_t *packed, const float *w_scale, const float *bias, float *y,
                                           long ldy, int accumulate, long first_block, long end_block) {
    const __m256i ones = _mm256_set1_epi16(1);
    (void)ones;
    long groups = kp / 4;
    for (long b = first_block; b < end_block; b++) {
        const int8_t *block = packed + b * kp * 16;
        long i = 0;
        // Four rows at a time: the block's two registers per k group are loaded once and
        // used by every row.
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
                a00 = S8_YMM_DOT(a00, x0, w0);
                a01 = S8_YMM_DOT(a01, x0, w1);
                a10 = S8_YMM_DOT(a10, x1, w0);
                a11 = S8_YMM_DOT(a11, x1, w1);
                a20 = S8_YMM_DOT(a20, x2, w0);
                a21 = S8_YMM_DOT(a21, x2, w1);
                a30 = S8_YMM_DOT(a30, x3, w0);
                a31 = S8_YMM_DOT(a31, x3, w1);
            }
            __m256i r[2];
            r[0] = a00; r[1] = a01; S8_YMM_NAME(store_block)(r, i, b, n, x_scale, w_scale, bias, y, ldy, accumulate);
            r[0] = a10; r[1] = a11; S8_YMM_NAME(store_block)(r, i + 1, b, n, x_scale, w_scale, bias, y, ldy, accumulate);
            r[0] = a20; r[1] = a21; S8_YMM_NAME(store_block)(r, i + 2, b, n, x_scale, w_scale, bias, y, ldy, accumulate);
            r[0] = a30; r[1] = a31; S8_YMM_NAME(store_block)(r, i + 3, b, n, x_scale, w_scale, bias, y, ldy, accumulate);
        }
        // A single row: two k groups per iteration in separate sums, to keep two chains going.
        for (; i < m; i++) {
            const int8_t *r0 = q + i * kp;
            __m256i e0 = _mm256_setzero_si256(), e1 = e0, o0 = e0, o1 = e0;
            long g = 0;
            for (; g + 2 <= groups; g += 2) {
                int32_t v0, v1;
                memcpy(&v0, r0 + 4 * g, 4);
                memcpy(&v1, r0 + 4 * g + 4, 4);
                __m256i x0 = _mm256_set1_epi32(v0), x1 = _mm256_set1_epi32(v1);
                e0 = S8_YMM_DOT(e0, x0, _mm256_loadu_si256((const __m256i *)(block + g * 64)));
                e1 = S8_YMM_DOT(e1, x0, _mm256_loadu_si256((const __m256i *)(block + g * 64 + 32)));
                o0 = S8_YMM_DOT(o0, x1, _mm256_loadu_si256((const __m256i *)(block + g * 64 + 64)));
                o1 = S8_YMM_DOT(o1, x1, _mm256_loadu_si256((const __m256i *)(block + g * 64 + 96)));
            }
            if (g < groups) {
                int32_t v0;
                memcpy(&v0, r0 + 4 * g, 4);
                __m256i x0 = _mm256_set1_epi32(v0);
                e0 = S8_YMM_DOT(e0, x0, _mm256_loadu_si256((const __m256i *)(block + g * 64)));
                e1 = S8_YMM_DOT(e1, x0, _mm256_loadu_si256((const __m256i *)(block + g * 64 + 32)));
            }
            __m256i r[2] = {_mm256_add_epi32(e0, o0), _mm256_add_epi32(e1, o1)};
            S8_YMM_NAME(store_block)(r, i, b, n, x_scale, w_scale, bias, y, ldy, accumulate);
        }
    }
}

/// Rows go in chunks of about 8 KB of activations, so a chunk stays in L1 while the blocks
/// stream past it.
S8_YMM_TARGET static void S8_YMM_NAME(gemm)(long m, long n, long kp, const int8_t *q, const float *x_scale,
                                           const int8_t *packed, const float *w_scale, const float *bias, float *y,
                                           long ldy, int accumulate, long first_block, long end_block) {
    long chunk = (8192 / kp) & ~3L;
    if (chunk < 4) chunk = 4;
    for (long r = 0; r < m; r += chunk) {
        long rows = m - r < chunk ? m - r : chunk;
        S8_YMM_NAME(rows)(rows, n, kp, q + r * kp, x_scale + r, packed, w_scale, bias, y + r * ldy, ldy, accumulate,
                          first_block, end_block);
    }
}
