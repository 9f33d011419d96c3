// Generation options with Hugging Face names and defaults.
//
// Field meanings and defaults follow Hugging Face transformers 5.24
// generation/configuration_utils.py (`GenerationConfig`, `_get_default_generation_params`).
import Foundation
import Seq2SeqIO
import Seq2SeqTensor

/// How beam search decides that a source is done (HF `early_stopping`).
public enum EarlyStopping: Sendable, Equatable {
    /// HF `True`: stop a source as soon as `numBeams` hypotheses are finished.
    case always
    /// HF `False` (the default): stop when the best running beam, scored at the current
    /// length, can no longer beat the worst finished hypothesis.
    case heuristic
    /// HF `"never"`: like `heuristic`, but with a positive length penalty the running beam is
    /// scored at the maximum length, so the search only stops when no better hypothesis can exist.
    case never
}

/// A generation option that cannot be used: a JSON key of the wrong type, or an impossible setting.
public struct GenerationConfigError: Seq2SeqError, Error, CustomStringConvertible, Equatable {
    /// One line naming the key or setting at fault.
    public let description: String

    /// An error with a one-line message.
    public init(_ description: String) { self.description = description }
}

/// Options of one `generate` call, named and defaulted as in Hugging Face `GenerationConfig`.
///
///     var config = GenerationConfig(numBeams: 4, maxNewTokens: 64)
///     config.decoderStartTokenId = 0
///     config.eosTokenIds = [1]
public struct GenerationConfig: Sendable, Equatable {
    /// Beams per source; 1 means greedy decoding or plain sampling.
    public var numBeams: Int
    /// Hypotheses returned per source (at most `numBeams` for beam search).
    public var numReturnSequences: Int
    /// Exponent of the generated length that divides a finished beam's summed log-probability.
    /// Above 0 favours longer hypotheses, below 0 shorter ones.
    public var lengthPenalty: Float
    /// When beam search stops for a source.
    public var earlyStopping: EarlyStopping
    /// Maximum number of generated tokens after the decoder prompt; takes precedence over `maxLength`.
    public var maxNewTokens: Int?
    /// Minimum number of generated tokens before EOS is allowed; takes precedence over `minLength`.
    public var minNewTokens: Int?
    /// Maximum decoder length, decoder prompt included. When neither this nor `maxNewTokens`
    /// is set, HF's default applies: 20 new tokens (capped by `maxPositionEmbeddings`).
    public var maxLength: Int?
    /// Minimum decoder length, decoder prompt included, before EOS is allowed.
    public var minLength: Int?
    /// Bans any n-gram of this size from occurring twice in a decoder sequence; 0 disables.
    public var noRepeatNgramSize: Int
    /// Bans any n-gram of this size of the source from the decoder sequence (HF
    /// `encoder_no_repeat_ngram_size`, with the source ids as the session gives them); 0 disables.
    public var encoderNoRepeatNgramSize: Int = 0
    /// Penalty on tokens already in the decoder sequence (1 disables; HF CTRL-style rule).
    public var repetitionPenalty: Float
    /// HF `encoder_repetition_penalty`: source tokens' scores are multiplied by it when positive
    /// and divided when negative, so above 1 the output keeps closer to the source (1 disables).
    public var encoderRepetitionPenalty: Float = 1
    /// Samples the next token instead of taking the most likely one (or beam-samples).
    public var doSample: Bool
    /// Divides the scores before sampling; only used when `doSample`.
    public var temperature: Float
    /// Keeps only the `topK` most likely tokens when sampling; 0 disables.
    public var topK: Int
    /// Keeps the smallest set of most likely tokens whose probability reaches `topP` when sampling; 1 disables.
    public var topP: Float
    /// Seed of the sampling random generator; `nil` uses seed 0 (sampling is always reproducible).
    public var seed: UInt64?
    /// First decoder token of every row (HF falls back to `bosTokenId` when unset).
    public var decoderStartTokenId: Int?
    /// Padding token (HF pads finished greedy rows with it; defaults to the first EOS token).
    public var padTokenId: Int?
    /// End-of-sequence tokens; a row that emits any of them is finished. Empty: stop only at the length limit.
    public var eosTokenIds: [Int]
    /// Beginning-of-sequence token of the model.
    public var bosTokenId: Int?
    /// Token forced as the first generated token (mBART/BART language codes).
    public var forcedBosTokenId: Int?
    /// Token forced when the maximum length is about to be reached.
    public var forcedEosTokenId: Int?
    /// Token sequences that may never be generated (the last token is banned after the others).
    public var badWordsIds: [[Int]]
    /// Tokens that are never generated.
    public var suppressTokens: [Int]
    /// Tokens that are not generated as the first generated token.
    public var beginSuppressTokens: [Int]
    /// The model's `max_position_embeddings`, capping HF's default maximum length.
    public var maxPositionEmbeddings: Int?
    /// Log-softmax the scores again after every other processor (HF `renormalize_logits`),
    /// so beam scores stay log-probabilities after tokens were banned or forced.
    public var renormalizeLogits: Bool = false
    /// Replace NaN scores by 0 and infinities by the largest finite values (HF `remove_invalid_values`).
    public var removeInvalidValues: Bool = false
    /// Raise the EOS score exponentially once this many tokens were generated (HF
    /// `exponential_decay_length_penalty` = (start, factor)).
    public var exponentialDecayLengthPenalty: LengthDecay?

