// Batches of tokenized pairs by token count, as fairseq's `batch_by_size` and Marian's
// length-sorted mini-batches do: pairs sorted by length so that a batch holds pairs of
// similar length (little padding), cut greedily under a padded-token budget, batch order
// shuffled every epoch. Written anew here from those designs.
//
// Lengths. A pair with source ids x (used as given: append the encoder's end-of-sequence id
// before batching if the model expects one) and target ids y has
//   S_i = |x|        the encoder positions,
//   T_i = |y| + 1    the decoder positions: input [start] + y, labels y + [eos].
// Budget. A batch of B pairs is padded to S = max S_i and T = max T_i and must satisfy
//   B·S + B·T ≤ maxTokens   (padding counted, both sides summed; this bounds the activations
//                            of encoder and decoder together)
// and B ≤ maxSentences. (fairseq's `--max-tokens` is B·max(S, T) instead; Marian's
// `--mini-batch-words` counts target words without padding.)
//
// Epoch plan. Every epoch draws a random key per pair from the epoch's generator, sorts the
// pairs by (S_i, T_i, key) — so equal-length pairs are grouped differently each epoch — cuts
// batches greedily in that order, then shuffles the batch order (Fisher–Yates). The plan is a
// function of the pairs, the options and the generator at the start of the epoch, which is
// what `BatcherState` saves: a resumed batcher replays the plan and continues at the same
// batch.
import Foundation
import Seq2SeqTensor

/// A tokenized training pair.
public struct TokenizedPair: Hashable, Sendable, Codable {
    /// Source ids, fed to the encoder as they are.
    public var source: [Int32]
    /// Target ids without start and end tokens; the batcher adds them.
    public var target: [Int32]

    /// A pair of id sequences.
    public init(source: [Int32], target: [Int32]) {
        self.source = source
        self.target = target
    }
}

/// How `TokenBatcher` cuts and pads batches.
public struct TokenBatcherOptions: Sendable, Codable, Equatable {
    /// Token budget of one batch, padding included: B·S + B·T ≤ maxTokens. Default 4096.
    public var maxTokens: Int
    /// At most this many pairs per batch; nil for no limit. Default nil.
    public var maxSentences: Int?
    /// Pairs with S_i or T_i above this are dropped (and counted); nil keeps all. Default 256.
    public var maxLength: Int?
    /// The decoder start id, first in every decoder input row.
    public var startID: Int32
    /// The end-of-sequence id, appended to every label row.
    public var eosID: Int32
    /// The padding id of source and decoder input rows.
    public var padID: Int32
    /// The padding id of label rows, which the loss ignores. Default -100 (PyTorch's
    /// `ignore_index`).
    public var labelPadID: Int32
    /// Seed of the per-epoch sorting keys and batch order. Default 1.
    public var seed: UInt64

    /// Options; the special ids have no default because they belong to the vocabulary.
    public init(maxTokens: Int = 4096, maxSentences: Int? = nil, maxLength: Int? = 256,
                startID: Int32, eosID: Int32, padID: Int32, labelPadID: Int32 = -100, seed: UInt64 = 1) {
        self.maxTokens = maxTokens
        self.maxSentences = maxSentences
        self.maxLength = maxLength
        self.startID = startID
        self.eosID = eosID
        self.padID = padID
        self.labelPadID = labelPadID
        self.seed = seed
    }
}

/// Where a `TokenBatcher` is: save it with a checkpoint and pass it back to resume at exactly
/// the next batch.
public struct BatcherState: Codable, Sendable, Equatable {
    /// The epoch, counted from 0.
    public var epoch: Int
    /// How many batches of this epoch's order have been handed out.
    public var position: Int
    /// The generator as it was at the start of this epoch (the plan is rebuilt from it).
    public var random: TrainingRandom
    /// How many pairs the batcher was built over; a resumed batcher must get the same count.
    public var pairCount: Int
}

/// How many pairs the batcher uses and why it dropped the others.
public struct TokenBatcherStatistics: Sendable, Equatable {
    /// Pairs given.
    public var inputCount = 0
    /// Pairs batched.
    public var keptCount = 0
    /// Dropped because S_i or T_i exceeds `maxLength`.
    public var droppedTooLong = 0
    /// Dropped because the source is empty.
    public var droppedEmptySource = 0
    /// Dropped because the pair alone (S_i + T_i) exceeds `maxTokens`.
    public var droppedOverBudget = 0
}

