// Row loops of the element-wise ops spread over the shared thread pool.
import Seq2SeqTensor

/// Splits `0..<count` into contiguous parts of at least `minimumPart` items and runs
/// `body(part, range)` for each, in parallel on the shared pool; `parts` tells the caller how
/// many partial results to allocate. Small loops run serially on the caller.
func forEachPart(_ count: Int, minimumPart: Int, _ body: (_ part: Int, _ range: Range<Int>) -> Void) {
    let parts = parallelParts(count, minimumPart: minimumPart)
    if parts <= 1 { return body(0, 0..<count) }
    ThreadPool.shared.parallelFor(parts) { p in body(p, count * p / parts..<count * (p + 1) / parts) }
}

/// How many parts `forEachPart` makes (4 per thread for balance when another process holds a core).
func parallelParts(_ count: Int, minimumPart: Int) -> Int {
    max(1, min(4 * ThreadPool.shared.threadCount, count / max(minimumPart, 1)))
}