    /// HF `exponential_decay_length_penalty`: from `start` generated tokens on, EOS scores grow
    /// by |score| · (factor^n − 1) at the n-th token past the start.
    public struct LengthDecay: Sendable, Equatable {
        /// Generated tokens before the penalty starts.
        public var start: Int
        /// Growth factor per token past the start.
        public var factor: Double

        /// A decay starting after `start` generated tokens.
        public init(start: Int, factor: Double) {
            self.start = start
            self.factor = factor
        }
    }

    /// Options with Hugging Face defaults, overridden by any argument given.
    public init(numBeams: Int = 1, numReturnSequences: Int = 1, lengthPenalty: Float = 1,
                earlyStopping: EarlyStopping = .heuristic, maxNewTokens: Int? = nil, minNewTokens: Int? = nil,
                maxLength: Int? = nil, minLength: Int? = nil, noRepeatNgramSize: Int = 0,
                repetitionPenalty: Float = 1, doSample: Bool = false, temperature: Float = 1, topK: Int = 50,
                topP: Float = 1, seed: UInt64? = nil, decoderStartTokenId: Int? = nil, padTokenId: Int? = nil,
                eosTokenIds: [Int] = [], bosTokenId: Int? = nil, forcedBosTokenId: Int? = nil,
                forcedEosTokenId: Int? = nil, badWordsIds: [[Int]] = [], suppressTokens: [Int] = [],
                beginSuppressTokens: [Int] = [], maxPositionEmbeddings: Int? = nil) {
        self.numBeams = numBeams
        self.numReturnSequences = numReturnSequences
        self.lengthPenalty = lengthPenalty
        self.earlyStopping = earlyStopping
        self.maxNewTokens = maxNewTokens
        self.minNewTokens = minNewTokens
        self.maxLength = maxLength
        self.minLength = minLength
        self.noRepeatNgramSize = noRepeatNgramSize
        self.repetitionPenalty = repetitionPenalty
        self.doSample = doSample
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.decoderStartTokenId = decoderStartTokenId
        self.padTokenId = padTokenId
        self.eosTokenIds = eosTokenIds
        self.bosTokenId = bosTokenId
        self.forcedBosTokenId = forcedBosTokenId
        self.forcedEosTokenId = forcedEosTokenId
        self.badWordsIds = badWordsIds
        self.suppressTokens = suppressTokens
        self.beginSuppressTokens = beginSuppressTokens
        self.maxPositionEmbeddings = maxPositionEmbeddings
    }

