// Marian's binary lexical shortlist (`lex.*.s2t.bin`), modelled on marian-dev
// src/data/shortlist.{h,cpp} (`BinaryShortlistGenerator::load` and `generate`).
// Layout, little-endian: header {u64 magic 0xF11A48D5013417F5, u64 checksum, u64 firstNum,
// u64 bestNum, u64 wordToOffsetSize, u64 shortListsSize}, then u64 wordToOffset[...], then
// u32 shortLists[...]; the candidates of source word w are
// shortLists[wordToOffset[w] ..< wordToOffset[w + 1]].
import Foundation

/// A lexical shortlist: for each source word, the target words it likely translates to.
public final class MarianShortlist: @unchecked Sendable {
    /// The file path, for messages.
    public let path: String
    /// Number of most frequent target words always allowed (ids 0 ..< firstNum).
    public let firstNum: Int
    /// Candidates kept per source word when the list was built.
    public let bestNum: Int
    private let offsets: [Int]
    private let words: [UInt32]

    static let magic: UInt64 = 0xF11A_48D5_0134_17F5

    /// Reads and validates `path`; throws `ModelFileError` naming the file and the problem.
    public init(path: String) throws {
        self.path = path
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ModelFileError(path, "cannot read (\(error.localizedDescription))")
        }
        guard data.count >= 48 else { throw ModelFileError(path, "truncated: \(data.count) bytes, the header needs 48") }
        let header = data.withUnsafeBytes { raw in (0..<6).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)) } }
        guard header[0] == Self.magic else { throw ModelFileError(path, "not a binary Marian shortlist (bad magic)") }
        let (offsetCount, wordCount) = (header[4], header[5])
        guard offsetCount >= 1, offsetCount < 1 << 32, wordCount < 1 << 36,
              48 + 8 * offsetCount + 4 * wordCount == UInt64(data.count) else {
            throw ModelFileError(path, "header claims \(offsetCount) offsets and \(wordCount) words, which does not match the \(data.count)-byte file")
        }
        guard header[2] <= UInt64(UInt32.max), header[3] <= UInt64(UInt32.max) else {
            throw ModelFileError(path, "header claims firstNum \(header[2]) and bestNum \(header[3]); corrupt file")
        }
        firstNum = Int(header[2])
        bestNum = Int(header[3])
        (offsets, words) = data.withUnsafeBytes { raw in
            // Offsets past the word count are refused below; clamping first keeps them in Int.
            ((0..<Int(offsetCount)).map { Int(min(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 48 + 8 * $0, as: UInt64.self)), wordCount + 1)) },
             (0..<Int(wordCount)).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 48 + 8 * Int(offsetCount) + 4 * $0, as: UInt32.self)) })
        }
        for i in 0..<(offsets.count - 1) where offsets[i] > offsets[i + 1] || offsets[i + 1] > words.count {
            throw ModelFileError(path, "offset \(i + 1) (\(offsets[i + 1])) is out of order or past the \(words.count) words")
        }
    }

    /// Number of source words the list covers.
    public var sourceVocabularySize: Int { offsets.count - 1 }

    /// The sorted target ids allowed when translating `source` (ids, `</s>` included) into a
    /// vocabulary of `targetVocabulary` words, as Marian builds it: the first `firstNum`
    /// ids, every source word's candidates, then further ids from `firstNum` upward until
    /// the count is a multiple of 8.
    public func allowedTargets(source: [Int], targetVocabulary: Int) -> [Int] {
        var allowed = [Bool](repeating: false, count: targetVocabulary)
        for i in 0..<min(firstNum, targetVocabulary) { allowed[i] = true }
        for w in Set(source) where w >= 0 && w < sourceVocabularySize {
            for j in offsets[w] ..< offsets[w + 1] where Int(words[j]) < targetVocabulary { allowed[Int(words[j])] = true }
        }
        var count = allowed.reduce(0) { $0 + ($1 ? 1 : 0) }
        var i = firstNum
        while count % 8 != 0 && i < targetVocabulary {
            if !allowed[i] { allowed[i] = true; count += 1 }
            i += 1
        }
        return allowed.indices.filter { allowed[$0] }
    }
}
