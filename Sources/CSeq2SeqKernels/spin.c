// Bounded spin-waiting for the thread pool: cheaper than a futex wake for short gaps.
#include <time.h>
#include "s2s_kernels.h"

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

int s2s_spin_until_changed(const long *p, long value, long nanoseconds) {
    long deadline = now_ns() + nanoseconds;
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (s2s_atomic_load(p) != value) return 1;
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        if (now_ns() >= deadline) return s2s_atomic_load(p) != value;
    }
}
