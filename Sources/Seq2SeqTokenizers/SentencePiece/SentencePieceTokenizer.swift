// A SentencePiece `.model` file as a `Tokenizer`, matching the `sentencepiece` package's
// `encode` / `decode` piece for piece.
// Modelled on github.com/google/sentencepiece src/sentencepiece_processor.cc (Encode,
// PopulateSentencePieceText, Decode); written anew here.

import Foundation

/// A SentencePiece model (unigram, BPE, word or char) loaded from a `.model` file.
///
/// ```swift
/// let t5 = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: "spiece.model"), addEOS: true)
/// let ids = try t5.encode("Hello world")   // … + [1] (</s>)
/// let text = t5.decode(ids)                // "Hello world"
/// ```
public final class SentencePieceTokenizer: Tokenizer {
    private let vocabulary: SentencePieceVocabulary
    private let normalizer: SentencePieceNormalizer
    private let denormalizer: SentencePieceNormalizer?
    private let modelType: SentencePieceModelType
    private let addDummyPrefix: Bool
    private let removeExtraWhitespaces: Bool
    private let unknownSurface: [UInt8]

    /// Whether `encode(_:addSpecialTokens: true)` puts `<s>` first.
    public let addBOS: Bool
    /// Whether `encode(_:addSpecialTokens: true)` appends `</s>` (T5 does).
    public let addEOS: Bool
    /// Id of `<unk>`.
    public var unknownID: Int { vocabulary.unkID }
    /// Id of `<s>` (`trainer_spec.bos_id`), if the model has one.
    public let bosID: Int?
    /// Id of `</s>` (`trainer_spec.eos_id`), if the model has one.
    public let eosID: Int?
    /// Id of the padding piece (`trainer_spec.pad_id`), if the model has one.
    public let padID: Int?

