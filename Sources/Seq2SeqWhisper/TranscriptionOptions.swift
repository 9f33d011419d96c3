// Options and results of Whisper transcription, named and defaulted as faster-whisper's
// `WhisperModel.transcribe` (faster-whisper `transcribe.py`: `TranscriptionOptions`,
// `Segment`, `Word`, `TranscriptionInfo`).

/// How `Transcriber` decodes; every field defaults to faster-whisper's default.
public struct TranscriptionOptions: Sendable, Hashable {
    /// Spoken language code ("fr"); nil detects it from the first 30 s (English-only models: "en").
    public var language: String?
    /// Transcribe in the spoken language, or translate to English.
    public var task: WhisperTask = .transcribe
    /// Beams at temperature 0; 1 is greedy decoding.
    public var beamSize = 5
    /// Beam search stops after `beamSize × patience` finished hypotheses.
    public var patience: Float = 1
    /// Samples drawn at a temperature above 0, of which the most likely is kept.
    public var bestOf = 5
    /// Exponent of the length that divides a hypothesis' summed log-probability.
    public var lengthPenalty: Float = 1
    /// Penalty on tokens already generated (1 disables).
    public var repetitionPenalty: Float = 1
    /// Bans repeating n-grams of this size (0 disables).
    public var noRepeatNgramSize = 0
    /// Temperatures tried in turn when a window's result fails the thresholds below.
    public var temperatures: [Float] = [0, 0.2, 0.4, 0.6, 0.8, 1]
    /// A result whose text compresses better than this (gzip ratio) is too repetitive.
    public var compressionRatioThreshold: Float? = 2.4
    /// A result whose average token log-probability is below this is too unlikely.
    public var logProbThreshold: Float? = -1
    /// A window whose no-speech probability is above this, and whose result is unlikely, is silence.
    public var noSpeechThreshold: Float? = 0.6
    /// A 30 s window whose peak magnitude stays below this (1e-4 ≈ −80 dBFS, a few 16-bit steps)
    /// is digital silence and is skipped without decoding; Whisper left alone hallucinates short
    /// phrases (" You", " Thank you.") there, faster-whisper included. nil decodes every window,
    /// exactly as faster-whisper without its VAD filter.
    public var silencePeakThreshold: Float? = 1e-4
    /// Prompts each window with the text of the windows before it.
    public var conditionOnPreviousText = true
    /// The previous-text prompt is dropped after a window decoded above this temperature.
    public var promptResetOnTemperature: Float = 0.5
    /// Text given as previous text to the first window (names, spelling, style).
    public var initialPrompt: String?
    /// Bans a blank start (space or end of text) as the first token.
    public var suppressBlank = true
    /// Token ids never generated; -1 stands for the non-speech symbols (faster-whisper's default).
    public var suppressTokens: [Int] = [-1]
    /// Text only: no timestamp tokens (each window is then one segment).
    public var withoutTimestamps = false
    /// The first timestamp of a window is at most this many seconds.
    public var maxInitialTimestamp: Float = 1
    /// Word start and end times from cross-attention alignment.
    public var wordTimestamps = false
    /// Punctuation merged into the next word (word timestamps).
    public var prependPunctuations = "\"'“¿([{-"
    /// Punctuation merged into the previous word (word timestamps).
    public var appendPunctuations = "\"'.。,，!！?？:：”)]}、"
    /// Seed of the sampler used at temperatures above 0.
    public var seed: UInt64?

    /// faster-whisper's defaults.
    public init() {}
}

/// A word with its time span (seconds from the start of the audio).
public struct TranscriptionWord: Sendable, Equatable {
    /// The word as decoded, with its leading space.
    public var word: String
    /// Start and end, in seconds.
    public var start: Double, end: Double
    /// Mean probability of the word's tokens.
    public var probability: Float
}

/// A stretch of speech with its text (seconds from the start of the audio).
public struct TranscriptionSegment: Sendable, Equatable {
    /// 1-based index in the transcription.
    public var id: Int
    /// Frame offset (10 ms) of the window this segment came from.
    public var seek: Int
    /// Start and end, in seconds.
    public var start: Double, end: Double
    /// The segment's text (usually with a leading space).
    public var text: String
    /// Its token ids (timestamps included).
    public var tokens: [Int]
    /// Temperature of the decoding that produced it.
    public var temperature: Float
    /// Average log-probability of the window's tokens.
    public var averageLogProb: Float
    /// Compression ratio of the window's text.
    public var compressionRatio: Float
    /// Probability of no speech in the window.
    public var noSpeechProb: Float
    /// Words with times, when word timestamps were asked for.
    public var words: [TranscriptionWord]?
}

/// The result of transcribing one recording.
public struct Transcription: Sendable {
    /// Language code spoken (given or detected).
    public var language: String
    /// Probability of the detected language (1 when given).
    public var languageProbability: Float
    /// Duration of the audio in seconds.
    public var duration: Double
    /// The segments in time order.
    public var segments: [TranscriptionSegment]
    /// The segments' texts joined.
    public var text: String { segments.map(\.text).joined() }
}
