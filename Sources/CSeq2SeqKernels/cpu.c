// Runtime CPU feature detection.
#include "s2s_kernels.h"
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static int detect(void) {
    unsigned a, b, c, d;
    int f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    unsigned xlo, xhi;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    int ymm = (xlo & 0x6) == 0x6, zmm = (xlo & 0xe6) == 0xe6;
    if (!ymm) return 0;
    if (f16c) f |= S2S_CPU_F16C;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
    int avx2 = (b >> 5) & 1;
    // AMX-TILE and AMX-INT8 (EDX bits 24, 25), with the tile state enabled in XCR0 (bits 17, 18).
    if (((d >> 24) & 3) == 3 && ((xlo >> 17) & 3) == 3) f |= S2S_CPU_AMX_INT8;
    if (avx2 && fma) f |= S2S_CPU_AVX2_FMA;
    int avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1, avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
    unsigned a1, b1, c1, d1;
    int leaf71 = __get_cpuid_count(7, 1, &a1, &b1, &c1, &d1);
    if (leaf71 && avx2 && ((a1 >> 4) & 1)) f |= S2S_CPU_AVX_VNNI;
    if (zmm && avx512f && avx512dq && avx512bw && avx512vl) {
        f |= S2S_CPU_AVX512;
        if ((c >> 11) & 1) f |= S2S_CPU_AVX512_VNNI;
        if (leaf71 && ((a1 >> 5) & 1)) f |= S2S_CPU_AVX512_BF16;
    }
    return f;
}
#else
static int detect(void) { return 0; }
#endif

int s2s_cpu_features(void) {
    static int cached = -1;
    if (cached < 0) cached = detect();
    return cached;
}
