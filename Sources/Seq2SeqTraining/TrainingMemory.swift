// Memory reuse across training steps. A step allocates and frees the same large tensors
// every time (logits [B·T, V] and their gradient, feed-forward activations). glibc hands
// blocks above its mmap threshold (at most 32 MiB) back to the kernel when freed, and
// trims the heap top, so the next step gets fresh pages: one page fault and a kernel zeroing
// per 4 KiB. On the small preset at 4096 tokens that is ~100k faults per step (`perf stat`).
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator settings for training loops.
public enum TrainingMemory {
    /// Makes glibc keep freed memory for reuse instead of returning it to the kernel (no
    /// `mmap` blocks, `M_MMAP_MAX` 0; no trimming, `M_TRIM_THRESHOLD` at its maximum), so every step after the first reuses the
    /// pages of the one before. Affects the whole process; call once before training. The
    /// process's resident size then stays at the peak of one step. No effect off glibc.
    public static func keepFreedMemory() {
        #if canImport(Glibc)
        // <malloc.h> is not part of the Glibc module: look `mallopt` up by name.
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
        let (mmapMax, trimThreshold): (Int32, Int32) = (-4, -1)  // M_MMAP_MAX, M_TRIM_THRESHOLD
        _ = mallopt(mmapMax, 0)  // every block from the heap (the mmap threshold cannot exceed 32 MiB)
        _ = mallopt(trimThreshold, Int32.max)
        #endif
    }
}
