// SentencePiece's BPE segmentation: start from characters (user-defined symbols whole and
// frozen), repeatedly merge the adjacent pair whose merged piece has the highest score
// (leftmost on ties), then split UNUSED pieces back into the pairs they came from.
// Modelled on github.com/google/sentencepiece src/bpe_model.cc (Model::SampleEncode with no
// dropout); written anew here.

/// A candidate merge of symbols `left` and `right`, valid while their sizes still add to `size`.
private struct Candidate {
    var score: Float
    var left: Int32
    var right: Int32
    var size: Int32

    /// Whether `self` is merged before `other`: higher score, then leftmost.
    @inline(__always) func precedes(_ other: Candidate) -> Bool {
        score > other.score || (score == other.score && left < other.left)
    }
}

/// A symbol of the BPE linked list: bytes `start ..< start + size` of the text (size 0 once
/// merged into its left neighbour), its neighbours (-1: none), and the trie node its bytes
/// lead to (-1 when they are no vocabulary prefix), so that a merge walks only the right part.
private struct BPESymbol {
    var start: Int
    var size: Int
    var prev: Int32
    var next: Int32
    var frozen: Bool
    var node: Int
}

/// A binary max-heap of candidates ordered by `Candidate.precedes`.
private struct CandidateHeap {
    var items: [Candidate] = []

    mutating func push(_ c: Candidate) {
        items.append(c)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].precedes(items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < items.count, items[l].precedes(items[best]) { best = l }
                if r < items.count, items[r].precedes(items[best]) { best = r }
                if best == i { break }
                items.swapAt(i, best)
                i = best
            }
        }
        return top
    }
}

extension SentencePieceVocabulary {
    /// BPE pieces of `text`, as byte ranges with ids (unknown characters get `unkID`).
    func bpeSegments(_ text: UnsafeBufferPointer<UInt8>) -> [Segment] {
        guard !text.isEmpty else { return [] }
        var symbols = initialSymbols(text)
        var heap = CandidateHeap()
        heap.items.reserveCapacity(symbols.count)
        // Halves of each UNUSED piece met while merging (by the piece's bytes).
        var unusedSplits: [[UInt8]: Int] = [:]

        func consider(_ left: Int32, _ right: Int32) {
            guard left >= 0, right >= 0 else { return }
            let l = symbols[Int(left)], r = symbols[Int(right)]
            guard !l.frozen, !r.frozen, l.node > 0 else { return }
            let node = normalTrie.walk(from: l.node, text, r.start..<(r.start + r.size))
            guard let id = normalTrie.value(at: node) else { return }
            heap.push(Candidate(score: scores[id], left: left, right: right, size: Int32(l.size + r.size)))
            if types[id] == .unused {
                unusedSplits[Array(text[l.start..<(r.start + r.size)])] = l.size
            }
        }

        for i in 1..<symbols.count { consider(Int32(i - 1), Int32(i)) }
        while let top = heap.pop() {
            let l = Int(top.left), r = Int(top.right)
            let right = symbols[r]
            guard symbols[l].size > 0, right.size > 0, symbols[l].size + right.size == Int(top.size) else { continue }
            symbols[l].node = normalTrie.walk(from: symbols[l].node, text, right.start..<(right.start + right.size))
            symbols[l].size += right.size
            symbols[l].next = right.next
            if right.next >= 0 { symbols[Int(right.next)].prev = top.left }
            symbols[r].size = 0
            consider(symbols[l].prev, top.left)
            consider(top.left, symbols[l].next)
        }

        var segments: [Segment] = []
        segments.reserveCapacity(symbols.count)
        var index: Int32 = 0
        while index >= 0 {
            let s = symbols[Int(index)]
            resegment(text, s.start, s.start + s.size, unusedSplits, into: &segments)
            index = s.next
        }
        return segments
    }

    /// The characters of `text` (user-defined symbols whole and frozen) as a linked list.
    private func initialSymbols(_ text: UnsafeBufferPointer<UInt8>) -> [BPESymbol] {
        var symbols: [BPESymbol] = []
        symbols.reserveCapacity(text.count)
        var position = 0
        while position < text.count {
            let (length, userDefined) = nextSymbol(text, position)
            let index = Int32(symbols.count)
            symbols.append(BPESymbol(
                start: position, size: length, prev: index - 1, next: position + length < text.count ? index + 1 : -1,
                frozen: userDefined, node: normalTrie.walk(from: ByteTrie.root, text, position..<(position + length))))
            position += length
        }
        return symbols
    }

    /// Appends `text[start ..< end]` as one piece, or, when it is an UNUSED piece, its halves.
    private func resegment(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
                           _ splits: [[UInt8]: Int], into segments: inout [Segment]) {
        let pieceID = id(of: text, start..<end)
        if types[pieceID] == .unused, let leftSize = splits[Array(text[start..<end])] {
            resegment(text, start, start + leftSize, splits, into: &segments)
            resegment(text, start + leftSize, end, splits, into: &segments)
        } else {
            segments.append(Segment(start: start, end: end, id: pieceID))
        }
    }
}