/// A padded batch: rows are pairs, columns positions, row-major.
public struct Batch: Sendable, Equatable {
    /// The epoch it belongs to, counted from 0.
    public let epoch: Int
    /// Its place in the epoch's batch order, counted from 0.
    public let indexInEpoch: Int
    /// For each row, the pair's index in the batcher's input. [B]
    public let pairIndices: [Int]
    /// Rows, B.
    public let batchSize: Int
    /// Padded source length, S.
    public let sourceLength: Int
    /// Padded decoder length, T.
    public let targetLength: Int
    /// Source ids padded with `padID`. [B, S]
    public let sourceIDs: [Int32]
    /// Real source length of each row. [B]
    public let sourceLengths: [Int]
    /// [start] + target, padded with `padID`. [B, T]
    public let decoderInputIDs: [Int32]
    /// target + [eos], padded with `labelPadID`. [B, T]
    public let labels: [Int32]
    /// Real decoder length of each row (target count + 1). [B]
    public let targetLengths: [Int]

    /// Real (not padding) source tokens, Σ sourceLengths.
    public var sourceTokenCount: Int { sourceLengths.reduce(0, +) }
    /// Real label tokens (what the loss averages over), Σ targetLengths.
    public var targetTokenCount: Int { targetLengths.reduce(0, +) }
    /// Positions including padding, B·S + B·T — the quantity `maxTokens` bounds.
    public var paddedTokenCount: Int { batchSize * (sourceLength + targetLength) }
}

/// Why a `TokenBatcher` cannot be built.
public struct TokenBatcherError: Seq2SeqError, Error, CustomStringConvertible, Equatable, Sendable {
    /// One line saying what is wrong.
    public let description: String
}

/// Hands out padded batches of tokenized pairs forever, epoch after epoch.
///
///     var batcher = try TokenBatcher(pairs: pairs, options: .init(maxTokens: 8192, startID: 0, eosID: 2, padID: 1))
///     let batch = batcher.next()            // [B, S] source, [B, T] decoder input and labels
///     checkpoint.batcher = batcher.state    // later: TokenBatcher(pairs:options:resumingFrom:)
public struct TokenBatcher: Sendable {
    /// The options it was built with.
    public let options: TokenBatcherOptions
    /// What was kept and dropped.
    public let statistics: TokenBatcherStatistics
    /// The position to save for resuming.
    public private(set) var state: BatcherState

    private let pairs: [TokenizedPair]
    private let kept: [Int]
    private var plan: EpochPlan

    /// A batcher over `pairs`, at the start of epoch 0 or at a saved `state`. Throws when no
    /// pair survives the length filters, or when `state` was saved over a different number of
    /// pairs.
    public init(pairs: [TokenizedPair], options: TokenBatcherOptions, resumingFrom saved: BatcherState? = nil) throws {
        precondition(options.maxTokens > 0 && (options.maxSentences ?? 1) > 0, "maxTokens and maxSentences must be positive")
        var statistics = TokenBatcherStatistics(inputCount: pairs.count)
        var kept: [Int] = []
        kept.reserveCapacity(pairs.count)
        for (i, pair) in pairs.enumerated() {
            let s = pair.source.count, t = pair.target.count + 1
            if s == 0 {
                statistics.droppedEmptySource += 1
            } else if let limit = options.maxLength, s > limit || t > limit {
                statistics.droppedTooLong += 1
            } else if s + t > options.maxTokens {
                statistics.droppedOverBudget += 1
            } else {
                kept.append(i)
            }
        }
        statistics.keptCount = kept.count
        guard !kept.isEmpty else {
            throw TokenBatcherError(description: "no pair to batch: \(pairs.count) given, \(statistics.droppedEmptySource) with an "
                + "empty source, \(statistics.droppedTooLong) over maxLength, \(statistics.droppedOverBudget) over maxTokens")
        }
        let state = saved ?? BatcherState(epoch: 0, position: 0, random: TrainingRandom(seed: options.seed), pairCount: pairs.count)
        guard state.pairCount == pairs.count else {
            throw TokenBatcherError(description: "saved batcher state is for \(state.pairCount) pairs, not \(pairs.count)")
        }
        self.options = options
        self.statistics = statistics
        self.pairs = pairs
        self.kept = kept
        self.state = state
        plan = EpochPlan(pairs: pairs, kept: kept, options: options, random: state.random)
    }

    /// Batches in the current epoch.
    public var batchesInEpoch: Int { plan.batches.count }

