// A fixed, seeded train/valid/test split: the same pairs and seed give the same three files
// on every machine (the permutation uses only `TrainingRandom` and our own Fisher–Yates).

/// Pairs split into training, validation and test sets.
public struct HeldOutSplit: Sendable {
    /// Everything not held out, in input order.
    public var train: [TextPair]
    /// `validCount` pairs, in input order.
    public var valid: [TextPair]
    /// `testCount` pairs, in input order.
    public var test: [TextPair]

    /// Draws a seeded permutation of `pairs`; its first `testCount` pairs are the test set,
    /// the next `validCount` the validation set, the rest the training set. Each set keeps
    /// the input order. When there are fewer pairs, test is filled first, then valid.
    public init(pairs: [TextPair], testCount: Int, validCount: Int, seed: UInt64) {
        precondition(testCount >= 0 && validCount >= 0, "held-out sizes must not be negative")
        var permutation = Array(pairs.indices)
        var random = TrainingRandom(seed: seed)
        shuffle(&permutation, using: &random)
        let testEnd = min(testCount, pairs.count)
        let validEnd = min(testEnd + validCount, pairs.count)
        func take(_ range: Range<Int>) -> [TextPair] { permutation[range].sorted().map { pairs[$0] } }
        test = take(0 ..< testEnd)
        valid = take(testEnd ..< validEnd)
        train = take(validEnd ..< pairs.count)
    }
}
