// MarianMT's tokenizer as transformers' `MarianTokenizer` (models/marian/tokenization_marian.py)
// builds it: SentencePiece pieces from `source.spm`, ids from the shared `vocab.json`, `</s>`
// appended; decoding maps ids back to pieces and joins them with `target.spm`'s rules.
import Foundation

/// A Marian folder's tokenizer: source and target SentencePiece models over one `vocab.json`.
public final class MarianTokenizer: Tokenizer, @unchecked Sendable {
    private let source: SentencePieceTokenizer
    private let target: SentencePieceTokenizer
    private let ids: [String: Int]
    private let pieces: [Int: String]
    private let special: Set<Int>
    /// Id of `</s>`.
    public let eosID: Int
    /// Id of `<unk>`.
    public let unknownID: Int

    /// Loads `source.spm`, `target.spm` and `vocab.json` from `directory`.
    public init(directory: URL) throws {
        source = try SentencePieceTokenizer(contentsOf: directory.appendingPathComponent("source.spm"))
        target = try SentencePieceTokenizer(contentsOf: directory.appendingPathComponent("target.spm"))
        let vocabURL = directory.appendingPathComponent("vocab.json")
        guard let data = try? Data(contentsOf: vocabURL) else { throw TokenizerError(vocabURL.path, "cannot read") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TokenizerError(vocabURL.path, "not a JSON object of piece → id")
        }
        var ids: [String: Int] = [:]
        for (piece, value) in object {
            guard let n = value as? NSNumber, type(of: n) != type(of: NSNumber(value: true)), n.intValue >= 0 else {
                throw TokenizerError(vocabURL.path, "the id of \"\(piece)\" is not a non-negative integer")
            }
            ids[piece] = n.intValue
        }
        guard let eos = ids["</s>"], let unk = ids["<unk>"] else {
            throw TokenizerError(vocabURL.path, "no </s> or <unk> in the vocabulary")
        }
        self.ids = ids
        pieces = Dictionary(ids.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        eosID = eos
        unknownID = unk
        special = Set(["</s>", "<unk>", "<pad>"].compactMap { ids[$0] })
    }

    /// Largest id + 1.
    public var vocabularySize: Int { (ids.values.max() ?? -1) + 1 }

    /// Source pieces mapped through `vocab.json`, `</s>` appended when adding special tokens.
    public func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int] {
        var out: [Int] = []
        var rest = Substring(text)
        // Special tokens written in the text stand for themselves; the text between them is
        // segmented on its own (as transformers' added-token split does).
        while !rest.isEmpty {
            var next: (token: String, range: Range<Substring.Index>)?
            for token in specialStrings {
                guard let range = rest.range(of: token) else { continue }
                if let best = next, best.range.lowerBound < range.lowerBound
                    || (best.range.lowerBound == range.lowerBound && best.token.count >= token.count) { continue }
                next = (token, range)
            }
            guard let (token, range) = next else {
                out += source.pieces(String(rest)).map { ids[$0] ?? unknownID }
                break
            }
            if range.lowerBound > rest.startIndex {
                out += source.pieces(String(rest[..<range.lowerBound])).map { ids[$0] ?? unknownID }
            }
            out.append(ids[token] ?? unknownID)
            rest = rest[range.upperBound...]
        }
        return addSpecialTokens ? out + [eosID] : out
    }

    /// The special tokens' strings, as they may appear in text.
    private var specialStrings: [String] { special.compactMap { pieces[$0] } }

    /// Pieces of `ids` joined by the target model (special tokens dropped when asked).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var out = ""
        var run: [Int] = []
        func flush() {
            if !run.isEmpty { out += target.decode(run, skipSpecialTokens: false) }
            run.removeAll()
        }
        for id in ids {
            if skipSpecialTokens && special.contains(id) { continue }
            guard let piece = pieces[id] else { continue }
            if special.contains(id) {  // kept special tokens are written as they are, then a space
                flush()
                out += piece + " "
            } else {
                run.append(target.id(for: piece) ?? target.unknownID)
            }
        }
        flush()
        return out.replacingOccurrences(of: "\u{2581}", with: " ").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The vocabulary piece of `id`.
    public func token(for id: Int) -> String? { pieces[id] }

    /// The id of a vocabulary piece.
    public func id(for token: String) -> Int? { ids[token] }
}