    /// Options from a parsed `generation_config.json`, or, when the model folder has none
    /// (`json` nil), from the generation fields of `config.json`, as Hugging Face does
    /// (`GenerationConfig.from_model_config`): a `generation_config.json` replaces them all.
    /// `max_position_embeddings` always comes from `config.json` (it caps the default length).
    /// JSON `null` means unset. Throws `GenerationConfigError` naming a key of the wrong type.
    public init(json: JSONValue?, modelConfig: JSONValue) throws {
        let reader = JSONFields(object: json ?? modelConfig)
        self.init()
        numBeams = try reader.int("num_beams") ?? numBeams
        numReturnSequences = try reader.int("num_return_sequences") ?? numReturnSequences
        lengthPenalty = try reader.float("length_penalty") ?? lengthPenalty
        earlyStopping = try reader.earlyStopping("early_stopping") ?? earlyStopping
        maxNewTokens = try reader.int("max_new_tokens")
        minNewTokens = try reader.int("min_new_tokens")
        maxLength = try reader.int("max_length")
        minLength = try reader.int("min_length")
        noRepeatNgramSize = try reader.int("no_repeat_ngram_size") ?? noRepeatNgramSize
        encoderNoRepeatNgramSize = try reader.int("encoder_no_repeat_ngram_size") ?? 0
        repetitionPenalty = try reader.float("repetition_penalty") ?? repetitionPenalty
        encoderRepetitionPenalty = try reader.float("encoder_repetition_penalty") ?? 1
        doSample = try reader.bool("do_sample") ?? doSample
        temperature = try reader.float("temperature") ?? temperature
        topK = try reader.int("top_k") ?? topK
        topP = try reader.float("top_p") ?? topP
        decoderStartTokenId = try reader.int("decoder_start_token_id")
        padTokenId = try reader.int("pad_token_id")
        eosTokenIds = try reader.intOrInts("eos_token_id") ?? []
        bosTokenId = try reader.int("bos_token_id")
        forcedBosTokenId = try reader.int("forced_bos_token_id")
        forcedEosTokenId = try reader.singleIntOrList("forced_eos_token_id")
        badWordsIds = try reader.intRows("bad_words_ids") ?? []
        suppressTokens = try reader.intOrInts("suppress_tokens") ?? []
        beginSuppressTokens = try reader.intOrInts("begin_suppress_tokens") ?? []
        maxPositionEmbeddings = try JSONFields(object: modelConfig).int("max_position_embeddings")
        renormalizeLogits = try reader.bool("renormalize_logits") ?? false
        removeInvalidValues = try reader.bool("remove_invalid_values") ?? false
        if let decay = try reader.numbers("exponential_decay_length_penalty") {
            guard decay.count == 2, decay[0] == decay[0].rounded(), decay[0] >= 0, decay[1] > 0 else {
                throw GenerationConfigError("generation option 'exponential_decay_length_penalty': expected [start, factor] with start >= 0 and factor > 0")
            }
            exponentialDecayLengthPenalty = LengthDecay(start: Int(decay[0]), factor: decay[1])
        }
        try Self.refuseUnsupported(reader)
    }