    /// Loads a `.model` file; `addBOS` / `addEOS` say which special tokens `encode` adds when
    /// asked to (plain SentencePiece adds none; T5 appends `</s>`).
    public convenience init(contentsOf url: URL, addBOS: Bool = false, addEOS: Bool = false) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError(url.path, "cannot read the file: \(error.localizedDescription)")
        }
        try self.init(modelBytes: [UInt8](data), path: url.path, addBOS: addBOS, addEOS: addEOS)
    }

    /// Reads a serialized `ModelProto`; `path` names it in errors.
    public init(modelBytes: [UInt8], path: String = "<memory>", addBOS: Bool = false, addEOS: Bool = false) throws {
        let proto = try ModelProto(bytes: modelBytes, path: path)
        let vocabulary = try SentencePieceVocabulary(proto, path: path)
        self.vocabulary = vocabulary
        let userDefined = vocabulary.userDefinedTrie.isEmpty ? nil : vocabulary.userDefinedTrie
        normalizer = try SentencePieceNormalizer(
            spec: proto.normalizerSpec, treatWhitespaceAsSuffix: proto.trainerSpec.treatWhitespaceAsSuffix,
            userDefined: userDefined, path: path)
        if let spec = proto.denormalizerSpec, !spec.precompiledCharsMap.isEmpty {
            denormalizer = try SentencePieceNormalizer(spec: spec, treatWhitespaceAsSuffix: false, userDefined: nil, path: path)
        } else {
            denormalizer = nil
        }
        modelType = proto.trainerSpec.modelType
        addDummyPrefix = proto.normalizerSpec.addDummyPrefix
        removeExtraWhitespaces = proto.normalizerSpec.removeExtraWhitespaces
        unknownSurface = Array(proto.trainerSpec.unkSurface.utf8)
        self.addBOS = addBOS
        self.addEOS = addEOS
        let t = proto.trainerSpec
        let count = proto.pieces.count
        bosID = (0..<count).contains(t.bosID) ? t.bosID : nil
        eosID = (0..<count).contains(t.eosID) ? t.eosID : nil
        padID = (0..<count).contains(t.padID) ? t.padID : nil
    }

    // MARK: Tokenizer

    /// Number of pieces.
    public var vocabularySize: Int { vocabulary.pieces.count }

    /// Ids of `text` as `sentencepiece`'s `encode`; with `addSpecialTokens`, `<s>` / `</s>`
    /// as chosen at load time.
    public func encode(_ text: String, addSpecialTokens: Bool) -> [Int] {
        var ids: [Int] = []
        if addSpecialTokens, addBOS, let bosID { ids.append(bosID) }
        encodePieces(text) { _, _, id in ids.append(id) }
        if addSpecialTokens, addEOS, let eosID { ids.append(eosID) }
        return ids
    }

    /// Pieces of `text` as `sentencepiece`'s `encode(text, out_type=str)`: runs of unknown
    /// characters are one piece; with byte fallback unknown characters become `<0xXX>` pieces.
    public func pieces(_ text: String) -> [String] {
        var result: [String] = []
        encodePieces(text) { normalized, range, id in
            if let range {
                result.append(String(decoding: UnsafeBufferPointer(rebasing: normalized[range]), as: UTF8.self))
            } else {
                result.append(vocabulary.pieces[id])
            }
        }
        return result
    }

    /// The piece of `id` (nil when out of range).
    public func token(for id: Int) -> String? {
        vocabulary.pieces.indices.contains(id) ? vocabulary.pieces[id] : nil
    }

    /// The id of piece `token`, if the vocabulary has it.
    public func id(for token: String) -> Int? {
        let bytes = Array(token.utf8)
        return vocabulary.reservedTrie.value(of: bytes) ?? vocabulary.normalTrie.value(of: bytes)
    }

    /// Text of `ids` as `sentencepiece`'s `decode`. With `skipSpecialTokens` false, control
    /// pieces (`<s>`, `</s>`, …) are written as their piece text; `sentencepiece` drops them.
    /// Ids out of range are ignored.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        denormalized(decodeBytes(ids.filter { vocabulary.pieces.indices.contains($0) }.map(DecodeUnit.id), skipControl: skipSpecialTokens))
    }

    /// Text of piece strings as `sentencepiece`'s `decode_pieces`: a piece of the vocabulary is
    /// decoded as its id would be; a piece it lacks (other than the unknown piece itself) is
    /// written verbatim, "▁" included.
    public func decode(pieces: [String]) -> String {
        let unknownPiece = vocabulary.pieceBytes[vocabulary.unkID]
        let units = pieces.map { piece -> DecodeUnit in
            if let id = id(for: piece) { return .id(id) }
            let bytes = Array(piece.utf8)
            return bytes == unknownPiece ? .id(vocabulary.unkID) : .verbatim(bytes)
        }
        return denormalized(decodeBytes(units, skipControl: true))
    }

    private func denormalized(_ text: [UInt8]) -> String {
        if let denormalizer {
            return String(decoding: text.withUnsafeBufferPointer { denormalizer.normalize($0) }, as: UTF8.self)
        }
        return String(decoding: text, as: UTF8.self)
    }

    // MARK: Encoding

    /// Calls `emit(normalized, range, id)` for each output piece in order: `range` is the
    /// piece's bytes in the normalized text, or nil for a byte-fallback piece.
    private func encodePieces(_ text: String, _ emit: (UnsafeBufferPointer<UInt8>, Range<Int>?, Int) -> Void) {
        let normalized = normalizer.normalize(text)
        normalized.withUnsafeBufferPointer { buffer in
            let segments: [Segment]
            switch modelType {
            case .unigram: segments = vocabulary.unigramSegments(buffer)
            case .bpe: segments = vocabulary.bpeSegments(buffer)
            case .char: segments = vocabulary.charSegments(buffer)
            case .word: segments = vocabulary.wordSegments(buffer)
            }
            let unk = vocabulary.unkID
            var pending: Segment?  // a run of unknowns being merged
            for segment in segments {
                guard segment.id == unk else {
                    if let p = pending { emit(buffer, p.start..<p.end, unk); pending = nil }
                    emit(buffer, segment.start..<segment.end, segment.id)
                    continue
                }
                if let byteIDs = vocabulary.byteIDs {
                    for i in segment.start..<segment.end { emit(buffer, nil, byteIDs[Int(buffer[i])]) }
                } else if pending != nil {
                    pending?.end = segment.end
                } else {
                    pending = segment
                }
            }
            if let p = pending { emit(buffer, p.start..<p.end, unk) }
        }
    }

    // MARK: Decoding

    /// A piece to decode: an id of the vocabulary, or text written as it is.
    private enum DecodeUnit {
        case id(Int)
        case verbatim([UInt8])
    }

    /// UTF-8 of `units` (ids all in range), before denormalization.
    private func decodeBytes(_ units: [DecodeUnit], skipControl: Bool) -> [UInt8] {
        var text: [UInt8] = []
        var bytes: [UInt8] = []  // a run of byte pieces
        var expectLeadingSpace = true  // still at the start, where the dummy-prefix "▁" is dropped
        var leadingSpaceSeen = false
        for unit in units {
            let id: Int
            switch unit {
            case .id(let known): id = known
            case .verbatim(let piece):
                appendBytePieces(bytes, to: &text)
                bytes.removeAll(keepingCapacity: true)
                text.append(contentsOf: piece)
                expectLeadingSpace = false
                leadingSpaceSeen = false
                continue
            }
            let type = vocabulary.types[id]
            if type == .byte, let b = SentencePieceVocabulary.byteValue(vocabulary.pieces[id]) {
                bytes.append(UInt8(b))
                continue
            }
            appendBytePieces(bytes, to: &text)
            bytes.removeAll(keepingCapacity: true)
            if leadingSpaceSeen || !text.isEmpty { expectLeadingSpace = false }
            leadingSpaceSeen = false
            switch type {
            case .control:
                if !skipControl { text.append(contentsOf: vocabulary.pieceBytes[id]) }
            case .unknown:
                text.append(contentsOf: unknownSurface)
            default:
                leadingSpaceSeen = appendPiece(vocabulary.pieceBytes[id], atStart: expectLeadingSpace, to: &text)
            }
        }
        appendBytePieces(bytes, to: &text)
        return text
    }

    /// Appends a piece with "▁" as spaces, dropping one leading "▁" at the start of the text
    /// when the model adds a dummy prefix or removes extra spaces; returns whether it dropped one
    /// (never, when extra spaces are removed: then every leading "▁" goes).
    private func appendPiece(_ piece: [UInt8], atStart: Bool, to text: inout [UInt8]) -> Bool {
        var i = 0
        var dropped = false
        if atStart, addDummyPrefix || removeExtraWhitespaces, piece.starts(with: spmSpaceSymbol) {
            i = 3
            dropped = !removeExtraWhitespaces
        }
        while i < piece.count {
            if i + 2 < piece.count, piece[i] == 0xE2, piece[i + 1] == 0x96, piece[i + 2] == 0x81 {
                text.append(0x20)
                i += 3
            } else {
                text.append(piece[i])
                i += 1
            }
        }
        return dropped
    }

    /// Appends the bytes of a run of `<0xXX>` pieces: each valid UTF-8 character as is, each
    /// byte that starts none as U+FFFD.
    private func appendBytePieces(_ bytes: [UInt8], to text: inout [UInt8]) {
        var i = 0
        while i < bytes.count {
            let n = validUTF8Length(bytes, i)
            if n == 0 {
                text.append(contentsOf: [0xEF, 0xBF, 0xBD])
                i += 1
            } else {
                text.append(contentsOf: bytes[i..<(i + n)])
                i += n
            }
        }
    }
}

