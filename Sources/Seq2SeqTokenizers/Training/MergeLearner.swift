// The merge loop of BPE training (Sennrich et al. 2016, "Neural Machine Translation of Rare
// Words with Subword Units"), with the bookkeeping of huggingface/tokenizers
// tokenizers/src/models/bpe/trainer.rs written anew: pair counts over the word-frequency table,
// an index from each pair to the words holding it, and a priority queue with lazy deletion.
// Each merge touches only the words that contain its pair and pushes the pairs whose counts
// changed; stale queue entries are skipped when popped.

/// Token strings ⇄ ids while training: the reserved tokens first, then the alphabet, then one
/// token per new merge.
struct TrainingVocabulary {
    /// Each token's UTF-8 bytes, by id.
    private(set) var tokens: [[UInt8]] = []
    /// Each token's length in Unicode scalars, by id.
    private(set) var lengths: [Int] = []
    private(set) var ids: [[UInt8]: Int32] = [:]
    /// Ids below this are reserved (special, user and byte tokens): no merge may produce them.
    private(set) var reservedCount = 0

    /// Appends `token` unless present; returns its id.
    @discardableResult
    mutating func add(_ token: [UInt8], length: Int) -> Int32 {
        if let id = ids[token] { return id }
        let id = Int32(tokens.count)
        tokens.append(token)
        lengths.append(length)
        ids[token] = id
        return id
    }

    /// Marks every token so far as reserved.
    mutating func reserveAll() { reservedCount = tokens.count }

    var count: Int { tokens.count }
}

/// The training words: each word's symbols (token ids), end to end in one buffer so that a
/// merge visiting thousands of words reads memory in few places, and how often each occurs.
/// Merging only shortens a word, so it stays where it is.
struct TrainingWords {
    /// Where a word's symbols are and how often it occurs, side by side (one memory read per word).
    struct Entry {
        let start: Int
        let count: Int
        var length: Int32
    }

    fileprivate(set) var symbols: [Int32] = []
    fileprivate(set) var entries: [Entry] = []

    /// Appends a word that occurs `count` times.
    mutating func append(_ word: [Int32], count: Int) {
        entries.append(Entry(start: symbols.count, count: count, length: Int32(word.count)))
        symbols += word
    }

    /// Number of words.
    var count: Int { entries.count }
}

/// Learns merges over a word table until the vocabulary reaches a size or no pair occurs
/// `minimumFrequency` times.
///
/// The pair merged next is the most frequent; among equally frequent pairs, the one whose left
/// token is smallest, then whose right token is smallest, comparing UTF-8 bytes (so code point
/// order: ASCII before "▁"). A pair is skipped when its merged token would be longer than
/// `maximumTokenLength` scalars or would spell a reserved token (`<0x41>`, `<pad>`). When a merge
/// spells a token that already exists (`ab`+`c` after `a`+`bc`), the merge is recorded and
/// reuses that token's id, as the `tokenizers` trainer does.
struct MergeLearner {
    private(set) var vocabulary: TrainingVocabulary
    /// Merges in the order learned, as (left id, right id).
    private(set) var merges: [(Int32, Int32)] = []
    private var words: TrainingWords
    private let minimumFrequency: Int
    private let maximumTokenLength: Int

    private var pairCounts: [UInt64: Int] = [:]
    /// The words that contain each pair (maybe also some that no longer do), each listed once.
    private var wordsWithPair: [UInt64: [Int32]] = [:]
    private var queue: [QueueEntry] = []
    /// Pairs never to merge (too long, or spelling a reserved token).
    private var skipped: Set<UInt64> = []
    /// The token each merged pair became.
    private var learned: [UInt64: Int32] = [:]
    private var deltas: [UInt64: Int] = [:]

    private struct QueueEntry {
        let count: Int
        let pair: UInt64
    }

    init(words: TrainingWords, vocabulary: TrainingVocabulary, minimumFrequency: Int, maximumTokenLength: Int) {
        self.words = words
        self.vocabulary = vocabulary
        self.minimumFrequency = max(1, minimumFrequency)
        self.maximumTokenLength = maximumTokenLength
        countPairs()
    }

