// The tokenizer of a model folder, as transformers' AutoTokenizer would load it: the folder's
// `tokenizer.json` when present (T5, BART, mBART, Whisper), else the family's own files
// (Marian: `source.spm` + `target.spm` + `vocab.json`; T5: `spiece.model`).
import Foundation

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

    /// The folder's tokenizer, or nil when it has none.
    public static func load(directory: URL) throws -> ModelTokenizer? {
        let manager = FileManager.default
        let file = { (name: String) in directory.appendingPathComponent(name) }
        var tokenizerClass: String?
        if let data = try? Data(contentsOf: file("tokenizer_config.json")),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            tokenizerClass = object["tokenizer_class"] as? String
        }
        if manager.fileExists(atPath: file("tokenizer.json").path) {
            let t = try HuggingFaceTokenizer(contentsOf: file("tokenizer.json"))
            if (try? ModelFolderKind.detect(directory)) == .marian {
                // Marian's `</s>` is a plain vocabulary entry of the Firefox tokenizer.json, but
                // the end of a sentence all the same: decoding skips it like a special token.
                let target = SpecialSkipping(base: t, special: Set([t.id(for: "</s>")].compactMap { $0 }))
                return ModelTokenizer(source: t, target: target, tokenizerClass: tokenizerClass, description: "tokenizer.json (Marian)")
            }
            return ModelTokenizer(source: t, target: t, tokenizerClass: tokenizerClass, description: "tokenizer.json")
        }
        if manager.fileExists(atPath: file("source.spm").path) {
            let t = try MarianTokenizer(directory: directory)
            return ModelTokenizer(source: t, target: t, tokenizerClass: tokenizerClass ?? "MarianTokenizer",
                                  description: "source.spm + target.spm + vocab.json")
        }
        if manager.fileExists(atPath: file("spiece.model").path) {
            let t = try SentencePieceTokenizer(contentsOf: file("spiece.model"), addEOS: true)
            return ModelTokenizer(source: t, target: t, tokenizerClass: tokenizerClass ?? "T5Tokenizer", description: "spiece.model")
        }
        return nil
    }

    /// Source ids of `text`; for mBART-style tokenizers `sourceLanguage` replaces the language
    /// code the tokenizer appends (`X </s> en_XX`).
    public func encodeSource(_ text: String, sourceLanguage: String? = nil) throws -> [Int] {
        guard let language = sourceLanguage else { return try source.encode(text, addSpecialTokens: true) }
        guard let code = source.id(for: language) else {
            throw TokenizerError(description, "unknown language code \"\(language)\"")
        }
        let body = try source.encode(text, addSpecialTokens: false)
        if tokenizerClass?.hasPrefix("MBart50") == true, let eos = source.id(for: "</s>") {
            return [code] + body + [eos]
        }
        guard let eos = source.id(for: "</s>") else { return body + [code] }
        return body + [eos, code]
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
