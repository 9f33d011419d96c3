// M2M-100's tokenizer as transformers' `M2M100Tokenizer` (models/m2m_100/tokenization_m2m_100.py,
// v5.24) builds it from a Hub folder: SentencePiece pieces of `sentencepiece.bpe.model` mapped
// through `vocab.json` (fairseq's dictionary order, not the SentencePiece model's), then the
// language tokens `__en__` … at ids `len(vocab) + i` in the order of the `language_codes` list
// (`m2m100`: 100 codes, `wmt21`: 8), then 8 "madeup words" no text maps to. Source text reads
// `__src__ text </s>`; decoding joins runs of pieces with SentencePiece's decoder, writes kept
// special tokens as they are, and trims the ends.
import Foundation
import Seq2SeqIO

/// An M2M-100 folder's tokenizer: `sentencepiece.bpe.model` over `vocab.json`, with language tokens.
public final class M2M100Tokenizer: Tokenizer, @unchecked Sendable {
    /// The language code lists of transformers' M2M100Tokenizer (fairseq's order: a token's id
    /// is `len(vocab)` plus its index here).
    public static let languageCodeLists: [String: [String]] = [
        "m2m100": ["af", "am", "ar", "ast", "az", "ba", "be", "bg", "bn", "br", "bs", "ca", "ceb", "cs", "cy", "da", "de",
                   "el", "en", "es", "et", "fa", "ff", "fi", "fr", "fy", "ga", "gd", "gl", "gu", "ha", "he", "hi", "hr",
                   "ht", "hu", "hy", "id", "ig", "ilo", "is", "it", "ja", "jv", "ka", "kk", "km", "kn", "ko", "lb", "lg",
                   "ln", "lo", "lt", "lv", "mg", "mk", "ml", "mn", "mr", "ms", "my", "ne", "nl", "no", "ns", "oc", "or",
                   "pa", "pl", "ps", "pt", "ro", "ru", "sd", "si", "sk", "sl", "so", "sq", "sr", "ss", "su", "sv", "sw",
                   "ta", "th", "tl", "tn", "tr", "uk", "ur", "uz", "vi", "wo", "xh", "yi", "yo", "zh", "zu"],
        "wmt21": ["en", "ha", "is", "ja", "cs", "ru", "zh", "de"],
    ]

    private let model: SentencePieceTokenizer
    private let ids: [String: Int]
    private let pieces: [Int: String]
    /// `__en__` → id, and back.
    private let languageIDs: [String: Int]
    private let languageTokens: [Int: String]
    /// The special tokens (`<s>`, `<pad>`, `</s>`, `<unk>` and the language tokens) and their ids.
    private let specialTokens: Set<String>
    private let specialIDs: Set<Int>
    /// The language codes (`en`), in id order.
    public let languageCodes: [String]
    /// The code of the default source language (`src_lang` of `tokenizer_config.json`, else `en`).
    public let defaultSourceLanguage: String
    /// Id of `</s>`.
    public let eosID: Int
    private let unknownID: Int
    public let vocabularySize: Int

    /// Loads `sentencepiece.bpe.model`, `vocab.json` and `tokenizer_config.json` from `directory`.
    public init(directory: URL) throws {
        let file = { (name: String) in directory.appendingPathComponent(name) }
        model = try SentencePieceTokenizer(contentsOf: file("sentencepiece.bpe.model"))
        let config = try JSONVocabulary.object(file("tokenizer_config.json"), optional: true)
        ids = try JSONVocabulary.ids(file("vocab.json"))
        pieces = Dictionary(ids.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let listName = config["language_codes"]?.stringValue ?? "m2m100"
        guard let codes = Self.languageCodeLists[listName] else {
            throw TokenizerError(file("tokenizer_config.json").path, "unknown language_codes \"\(listName)\" (known: m2m100, wmt21)")
        }
        languageCodes = codes
        let base = ids.count
        languageIDs = Dictionary(uniqueKeysWithValues: codes.enumerated().map { ("__\($1)__", base + $0) })
        languageTokens = Dictionary(uniqueKeysWithValues: languageIDs.map { ($1, $0) })
        let madeUpWords = config["num_madeup_words"]?.intValue ?? 8
        vocabularySize = base + codes.count + max(madeUpWords, 0)
        guard let eos = ids["</s>"], let unk = ids["<unk>"] else {
            throw TokenizerError(file("vocab.json").path, "no </s> or <unk> in the vocabulary")
        }
        eosID = eos
        unknownID = unk
        let source = config["src_lang"]?.stringValue ?? "en"
        guard codes.contains(source) else {
            throw TokenizerError(file("tokenizer_config.json").path, "src_lang \"\(source)\" is not one of the \(listName) codes")
        }
        defaultSourceLanguage = source
        let special = Set(["<s>", "<pad>", "</s>", "<unk>"]).union(languageIDs.keys)
        specialTokens = special
        let languageIDs = self.languageIDs, vocabularyIDs = self.ids
        specialIDs = Set(special.compactMap { vocabularyIDs[$0] ?? languageIDs[$0] })
    }

    /// The id of the language token of `code` (`en` → `__en__`'s), nil when unknown.
    public func languageTokenID(_ code: String) -> Int? { languageIDs["__\(code)__"] }

    /// `__src__ text </s>` with the default source language when adding special tokens.
    public func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int] {
        let body = encodeText(text)
        guard addSpecialTokens else { return body }
        return [languageIDs["__\(defaultSourceLanguage)__"]!] + body + [eosID]
    }

