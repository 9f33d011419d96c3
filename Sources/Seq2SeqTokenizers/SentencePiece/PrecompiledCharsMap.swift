// SentencePiece's compiled normalization rules (`NormalizerSpec.precompiled_charsmap`).
// Modelled on github.com/google/sentencepiece src/normalizer.cc (blob layout, longest-prefix
// rule lookup), third_party/darts_clone/darts.h (double-array unit layout), and Hugging Face
// tokenizers/src/normalizers/precompiled.rs with the spm_precompiled crate (the grapheme-wise
// `normalize`). The code is written anew here.
//
// Blob layout: a little-endian uint32 `n`, then `n` bytes of Darts-clone double-array trie
// (n / 4 little-endian uint32 units), then the pool of replacement strings, each ended by a
// NUL byte. A trie key is a UTF-8 byte sequence; its value is the offset of its replacement
// in the pool.

/// SentencePiece's compiled normalization rules (NFKC and its variants), as stored in a
/// `.model` file or, base64-encoded, in a `tokenizer.json` "Precompiled" normalizer.
public struct PrecompiledCharsMap: Sendable {
    /// Double-array units.
    private let units: [UInt32]
    /// NUL-terminated replacement strings.
    let pool: [UInt8]

    /// Reads a `precompiled_charsmap` blob; throws when its sizes are inconsistent.
    public init(data: [UInt8]) throws {
        guard data.count > 4 else {
            throw TokenizerError("precompiled_charsmap", "blob of \(data.count) bytes is too short")
        }
        let trieSize = Int(UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24)
        guard trieSize < data.count - 4 + 1, trieSize % 4 == 0, trieSize >= 4 else {
            throw TokenizerError("precompiled_charsmap", "trie size \(trieSize) does not fit a blob of \(data.count) bytes")
        }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for i in 0..<units.count {
            let o = 4 + 4 * i
            units[i] = UInt32(data[o]) | UInt32(data[o + 1]) << 8 | UInt32(data[o + 2]) << 16 | UInt32(data[o + 3]) << 24
        }
        self.units = units
        self.pool = Array(data[(4 + trieSize)...])
    }

    /// `text` normalized as Hugging Face tokenizers' `Precompiled` normalizer does: grapheme
    /// by grapheme, a grapheme shorter than 6 UTF-8 bytes that starts with a rule is replaced
    /// whole by that rule's output; otherwise each scalar is replaced by its rule, if any.
    ///
    /// SentencePiece itself (`.model` files) instead takes the longest rule at each byte
    /// position; `SentencePieceTokenizer` does that, not this.
    public func normalize(_ text: String) -> String {
        var text = text
        text.makeContiguousUTF8()
        let utf8 = text.utf8
        let bytes = Array(utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var start = 0
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            let end = utf8.distance(from: text.startIndex, to: next)
            normalizeGrapheme(bytes[start..<end], into: &out)
            start = end
            index = next
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func normalizeGrapheme(_ g: ArraySlice<UInt8>, into out: inout [UInt8]) {
        if g.count < 6, let r = shortestMatch(g) {
            out.append(contentsOf: pool[replacementRange(at: r)])
            return
        }
        var i = g.startIndex
        while i < g.endIndex {
            let n = min(utf8Length(g[i]), g.endIndex - i)
            if let r = shortestMatch(g[i..<(i + n)]) {
                out.append(contentsOf: pool[replacementRange(at: r)])
            } else {
                out.append(contentsOf: g[i..<(i + n)])
            }
            i += n
        }
    }

    /// Pool offset of the first (shortest) rule that is a prefix of `key`.
    private func shortestMatch(_ key: ArraySlice<UInt8>) -> Int? {
        var found: Int?
        walk(key) { _, value in found = value; return false }
        return found
    }

    /// The longest rule that is a prefix of `key`: its length in bytes and its pool offset.
    func longestMatch(_ key: UnsafeBufferPointer<UInt8>, from start: Int) -> (length: Int, value: Int)? {
        var best: (length: Int, value: Int)?
        walk(key[start...]) { length, value in best = (length, value); return true }
        return best
    }

    /// Where the replacement string at pool offset `value` lies in `pool` (up to its NUL).
    func replacementRange(at value: Int) -> Range<Int> {
        guard value >= 0, value < pool.count else { return 0..<0 }
        var end = value
        while end < pool.count, pool[end] != 0 { end += 1 }
        return value..<end
    }

    /// Darts-clone common-prefix search: calls `visit(length, value)` for each key that is a
    /// prefix of `key`, shortest first, while `visit` returns true. A NUL byte ends the key.
    private func walk<C: Collection>(_ key: C, _ visit: (Int, Int) -> Bool) where C.Element == UInt8 {
        guard !units.isEmpty else { return }
        var node = Self.offset(units[0])
        var length = 0
        for c in key {
            if c == 0 { return }
            node ^= Int(c)
            guard node < units.count else { return }
            let unit = units[node]
            if Self.label(unit) != UInt32(c) { return }
            node ^= Self.offset(unit)
            length += 1
            if Self.hasLeaf(unit) {
                guard node < units.count else { return }
                if !visit(length, Int(Self.value(units[node]))) { return }
            }
        }
    }

    // Darts-clone unit fields.
    @inline(__always) private static func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }
    @inline(__always) private static func label(_ u: UInt32) -> UInt32 { u & ((1 << 31) | 0xFF) }
    @inline(__always) private static func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
    @inline(__always) private static func value(_ u: UInt32) -> UInt32 { u & ((1 << 31) - 1) }
}

/// Length of the UTF-8 sequence a lead byte announces (1 for stray continuation bytes), as
/// SentencePiece's `OneCharLen`.
@inline(__always) func utf8Length(_ lead: UInt8) -> Int {
    switch lead >> 4 {
    case 0xC, 0xD: return 2
    case 0xE: return 3
    case 0xF: return 4
    default: return 1
    }
}
