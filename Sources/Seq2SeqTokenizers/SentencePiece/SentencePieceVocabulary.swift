// The pieces of a SentencePiece model and the lookups the segmenters need.
// Modelled on github.com/google/sentencepiece src/model_interface.cc
// (ModelInterface::InitializePieces, PieceToId, ByteToPiece); written anew here.

/// A piece of the normalized text chosen by a segmenter: bytes `start ..< end`, vocabulary `id`.
struct Segment: Sendable {
    var start: Int
    var end: Int
    var id: Int
}

/// The vocabulary of a `.model` file, checked as SentencePiece checks it on load.
struct SentencePieceVocabulary: Sendable {
    let pieces: [String]
    let pieceBytes: [[UInt8]]
    let scores: [Float]
    let types: [PieceType]
    /// NORMAL, USER_DEFINED and UNUSED pieces (the ones segmentation may produce).
    let normalTrie: ByteTrie
    /// UNKNOWN, CONTROL and BYTE pieces.
    let reservedTrie: ByteTrie
    /// USER_DEFINED pieces, matched greedily (longest) before anything else.
    let userDefinedTrie: ByteTrie
    let unkID: Int
    /// Id of `<0xXX>` for each byte, when the model has byte fallback.
    let byteIDs: [Int]?
    /// Lowest and highest score of the NORMAL pieces (`FLT_MAX` / `FLT_MIN` when none).
    let minScore: Float
    let maxScore: Float

    init(_ proto: ModelProto, path: String) throws {
        var normal: [(key: [UInt8], value: Int)] = []
        var reserved: [(key: [UInt8], value: Int)] = []
        var userDefined: [(key: [UInt8], value: Int)] = []
        var seenNormal = Set<String>(), seenReserved = Set<String>()
        var unk = -1
        var bytes = [Int](repeating: -1, count: 256)
        var minScore = Float.greatestFiniteMagnitude, maxScore = Float.leastNormalMagnitude
        for (id, p) in proto.pieces.enumerated() {
            guard !p.piece.isEmpty else { throw TokenizerError(path, "piece \(id) is empty") }
            let key = Array(p.piece.utf8)
            switch p.type {
            case .normal, .userDefined, .unused:
                guard seenNormal.insert(p.piece).inserted else {
                    throw TokenizerError(path, "piece \"\(p.piece)\" is defined twice")
                }
                normal.append((key, id))
                if p.type == .userDefined { userDefined.append((key, id)) }
                if p.type == .normal {
                    minScore = min(minScore, p.score)
                    maxScore = max(maxScore, p.score)
                }
            case .unknown, .control, .byte:
                guard seenReserved.insert(p.piece).inserted else {
                    throw TokenizerError(path, "piece \"\(p.piece)\" is defined twice")
                }
                reserved.append((key, id))
                if p.type == .unknown {
                    guard unk < 0 else { throw TokenizerError(path, "more than one unknown piece") }
                    unk = id
                }
                if p.type == .byte {
                    guard proto.trainerSpec.byteFallback else {
                        throw TokenizerError(path, "byte piece \(p.piece) although byte_fallback is false")
                    }
                    guard let b = Self.byteValue(p.piece) else {
                        throw TokenizerError(path, "invalid byte piece \"\(p.piece)\"")
                    }
                    bytes[b] = id
                }
            }
        }
        guard unk >= 0 else { throw TokenizerError(path, "no unknown piece (<unk>)") }
        if proto.trainerSpec.byteFallback {
            guard !bytes.contains(-1) else {
                throw TokenizerError(path, "byte_fallback is true but not all 256 byte pieces are present")
            }
            byteIDs = bytes
        } else {
            byteIDs = nil
        }
        pieces = proto.pieces.map(\.piece)
        pieceBytes = pieces.map { Array($0.utf8) }
        scores = proto.pieces.map(\.score)
        types = proto.pieces.map(\.type)
        normalTrie = ByteTrie(normal)
        reservedTrie = ByteTrie(reserved)
        userDefinedTrie = ByteTrie(userDefined)
        unkID = unk
        self.minScore = minScore
        self.maxScore = maxScore
    }

    /// The byte of a piece spelled `<0xXX>` (two upper-case hex digits), or nil.
    static func byteValue(_ piece: String) -> Int? {
        let u = Array(piece.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        func hex(_ c: UInt8) -> Int? {
            switch c {
            case 0x30...0x39: return Int(c - 0x30)
            case 0x41...0x46: return Int(c - 0x41 + 10)
            default: return nil
            }
        }
        guard let hi = hex(u[3]), let lo = hex(u[4]) else { return nil }
        return hi * 16 + lo
    }

    /// SentencePiece's `PieceToId`: reserved pieces first, then the others, else `<unk>`.
    func id(of text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        reservedTrie.value(of: text, range) ?? normalTrie.value(of: text, range) ?? unkID
    }

    /// Length of the next symbol at `start`: the longest user-defined symbol there, or one
    /// UTF-8 character (SentencePiece's `PrefixMatcher::PrefixMatch`); and whether it was a
    /// user-defined symbol.
    @inline(__always)
    func nextSymbol(_ text: UnsafeBufferPointer<UInt8>, _ start: Int) -> (length: Int, userDefined: Bool) {
        if !userDefinedTrie.isEmpty {
            let n = userDefinedTrie.longestPrefix(of: text, from: start)
            if n > 0 { return (n, true) }
        }
        return (min(utf8Length(text[start]), text.count - start), false)
    }
}