    /// Special tokens written in the text stand for themselves; the stretches between are
    /// SentencePiece pieces mapped through `vocab.json`.
    private func encodeText(_ text: String) -> [Int] {
        JSONVocabulary.splitOnSpecialTokens(text, specialTokens).flatMap { part in
            part.special ? [id(for: String(part.text)) ?? unknownID] : segment(part.text)
        }
    }

    private func segment(_ text: Substring) -> [Int] {
        model.pieces(String(text)).map { ids[$0] ?? unknownID }
    }

    /// Text of `ids` as transformers' `decode`: runs of pieces through SentencePiece's decoder,
    /// kept special tokens written as they are, the ends trimmed.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var out = ""
        var run: [String] = []
        for id in ids {
            if skipSpecialTokens && specialIDs.contains(id) { continue }
            let token = token(for: id) ?? "<unk>"
            if specialTokens.contains(token) {
                out += model.decode(pieces: run) + token
                run.removeAll()
            } else {
                run.append(token)
            }
        }
        out += model.decode(pieces: run)
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The piece or language token of `id` (nil for the made-up words and ids out of range).
    public func token(for id: Int) -> String? { languageTokens[id] ?? pieces[id] }

    /// The id of a vocabulary piece or language token.
    public func id(for token: String) -> Int? { languageIDs[token] ?? ids[token] }
}

/// `vocab.json`-style files of the SentencePiece-over-vocabulary tokenizers (Marian, M2M-100),
/// and how they split text at special tokens.
enum JSONVocabulary {
    /// `text` cut at each special token written in it, as transformers' added-token trie cuts:
    /// the leftmost occurrence first, the longest token where several start there.
    static func splitOnSpecialTokens(_ text: String, _ specialTokens: Set<String>) -> [(text: Substring, special: Bool)] {
        var parts: [(text: Substring, special: Bool)] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            var next: (token: String, range: Range<Substring.Index>)?
            for token in specialTokens {
                guard let range = rest.range(of: token) else { continue }
                if let best = next, best.range.lowerBound < range.lowerBound
                    || (best.range.lowerBound == range.lowerBound && best.token.count >= token.count) { continue }
                next = (token, range)
            }
            guard let (_, range) = next else {
                parts.append((rest, false))
                break
            }
            if range.lowerBound > rest.startIndex { parts.append((rest[..<range.lowerBound], false)) }
            parts.append((rest[range], true))
            rest = rest[range.upperBound...]
        }
        return parts
    }

    /// A `piece → id` JSON object.
    static func ids(_ url: URL) throws -> [String: Int] {
        guard let data = try? Data(contentsOf: url) else { throw TokenizerError(url.path, "cannot read") }
        guard let members = try JSONValue.parse([UInt8](data), path: url.path).members else {
            throw TokenizerError(url.path, "not a JSON object of piece → id")
        }
        var ids: [String: Int] = [:]
        for (piece, value) in members {
            guard let n = value.intValue, n >= 0 else {
                throw TokenizerError(url.path, "the id of \"\(piece)\" is not a non-negative integer")
            }
            ids[piece] = n
        }
        return ids
    }

    /// A JSON object file; empty when `optional` and the file is absent.
    static func object(_ url: URL, optional: Bool) throws -> JSONValue {
        guard let data = try? Data(contentsOf: url) else {
            if optional { return [:] }
            throw TokenizerError(url.path, "cannot read")
        }
        let object = try JSONValue.parse([UInt8](data), path: url.path)
        guard object.members != nil else { throw TokenizerError(url.path, "not a JSON object") }
        return object
    }
}
