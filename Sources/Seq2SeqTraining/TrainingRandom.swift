// The seeded random numbers of training (dropout masks, initialisation, shuffling):
// xoshiro256** seeded through SplitMix64, so a run is reproducible from its seed and its
// state can be saved in a checkpoint and restored.

/// A seeded, copyable random number generator (xoshiro256**).
public struct TrainingRandom: RandomNumberGenerator, Sendable, Codable, Equatable {
    // Four words of state as stored properties: an array here would cost a uniqueness check
    // and bounds checks per number, and dropout draws one number per activation.
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The four words of generator state; save them to resume a run exactly.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// A generator whose whole sequence is fixed by `seed`.
    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        (s0, s1, s2, s3) = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    private enum CodingKeys: String, CodingKey { case state }

    /// Reads `{"state": [w0, w1, w2, w3]}`.
    public init(from decoder: Decoder) throws {
        let words = try decoder.container(keyedBy: CodingKeys.self).decode([UInt64].self, forKey: .state)
        guard words.count == 4 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "4 state words expected"))
        }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
    }

    /// Writes `{"state": [w0, w1, w2, w3]}`.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
    }

    /// The next 64 random bits.
    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// A float uniform in [0, 1) with 24 random bits.
    @inlinable @inline(__always)
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    @usableFromInline @inline(__always)
    func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
