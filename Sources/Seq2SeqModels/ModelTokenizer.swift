// The tokenizer of a model folder, as transformers' AutoTokenizer would load it: the folder's
// `tokenizer.json` when present (T5, BART, mBART, NLLB, Pegasus, Whisper), else the family's
// own files (Marian: `source.spm` + `target.spm` + `vocab.json`; M2M-100:
// `sentencepiece.bpe.model` + `vocab.json`; T5: `spiece.model`). Multilingual tokenizers name
// languages with tokens (mBART `en_XX`, NLLB `eng_Latn`, M2M-100 `__en__` for the code `en`),
// written before the text (mBART-50, NLLB, M2M-100) or after its `</s>` (mBART, NLLB's
// `legacy_behaviour`).
import Foundation
import Seq2SeqIO
import Seq2SeqTokenizers

/// The language tokens of a multilingual tokenizer.
public struct LanguageTokens: Sendable, Equatable {
    /// Where the source language's token goes.
    public enum Placement: String, Sendable, Equatable {
        /// `[code] text </s>` (mBART-50, NLLB, M2M-100).
        case beforeText = "before the text"
        /// `text </s> [code]` (mBART, NLLB with `legacy_behaviour`).
        case afterEnd = "after </s>"
    }

    /// The codes (`en_XX`, `eng_Latn`, `en`), in id order.
    public let codes: [String]
    /// Each code's token id.
    public let ids: [String: Int]
    /// Where the source code's token goes.
    public let placement: Placement
    /// The languages `tokenizer_config.json` names (`src_lang`, `tgt_lang`), when it does.
    public var defaultSource: String?, defaultTarget: String?
}

/// Source and target tokenizers of a model, with the family's language handling.
public struct ModelTokenizer: @unchecked Sendable {
    /// Turns source text into ids (with the special tokens the reference adds).
    public let source: Tokenizer
    /// Turns generated ids into text.
    public let target: Tokenizer
    /// The `tokenizer_class` from `tokenizer_config.json`, if any.
    public let tokenizerClass: String?
    /// The file(s) the tokenizer came from, for `inspect`.
    public let description: String
    /// The language tokens of a multilingual tokenizer (nil for the others).
    public var languageTokens: LanguageTokens?

    /// The folder's tokenizer, or nil when it has none.
    public static func load(directory: URL) throws -> ModelTokenizer? {
        let manager = FileManager.default
        let file = { (name: String) in directory.appendingPathComponent(name) }
        var tokenizerClass: String?
        var legacyBehaviour = false
        var defaults: (source: String?, target: String?) = (nil, nil)
        if manager.fileExists(atPath: file("tokenizer_config.json").path) {
            let settings = try JSONConfig(contentsOf: file("tokenizer_config.json"))
            tokenizerClass = try settings.string("tokenizer_class")
            legacyBehaviour = try settings.bool("legacy_behaviour") ?? false
            defaults = (try settings.string("src_lang"), try settings.string("tgt_lang"))
        }
        if manager.fileExists(atPath: file("tokenizer.json").path) {
            let t = try HuggingFaceTokenizer(contentsOf: file("tokenizer.json"))
            if (try? ModelFolderKind.detect(directory)) == .marian {
                // Marian's `</s>` is a plain vocabulary entry of the Firefox tokenizer.json, but
                // the end of a sentence all the same: decoding skips it like a special token.
                let target = SpecialSkipping(base: t, special: Set([t.id(for: "</s>")].compactMap { $0 }))
                return ModelTokenizer(source: t, target: target, tokenizerClass: tokenizerClass, description: "tokenizer.json (Marian)")
            }
            var loaded = ModelTokenizer(source: t, target: t, tokenizerClass: tokenizerClass, description: "tokenizer.json")
            loaded.languageTokens = languageTokens(t, tokenizerClass: tokenizerClass, legacyBehaviour: legacyBehaviour)
            loaded.languageTokens?.defaultSource = defaults.source
            loaded.languageTokens?.defaultTarget = defaults.target
            return loaded
        }
        if manager.fileExists(atPath: file("sentencepiece.bpe.model").path), manager.fileExists(atPath: file("vocab.json").path) {
            let t = try M2M100Tokenizer(directory: directory)
            var loaded = ModelTokenizer(source: t, target: t, tokenizerClass: tokenizerClass ?? "M2M100Tokenizer",
                                        description: "sentencepiece.bpe.model + vocab.json")
            loaded.languageTokens = LanguageTokens(
                codes: t.languageCodes, ids: Dictionary(uniqueKeysWithValues: t.languageCodes.map { ($0, t.languageTokenID($0)!) }),
                placement: .beforeText, defaultSource: defaults.source, defaultTarget: defaults.target)
            return loaded
        }
        if manager.fileExists(atPath: file("source.spm").path) {
            let t = try MarianTokenizer(directory: directory)
            return ModelTokenizer(source: t, target: t, tokenizerClass: tokenizerClass ?? "MarianTokenizer",
                                  description: "source.spm + target.spm + vocab.json")
        }
        if manager.fileExists(atPath: file("spiece.model").path) {
            // Pegasus's slow tokenizer puts its SentencePiece ids behind 103 reserved ones; read
            // as T5's, every id would be wrong without a word. transformers converts it to the
            // tokenizer.json the Hub's Pegasus folders carry.
            let modelType = try? JSONConfig(contentsOf: file("config.json")).string("model_type")
            if tokenizerClass?.hasPrefix("Pegasus") == true || modelType == "pegasus" {
                throw TokenizerError(file("spiece.model").path, "a Pegasus tokenizer is read from tokenizer.json (with Python: "
                    + "AutoTokenizer.from_pretrained(folder).save_pretrained(folder) writes it)")
            }
            let t = try SentencePieceTokenizer(contentsOf: file("spiece.model"), addEOS: true)
            return ModelTokenizer(source: t, target: t, tokenizerClass: tokenizerClass ?? "T5Tokenizer", description: "spiece.model")
        }
        return nil
    }

