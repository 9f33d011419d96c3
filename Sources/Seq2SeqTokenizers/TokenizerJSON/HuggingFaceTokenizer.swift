// A Hugging Face `tokenizer.json` pipeline: added tokens split out, normalizer, pre-tokenizer,
// model, post-processor; decoder for the way back. Modelled on huggingface/tokenizers
// tokenizers/src/tokenizer/{mod,serialization}.rs (`encode_single_sequence`, `decode`).
import Foundation
import Seq2SeqIO

/// A tokenizer read from a Hugging Face `tokenizer.json`, giving the ids, tokens and text that
/// the `tokenizers` library gives.
///
/// ```swift
/// let tokenizer = try HuggingFaceTokenizer(contentsOf: folder.appendingPathComponent("tokenizer.json"))
/// let ids = try tokenizer.encode("Hello world")        // with the special tokens
/// let text = tokenizer.decode(ids)                     // special tokens skipped
/// ```
public final class HuggingFaceTokenizer: Tokenizer, @unchecked Sendable {
    /// The file it was read from, for messages.
    public let path: String
    private let added: AddedVocabulary
    private let normalizer: TextNormalizer?
    private let preTokenizer: PreTokenizer?
    private let model: TokenModel
    private let postProcessor: PostProcessor?
    private let decoder: TokenDecoder?

    /// Reads a `tokenizer.json`; throws `TokenizerError` naming the file and what is wrong
    /// (corrupt JSON, an unknown component type, a missing or malformed field).
    public convenience init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError(url.path, FileManager.default.fileExists(atPath: url.path) ? "cannot read" : "missing file")
        }
        try self.init(json: try JSONValue.parse([UInt8](data), path: url.path), path: url.path)
    }

    /// Reads a GPT-2 / RoBERTa / BART style `vocab.json` + `merges.txt` pair: byte-level BPE,
    /// `<s>` … `</s>` around each sequence as RobertaProcessing adds them, and the special
    /// tokens `<s> <pad> </s> <unk> <mask>` that are in the vocabulary (`<mask>` strips the
    /// space before it), as `transformers` sets them up for BART and RoBERTa.
    public convenience init(vocabJSON: URL, merges: URL, addPrefixSpace: Bool = false) throws {
        let vocabData: Data, mergesText: String
        do {
            vocabData = try Data(contentsOf: vocabJSON)
            mergesText = try String(contentsOf: merges, encoding: .utf8)
        } catch {
            throw TokenizerError(vocabJSON.deletingLastPathComponent().path, "cannot read vocab.json / merges.txt")
        }
        let vocab = try JSONValue.parse([UInt8](vocabData), path: vocabJSON.path)
        guard case .object(let entries) = vocab else { throw TokenizerError(vocabJSON.path, "should be an object of token → id") }
        let mergeLines = mergesText.split(separator: "\n", omittingEmptySubsequences: true)
            .filter { !$0.hasPrefix("#version") }.map { JSONValue.string(String($0)) }
        func id(_ token: String) -> JSONValue? {
            entries.first { Array($0.0.utf8) == Array(token.utf8) }?.1
        }
        let specials: [JSONValue] = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"].compactMap { t in
            guard let i = id(t) else { return nil }
            return .object([("id", i), ("content", .string(t)), ("special", .bool(true)), ("normalized", .bool(false)),
                            ("lstrip", .bool(t == "<mask>")), ("rstrip", .bool(false)), ("single_word", .bool(false))])
        }
        var post = JSONValue.object([("type", .string("ByteLevel"))])
        if let cls = id("<s>"), let sep = id("</s>") {
            post = .object([("type", .string("RobertaProcessing")), ("cls", .array([.string("<s>"), cls])),
                            ("sep", .array([.string("</s>"), sep]))])
        }
        let spec = JSONValue.object([
            ("added_tokens", .array(specials)),
            ("pre_tokenizer", .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(addPrefixSpace))])),
            ("post_processor", post),
            ("decoder", .object([("type", .string("ByteLevel"))])),
            ("model", .object([("type", .string("BPE")), ("vocab", vocab), ("merges", .array(mergeLines))])),
        ])
        try self.init(json: spec, path: vocabJSON.deletingLastPathComponent().path)
    }

    init(json value: JSONValue, path: String) throws {
        self.path = path
        let root = JSONNode(value: value, at: "", file: path)
        guard root.isObject else { throw TokenizerError(path, "expected a JSON object at the top level") }
        normalizer = try root.optional("normalizer").map(makeNormalizer)
        preTokenizer = try root.optional("pre_tokenizer").map(makePreTokenizer)
        model = try makeModel(try root.required("model"))
        postProcessor = try root.optional("post_processor").map(makePostProcessor)
        decoder = try root.optional("decoder").map(makeDecoder)
        added = try AddedVocabulary(json: root.optional("added_tokens"), model: model, normalizer: normalizer)
    }

    /// Number of ids: the largest id of the model or the added tokens, + 1.
    public var vocabularySize: Int { max(model.idLimit, (added.tokens.map(\.id).max() ?? -1) + 1) }

    /// Ids of `text`; with `addSpecialTokens` those the post-processor adds (`tok.encode(text).ids`).
    public func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int] {
        try encodeTokens(text, addSpecialTokens: addSpecialTokens).map(\.id)
    }

    /// Token strings of `text`, as `tok.encode(text).tokens` gives them.
    public func tokens(_ text: String, addSpecialTokens: Bool = true) throws -> [String] {
        try encodeTokens(text, addSpecialTokens: addSpecialTokens).map { $0.text ?? token(for: $0.id) ?? "" }
    }

    private func encodeTokens(_ text: String, addSpecialTokens: Bool) throws -> [EncodedToken] {
        var pieces = added.extractAndNormalize(Array(text.unicodeScalars), normalizer: normalizer)
        if let preTokenizer { pieces = preTokenizer.preTokenize(pieces) }
        var tokens: [EncodedToken] = []
        tokens.reserveCapacity(pieces.count * 2)
        for piece in pieces {
            if let id = piece.addedToken {
                tokens.append(EncodedToken(id: id, text: String(String.UnicodeScalarView(piece.text))))
            } else {
                try model.tokenize(piece.text, into: &tokens)
            }
        }
        return postProcessor?.process(tokens, addSpecialTokens: addSpecialTokens) ?? tokens
    }

    /// Text of `ids` through the decoder; unknown ids are left out, and special tokens too
    /// with `skipSpecialTokens`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        let strings = ids.compactMap { id -> String? in
            guard let t = token(for: id) else { return nil }
            if skipSpecialTokens && added.special.contains(Array(t.utf8)) { return nil }
            return t
        }
        guard let decoder else { return strings.joined(separator: " ") }
        return decoder.decodeChain(strings).joined()
    }

    /// The token string of `id`: an added token's content, else the model's entry.
    public func token(for id: Int) -> String? { added.contents[id] ?? model.token(for: id) }

    /// The id of an added token or a model vocabulary entry (compared by exact scalars).
    public func id(for token: String) -> Int? { added.ids[Array(token.utf8)] ?? model.id(for: token) }
}
