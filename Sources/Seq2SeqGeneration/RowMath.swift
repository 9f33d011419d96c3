// O(V) operations on one row of scores: log-softmax, argmax, k-th largest, top-k selection,
// and multinomial draws. Rows are `UnsafeMutableBufferPointer<Float>` of length V.
import Foundation
import Seq2SeqTensor

enum RowMath {
    /// Replaces `row` by its log-softmax (HF `log_softmax`: x - max - log Σ exp(x - max)).
    static func logSoftmax(_ row: UnsafeMutableBufferPointer<Float>) {
        VectorMath.logSoftmax(row.baseAddress!, count: row.count)
    }

    /// Log-probability of `index` under softmax(`row`), without modifying the row.
    static func logSoftmax(of index: Int, in row: UnsafeMutableBufferPointer<Float>) -> Float {
        row[index] - VectorMath.logSumExp(row.baseAddress!, count: row.count)
    }

    static func maximum(_ row: UnsafeMutableBufferPointer<Float>) -> Float {
        VectorMath.maximum(row.baseAddress!, count: row.count)
    }

    /// Index of the largest value; the first one on ties (as `torch.argmax`).
    static func argmax(_ row: UnsafeMutableBufferPointer<Float>) -> Int {
        var best = 0
        var m = row[0]
        for i in 1..<row.count where row[i] > m { m = row[i]; best = i }
        return best
    }

    /// The `k`-th largest value of `row` (1-based), found by quickselect on `scratch` (≥ row.count).
    static func kthLargest(_ row: UnsafeMutableBufferPointer<Float>, k: Int, scratch: UnsafeMutablePointer<Float>) -> Float {
        precondition(k >= 1 && k <= row.count, "k out of range")
        let n = row.count
        scratch.update(from: row.baseAddress!, count: n)
        var lo = 0, hi = n - 1
        let target = k - 1
        while lo < hi {
            let pivot = scratch[(lo + hi) / 2]
            var i = lo, j = hi
            while i <= j {
                while scratch[i] > pivot { i += 1 }
                while scratch[j] < pivot { j -= 1 }
                if i <= j { scratch.swapAt(i, j); i += 1; j -= 1 }
            }
            if target <= j { hi = j } else if target >= i { lo = i } else { break }
        }
        return scratch[target]
    }

    /// The `k` largest values of `values` with their indices, best first; ties go to the lower
    /// index. One pass with a small sorted buffer: O(n) when k is small.
    static func topK(_ values: UnsafeBufferPointer<Float>, k: Int, into best: inout [(value: Float, index: Int)]) {
        best.removeAll(keepingCapacity: true)
        for i in values.indices { offer(values[i], index: i, k: k, to: &best) }
    }

    /// Puts (value, index) into `best` — at most `k` entries, best first — when it beats the
    /// last one; offered in index order, equal values keep the earlier index first.
    @inline(__always)
    static func offer(_ value: Float, index: Int, k: Int, to best: inout [(value: Float, index: Int)]) {
        if best.count == k {
            guard value > best[k - 1].value else { return }
            best.removeLast()
        }
        var p = best.count
        while p > 0 && best[p - 1].value < value { p -= 1 }
        best.insert((value, index), at: p)
    }

    /// Draws an index with probability proportional to `weights` (non-negative), by the
    /// cumulative sum; `u` is uniform in [0, 1).
    static func drawIndex(weights: UnsafeBufferPointer<Float>, total: Double, u: Double) -> Int {
        let target = u * total
        var running: Double = 0
        var last = 0
        for i in weights.indices where weights[i] > 0 {
            running += Double(weights[i])
            last = i
            if running > target { return i }
        }
        return last
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]; self[i] = self[j]; self[j] = t
    }
}
