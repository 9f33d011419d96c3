// Returning freed heap pages to the system after a model load.
#include "s2s_kernels.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void s2s_release_free_memory(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
