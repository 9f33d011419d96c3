// Whisper's special-token protocol, read off the model's vocabulary — modelled on
// faster-whisper `tokenizer.py` (`Tokenizer`: sot_sequence, non_speech_tokens, decode) and
// CTranslate2 `src/models/whisper.cc` (ids found by their token strings). The vocabulary is
// laid out as: text tokens…, <|endoftext|>, <|startoftranscript|>, one token per language,
// <|translate|>, <|transcribe|>, <|startoflm|>, <|startofprev|>, <|nospeech|>,
// <|notimestamps|>, then 1501 timestamp tokens <|0.00|> … <|30.00|>.
import Seq2SeqTokenizers

/// The special tokens of a Whisper vocabulary, and text decoding of generated ids.
public struct WhisperTokens: @unchecked Sendable {
    /// `<|endoftext|>`: ends a transcript; every id below it is text.
    public let endOfText: Int
    /// `<|startoftranscript|>`.
    public let startOfTranscript: Int
    /// `<|translate|>` and `<|transcribe|>`.
    public let translate: Int, transcribe: Int
    /// `<|startoflm|>`, `<|startofprev|>` (starts a previous-text prompt), `<|nospeech|>`.
    public let startOfLM: Int, startOfPrevious: Int, noSpeech: Int
    /// `<|notimestamps|>`; the timestamp tokens follow it.
    public let noTimestamps: Int
    /// `<|0.00|>`: timestamp token k means k × 0.02 s into the window.
    public var timestampBegin: Int { noTimestamps + 1 }
    /// The last id (`<|30.00|>`).
    public let lastId: Int
    /// Language codes in vocabulary order ("en", "zh", …); empty for English-only models.
    public let languages: [String]
    /// Whether the model is multilingual (language and task tokens follow `<|startoftranscript|>`).
    public let isMultilingual: Bool
    let tokenizer: Tokenizer

    /// Reads the special tokens from `tokenizer`; throws `TokenizerError` naming `path` when one is missing.
    public init(tokenizer: Tokenizer, vocabularySize: Int, path: String) throws {
        func id(_ token: String) throws -> Int {
            guard let id = tokenizer.id(for: token) else { throw TokenizerError(path, "not a Whisper vocabulary: no \(token) token") }
            return id
        }
        self.tokenizer = tokenizer
        endOfText = try id("<|endoftext|>")
        startOfTranscript = try id("<|startoftranscript|>")
        translate = try id("<|translate|>")
        transcribe = try id("<|transcribe|>")
        startOfLM = try id("<|startoflm|>")
        startOfPrevious = try id("<|startofprev|>")
        noSpeech = try (tokenizer.id(for: "<|nospeech|>") ?? id("<|nocaptions|>"))
        noTimestamps = try id("<|notimestamps|>")
        lastId = vocabularySize - 1
        // openai/whisper: multilingual models have 51865 or more tokens.
        isMultilingual = vocabularySize >= 51_865
        languages = isMultilingual ? ((startOfTranscript + 1)..<translate).compactMap { i in
            tokenizer.token(for: i).map { String($0.dropFirst(2).dropLast(2)) }
        } : []
        guard noTimestamps < lastId, startOfTranscript == endOfText + 1 else {
            throw TokenizerError(path, "not a Whisper vocabulary: unexpected special-token layout")
        }
    }

    /// The id of language `code` ("fr"), nil when the model does not know it.
    public func languageToken(_ code: String) -> Int? {
        languages.firstIndex(of: code).map { startOfTranscript + 1 + $0 }
    }

    /// The start-of-transcript sequence: `[sot]` for English-only models, else
    /// `[sot, language, task]` (faster-whisper `Tokenizer.sot_sequence`).
    func startSequence(language: String, task: WhisperTask) -> [Int] {
        guard isMultilingual, let lang = languageToken(language) else { return [startOfTranscript] }
        return [startOfTranscript, lang, task == .translate ? translate : transcribe]
    }

    /// Text of generated ids: special and timestamp tokens are dropped (faster-whisper `decode`).
    public func text(_ ids: [Int]) -> String {
        tokenizer.decode(ids.filter { $0 < endOfText }, skipSpecialTokens: false)
    }

    /// Ids of `text` without special tokens.
    public func encode(_ text: String) throws -> [Int] {
        try tokenizer.encode(text, addSpecialTokens: false)
    }

    /// Tokens that are not speech (symbols, music notes, brackets), as faster-whisper's
    /// `Tokenizer.non_speech_tokens`: each symbol's id, and the id of " " + symbol, when it is
    /// a single token (or the first token of a few always-suppressed symbols).
    public func nonSpeechTokens() -> [Int] {
        var symbols = Array("\"#()*+/:;<=>@[\\]^_`{|}~「」『』").map(String.init)
        symbols += "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪".split(separator: " ").map(String.init)
        let miscellaneous = Set("♩♪♫♬♭♮♯".map(String.init))
        var result: Set<Int> = []
        if let ids = try? encode(" -"), let first = ids.first { result.insert(first) }
        if let ids = try? encode(" '"), let first = ids.first { result.insert(first) }
        for symbol in symbols + miscellaneous.sorted() {
            for variant in [symbol, " " + symbol] {
                guard let ids = try? encode(variant), let first = ids.first else { continue }
                if ids.count == 1 || miscellaneous.contains(symbol) { result.insert(first) }
            }
        }
        return result.sorted()
    }
}

/// What the decoder writes: the speech's own language, or English.
public enum WhisperTask: String, Sendable, CaseIterable {
    /// Speech to text in the spoken language.
    case transcribe
    /// Speech to English text.
    case translate
}
