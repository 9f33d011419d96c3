// float32 <-> IEEE float16 conversion of weight panels: F16C when the CPU has it, the
// compiler's _Float16 arithmetic otherwise (round to nearest even either way).
#include "s2s_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define S2S_F16C __attribute__((target("avx,f16c")))

static S2S_F16C int to_f16_f16c(const float *x, uint16_t *y, long n) {
    int exact = 1;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128((__m128i *)(y + i), h);
        __m256 back = _mm256_cvtph_ps(h);
        // NaN payloads are not kept: a NaN compares unequal and makes the copy inexact.
        exact &= _mm256_movemask_ps(_mm256_cmp_ps(back, v, _CMP_EQ_OQ)) == 0xff;
    }
    for (; i < n; i++) {
        _Float16 h = (_Float16)x[i];
        __builtin_memcpy(y + i, &h, 2);
        exact &= (float)h == x[i];
    }
    return exact;
}

static S2S_F16C void to_f32_f16c(const uint16_t *x, float *y, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) {
        _Float16 h;
        __builtin_memcpy(&h, x + i, 2);
        y[i] = (float)h;
    }
}
#endif

int s2s_f32_to_f16_exact(const float *x, uint16_t *y, long n) {
#if defined(__x86_64__)
    if (s2s_cpu_features() & S2S_CPU_F16C) return to_f16_f16c(x, y, n);
#endif
    int exact = 1;
    for (long i = 0; i < n; i++) {
        _Float16 h = (_Float16)x[i];
        __builtin_memcpy(y + i, &h, 2);
        exact &= (float)h == x[i];
    }
    return exact;
}

void s2s_f16_to_f32(const uint16_t *x, float *y, long n) {
#if defined(__x86_64__)
    if (s2s_cpu_features() & S2S_CPU_F16C) { to_f32_f16c(x, y, n); return; }
#endif
    for (long i = 0; i < n; i++) {
        _Float16 h;
        __builtin_memcpy(&h, x + i, 2);
        y[i] = (float)h;
    }
}
