// T5's relative position bias (transformers models/t5/modeling_t5.py, `T5Attention.compute_bias`):
// a learned table [buckets, H] read at the bucket of every (query, key) offset — a gather
// forward, a scatter-add backward.
//
//   E[h, t, s] = W[bucket(s - t), h]        dW[bucket(s - t), h] += dE[h, t, s]
import Seq2SeqTensor

/// The bias [H, T, S] of queries at positions 0..<T over keys 0..<S from `table` [buckets, H]:
/// bidirectional buckets for an encoder, causal ones for a decoder's self-attention.
public func relativePositionBias(table: Variable, queries T: Int, keys S: Int, bidirectional: Bool,
                                 maxDistance: Int) -> Variable {
    precondition(table.value.rank == 2, "relative position table of \(table.value.shape)")
    let (buckets, H) = (table.value.shape[0], table.value.shape[1])
    var bucketOf = [Int](repeating: 0, count: T * S)
    for t in 0..<T {
        for s in 0..<S {
            bucketOf[t * S + s] = relativePositionBucket(s - t, bidirectional: bidirectional, buckets: buckets, maxDistance: maxDistance)
        }
    }
    let y = Tensor(zeros: [H, T, S])
    for h in 0..<H {
        for i in 0..<(T * S) { y.data[h * T * S + i] = table.value.data[bucketOf[i] * H + h] }
    }
    return Variable.result(y, inputs: [table]) { dY in
        let dW = table.gradientBuffer().data
        for h in 0..<H {
            for i in 0..<(T * S) { dW[bucketOf[i] * H + h] += dY.data[h * T * S + i] }
        }
    }
}
