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
        // Symbols as a linked list over the text: start, byte length (0 once merged away).
        var starts: [Int32] = [], sizes: [Int32] = [], frozen: [Bool] = []
        var position = 0
        while position < text.count {
            let (length, userDefined) = nextSymbol(text, position)
            starts.append(Int32(position))
            sizes.append(Int32(length))
            frozen.append(userDefined)
            position += length
        }
        let count = starts.count
        var prev = (0..<count).map { Int32($0) - 1 }
        var next = (0..<count).map { $0 + 1 < count ? Int32($0 + 1) : -1 }
        var heap = CandidateHeap()
        heap.items.reserveCapacity(count)
        // Halves of each UNUSED piece met while merging (by the piece's bytes).
        var unusedSplits: [[UInt8]: Int] = [:]

        func consider(_ left: Int32, _ right: Int32) {
            guard left >= 0, right >= 0, !frozen[Int(left)], !frozen[Int(right)] else { return }
            let start = Int(starts[Int(left)])
            let size = Int(sizes[Int(left)] + sizes[Int(right)])
            guard let id = normalTrie.value(of: text, start..<(start + size)) else { return }
            heap.push(Candidate(score: scores[id], left: left, right: right, size: Int32(size)))
            if types[id] == .unused {
                unusedSplits[Array(text[start..<(start + size)])] = Int(sizes[Int(left)])
            }
        }

        for i in 1..<max(count, 1) { consider(Int32(i - 1), Int32(i)) }
        while let top = heap.pop() {
            let l = Int(top.left), r = Int(top.right)
            guard sizes[l] > 0, sizes[r] > 0, sizes[l] + sizes[r] == top.size else { continue }
            sizes[l] += sizes[r]
            next[l] = next[r]
            if next[r] >= 0 { prev[Int(next[r])] = top.left }
            sizes[r] = 0
            consider(prev[l], top.left)
            consider(top.left, next[l])
        }

        var segments: [Segment] = []
        segments.reserveCapacity(count)
        var index: Int32 = 0
        while index >= 0 {
            let start = Int(starts[Int(index)])
            resegment(text, start, start + Int(sizes[Int(index)]), unusedSplits, into: &segments)
            index = next[Int(index)]
        }
        return segments
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
