// SentencePiece's model file: the `ModelProto` message of sentencepiece_model.proto
// (github.com/google/sentencepiece, src/sentencepiece_model.proto), read with a small
// protobuf wire-format reader of our own. Only the fields tokenization needs are kept;
// every other field is skipped by its wire type.

/// The kind of a vocabulary piece (`ModelProto.SentencePiece.Type`).
enum PieceType: Int, Sendable {
    case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
}

/// The segmentation algorithm (`TrainerSpec.ModelType`).
enum SentencePieceModelType: Int, Sendable {
    case unigram = 1, bpe = 2, word = 3, char = 4
}

/// One vocabulary entry: its string, score and type.
struct PieceProto: Sendable {
    var piece = ""
    var score: Float = 0
    var type = PieceType.normal
}

/// The fields of `TrainerSpec` that encoding and decoding read (defaults as in the .proto).
struct TrainerSpecProto: Sendable {
    var modelType = SentencePieceModelType.unigram
    var treatWhitespaceAsSuffix = false
    var allowWhitespaceOnlyPieces = false
    var splitDigits = false
    var byteFallback = false
    var unkID = 0, bosID = 1, eosID = 2, padID = -1
    var unkPiece = "<unk>", bosPiece = "<s>", eosPiece = "</s>", padPiece = "<pad>"
    /// What `<unk>` decodes to (`unk_surface`, " ⁇ " by default).
    var unkSurface = " \u{2047} "
}

/// `NormalizerSpec`: the rule name, its compiled character map and the whitespace switches.
struct NormalizerSpecProto: Sendable {
    var name = ""
    var precompiledCharsMap: [UInt8] = []
    var addDummyPrefix = true
    var removeExtraWhitespaces = true
    var escapeWhitespaces = true
}

/// The parts of a SentencePiece `.model` file that tokenization needs.
struct ModelProto: Sendable {
    var pieces: [PieceProto] = []
    var trainerSpec = TrainerSpecProto()
    var normalizerSpec = NormalizerSpecProto()
    var denormalizerSpec: NormalizerSpecProto?

    /// Parses a serialized `ModelProto`; `path` names the file in errors.
    init(bytes: [UInt8], path: String) throws {
        var reader = ProtoReader(bytes[...], path: path, message: "ModelProto")
        while let tag = try reader.nextTag() {
            switch tag {
            case (1, .lengthDelimited): pieces.append(try Self.piece(reader.subReader("SentencePiece")))
            case (2, .lengthDelimited): trainerSpec = try Self.trainerSpec(reader.subReader("TrainerSpec"))
            case (3, .lengthDelimited): normalizerSpec = try Self.normalizerSpec(reader.subReader("NormalizerSpec"))
            case (5, .lengthDelimited): denormalizerSpec = try Self.normalizerSpec(reader.subReader("NormalizerSpec"))
            default: try reader.skip(tag.1)
            }
        }
    }

    private static func piece(_ r: ProtoReader) throws -> PieceProto {
        var r = r
        var p = PieceProto()
        while let tag = try r.nextTag() {
            switch tag {
            case (1, .lengthDelimited): p.piece = try r.string()
            case (2, .fixed32): p.score = Float(bitPattern: try r.fixed32())
            case (3, .varint):
                let raw = try r.varint()
                guard let type = PieceType(rawValue: Int(truncatingIfNeeded: raw)) else {
                    throw r.error("unknown piece type \(raw)")
                }
                p.type = type
            default: try r.skip(tag.1)
            }
        }
        return p
    }

