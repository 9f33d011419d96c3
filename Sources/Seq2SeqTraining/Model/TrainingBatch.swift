// One padded batch of source/target pairs, as the model's forward pass reads it.
//
// Targets end with the end-of-sequence token; the decoder reads them shifted right behind the
// decoder start token (teacher forcing) and predicts each target token:
//   source        a b c </s> <pad>        (S = 5, length 4)
//   decoder input <start> x y z           (T = 4)
//   target        x y z </s>              (padding where a shorter target ends)

/// Padded token ids of B source/target pairs, row-major.
public struct TrainingBatch: Sendable, Equatable {
    /// Pairs B.
    public let batchSize: Int
    /// Padded source length S.
    public let sourceLength: Int
    /// Padded target length T.
    public let targetLength: Int
    /// Source ids [B, S], padded on the right.
    public let sourceIds: [Int32]
    /// Unpadded length of each source (B values in 1...S); later positions are masked out.
    public let sourceLengths: [Int]
    /// Decoder inputs [B, T]: the start token, then the target without its last token.
    public let decoderInputIds: [Int32]
    /// Targets [B, T], the padding id past each target's end (the loss skips those).
    public let targetIds: [Int32]

    /// A batch from already padded arrays; lengths and sizes must agree.
    public init(sourceIds: [Int32], sourceLengths: [Int], decoderInputIds: [Int32], targetIds: [Int32]) {
        let B = sourceLengths.count
        precondition(B > 0 && sourceIds.count % B == 0 && decoderInputIds.count % B == 0,
                     "\(sourceIds.count) source and \(decoderInputIds.count) decoder ids for \(B) rows")
        precondition(targetIds.count == decoderInputIds.count, "\(targetIds.count) targets for \(decoderInputIds.count) decoder inputs")
        batchSize = B
        sourceLength = sourceIds.count / B
        targetLength = decoderInputIds.count / B
        precondition(sourceLengths.allSatisfy { $0 >= 1 && $0 <= sourceIds.count / B }, "source lengths \(sourceLengths) for S = \(sourceIds.count / B)")
        self.sourceIds = sourceIds
        self.sourceLengths = sourceLengths
        self.decoderInputIds = decoderInputIds
        self.targetIds = targetIds
    }

    /// Pads `sources` and `targets` (each target ending with its end-of-sequence token) with
    /// `padTokenId`, and makes the decoder inputs by shifting the targets right behind
    /// `decoderStartTokenId`.
    public init(sources: [[Int32]], targets: [[Int32]], padTokenId: Int32, decoderStartTokenId: Int32) {
        precondition(!sources.isEmpty && sources.count == targets.count, "\(sources.count) sources for \(targets.count) targets")
        precondition(sources.allSatisfy { !$0.isEmpty } && targets.allSatisfy { !$0.isEmpty }, "an empty source or target")
        let S = sources.map(\.count).max()!, T = targets.map(\.count).max()!
        func padded(_ row: [Int32], _ n: Int) -> [Int32] { row + Array(repeating: padTokenId, count: n - row.count) }
        self.init(sourceIds: sources.flatMap { padded($0, S) }, sourceLengths: sources.map(\.count),
                  decoderInputIds: targets.flatMap { padded([decoderStartTokenId] + $0.dropLast(), T) },
                  targetIds: targets.flatMap { padded($0, T) })
    }

    /// Target tokens the loss counts (those that are not `padTokenId`).
    public func targetTokenCount(padTokenId: Int) -> Int { targetIds.filter { Int($0) != padTokenId }.count }
}
