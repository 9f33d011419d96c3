// The generation entry point: resolves lengths and the processor list as Hugging Face
// `generate` does for an encoder-decoder model, then runs greedy search, sampling or beam search
// — with Hugging Face's semantics, or CTranslate2's where a family's reference runs on it
// (Whisper, as faster-whisper decodes).
//
// Semantics follow Hugging Face transformers 5.24 generation/utils.py (`generate`,
// `_prepare_generated_length`, `_prepare_special_tokens`, `_get_logits_processor`) and
// CTranslate2 `src/decoding.cc` (`BeamSearch::search`, `GreedySearch` with a `RandomSampler`).
import Seq2SeqTensor

/// One generated sequence of a source.
public struct Hypothesis: Sendable, Equatable {
    /// Generated ids: without the decoder start token and the forced prefix, with the final
    /// EOS when one was generated.
    public var ids: [Int]
    /// Beam search: HF `sequences_scores`, the summed log-probabilities divided by
    /// (generated length)^lengthPenalty, the length counting the EOS but not the decoder prompt.
    /// Greedy and sampling: the sum of `tokenLogProbs` (no length penalty).
    public var score: Float?
    /// For each generated token, its log-probability after all logits processors: for beam
    /// search the processed log-softmax HF accumulates; for greedy and sampling the log-softmax
    /// of the processed scores the token was chosen from (so sampling includes temperature,
    /// top-k and top-p).
    public var tokenLogProbs: [Float]

    /// A hypothesis from its parts.
    public init(ids: [Int], score: Float?, tokenLogProbs: [Float]) {
        self.ids = ids
        self.score = score
        self.tokenLogProbs = tokenLogProbs
    }
}

/// Whose decoding rules a search follows. The logits processors are the same under both.
public enum DecodingSemantics: Sendable, Equatable {
    /// Hugging Face transformers' `generate`: processors on log-probabilities in beam search;
    /// `max(2, 1 + EOS ids) × beams` candidates a step; finished hypotheses ranked by summed
    /// log-probability / (length with EOS)^lengthPenalty; early stopping as configured; sampling
    /// scores include the temperature, from one random stream.
    case huggingFace
    /// CTranslate2's (faster-whisper's decoding): processors on the raw logits, then the
    /// log-softmax, the repetition penalty and no-repeat n-grams reading only generated tokens; 2 × beams candidates a step, a candidate among the first `beams` that ends
    /// is finished and its place goes to the next unfinished one; the search stops once
    /// beams × `patience` hypotheses are finished; they are ranked by summed log-probability /
    /// (length without EOS)^lengthPenalty; greedy search is beam search with one beam. Sampling
    /// draws from softmax(logits / T) (no top-k or top-p) but scores the token without the
    /// temperature, each source from its own random stream.
    case ctranslate2(patience: Float)
}

/// Decodes sources through a `DecoderSession` with one `GenerationConfig`.
///
///     let generator = Generator(config: GenerationConfig(numBeams: 4, decoderStartTokenId: 0, eosTokenIds: [1]))
///     let hypotheses = try generator.generate(session: decoder)   // [source][rank]
public struct Generator {
    /// The options of every `generate` call.
    public let config: GenerationConfig
    /// Model-specific processors run after the standard ones.
    public let extraProcessors: [LogitsProcessor]
    /// Called with (source, token) as each token is chosen, for streaming: greedy search and
    /// sampling call it at every step (sampling with one sequence per source); beam search
    /// does not (its best hypothesis is known only at the end).
    public var onToken: ((_ source: Int, _ token: Int) -> Void)?
    /// Whose decoding rules the searches follow.
    public var semantics: DecodingSemantics

    /// A generator using `config`, and `extraProcessors` after the standard processors.
    public init(config: GenerationConfig, extraProcessors: [LogitsProcessor] = [], semantics: DecodingSemantics = .huggingFace) {
        self.config = config
        self.extraProcessors = extraProcessors
        self.semantics = semantics
    }