    @inline(__always) private static func pair(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    @inline(__always) private static func split(_ p: UInt64) -> (Int32, Int32) {
        (Int32(bitPattern: UInt32(truncatingIfNeeded: p >> 32)), Int32(bitPattern: UInt32(truncatingIfNeeded: p)))
    }

    private mutating func countPairs() {
        for (w, entry) in words.entries.enumerated() where entry.length > 1 {
            for i in entry.start..<entry.start + Int(entry.length) - 1 {
                let p = MergeLearner.pair(words.symbols[i], words.symbols[i + 1])
                pairCounts[p, default: 0] += entry.count
                if wordsWithPair[p]?.last != Int32(w) { wordsWithPair[p, default: []].append(Int32(w)) }
            }
        }
        queue = pairCounts.map { QueueEntry(count: $0.value, pair: $0.key) }
        for i in stride(from: queue.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    }

    /// Merges until the vocabulary has `size` tokens or no pair is frequent enough.
    mutating func run(untilVocabularySize size: Int) {
        while vocabulary.count < size, let entry = popQueue() {
            let current = pairCounts[entry.pair] ?? 0
            if current != entry.count || skipped.contains(entry.pair) { continue }
            if current < minimumFrequency { break }
            if let merged = learned[entry.pair] {
                // The pair reappeared because a later merge respelled one of its tokens: merge it
                // again in the words, without a second entry in the merge list.
                apply(entry.pair, into: merged)
                continue
            }
            guard let merged = newToken(for: entry.pair) else { skipped.insert(entry.pair); continue }
            merges.append(MergeLearner.split(entry.pair))
            learned[entry.pair] = merged
            apply(entry.pair, into: merged)
        }
    }

    /// The id of the token pair `p` merges into (added to the vocabulary if new), or nil when
    /// the pair must not be merged.
    private mutating func newToken(for p: UInt64) -> Int32? {
        let (a, b) = MergeLearner.split(p)
        let length = vocabulary.lengths[Int(a)] + vocabulary.lengths[Int(b)]
        if length > maximumTokenLength { return nil }
        let bytes = vocabulary.tokens[Int(a)] + vocabulary.tokens[Int(b)]
        if let existing = vocabulary.ids[bytes] { return Int(existing) < vocabulary.reservedCount ? nil : existing }
        return vocabulary.add(bytes, length: length)
    }

    /// Replaces every occurrence of pair `p` by `merged` and updates the pair counts, the pair
    /// index and the queue.
    private mutating func apply(_ p: UInt64, into merged: Int32) {
        guard let holders = wordsWithPair.removeValue(forKey: p) else { return }
        deltas.removeAll(keepingCapacity: true)
        var symbols: [Int32] = []
        swap(&symbols, &words.symbols)
        symbols.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var created: [UInt64] = []
            for w in holders {
                created.removeAll(keepingCapacity: true)
                mergeWord(Int(w), at: base, p, into: merged, created: &created)
                for q in created where wordsWithPair[q]?.last != w { wordsWithPair[q, default: []].append(w) }
            }
        }
        swap(&symbols, &words.symbols)
        pairCounts[p] = nil
        for (q, delta) in deltas where q != p && delta != 0 {
            let n = (pairCounts[q] ?? 0) + delta
            if n > 0 {
                pairCounts[q] = n
                if !skipped.contains(q) { pushQueue(QueueEntry(count: n, pair: q)) }
            } else {
                pairCounts[q] = nil
            }
        }
    }

    /// Merges pair `p` = (a, b) into `c` left to right in word `w` of the symbol buffer at
    /// `base` (an overlapping `a a a` becomes `c a`), recording the count changes of the
    /// neighbouring pairs and the pairs created.
    private mutating func mergeWord(_ w: Int, at base: UnsafeMutablePointer<Int32>, _ p: UInt64, into c: Int32,
                                    created: inout [UInt64]) {
        let (a, b) = MergeLearner.split(p)
        let entry = words.entries[w]
        let s = base + entry.start
        let n = Int(entry.length)
        let f = entry.count
        var read = 0, write = 0
        while read < n {
            guard read + 1 < n && s[read] == a && s[read + 1] == b else {
                s[write] = s[read]
                read += 1
                write += 1
                continue
            }
            if write > 0 {
                let previous = s[write - 1]
                deltas[MergeLearner.pair(previous, a), default: 0] -= f
                deltas[MergeLearner.pair(previous, c), default: 0] += f
                created.append(MergeLearner.pair(previous, c))
            }
            if read + 2 < n {
                let next = s[read + 2]
                deltas[MergeLearner.pair(b, next), default: 0] -= f
                deltas[MergeLearner.pair(c, next), default: 0] += f
                created.append(MergeLearner.pair(c, next))
            }
            s[write] = c
            read += 2
            write += 1
        }
        words.entries[w].length = Int32(write)
    }

    // MARK: Priority queue (a binary max-heap by count, then by the pair's strings)

    /// Whether `x` is merged before `y`.
    private func precedes(_ x: QueueEntry, _ y: QueueEntry) -> Bool {
        if x.count != y.count { return x.count > y.count }
        let (xa, xb) = MergeLearner.split(x.pair)
        let (ya, yb) = MergeLearner.split(y.pair)
        let t = vocabulary.tokens
        if xa != ya { return t[Int(xa)].lexicographicallyPrecedes(t[Int(ya)]) }
        return t[Int(xb)].lexicographicallyPrecedes(t[Int(yb)])
    }

    private mutating func pushQueue(_ entry: QueueEntry) {
        queue.append(entry)
        var i = queue.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard precedes(queue[i], queue[parent]) else { break }
            queue.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func popQueue() -> QueueEntry? {
        guard let top = queue.first else { return nil }
        let last = queue.removeLast()
        if !queue.isEmpty {
            queue[0] = last
            siftDown(0)
        }
        return top
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var best = i
            if l < queue.count && precedes(queue[l], queue[best]) { best = l }
            if r < queue.count && precedes(queue[r], queue[best]) { best = r }
            if best == i { return }
            queue.swapAt(i, best)
            i = best
        }
    }
}
