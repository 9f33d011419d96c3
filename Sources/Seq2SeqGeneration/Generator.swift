// The generation entry point: resolves lengths and the processor list as Hugging Face
// `generate` does for an encoder-decoder model, then runs greedy search, sampling or beam search.
//
// Semantics follow Hugging Face transformers 5.24 generation/utils.py (`generate`,
// `_prepare_generated_length`, `_prepare_special_tokens`, `_get_logits_processor`).
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

    /// A generator using `config`, and `extraProcessors` after the standard processors.
    public init(config: GenerationConfig, extraProcessors: [LogitsProcessor] = []) {
        self.config = config
        self.extraProcessors = extraProcessors
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
        let plan = try DecodePlan(config: config, prefix: prefix, sourceIds: session.sourceIds, extraProcessors: extraProcessors)
        guard session.sourceCount > 0 else { return [] }
        if config.numBeams > 1 {
            return try BeamSearch(plan: plan).run(session)
        }
        return try SamplingSearch(plan: plan, onToken: onToken).run(session)
    }
}

/// The resolved settings of one generation: prompt, absolute lengths and processors.
struct DecodePlan {
    let config: GenerationConfig
    /// Decoder prompt: start token, then the forced prefix.
    let prompt: [Int]
    /// Absolute maximum decoder length (prompt included); HF `max_length` after `_prepare_generated_length`.
    let maxLength: Int
    /// Absolute minimum decoder length before EOS; HF `min_length` after `_prepare_generated_length`.
    let minLength: Int
    let processors: LogitsProcessorList

    init(config c: GenerationConfig, prefix: [Int], sourceIds: [[Int]]? = nil, extraProcessors: [LogitsProcessor] = []) throws {
        guard let start = c.decoderStartTokenId ?? c.bosTokenId else {
            throw GenerationConfigError("decoder_start_token_id (or bos_token_id) is not set")
        }
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
        config = c
        prompt = [start] + prefix
        let promptLength = prompt.count
        if let n = c.maxNewTokens {
            maxLength = n + promptLength
        } else if let m = c.maxLength {
            maxLength = m
        } else {
            maxLength = min(20 + promptLength, c.maxPositionEmbeddings ?? Int.max)
        }
        minLength = c.minNewTokens.map { $0 + promptLength } ?? c.minLength ?? 0
        processors = LogitsProcessorList(config: c, promptLength: promptLength, maxLength: maxLength, minLength: minLength,
                                         sourceIds: sourceIds, extra: extraProcessors)
    }

    var promptLength: Int { prompt.count }

    func isEOS(_ token: Int) -> Bool { config.eosTokenIds.contains(token) }

    /// Starts the session with one row per source and feeds the prompt; returns the logits
    /// `[B, V]` after the last prompt token.
    func feedPrompt(_ session: DecoderSession) throws -> Tensor {
        try session.begin(rowsPerSource: 1)
        let result = try session.prefill(tokens: [[Int]](repeating: prompt, count: session.sourceCount))
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