    /// Generates for every source of `session`; returns one array per source with
    /// `numReturnSequences` hypotheses, best first (sampling: in the order drawn).
    ///
    /// Every row starts with `decoderStartTokenId` (else `bosTokenId`) followed by the forced
    /// `prefix`; together they are the decoder prompt, which counts towards `maxLength` and
    /// `minLength` but not towards `maxNewTokens`, `minNewTokens` or the length penalty.
    /// Sources that are finished are dropped from the session with `reorder(rows:)`.
    /// Throws `GenerationConfigError` for impossible options, and rethrows session errors.
    public func generate(session: DecoderSession, prefix: [Int] = []) throws -> [[Hypothesis]] {
        let prompt = try DecodePlan.prompt(config: config, prefix: prefix)
        return try generate(session: session, prompts: Array(repeating: prompt, count: session.sourceCount))
    }

    /// Generates for every source of `session` after its own decoder prompt (`prompts[s]`: the
    /// start token and any forced tokens; all prompts of one length), at most `maxNewTokens[s]`
    /// tokens for source `s` when given (else the configuration's limit for all). Returns one
    /// array per source, as `generate(session:prefix:)` does.
    public func generate(session: DecoderSession, prompts: [[Int]], maxNewTokens: [Int]? = nil) throws -> [[Hypothesis]] {
        let plan = try DecodePlan(config: config, prompts: prompts, maxNewTokens: maxNewTokens, semantics: semantics,
                                  sourceCount: session.sourceCount, sourceIds: session.sourceIds, extraProcessors: extraProcessors)
        guard session.sourceCount > 0 else { return [] }
        switch semantics {
        case .huggingFace where config.numBeams > 1, .ctranslate2 where !config.doSample:
            return try BeamSearch(plan: plan).run(session)
        default:
            return try SamplingSearch(plan: plan, onToken: onToken).run(session)
        }
    }
}

/// The resolved settings of one generation: prompts, absolute lengths and processors.
struct DecodePlan {
    let config: GenerationConfig
    let semantics: DecodingSemantics
    /// Each source's decoder prompt (start token, then forced tokens), all of one length.
    let prompts: [[Int]]
    /// Decoder prompt length.
    let promptLength: Int
    /// Absolute maximum decoder length (prompt included) of the longest source; HF `max_length`
    /// after `_prepare_generated_length`.
    let maxLength: Int
    /// Each source's absolute maximum, when sources have their own.
    private let sourceMaxLengths: [Int]?
    /// Absolute minimum decoder length before EOS; HF `min_length` after `_prepare_generated_length`.
    let minLength: Int
    let processors: LogitsProcessorList

    /// The decoder prompt of `generate(session:prefix:)`: the start token, then `prefix`.
    static func prompt(config c: GenerationConfig, prefix: [Int]) throws -> [Int] {
        guard let start = c.decoderStartTokenId ?? c.bosTokenId else {
            throw GenerationConfigError("decoder_start_token_id (or bos_token_id) is not set")
        }
        return [start] + prefix
    }

