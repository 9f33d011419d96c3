// Number of cores this process may use.
#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>
#include "s2s_kernels.h"

int s2s_available_cores(void) {
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
