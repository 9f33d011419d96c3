// Bounded spin-waiting for the thread pool: cheaper than a futex wake for short gaps.
//
// After a few pause-spins the waiter yields between checks (as OpenBLAS's idle threads
// do): on an idle machine that still returns at once, and when other processes compete for
// the cores it lets a preempted worker of ours, or them, run instead of the spinner.
#include <sched.h>
#include <time.h>
#include "s2s_kernels.h"

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

int s2s_spin_until_changed(const long *p, long value, long nanoseconds) {
    for (int i = 0; i < 256; i++) {
        if (s2s_atomic_load(p) != value) return 1;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    long deadline = now_ns() + nanoseconds;
    for (;;) {
        if (s2s_atomic_load(p) != value) return 1;
        sched_yield();
        if (now_ns() >= deadline) return s2s_atomic_load(p) != value;
    }
}
