// tokenizer.json post-processors: the special tokens `encode` adds around a sequence, modelled
// on huggingface/tokenizers tokenizers/src/processors/{template,roberta,bert,sequence}.rs and
// pre_tokenizers/byte_level.rs (whose post-processor only trims offsets, so leaves ids alone).
import Seq2SeqIO

/// Adds the special tokens of a single sequence (tokenizer.json `post_processor`).
protocol PostProcessor: Sendable {
    func process(_ tokens: [EncodedToken], addSpecialTokens: Bool) -> [EncodedToken]
}

/// Reads a `post_processor` entry; unknown types throw naming the type.
func makePostProcessor(_ json: JSONNode) throws -> PostProcessor {
    let type = try json.type("post-processor")
    switch type {
    case "TemplateProcessing": return try TemplateProcessing(json: json)
    case "RobertaProcessing", "BertProcessing":
        return try Surround(cls: SpecialPair(json: try json.required("cls")), sep: SpecialPair(json: try json.required("sep")))
    case "ByteLevel": return KeepTokens()
    case "Sequence":
        return PostProcessorSequence(steps: try json.required("processors").array().map(makePostProcessor))
    default:
        throw json.error("unknown post-processor type \"\(type)\" at \(json.at)")
    }
}

/// A `["<s>", 0]` pair.
struct SpecialPair {
    let token: String
    let id: Int

    init(json: JSONNode) throws {
        let pair = try json.array()
        guard pair.count == 2 else { throw json.error("\(json.at) should be [token, id]") }
        token = try pair[0].string()
        id = try pair[1].int()
    }
}

/// RobertaProcessing / BertProcessing for one sequence: cls … sep.
struct Surround: PostProcessor {
    let cls: SpecialPair
    let sep: SpecialPair

    func process(_ tokens: [EncodedToken], addSpecialTokens: Bool) -> [EncodedToken] {
        guard addSpecialTokens else { return tokens }
        return [EncodedToken(id: cls.id, text: cls.token)] + tokens + [EncodedToken(id: sep.id, text: sep.token)]
    }
}

/// The ByteLevel post-processor: ids unchanged.
struct KeepTokens: PostProcessor {
    func process(_ tokens: [EncodedToken], addSpecialTokens: Bool) -> [EncodedToken] { tokens }
}

/// Several post-processors, applied in order.
struct PostProcessorSequence: PostProcessor {
    let steps: [PostProcessor]

    func process(_ tokens: [EncodedToken], addSpecialTokens: Bool) -> [EncodedToken] {
        steps.reduce(tokens) { $1.process($0, addSpecialTokens: addSpecialTokens) }
    }
}

/// TemplateProcessing's `single` template: special tokens around `$A`.
struct TemplateProcessing: PostProcessor {
    /// The template, nil standing for the sequence.
    let single: [[EncodedToken]?]

    init(json: JSONNode) throws {
        var specials: [String: [EncodedToken]] = [:]
        if let map = try json.optional("special_tokens") {
            for (name, entry) in try map.members() {
                let ids = try entry.required("ids").array().map { try $0.int() }
                let tokens = try entry.required("tokens").array().map { try $0.string() }
                guard ids.count == tokens.count else { throw entry.error("\(entry.at): ids and tokens differ in length") }
                specials[name] = zip(ids, tokens).map { EncodedToken(id: $0, text: $1) }
            }
        }
        single = try json.required("single").array().map { (piece: JSONNode) -> [EncodedToken]? in
            if let special = try piece.optional("SpecialToken") {
                let name = try special.required("id").string()
                guard let tokens = specials[name] else {
                    throw piece.error("\(piece.at): special token \"\(name)\" is missing from special_tokens")
                }
                return tokens
            }
            if try piece.optional("Sequence") != nil { return nil }
            throw piece.error("\(piece.at) should be a SpecialToken or a Sequence")
        }
    }

    func process(_ tokens: [EncodedToken], addSpecialTokens: Bool) -> [EncodedToken] {
        guard addSpecialTokens else { return tokens }
        var out: [EncodedToken] = []
        out.reserveCapacity(tokens.count + single.count)
        for piece in single { out += piece ?? tokens }
        return out
    }
}
