// What BPETrainer learns, as a Hugging Face tokenizer.json (the layout `tokenizers` 0.23 writes
// for a Metaspace BPE with byte fallback) and a tokenizer_config.json that lets
// `transformers.AutoTokenizer` load the folder. The tokenizer it encodes with is read back from
// that very text, so the saved file and this value cannot disagree.
import Foundation
import Seq2SeqIO

/// A tokenizer learned by `BPETrainer`: encodes and decodes, and saves itself as a
/// `tokenizer.json` folder.
public struct TrainedBPETokenizer: Tokenizer {
    /// Every token string, by id.
    public let vocabulary: [String]
    /// The merges in the order learned (the first has the highest priority), as (left, right).
    public let merges: [(String, String)]
    /// The `tokenizer.json` text (UTF-8), the same bytes for the same training.
    public let tokenizerJSON: Data
    /// The `tokenizer_config.json` text (UTF-8): `PreTrainedTokenizerFast` and the special tokens.
    public let tokenizerConfigJSON: Data
    private let pipeline: HuggingFaceTokenizer

    init(trainer: BPETrainer, vocabulary: [String], merges: [(String, String)]) throws {
        self.vocabulary = vocabulary
        self.merges = merges
        let json = TrainedBPETokenizer.tokenizerSpec(trainer, vocabulary: vocabulary, merges: merges).serialized()
        tokenizerJSON = Data(json)
        tokenizerConfigJSON = Data(TrainedBPETokenizer.configSpec(trainer).serialized())
        pipeline = try HuggingFaceTokenizer(json: try JSONValue.parse(json, path: "trained tokenizer.json"),
                                            path: "trained tokenizer.json")
    }

    /// Writes `tokenizer.json` and `tokenizer_config.json` into `directory`, creating it if needed.
    public func save(to directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try tokenizerJSON.write(to: directory.appendingPathComponent("tokenizer.json"))
            try tokenizerConfigJSON.write(to: directory.appendingPathComponent("tokenizer_config.json"))
        } catch {
            throw TokenizerError(directory.path, "cannot write the tokenizer: \(error.localizedDescription)")
        }
    }

    /// Number of ids.
    public var vocabularySize: Int { pipeline.vocabularySize }

    /// Ids of `text`; with `addSpecialTokens` the end-of-sequence token is appended.
    public func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int] {
        try pipeline.encode(text, addSpecialTokens: addSpecialTokens)
    }

    /// Token strings of `text`, as `tokenizers`' `encode(text).tokens` gives them.
    public func tokens(_ text: String, addSpecialTokens: Bool = true) throws -> [String] {
        try pipeline.tokens(text, addSpecialTokens: addSpecialTokens)
    }

    /// Text of `ids`; with `skipSpecialTokens` special tokens are left out.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        pipeline.decode(ids, skipSpecialTokens: skipSpecialTokens)
    }

    /// The token string of `id` (nil when out of range).
    public func token(for id: Int) -> String? { pipeline.token(for: id) }

    /// The id of a token string, if it is in the vocabulary.
    public func id(for token: String) -> Int? { pipeline.id(for: token) }

    // MARK: The files

    private static func object(_ members: [(String, JSONValue)]) -> JSONValue { .object(members) }

    private static func addedToken(id: Int, _ content: String, special: Bool) -> [(String, JSONValue)] {
        [("id", .integer(id)), ("content", .string(content)), ("single_word", .bool(false)),
         ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(false)), ("special", .bool(special))]
    }

    private static func tokenizerSpec(_ trainer: BPETrainer, vocabulary: [String], merges: [(String, String)]) -> JSONValue {
        let added = trainer.specialTokens.map { (token: $0, special: true) } + trainer.userTokens.map { (token: $0, special: false) }
        let metaspace = object([("type", .string("Metaspace")), ("replacement", .string("\u{2581}")),
                                ("prepend_scheme", .string("always")), ("split", .bool(true))])
        let model = object([
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", .string(trainer.unknownToken)),
            ("continuing_subword_prefix", .null), ("end_of_word_suffix", .null), ("fuse_unk", .bool(true)),
            ("byte_fallback", .bool(trainer.byteFallback)), ("ignore_merges", .bool(false)),
            ("vocab", .object(vocabulary.enumerated().map { ($1, .integer($0)) })),
            ("merges", .array(merges.map { .array([.string($0.0), .string($0.1)]) })),
        ])
        let decoder = trainer.byteFallback
            ? object([("type", .string("Sequence")),
                      ("decoders", .array([metaspace, object([("type", .string("ByteFallback"))]), object([("type", .string("Fuse"))])]))])
            : metaspace
        return object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null),
            ("added_tokens", .array(added.enumerated().map { object(addedToken(id: $0, $1.token, special: $1.special)) })),
            ("normalizer", trainer.nfkc ? object([("type", .string("NFKC"))]) : .null),
            ("pre_tokenizer", metaspace),
            ("post_processor", postProcessor(trainer)),
            ("decoder", decoder),
            ("model", model),
        ])
    }

    /// TemplateProcessing appending the end-of-sequence token (`$A </s>`, `$A </s> $B </s>`).
    private static func postProcessor(_ trainer: BPETrainer) -> JSONValue {
        guard let end = trainer.endOfSequenceToken, let id = trainer.specialTokens.firstIndex(of: end) else { return .null }
        func sequence(_ name: String, _ type: Int) -> JSONValue {
            object([("Sequence", object([("id", .string(name)), ("type_id", .integer(type))]))])
        }
        func special(_ type: Int) -> JSONValue {
            object([("SpecialToken", object([("id", .string(end)), ("type_id", .integer(type))]))])
        }
        return object([
            ("type", .string("TemplateProcessing")),
            ("single", .array([sequence("A", 0), special(0)])),
            ("pair", .array([sequence("A", 0), special(0), sequence("B", 1), special(1)])),
            ("special_tokens", object([(end, object([("id", .string(end)), ("ids", .array([.integer(id)])),
                                                     ("tokens", .array([.string(end)]))]))])),
        ])
    }

    /// tokenizer_config.json: the class, the special tokens by role, the others as extras.
    private static func configSpec(_ trainer: BPETrainer) -> JSONValue {
        let added = trainer.specialTokens.map { (token: $0, special: true) } + trainer.userTokens.map { (token: $0, special: false) }
        let roles: [(String, String?)] = [("bos_token", trainer.beginOfSequenceToken), ("eos_token", trainer.endOfSequenceToken),
                                          ("pad_token", trainer.padToken), ("unk_token", trainer.unknownToken)]
        let named = Set(roles.compactMap(\.1))
        var members: [(String, JSONValue)] = [
            ("added_tokens_decoder", object(added.enumerated().map { id, t in
                ("\(id)", object(addedToken(id: id, t.token, special: t.special).filter { $0.0 != "id" }))
            })),
        ]
        members += roles.compactMap { role, token in token.map { (role, .string($0)) } }
        members.append(("clean_up_tokenization_spaces", .bool(false)))
        let extras = trainer.specialTokens.filter { !named.contains($0) }
        if !extras.isEmpty { members.append(("extra_special_tokens", .array(extras.map { .string($0) }))) }
        members.append(("tokenizer_class", .string("PreTrainedTokenizerFast")))
        return object(members)
    }
}
