// Per-thread packing buffers for the GEMM driver: grown on demand, freed at thread exit.
#include <pthread.h>
#include <stdlib.h>
#include "s2s_kernels.h"

typedef struct {
    float *data[2];
    size_t capacity[2];
} scratch_t;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *raw) {
    scratch_t *s = raw;
    free(s->data[0]);
    free(s->data[1]);
    free(s);
}

static void scratch_make_key(void) { pthread_key_create(&scratch_key, scratch_free); }

float *s2s_thread_scratch(int slot, size_t count) {
    pthread_once(&scratch_once, scratch_make_key);
    scratch_t *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = calloc(1, sizeof(scratch_t));
        if (!s) abort();
        pthread_setspecific(scratch_key, s);
    }
    if (s->capacity[slot] < count) {
        free(s->data[slot]);
        size_t bytes = ((count * sizeof(float) + 63) / 64) * 64;
        void *p = NULL;
        if (posix_memalign(&p, 64, bytes) != 0) abort();
        s->data[slot] = p;
        s->capacity[slot] = count;
    }
    return s->data[slot];
}