    /// Settings of `GenerationConfig` that change what is generated and are not implemented
    /// here: refused, so a model never decodes differently from its reference without a word.
    /// The first group moved out of transformers itself (Hub `custom_generate` code) in v5.
    private static func refuseUnsupported(_ reader: JSONFields) throws {
        let refusals: [(key: String, active: (JSONFields) throws -> Bool, reason: String)] = [
            ("num_beam_groups", { try ($0.int("num_beam_groups") ?? 1) > 1 }, "diverse (group) beam search is not supported; transformers 5 moved it out of the library too"),
            ("diversity_penalty", { try ($0.float("diversity_penalty") ?? 0) != 0 }, "diverse (group) beam search is not supported"),
            ("constraints", { $0.isSet("constraints") }, "constrained beam search is not supported"),
            ("force_words_ids", { $0.isSet("force_words_ids") }, "constrained beam search is not supported"),
            ("penalty_alpha", { try ($0.float("penalty_alpha") ?? 0) > 0 && ($0.int("top_k") ?? 50) > 1 }, "contrastive search is not supported"),
            ("dola_layers", { $0.isSet("dola_layers") }, "DoLa decoding is not supported"),
            ("sequence_bias", { $0.isSet("sequence_bias") }, "sequence biases are not supported"),
            ("guidance_scale", { try ($0.float("guidance_scale") ?? 1) != 1 }, "classifier-free guidance is not supported"),
            ("typical_p", { try ($0.float("typical_p") ?? 1) < 1 }, "typical sampling is not supported"),
            ("epsilon_cutoff", { try ($0.float("epsilon_cutoff") ?? 0) > 0 }, "epsilon sampling is not supported"),
            ("eta_cutoff", { try ($0.float("eta_cutoff") ?? 0) > 0 }, "eta sampling is not supported"),
            ("min_p", { $0.isSet("min_p") }, "min-p sampling is not supported"),
            ("top_h", { $0.isSet("top_h") }, "top-h sampling is not supported"),
            ("watermarking_config", { $0.isSet("watermarking_config") }, "watermarking is not supported"),
            ("stop_strings", { $0.isSet("stop_strings") }, "stop strings are not supported"),
            ("max_time", { $0.isSet("max_time") }, "a time limit would make output depend on the machine's speed"),
        ]
        for r in refusals where try r.active(reader) {
            throw GenerationConfigError("generation option '\(r.key)': \(r.reason)")
        }
    }
}

/// Typed reads of an object's members, each failure naming the option.
private struct JSONFields {
    let object: JSONValue

    private func value(_ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    private func fail(_ key: String, _ expected: String, _ v: JSONValue) -> GenerationConfigError {
        GenerationConfigError("generation option '\(key)': expected \(expected), got \(v.summary)")
    }

    func int(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.intValue else { throw fail(key, "an integer", v) }
        return i
    }

    func float(_ key: String) throws -> Float? {
        guard let v = value(key) else { return nil }
        guard let d = v.doubleValue else { throw fail(key, "a number", v) }
        return Float(d)
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue else { throw fail(key, "true or false", v) }
        return b
    }

    func earlyStopping(_ key: String) throws -> EarlyStopping? {
        guard let v = value(key) else { return nil }
        if v.stringValue == "never" { return .never }
        guard let b = v.boolValue else { throw fail(key, "true, false or \"never\"", v) }
        return b ? .always : .heuristic
    }

    func intOrInts(_ key: String) throws -> [Int]? {
        guard let v = value(key) else { return nil }
        if let i = v.intValue { return [i] }
        guard let list = v.arrayValue else { throw fail(key, "an integer or a list of integers", v) }
        return try list.map { item in
            guard let i = item.intValue else { throw fail(key, "a list of integers", v) }
            return i
        }
    }

    func singleIntOrList(_ key: String) throws -> Int? {
        guard let ids = try intOrInts(key) else { return nil }
        guard ids.count <= 1 else {
            throw GenerationConfigError("generation option '\(key)': lists of more than one token are not supported")
        }
        return ids.first
    }

    /// Whether `key` holds a value other than `null`.
    func isSet(_ key: String) -> Bool { value(key) != nil }

    /// A list of numbers (`[start, factor]` pairs and the like).
    func numbers(_ key: String) throws -> [Double]? {
        guard let v = value(key) else { return nil }
        guard let list = v.arrayValue else { throw fail(key, "a list of numbers", v) }
        return try list.map { item in
            guard let d = item.doubleValue else { throw fail(key, "a list of numbers", v) }
            return d
        }
    }

    func intRows(_ key: String) throws -> [[Int]]? {
        guard let v = value(key) else { return nil }
        guard let rows = v.arrayValue else { throw fail(key, "a list of lists of integers", v) }
        return try rows.map { row in
            guard let items = row.arrayValue else { throw fail(key, "a list of lists of integers", v) }
            return try items.map { item in
                guard let i = item.intValue else { throw fail(key, "a list of lists of integers", v) }
                return i
            }
        }
    }
}

extension GenerationConfigError: LocalizedError {
    /// The one-line description, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}