    /// The next batch; after the last batch of an epoch, the first of the next.
    public mutating func next() -> Batch {
        if state.position >= plan.batches.count {
            state = BatcherState(epoch: state.epoch + 1, position: 0, random: plan.randomAfter, pairCount: pairs.count)
            plan = EpochPlan(pairs: pairs, kept: kept, options: options, random: state.random)
        }
        let rows = plan.order[plan.batches[state.position]]
        defer { state.position += 1 }
        return makeBatch(rows: Array(rows), epoch: state.epoch, index: state.position)
    }

    /// Pads the pairs `rows` into a batch.
    private func makeBatch(rows: [Int], epoch: Int, index: Int) -> Batch {
        let b = rows.count
        let sourceLengths = rows.map { pairs[$0].source.count }
        let targetLengths = rows.map { pairs[$0].target.count + 1 }
        let s = sourceLengths.max() ?? 0, t = targetLengths.max() ?? 0
        var source = [Int32](repeating: options.padID, count: b * s)     // [B, S]
        var input = [Int32](repeating: options.padID, count: b * t)      // [B, T]
        var labels = [Int32](repeating: options.labelPadID, count: b * t) // [B, T]
        for (row, i) in rows.enumerated() {
            let pair = pairs[i]
            source.replaceSubrange(row * s ..< row * s + pair.source.count, with: pair.source)
            input[row * t] = options.startID
            input.replaceSubrange(row * t + 1 ..< row * t + 1 + pair.target.count, with: pair.target)
            labels.replaceSubrange(row * t ..< row * t + pair.target.count, with: pair.target)
            labels[row * t + pair.target.count] = options.eosID
        }
        return Batch(epoch: epoch, indexInEpoch: index, pairIndices: rows, batchSize: b, sourceLength: s, targetLength: t,
                     sourceIDs: source, sourceLengths: sourceLengths, decoderInputIDs: input, labels: labels,
                     targetLengths: targetLengths)
    }
}

/// One epoch's batches: pair indices sorted by length, cut into ranges, ranges shuffled.
private struct EpochPlan: Sendable {
    /// Pair indices in length order.
    let order: [Int]
    /// Ranges of `order`, in the order the epoch hands them out.
    let batches: [Range<Int>]
    /// The generator after planning: the next epoch starts from it.
    let randomAfter: TrainingRandom

    init(pairs: [TokenizedPair], kept: [Int], options: TokenBatcherOptions, random start: TrainingRandom) {
        var random = start
        let keyed = kept.map { i in (s: pairs[i].source.count, t: pairs[i].target.count + 1, key: random.next(), index: i) }
        order = keyed.sorted { ($0.s, $0.t, $0.key, $0.index) < ($1.s, $1.t, $1.key, $1.index) }.map(\.index)
        var batches = Self.cut(order.map { (pairs[$0].source.count, pairs[$0].target.count + 1) }, options: options)
        shuffle(&batches, using: &random)
        self.batches = batches
        randomAfter = random
    }

    /// Greedy cut of length-sorted (S_i, T_i): a batch grows while B·(S + T) ≤ maxTokens and
    /// B ≤ maxSentences.
    private static func cut(_ lengths: [(Int, Int)], options: TokenBatcherOptions) -> [Range<Int>] {
        var batches: [Range<Int>] = []
        var start = 0, maxS = 0, maxT = 0
        for (i, (s, t)) in lengths.enumerated() {
            let count = i - start + 1
            let newS = max(maxS, s), newT = max(maxT, t)
            let fits = count * (newS + newT) <= options.maxTokens && count <= (options.maxSentences ?? Int.max)
            if fits {
                maxS = newS
                maxT = newT
            } else {
                batches.append(start ..< i)
                start = i
                maxS = s
                maxT = t
            }
        }
        if start < lengths.count { batches.append(start ..< lengths.count) }
        return batches
    }
}

/// Fisher–Yates with our own bounded draw (multiply-high), so the permutation depends only on
/// the generator, not on the standard library's shuffle algorithm.
func shuffle<T>(_ items: inout [T], using random: inout TrainingRandom) {
    guard items.count > 1 else { return }
    for i in stride(from: items.count - 1, to: 0, by: -1) {
        let j = Int(random.next().multipliedFullWidth(by: UInt64(i + 1)).high)
        items.swapAt(i, j)
    }
}

extension TokenBatcherError: LocalizedError {
    /// The one-line description, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}