    init(config c: GenerationConfig, prompts: [[Int]], maxNewTokens limits: [Int]? = nil, semantics: DecodingSemantics = .huggingFace,
         sourceCount: Int, sourceIds: [[Int]]? = nil, extraProcessors: [LogitsProcessor] = []) throws {
        let most = GenerationConfig.maximumBeams
        guard (1...most).contains(c.numBeams) else { throw GenerationConfigError("num_beams must be in 1...\(most), got \(c.numBeams)") }
        guard (1...most).contains(c.numReturnSequences) else {
            throw GenerationConfigError("num_return_sequences must be in 1...\(most), got \(c.numReturnSequences)")
        }
        if let n = c.maxNewTokens, n < 1 { throw GenerationConfigError("max_new_tokens must be at least 1, got \(n)") }
        if c.numBeams == 1 && !c.doSample && c.numReturnSequences > 1 {
            throw GenerationConfigError("greedy search returns one sequence: num_return_sequences must be 1")
        }
        if c.numBeams > 1 && c.numReturnSequences > c.numBeams {
            throw GenerationConfigError("num_return_sequences (\(c.numReturnSequences)) must not exceed num_beams (\(c.numBeams))")
        }
        if c.doSample && !(c.temperature > 0) { throw GenerationConfigError("temperature must be positive, got \(c.temperature)") }
        if c.doSample && c.topK < 0 { throw GenerationConfigError("top_k must not be negative, got \(c.topK)") }
        if c.doSample && !(c.topP >= 0 && c.topP <= 1) { throw GenerationConfigError("top_p must be in [0, 1], got \(c.topP)") }
        if !(c.repetitionPenalty > 0) {
            throw GenerationConfigError("repetition_penalty must be positive, got \(c.repetitionPenalty)")
        }
        if !(c.encoderRepetitionPenalty > 0) {
            throw GenerationConfigError("encoder_repetition_penalty must be positive, got \(c.encoderRepetitionPenalty)")
        }
        if case .ctranslate2(let patience) = semantics, !(patience > 0) {
            throw GenerationConfigError("patience must be positive, got \(patience)")
        }
        guard prompts.count == sourceCount else {
            throw GenerationConfigError("\(prompts.count) decoder prompts for \(sourceCount) sources")
        }
        let promptLength = prompts.first?.count ?? 1
        guard promptLength >= 1, prompts.allSatisfy({ $0.count == promptLength }) else {
            throw GenerationConfigError("decoder prompts must be non-empty and of one length")
        }
        if let limits {
            guard limits.count == sourceCount, limits.allSatisfy({ $0 >= 1 }) else {
                throw GenerationConfigError("one max_new_tokens of at least 1 per source")
            }
        }
        config = c
        self.semantics = semantics
        self.prompts = prompts
        self.promptLength = promptLength
        sourceMaxLengths = limits?.map { $0 + promptLength }
        if let longest = sourceMaxLengths?.max() {
            maxLength = longest
        } else if let n = c.maxNewTokens {
            maxLength = n + promptLength
        } else if let m = c.maxLength {
            maxLength = m
        } else {
            maxLength = min(20 + promptLength, c.maxPositionEmbeddings ?? Int.max)
        }
        minLength = c.minNewTokens.map { $0 + promptLength } ?? c.minLength ?? 0
        // CTranslate2 applies the temperature in the draw (the token's score is without it), has
        // no top-k or top-p here (no warpers), and its penalties read only the generated tokens.
        let huggingFace = semantics == .huggingFace
        processors = LogitsProcessorList(config: c, promptLength: promptLength, maxLength: maxLength, minLength: minLength,
                                         sourceIds: sourceIds, extra: extraProcessors, warpers: huggingFace,
                                         historyStart: huggingFace ? 0 : promptLength)
    }

    /// The absolute maximum decoder length of source `s`.
    func maxLength(_ s: Int) -> Int { sourceMaxLengths?[s] ?? maxLength }

    func isEOS(_ token: Int) -> Bool { config.eosTokenIds.contains(token) }

    /// Starts the session with one row per source and feeds the prompt; returns the logits
    /// `[B, V]` after the last prompt token.
    func feedPrompt(_ session: DecoderSession) throws -> Tensor {
        try session.begin(rowsPerSource: 1)
        let result = try session.prefill(tokens: prompts)
        checkShape(result, rows: session.sourceCount, vocabulary: session.vocabularySize)
        return result
    }
}

/// Checks that a session returned logits `[R, V]`.
func checkShape(_ logits: Tensor, rows: Int, vocabulary: Int) {
    precondition(logits.shape == [rows, vocabulary],
                 "decoder session returned logits \(logits.shape), expected [\(rows), \(vocabulary)]")
}

extension GenerationConfig {
    /// Most beams (and returned sequences) per source: every beam costs a row of logits and a
    /// decoder cache, so a larger number is refused before anything is allocated.
    public static let maximumBeams = 1024
}
