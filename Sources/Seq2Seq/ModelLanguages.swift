// The language codes a text model accepts, and how it is told which languages to use:
// language tokens (mBART `en_XX`, NLLB `eng_Latn`, M2M-100 `en`), opus-mt's target tokens (`>>por<<` written before the
// source text, as transformers' MarianTokenizer reads them), T5's task prefixes
// (`task_specific_params`: `translation_en_to_de`), or the one pair a single-direction model
// translates (`tokenizer_config.json`'s `source_lang`/`target_lang`, a Firefox folder's
// `model_info.json`). A code the model does not know is refused rather than written into the
// input, where it would change the translation without a word.
import Foundation
import Seq2SeqIO
import Seq2SeqTensor

/// The languages a model translates from and to, and how a choice reaches it.
public struct ModelLanguages: Sendable, Equatable {
    /// How the model is told the languages.
    public enum Mechanism: String, Sendable, Equatable {
        /// Language tokens in source and decoder (mBART `en_XX`, NLLB `eng_Latn`, M2M-100 `en`): the source gets its code,
        /// the decoder is forced to start with the target's.
        case languageTokens = "language tokens"
        /// A `>>code<<` token before the source text names the target (opus-mt multilingual models).
        case targetTokens = "target tokens"
        /// A task prefix before the source text (T5).
        case taskPrefixes = "task prefixes"
        /// One direction only; a code is accepted when it is that direction's.
        case fixedPair = "fixed pair"
        /// The model names no languages.
        case none
    }

    /// Codes accepted by `--source-lang`.
    public var source: [String]
    /// Codes accepted by `--target-lang`.
    public var target: [String]
    /// How a choice reaches the model.
    public var mechanism: Mechanism

    /// A model that names no languages.
    public static let unknown = ModelLanguages(source: [], target: [], mechanism: .none)

    /// Throws `TranslationError` when `source` or `target` is given and the model does not know it.
    public func check(source: String?, target: String?) throws {
        for (code, known, flag) in [(source, self.source, "source"), (target, self.target, "target")] {
            guard let code, !known.contains(code) else { continue }
            throw TranslationError(known.isEmpty
                ? "this model has no \(flag) language codes; translate without --\(flag)-lang"
                : "unknown \(flag) language \"\(code)\" (this model knows: \(Self.list(known)))")
        }
    }

    private static func list(_ codes: [String]) -> String {
        codes.count <= 40 ? codes.joined(separator: ", ") : codes.prefix(40).joined(separator: ", ") + ", … (\(codes.count) in all)"
    }

    /// The languages of a Hugging Face folder with its tokenizer.
    static func of(_ model: Seq2SeqModel, tokenizer: ModelTokenizer) -> ModelLanguages {
        if let languages = tokenizer.languageTokens {
            return ModelLanguages(source: languages.codes, target: languages.codes, mechanism: .languageTokens)
        }
        if model.network.family == "marian" {
            let targets = vocabulary(tokenizer.source).compactMap(targetToken)
            let pair = fixedPair(model.directory)
            if !targets.isEmpty { return ModelLanguages(source: pair?.source ?? [], target: targets, mechanism: .targetTokens) }
            return pair ?? .unknown
        }
        if let tasks = model.taskPrefixes?.translations {
            guard !tasks.isEmpty else { return fixedPair(model.directory) ?? .unknown }
            return ModelLanguages(source: unique(tasks.map(\.source)), target: unique(tasks.map(\.target)), mechanism: .taskPrefixes)
        }
        return fixedPair(model.directory) ?? .unknown
    }

    /// The one pair of a Marian (Firefox Translations) folder, from `model_info.json`'s
    /// `shortName` (`en-pt-tiny`).
    static func ofMarianFolder(_ directory: URL) -> ModelLanguages {
        guard let info = try? JSONConfig(contentsOf: directory.appendingPathComponent("model_info.json")),
              let name = try? info.string("shortName") else { return .unknown }
        let parts = name.split(separator: "-").map(String.init)
        guard parts.count >= 2 else { return .unknown }
        return ModelLanguages(source: [parts[0]], target: [parts[1]], mechanism: .fixedPair)
    }

    /// `source_lang` / `target_lang` of `tokenizer_config.json`, when both are set.
    private static func fixedPair(_ directory: URL) -> ModelLanguages? {
        guard let config = try? JSONConfig(contentsOf: directory.appendingPathComponent("tokenizer_config.json")),
              let source = try? config.string("source_lang"), let target = try? config.string("target_lang") else { return nil }
        return ModelLanguages(source: [source], target: [target], mechanism: .fixedPair)
    }

    /// Every token of `tokenizer`'s vocabulary.
    private static func vocabulary(_ tokenizer: Tokenizer) -> [String] {
        (0..<tokenizer.vocabularySize).compactMap { tokenizer.token(for: $0) }
    }

    /// `por` for the opus-mt token `>>por<<`.
    private static func targetToken(_ token: String) -> String? {
        guard token.hasPrefix(">>"), token.hasSuffix("<<"), token.count > 4 else { return nil }
        return String(token.dropFirst(2).dropLast(2))
    }

    /// (`en`, `de`) for the T5 task `translation_en_to_de`.
    private static func unique(_ codes: [String]) -> [String] { Array(Set(codes)).sorted() }
}

/// A translation request the model cannot carry out as asked (an unknown language code):
/// bad usage, not bad data.
public struct TranslationError: Seq2SeqError, Error, CustomStringConvertible, LocalizedError, Sendable {
    /// What is wrong, in one line.
    public let description: String
    /// An error with a one-line message.
    public init(_ description: String) { self.description = description }
    /// The one-line message.
    public var errorDescription: String? { description }
}

extension TranslationError {
    /// A bad request: exit status 2.
    public var exitStatus: Int32 { 2 }
}
