// A read-only trie over UTF-8 byte strings, for vocabulary lookups without allocation:
// every prefix of a text that is a key (Viterbi), the longest such prefix (user-defined
// symbols), and exact lookups of a byte range (BPE merges). It plays the part of the
// Darts-clone double arrays in github.com/google/sentencepiece (src/model_interface.cc,
// src/unigram_model.cc); the layout here is our own.

/// Keys are byte strings, values non-negative integers (vocabulary ids).
struct ByteTrie: Sendable {
    /// Child of the root for each first byte (-1: none); the root's fan-out is large.
    private var rootChildren = [Int32](repeating: -1, count: 256)
    /// For node n, its children are edges `edgeStart[n] ..< edgeStart[n + 1]`.
    private var edgeStart: [Int32] = []
    private var edgeLabels: [UInt8] = []
    private var edgeTargets: [Int32] = []
    /// Value of each node, -1 when no key ends there.
    private var values: [Int32] = []

    /// Whether the trie has no keys.
    let isEmpty: Bool

    init(_ entries: [(key: [UInt8], value: Int)]) {
        isEmpty = entries.isEmpty
        // Build a pointer-free trie of child lists, then flatten it breadth-first.
        var children: [[(UInt8, Int)]] = [[]]
        var nodeValues: [Int32] = [-1]
        for (key, value) in entries where !key.isEmpty {
            var node = 0
            for byte in key {
                if let next = children[node].first(where: { $0.0 == byte })?.1 {
                    node = next
                } else {
                    children.append([])
                    nodeValues.append(-1)
                    children[node].append((byte, children.count - 1))
                    node = children.count - 1
                }
            }
            if nodeValues[node] < 0 { nodeValues[node] = Int32(value) }
        }
        var order = [0]
        var newIndex = [Int](repeating: 0, count: children.count)
        var head = 0
        while head < order.count {
            let node = order[head]
            head += 1
            for (_, child) in children[node].sorted(by: { $0.0 < $1.0 }) {
                newIndex[child] = order.count
                order.append(child)
            }
        }
        edgeStart.reserveCapacity(order.count + 1)
        values = order.map { nodeValues[$0] }
        for node in order {
            edgeStart.append(Int32(edgeLabels.count))
            for (label, child) in children[node].sorted(by: { $0.0 < $1.0 }) {
                edgeLabels.append(label)
                edgeTargets.append(Int32(newIndex[child]))
            }
        }
        edgeStart.append(Int32(edgeLabels.count))
        for (label, child) in children[0] { rootChildren[Int(label)] = Int32(newIndex[child]) }
    }

    /// The node reached from `node` by `byte`, or -1.
    @inline(__always) private func child(_ node: Int, _ byte: UInt8) -> Int {
        if node == 0 { return Int(rootChildren[Int(byte)]) }
        var e = Int(edgeStart[node])
        let end = Int(edgeStart[node + 1])
        while e < end {
            let label = edgeLabels[e]
            if label == byte { return Int(edgeTargets[e]) }
            if label > byte { return -1 }
            e += 1
        }
        return -1
    }

    /// Calls `body(end, value)` for every key that is a prefix of `text[start...]`, shortest
    /// first (`end` is the index just past the key).
    @inline(__always)
    func forEachPrefix(of text: UnsafeBufferPointer<UInt8>, from start: Int, _ body: (Int, Int) -> Void) {
        var node = 0
        var i = start
        while i < text.count {
            node = child(node, text[i])
            if node < 0 { return }
            i += 1
            let v = values[node]
            if v >= 0 { body(i, Int(v)) }
        }
    }

    /// Length of the longest key that is a prefix of `text[start...]` (0 if none).
    func longestPrefix(of text: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var longest = 0
        forEachPrefix(of: text, from: start) { end, _ in longest = end - start }
        return longest
    }

    /// The value of the key equal to `text[range]`, or nil.
    @inline(__always)
    func value(of text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var node = 0
        for i in range {
            node = child(node, text[i])
            if node < 0 { return nil }
        }
        let v = values[node]
        return v >= 0 && !range.isEmpty ? Int(v) : nil
    }

    /// The value of `key`, or nil.
    func value(of key: [UInt8]) -> Int? {
        key.withUnsafeBufferPointer { value(of: $0, 0..<$0.count) }
    }
}