    private static func trainerSpec(_ r: ProtoReader) throws -> TrainerSpecProto {
        var r = r
        var t = TrainerSpecProto()
        while let tag = try r.nextTag() {
            switch tag {
            case (3, .varint):
                let raw = try r.varint()
                guard let type = SentencePieceModelType(rawValue: Int(truncatingIfNeeded: raw)) else {
                    throw r.error("unknown model_type \(raw)")
                }
                t.modelType = type
            case (24, .varint): t.treatWhitespaceAsSuffix = try r.varint() != 0
            case (25, .varint): t.splitDigits = try r.varint() != 0
            case (26, .varint): t.allowWhitespaceOnlyPieces = try r.varint() != 0
            case (35, .varint): t.byteFallback = try r.varint() != 0
            case (40, .varint): t.unkID = try r.int32()
            case (41, .varint): t.bosID = try r.int32()
            case (42, .varint): t.eosID = try r.int32()
            case (43, .varint): t.padID = try r.int32()
            case (44, .lengthDelimited): t.unkSurface = try r.string()
            case (45, .lengthDelimited): t.unkPiece = try r.string()
            case (46, .lengthDelimited): t.bosPiece = try r.string()
            case (47, .lengthDelimited): t.eosPiece = try r.string()
            case (48, .lengthDelimited): t.padPiece = try r.string()
            default: try r.skip(tag.1)
            }
        }
        return t
    }

    private static func normalizerSpec(_ r: ProtoReader) throws -> NormalizerSpecProto {
        var r = r
        var n = NormalizerSpecProto()
        while let tag = try r.nextTag() {
            switch tag {
            case (1, .lengthDelimited): n.name = try r.string()
            case (2, .lengthDelimited): n.precompiledCharsMap = Array(try r.bytes())
            case (3, .varint): n.addDummyPrefix = try r.varint() != 0
            case (4, .varint): n.removeExtraWhitespaces = try r.varint() != 0
            case (5, .varint): n.escapeWhitespaces = try r.varint() != 0
            default: try r.skip(tag.1)
            }
        }
        return n
    }
}

/// Protobuf wire types (the deprecated groups 3 and 4 are rejected).
enum WireType: UInt64 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
}

/// Reads protobuf fields from a byte slice; every malformed or truncated field throws a
/// `TokenizerError` naming the file, the message and the byte offset.
struct ProtoReader {
    private let data: ArraySlice<UInt8>
    private var position: Int
    let path: String
    let message: String

    init(_ bytes: ArraySlice<UInt8>, path: String, message: String) {
        self.data = bytes
        self.position = bytes.startIndex
        self.path = path
        self.message = message
    }

    func error(_ problem: String) -> TokenizerError {
        TokenizerError(path, "corrupt SentencePiece model: \(message) at byte \(position): \(problem)")
    }

    /// The next field number and wire type, or nil at the end of the message.
    mutating func nextTag() throws -> (Int, WireType)? {
        guard position < data.endIndex else { return nil }
        let tag = try varint()
        let field = tag >> 3
        guard field > 0, field < 1 << 29, let wire = WireType(rawValue: tag & 7) else {
            throw error("bad field tag \(tag)")
        }
        return (Int(field), wire)
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < data.endIndex else { throw error("truncated varint") }
            let byte = data[position]
            position += 1
            guard shift < 64 else { throw error("varint longer than 10 bytes") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    /// An `int32` field (negative values are sign-extended to 10 bytes on the wire).
    mutating func int32() throws -> Int { Int(Int32(truncatingIfNeeded: try varint())) }

    mutating func fixed32() throws -> UInt32 {
        guard data.endIndex - position >= 4 else { throw error("truncated fixed32") }
        var value: UInt32 = 0
        for k in 0..<4 { value |= UInt32(data[position + k]) << (8 * UInt32(k)) }
        position += 4
        return value
    }

    mutating func bytes() throws -> ArraySlice<UInt8> {
        let length = try varint()
        guard length <= UInt64(data.endIndex - position) else {
            throw error("length \(length) runs past the end of the data")
        }
        let start = position
        position += Int(length)
        return data[start..<position]
    }

    mutating func string() throws -> String {
        let raw = try bytes()
        guard let s = String(validating: raw, as: UTF8.self) else { throw error("string is not UTF-8") }
        return s
    }

    /// A reader over the next length-delimited field, for a nested message.
    mutating func subReader(_ name: String) throws -> ProtoReader {
        ProtoReader(try bytes(), path: path, message: name)
    }

    mutating func skip(_ wire: WireType) throws {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64:
            guard data.endIndex - position >= 8 else { throw error("truncated fixed64") }
            position += 8
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try bytes()
        }
    }
}
