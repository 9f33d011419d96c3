// Python `str` semantics that sacreBLEU and jiwer results depend on, on Unicode code points:
// CPython's `str.isspace()` / regex `\s` whitespace (Objects/unicodectype.c,
// `_PyUnicode_IsWhitespace`), `str.split()`, `str.strip()`, literal `str.replace` and
// `str.lower()` with its Final_Sigma rule (Objects/unicodeobject.c, `handle_capital_sigma`).
//
// The metrics work on code points, never on Swift `Character`s: grapheme clusters would
// merge "e" + U+0301 into one character and `String ==` treats canonically equivalent text as
// equal, while Python counts and compares code points.

/// Text as Unicode code points, split, stripped, replaced and lowercased as Python's `str` does.
enum PythonText {
    /// The code points of `text`.
    static func codePoints(_ text: String) -> [UInt32] { text.unicodeScalars.map(\.value) }

    /// A string from code points (all of them valid scalars, as they come from a `String`).
    static func string<C: Collection>(_ codePoints: C) -> String where C.Element == UInt32 {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: codePoints.compactMap(Unicode.Scalar.init))
        return String(scalars)
    }

    /// Python's `str.isspace()` for one code point (also what regex `\s` matches).
    static func isSpace(_ c: UInt32) -> Bool {
        switch c {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `str.split()`: the runs between whitespace, none empty.
    static func split(_ text: [UInt32]) -> [[UInt32]] {
        var words: [[UInt32]] = []
        var current: [UInt32] = []
        for c in text {
            if isSpace(c) {
                if !current.isEmpty { words.append(current); current.removeAll(keepingCapacity: true) }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// `str.strip()` (`trailingOnly`: `str.rstrip()`).
    static func strip(_ text: [UInt32], trailingOnly: Bool = false) -> ArraySlice<UInt32> {
        var slice = text[...]
        while let last = slice.last, isSpace(last) { slice.removeLast() }
        if !trailingOnly { while let first = slice.first, isSpace(first) { slice.removeFirst() } }
        return slice
    }

    /// `str.replace(old, new)`: every non-overlapping occurrence, left to right.
    static func replacing(_ old: String, with new: String, in text: [UInt32]) -> [UInt32] {
        let pattern = codePoints(old), replacement = codePoints(new)
        guard let head = pattern.first, text.count >= pattern.count else { return text }
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if text[i] == head, i + pattern.count <= text.count, text[i..<i + pattern.count].elementsEqual(pattern) {
                out += replacement
                i += pattern.count
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    /// `str.lower()`: each code point's full lowercase mapping, with capital sigma becoming
    /// final sigma (U+03C2) after a cased letter and not before one (case-ignorable code
    /// points skipped on both sides), as CPython decides it.
    static func lowercased(_ text: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        for (i, c) in text.enumerated() {
            guard let scalar = Unicode.Scalar(c) else { continue }
            if c == 0x03A3 {
                out.append(isFinalSigma(text, at: i) ? 0x03C2 : 0x03C3)
            } else {
                out += scalar.properties.lowercaseMapping.unicodeScalars.map(\.value)
            }
        }
        return out
    }

    private static func isFinalSigma(_ text: [UInt32], at i: Int) -> Bool {
        func firstNotIgnorable<S: Sequence>(_ indices: S) -> Unicode.Scalar.Properties? where S.Element == Int {
            for j in indices {
                guard let p = Unicode.Scalar(text[j])?.properties else { continue }
                if !p.isCaseIgnorable { return p }
            }
            return nil
        }
        guard let before = firstNotIgnorable(stride(from: i - 1, through: 0, by: -1)), before.isCased else { return false }
        guard let after = firstNotIgnorable(i + 1..<text.count) else { return true }
        return !after.isCased
    }
}
