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
};

/// The features of this CPU (cached after the first call).
int s2s_cpu_features(void);

/// Cores this process may run on (its affinity mask), at least 1.
int s2s_available_cores(void);

#ifdef __cplusplus
}
#endif
#endif
