// T5's bucketed relative positions (transformers models/t5/modeling_t5.py,
// `T5Attention._relative_position_bucket`, v5.24): exact buckets for short distances, then
// logarithmically wider ones up to `maxDistance`; bidirectional (encoder) buckets keep the
// sign in the upper half. Shared by the inference engine and the trainer.
import Foundation

/// T5's relative position bucket of `relative` = key position − query position.
public func relativePositionBucket(_ relative: Int, bidirectional: Bool, buckets: Int, maxDistance: Int) -> Int {
    var n = buckets
    var bucket = 0
    var distance: Int
    if bidirectional {
        n /= 2
        if relative > 0 { bucket += n }
        distance = abs(relative)
    } else {
        distance = -min(relative, 0)
    }
    let maxExact = n / 2
    if distance < maxExact { return bucket + distance }
    // Computed in float32 as the reference does, then truncated toward zero.
    let ratio = Float(distance) / Float(maxExact)
    let logRatio = Float(log(Double(ratio))) / Float(log(Double(maxDistance) / Double(maxExact)))
    let large = maxExact + Int(logRatio * Float(n - maxExact))
    return bucket + min(large, n - 1)
}
