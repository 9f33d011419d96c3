// The word-frequency table BPE training starts from, counted over the training text exactly as
// the trained tokenizer.json will cut text at encoding time: added tokens split out of the raw
// text, each stretch between them NFKC-normalized (optional), then the Metaspace pre-tokenizer
// with `prepend_scheme: "always"` — a "▁" before the stretch unless it starts with a space, and a
// new word before every space or "▁". Every word is therefore "▁" + a body with neither; the
// table counts the bodies. Works on UTF-8 bytes so that counting ~20 MB takes a fraction of a
// second.
import Foundation

/// Word bodies and their frequencies in the training text.
struct WordCounter {
    let nfkc: Bool
    /// Added tokens (contents as UTF-8), longest first; they are never part of a word.
    private let addedTokens: [[UInt8]]
    /// Whether some added token starts with each byte.
    private var addedFirstBytes = [Bool](repeating: false, count: 256)
    private(set) var bodies = ByteStringTable()

    init(nfkc: Bool, addedTokens: [String]) {
        self.nfkc = nfkc
        self.addedTokens = addedTokens.map { Array($0.utf8) }.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        for t in self.addedTokens { addedFirstBytes[Int(t[0])] = true }
    }

    /// Counts the words of one line of text.
    mutating func add(line: UnsafeBufferPointer<UInt8>) {
        var stretchStart = 0
        var i = 0
        while i < line.count {
            guard addedFirstBytes[Int(line[i])], let length = addedTokenLength(in: line, at: i) else { i += 1; continue }
            addStretch(UnsafeBufferPointer(rebasing: line[stretchStart..<i]))
            i += length
            stretchStart = i
        }
        addStretch(UnsafeBufferPointer(rebasing: line[stretchStart..<line.count]))
    }

    /// The length of the longest added token starting at `i` (leftmost-longest, as
    /// added_vocabulary.rs finds them).
    private func addedTokenLength(in text: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        for token in addedTokens where i + token.count <= text.count {
            var k = 0
            while k < token.count && text[i + k] == token[k] { k += 1 }
            if k == token.count { return token.count }
        }
        return nil
    }

    /// Normalizes a stretch of text between added tokens and counts its words.
    private mutating func addStretch(_ text: UnsafeBufferPointer<UInt8>) {
        guard nfkc, text.contains(where: { $0 >= 0x80 }) else { countWords(text); return }
        var normalized = String(decoding: text, as: UTF8.self).precomposedStringWithCompatibilityMapping
        normalized.withUTF8 { countWords($0) }
    }

    /// Counts the word bodies of normalized text: the text is cut at each space or "▁"; an empty
    /// first body is dropped (Metaspace adds no "▁" before text that starts with one).
    private mutating func countWords(_ text: UnsafeBufferPointer<UInt8>) {
        guard !text.isEmpty else { return }
        var start = 0
        var i = 0
        while true {
            var delimiter = 0
            if i < text.count {
                if text[i] == 0x20 {
                    delimiter = 1
                } else if text[i] == 0xE2 && i + 2 < text.count && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                    delimiter = 3
                } else {
                    i += 1
                    continue
                }
            }
            if start > 0 || i > 0 { bodies.add(UnsafeBufferPointer(rebasing: text[start..<i]), count: 1) }
            if i == text.count { return }
            i += delimiter
            start = i
        }
    }
}

/// A hash table counting byte strings, keys stored end to end in one buffer (no allocation
/// per key). Open addressing with linear probing; FNV-1a hashes.
struct ByteStringTable {
    /// The keys' bytes, end to end.
    private(set) var bytes: [UInt8] = []
    /// Where each key starts in `bytes`; key `k` ends where key `k + 1` starts.
    private var starts: [Int] = [0]
    /// Each key's count.
    private(set) var counts: [Int] = []
    private var hashes: [UInt64] = []
    /// Key index + 1 per slot, 0 for an empty slot; the size is a power of two.
    private var slots = [Int32](repeating: 0, count: 1 << 12)

    /// Number of distinct keys.
    var count: Int { counts.count }

    /// The bytes of key `k`.
    func key(_ k: Int) -> ArraySlice<UInt8> { bytes[starts[k]..<starts[k + 1]] }

    /// Adds `count` to the count of `key`.
    mutating func add(_ key: UnsafeBufferPointer<UInt8>, count: Int) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        while slots[slot] != 0 {
            let k = Int(slots[slot]) - 1
            if hashes[k] == hash && equals(k, key) {
                counts[k] += count
                return
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(counts.count + 1)
        bytes.append(contentsOf: key)
        starts.append(bytes.count)
        counts.append(count)
        hashes.append(hash)
        if counts.count * 2 > slots.count { grow() }
    }

    private func equals(_ k: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = starts[k]
        guard starts[k + 1] - start == key.count else { return false }
        for (j, b) in key.enumerated() where bytes[start + j] != b { return false }
        return true
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (k, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(k + 1)
        }
    }
}
