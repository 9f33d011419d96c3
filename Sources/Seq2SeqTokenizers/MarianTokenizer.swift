// MarianMT's tokenizer as transformers' `MarianTokenizer` (models/marian/tokenization_marian.py,
// v5.24) builds it: SentencePiece pieces from `source.spm` mapped through `vocab.json`, a
// leading `>>xx<<` language code kept whole, `</s>` appended. Decoding maps ids back to pieces
// through `vocab.json` (or `target_vocab.json` with `separate_vocabs`) — whose order is
// Marian's, not the SentencePiece models' — and joins them with `decode_pieces` of the source
// model (the target model with separate vocabularies): pieces that model lacks are written as
// they are, special tokens as their text followed by a space.
import Foundation
import Seq2SeqIO

/// A Marian folder's tokenizer: source and target SentencePiece models over `vocab.json`.
public final class MarianTokenizer: Tokenizer, @unchecked Sendable {
    private let source: SentencePieceTokenizer
    /// `target.spm`, and the vocabulary of target text (`target_vocab.json` with separate
    /// vocabularies, else `vocab.json`): what `text_target=` encodes with.
    private let target: SentencePieceTokenizer
    private let targetIds: [String: Int]
    /// The model whose `decode_pieces` joins decoded pieces.
    private let joiner: SentencePieceTokenizer
    private let ids: [String: Int]
    /// Id → piece of the decoding side (`vocab.json`, or `target_vocab.json`).
    private let pieces: [Int: String]
    /// The special tokens' strings (`</s>`, `<unk>`, `<pad>`).
    private let specialTokens: Set<String>
    private let specialIDs: Set<Int>
    /// Id of `</s>`.
    public let eosID: Int
    /// Id of `<unk>`.
    public let unknownID: Int

    /// Loads `source.spm`, `target.spm`, `vocab.json` and, when `tokenizer_config.json` says
    /// `separate_vocabs`, `target_vocab.json` from `directory`.
    public init(directory: URL) throws {
        let file = { (name: String) in directory.appendingPathComponent(name) }
        source = try SentencePieceTokenizer(contentsOf: file("source.spm"))
        let target = try SentencePieceTokenizer(contentsOf: file("target.spm"))
        let config = try JSONVocabulary.object(file("tokenizer_config.json"), optional: true)
        let separate = config["separate_vocabs"]?.boolValue ?? false
        let ids = try JSONVocabulary.ids(file("vocab.json"))
        let decoding = separate ? try JSONVocabulary.ids(file("target_vocab.json")) : ids
        self.ids = ids
        self.target = target
        targetIds = decoding
        joiner = separate ? target : source
        pieces = Dictionary(decoding.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        guard let eos = ids["</s>"], let unk = ids["<unk>"] else {
            throw TokenizerError(file("vocab.json").path, "no </s> or <unk> in the vocabulary")
        }
        eosID = eos
        unknownID = unk
        let special: Set<String> = ["</s>", "<unk>", "<pad>"]
        specialTokens = special
        specialIDs = Set(special.compactMap { ids[$0] })
    }

    /// Largest id + 1.
    public var vocabularySize: Int { (ids.values.max() ?? -1) + 1 }

    /// Source pieces mapped through `vocab.json`, `</s>` appended when adding special tokens.
    public func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int] {
        encode(text, addSpecialTokens: addSpecialTokens, model: source, ids: ids)
    }

    /// Target text as transformers encodes `text_target=` (labels for training): `target.spm`
    /// pieces through the target vocabulary, `</s>` appended when adding special tokens.
    public func encodeTarget(_ text: String, addSpecialTokens: Bool) -> [Int] {
        encode(text, addSpecialTokens: addSpecialTokens, model: target, ids: targetIds)
    }

    private func encode(_ text: String, addSpecialTokens: Bool, model: SentencePieceTokenizer, ids: [String: Int]) -> [Int] {
        let unknownID = ids["<unk>"] ?? self.unknownID
        // Special tokens written in the text stand for themselves; the text between them is
        // segmented on its own (as transformers' added-token split does).
        let out = JSONVocabulary.splitOnSpecialTokens(text, specialTokens.filter { ids[$0] != nil }).flatMap { part in
            part.special ? [ids[String(part.text)] ?? unknownID] : segment(part.text, model: model, ids: ids, unknownID: unknownID)
        }
        return addSpecialTokens ? out + [ids["</s>"] ?? eosID] : out
    }

    /// `_tokenize` of one stretch without special tokens: a leading `>>xx<<` language code
    /// as one token, the rest SentencePiece pieces.
    private func segment(_ text: Substring, model: SentencePieceTokenizer, ids: [String: Int], unknownID: Int) -> [Int] {
        var rest = text
        var out: [Int] = []
        if rest.hasPrefix(">>"), let end = rest.range(of: "<<") {
            out.append(ids[String(rest[..<end.upperBound])] ?? unknownID)
            rest = rest[end.upperBound...]
        }
        return out + model.pieces(String(rest)).map { ids[$0] ?? unknownID }
    }

    /// Text of `ids` as transformers' `decode`: pieces joined by `decode_pieces`, kept special
    /// tokens written followed by a space, "▁" turned into spaces, the ends trimmed.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var out = ""
        var run: [String] = []
        for id in ids {
            if skipSpecialTokens && specialIDs.contains(id) { continue }
            let piece = pieces[id] ?? joiner.token(for: id).flatMap { $0.isEmpty ? nil : $0 } ?? "<unk>"
            if specialTokens.contains(piece) {
                out += joiner.decode(pieces: run) + piece + " "
                run.removeAll()
            } else {
                run.append(piece)
            }
        }
        out += joiner.decode(pieces: run)
        return out.replacingOccurrences(of: "\u{2581}", with: " ").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The vocabulary piece of `id`.
    public func token(for id: Int) -> String? { pieces[id] }

    /// The id of a vocabulary piece.
    public func id(for token: String) -> Int? { ids[token] }
}