/// Length of the well-formed UTF-8 character at `bytes[i]`, or 0 (SentencePiece's
/// `DecodeUTF8`: no overlong forms, no surrogates, nothing above U+10FFFF).
private func validUTF8Length(_ bytes: [UInt8], _ i: Int) -> Int {
    let b0 = UInt32(bytes[i])
    let left = bytes.count - i
    func trail(_ k: Int) -> UInt32? {
        let b = bytes[i + k]
        return b & 0xC0 == 0x80 ? UInt32(b & 0x3F) : nil
    }
    func valid(_ c: UInt32) -> Bool { c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF) }
    if b0 < 0x80 { return 1 }
    if left >= 2, b0 & 0xE0 == 0xC0, let t1 = trail(1) {
        let c = (b0 & 0x1F) << 6 | t1
        return c >= 0x80 && valid(c) ? 2 : 0
    }
    if left >= 3, b0 & 0xF0 == 0xE0, let t1 = trail(1), let t2 = trail(2) {
        let c = (b0 & 0x0F) << 12 | t1 << 6 | t2
        return c >= 0x800 && valid(c) ? 3 : 0
    }
    if left >= 4, b0 & 0xF8 == 0xF0, let t1 = trail(1), let t2 = trail(2), let t3 = trail(3) {
        let c = (b0 & 0x07) << 18 | t1 << 12 | t2 << 6 | t3
        return c >= 0x10000 && valid(c) ? 4 : 0
    }
    return 0
}
