// SentencePiece's normalizer: compiled character rules, extra-whitespace removal, the
// dummy prefix and whitespace escaping (U+2581 "▁").
// Modelled on github.com/google/sentencepiece src/normalizer.cc (Normalizer::Normalize,
// NormalizePrefix, PrefixMatcher); written anew here.

/// The UTF-8 bytes of U+2581, SentencePiece's visible space.
let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]

/// Normalizes UTF-8 text as SentencePiece's `Normalizer` does (no offset mapping).
struct SentencePieceNormalizer: Sendable {
    let charsMap: PrecompiledCharsMap?
    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool
    let escapeWhitespaces: Bool
    let treatWhitespaceAsSuffix: Bool
    /// User-defined symbols: copied through untouched, longest first.
    let userDefined: ByteTrie?

    init(spec: NormalizerSpecProto, treatWhitespaceAsSuffix: Bool, userDefined: ByteTrie?, path: String) throws {
        if spec.precompiledCharsMap.isEmpty {
            charsMap = nil
        } else {
            do {
                charsMap = try PrecompiledCharsMap(data: spec.precompiledCharsMap)
            } catch let e as TokenizerError {
                throw TokenizerError(path, "normalizer_spec: \(e.problem)")
            }
        }
        addDummyPrefix = spec.addDummyPrefix
        removeExtraWhitespaces = spec.removeExtraWhitespaces
        escapeWhitespaces = spec.escapeWhitespaces
        self.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix
        self.userDefined = userDefined
    }

    /// What one step of normalization produces: `length` input bytes consumed, replaced by
    /// `output` — a range of the input (`fromInput`) or of the charsmap's pool.
    private struct Step {
        var length: Int
        var output: Range<Int>
        var fromInput: Bool
    }

    /// The rule for the text at `input[start...]` (SentencePiece's `NormalizePrefix`).
    @inline(__always)
    private func step(_ input: UnsafeBufferPointer<UInt8>, _ start: Int) -> Step {
        if let userDefined, !userDefined.isEmpty {
            let n = userDefined.longestPrefix(of: input, from: start)
            if n > 0 { return Step(length: n, output: start..<(start + n), fromInput: true) }
        }
        if let charsMap, let match = charsMap.longestMatch(input, from: start) {
            return Step(length: match.length, output: charsMap.replacementRange(at: match.value), fromInput: false)
        }
        let n = min(utf8Length(input[start]), input.count - start)
        return Step(length: n, output: start..<(start + n), fromInput: true)
    }

    /// The normalized bytes of `text`.
    func normalize(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { normalize($0) }
    }

    func normalize(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        guard !input.isEmpty else { return out }
        let pool = charsMap?.pool ?? []
        return pool.withUnsafeBufferPointer { pool in
            var position = 0
            if removeExtraWhitespaces {
                while position < input.count {
                    let s = step(input, position)
                    let bytes = s.fromInput ? input : pool
                    guard s.output.count == 1, bytes[s.output.lowerBound] == 0x20 else { break }
                    position += s.length
                }
            }
            if position == input.count { return out }
            out.reserveCapacity(input.count * 3)
            if !treatWhitespaceAsSuffix, addDummyPrefix { appendSpace(&out) }
            var previousIsSpace = removeExtraWhitespaces
            while position < input.count {
                let s = step(input, position)
                let bytes = s.fromInput ? input : pool
                var i = s.output.lowerBound
                if previousIsSpace {
                    while i < s.output.upperBound, bytes[i] == 0x20 { i += 1 }
                }
                if i < s.output.upperBound {
                    while i < s.output.upperBound {
                        if bytes[i] == 0x20, escapeWhitespaces {
                            out.append(contentsOf: spaceSymbol)
                        } else {
                            out.append(bytes[i])
                        }
                        i += 1
                    }
                    previousIsSpace = bytes[s.output.upperBound - 1] == 0x20
                }
                position += s.length
                if !removeExtraWhitespaces { previousIsSpace = false }
            }
            if removeExtraWhitespaces { trimTrailingSpaces(&out) }
            if treatWhitespaceAsSuffix, addDummyPrefix { appendSpace(&out) }
            return out
        }
    }

    private func appendSpace(_ out: inout [UInt8]) {
        if escapeWhitespaces { out.append(contentsOf: spaceSymbol) } else { out.append(0x20) }
    }

    private func trimTrailingSpaces(_ out: inout [UInt8]) {
        if escapeWhitespaces {
            while out.count >= 3, out[out.count - 3] == 0xE2, out[out.count - 2] == 0x96, out[out.count - 1] == 0x81 {
                out.removeLast(3)
            }
        } else {
            while out.last == 0x20 { out.removeLast() }
        }
    }
}