    /// Source ids of `text`; with `sourceLanguage`, a multilingual tokenizer's language token
    /// of that code in place of its default one.
    public func encodeSource(_ text: String, sourceLanguage: String? = nil) throws -> [Int] {
        guard let language = sourceLanguage else { return try source.encode(text, addSpecialTokens: true) }
        return try encode(text, by: source, language: language)
    }

    /// Label ids of `text` in `targetLanguage`, as transformers encodes `text_target=` for a
    /// multilingual tokenizer: `[code] text </s>` or `text </s> [code]` by the placement.
    public func encodeTarget(_ text: String, targetLanguage: String) throws -> [Int] {
        try encode(text, by: target, language: targetLanguage)
    }

    /// `text` through `tokenizer` with `language`'s token where the placement puts it.
    private func encode(_ text: String, by tokenizer: Tokenizer, language: String) throws -> [Int] {
        guard let languages = languageTokens else {
            throw TokenizerError(description, "this tokenizer has no language tokens (asked for \"\(language)\")")
        }
        guard let code = languages.ids[language] else {
            throw TokenizerError(description, "unknown language code \"\(language)\"")
        }
        guard let eos = tokenizer.id(for: "</s>") else { throw TokenizerError(description, "no </s> token") }
        let body = try tokenizer.encode(text, addSpecialTokens: false)
        switch languages.placement {
        case .beforeText: return [code] + body + [eos]
        case .afterEnd: return body + [eos, code]
        }
    }

    /// The language tokens of a `tokenizer.json` tokenizer of a multilingual class: mBART's
    /// `en_XX` and NLLB's `eng_Latn` tokens of its vocabulary.
    private static func languageTokens(_ t: Tokenizer, tokenizerClass: String?, legacyBehaviour: Bool) -> LanguageTokens? {
        let placement: LanguageTokens.Placement
        let isCode: (String) -> Bool
        switch tokenizerClass {
        case let name? where name.hasPrefix("MBart50"): (placement, isCode) = (.beforeText, isMBartCode)
        case let name? where name.hasPrefix("MBart"): (placement, isCode) = (.afterEnd, isMBartCode)
        case let name? where name.hasPrefix("Nllb"): (placement, isCode) = (legacyBehaviour ? .afterEnd : .beforeText, isNLLBCode)
        default: return nil
        }
        var ids: [String: Int] = [:]
        var codes: [String] = []
        for id in 0..<t.vocabularySize {
            guard let token = t.token(for: id), isCode(token), ids[token] == nil else { continue }
            ids[token] = id
            codes.append(token)
        }
        return LanguageTokens(codes: codes, ids: ids, placement: placement)
    }

    /// `en_XX`, `zh_CN`: two or three lowercase letters, `_`, two uppercase letters.
    static func isMBartCode(_ token: String) -> Bool {
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return (2...3).contains(parts[0].count) && parts[0].allSatisfy { $0.isASCII && $0.isLowercase }
            && parts[1].count == 2 && parts[1].allSatisfy { $0.isASCII && $0.isUppercase }
    }

    /// `eng_Latn`, `zho_Hans`: three lowercase letters, `_`, a four-letter ISO 15924 script.
    static func isNLLBCode(_ token: String) -> Bool {
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 3, parts[1].count == 4 else { return false }
        return parts[0].allSatisfy { $0.isASCII && $0.isLowercase } && parts[1].first!.isUppercase
            && parts[1].allSatisfy { $0.isASCII && $0.isLetter } && parts[1].dropFirst().allSatisfy(\.isLowercase)
    }
}

/// A tokenizer whose decoding also skips `special` ids when special tokens are skipped.
private struct SpecialSkipping: Tokenizer {
    let base: Tokenizer
    let special: Set<Int>

    var vocabularySize: Int { base.vocabularySize }
    func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int] { try base.encode(text, addSpecialTokens: addSpecialTokens) }
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        base.decode(skipSpecialTokens ? ids.filter { !special.contains($0) } : ids, skipSpecialTokens: skipSpecialTokens)
    }
    func token(for id: Int) -> String? { base.token(for: id) }
    func id(for token: String) -> Int? { base.id(for: token) }
}
