// All attention of one input, labelled: what the attention explorer page and `POST
// /v1/attention` show. The weights come from re-running the model on the source and its own
// output (teacher forcing) with every layer's softmax recorded (Seq2SeqModels
// AttentionCapture.swift).
//
//     let translator = try Translator(directory: URL(fileURLWithPath: "models/firefox/enpt"))
//     let maps = try translator.attention("The green house.")
//     print(maps.cross.matrix(layer: -1))       // [T][S], mean over heads
//     let json = maps.json()                    // UTF-8 JSON text
import Foundation
import Seq2SeqAudio
import Seq2SeqIO
import Seq2SeqModels
import Seq2SeqTokenizers

/// The encoder self-attention, decoder self-attention and cross-attention of one input, every
/// layer and head, with the token labels of their rows and columns.
public struct AttentionMaps: Sendable {
    /// Source tokens S (the columns of `encoderSelf` and `cross`); for audio, one label per
    /// encoder frame kept (its start time).
    public var sourceTokens: [String]
    /// Decoder inputs T (start token first): the columns of `decoderSelf`.
    public var decoderInputTokens: [String]
    /// Target tokens T: the token each decoder position predicted (the rows of `decoderSelf`
    /// and `cross`).
    public var targetTokens: [String]
    /// The generated text.
    public var text: String
    /// Encoder self-attention [L, H, S, S].
    public var encoderSelf: AttentionWeights
    /// Decoder self-attention [L, H, T, T], 0 above the diagonal; empty when the decoder has none.
    public var decoderSelf: AttentionWeights
    /// Cross-attention [L, H, T, S].
    public var cross: AttentionWeights
    /// What was reduced or left out, by member (`"decoder_self_note"`: …), in order.
    public var notes: [(String, String)] = []
    /// Speech: the transcription's words with their times (seconds).
    public var words: [TranscriptionWord]?
    /// Speech: seconds per column of `cross` (one encoder frame).
    public var secondsPerSourceColumn: Double?
    /// Speech: seconds per block of `encoderSelf`.
    public var secondsPerEncoderBlock: Double?

    /// Maps from their labels and weights; `notes` are extra (key, text) pairs of the JSON.
    public init(sourceTokens: [String], decoderInputTokens: [String], targetTokens: [String], text: String,
                encoderSelf: AttentionWeights, decoderSelf: AttentionWeights, cross: AttentionWeights,
                notes: [(String, String)] = []) {
        self.sourceTokens = sourceTokens
        self.decoderInputTokens = decoderInputTokens
        self.targetTokens = targetTokens
        self.text = text
        self.encoderSelf = encoderSelf
        self.decoderSelf = decoderSelf
        self.cross = cross
        self.notes = notes
    }

    /// The JSON object `POST /v1/attention` answers: `source_tokens`, `decoder_input_tokens`,
    /// `target_tokens`, `text`, `encoder_self` [L][H][S][S], `decoder_self` [L][H][T][T],
    /// `cross` [L][H][T][S], the shapes, the notes and (speech) `words`. Weights are written
    /// with 6 decimals (exact zeros as 0).
    public func json(model: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + 9 * (encoderSelf.values.count + decoderSelf.values.count + cross.values.count))
        var first = true
        func key(_ name: String) {
            out.append(UInt8(ascii: first ? "{" : ","))
            first = false
            JSONText.appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
        }
        func member(_ name: String, _ value: Any?) {
            key(name)
            JSONText.append(value, to: &out)
        }
        if let model { member("model", model) }
        member("text", text)
        member("source_tokens", sourceTokens)
        member("decoder_input_tokens", decoderInputTokens)
        member("target_tokens", targetTokens)
        for (name, weights) in [("encoder_self", encoderSelf), ("decoder_self", decoderSelf), ("cross", cross)] {
            member(name + "_shape", [weights.layers, weights.heads, weights.queries, weights.keys])
            key(name)
            Self.write(weights, to: &out)
        }
        for (name, note) in notes { member(name, note) }
        if let s = secondsPerSourceColumn { member("seconds_per_source_column", s) }
        if let s = secondsPerEncoderBlock { member("seconds_per_encoder_block", s) }
        if let words {
            member("words", words.map { JSONObject(["word": $0.word, "start": $0.start, "end": $0.end, "probability": Double($0.probability)]) })
        }
        if first { out.append(UInt8(ascii: "{")) }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// [L][H][Q][K] nested arrays.
    private static func write(_ w: AttentionWeights, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        w.values.withUnsafeBufferPointer { v in
            for l in 0..<w.layers {
                if l > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "["))
                for h in 0..<w.heads {
                    if h > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(UInt8(ascii: "["))
                    for q in 0..<w.queries {
                        if q > 0 { out.append(UInt8(ascii: ",")) }
                        out.append(UInt8(ascii: "["))
                        let row = ((l * w.heads + h) * w.queries + q) * w.keys
                        for k in 0..<w.keys {
                            if k > 0 { out.append(UInt8(ascii: ",")) }
                            writeWeight(v[row + k], to: &out)
                        }
                        out.append(UInt8(ascii: "]"))
                    }
                    out.append(UInt8(ascii: "]"))
                }
                out.append(UInt8(ascii: "]"))
            }
        }
        out.append(UInt8(ascii: "]"))
    }

    /// A weight in [0, 1] with at most 6 decimals, trailing zeros dropped ("0", "1", "0.25").
    private static func writeWeight(_ x: Float, to out: inout [UInt8]) {
        guard x.isFinite, x >= 0, x < 1e6 else { JSONText.append(x, to: &out); return }
        let micro = Int((Double(x) * 1e6).rounded())
        let whole = micro / 1_000_000
        var fraction = micro % 1_000_000
        JSONText.append(whole, to: &out)
        guard fraction > 0 else { return }
        out.append(UInt8(ascii: "."))
        var digits = 6
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        var divisor = 1
        for _ in 1..<digits { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
            divisor /= 10
        }
    }
}

extension Transcriber {
    /// Encoder frames per block of the reduced encoder self-attention (10 frames: 0.2 s).
    public static let attentionEncoderBlock = 10

    /// Transcribes the first 30 s of 16 kHz mono `samples` (greedy, with word times), then
    /// re-runs the model on that window and its transcript with every attention weight
    /// recorded: cross-attention [L, H, T, F] over the encoder frames the audio covers (20 ms
    /// each; the window's padding after the audio is left out, so rows sum to less than 1 by
    /// the weight on it), and the encoder self-attention over the whole window as the mean over
    /// heads in blocks of `attentionEncoderBlock` frames.
    public func attention(samples: [Float], options: TranscriptionOptions = .init()) throws -> AttentionMaps {
        let window = Array(samples.prefix(WhisperFeatureExtractor.sampleRate * 30))
        guard !window.isEmpty else { throw TranscriptionError("no audio") }
        var options = options
        options.wordTimestamps = true
        options.beamSize = 1
        options.temperatures = [0]
        let transcription = try transcribe(samples: window, options: options)
        let text = transcription.segments.flatMap { $0.tokens.filter { $0 < tokens.endOfText } }
        let start = tokens.startSequence(language: transcription.language, task: options.task) + [tokens.noTimestamps]
        let inputs = start + text
        let features = WhisperFeatureExtractor.segment(extractor.features(window), from: 0)
        let capture = try model.network.attention(features: features, decoderInputs: inputs, encoderBlock: Self.attentionEncoderBlock)
        let secondsPerColumn = Self.timePrecision
        let frames = min(capture.cross.keys, Int((Double(window.count) / Double(WhisperFeatureExtractor.sampleRate) / secondsPerColumn).rounded(.up)))
        let label = { (id: Int) in id >= self.tokens.endOfText ? (self.tokens.tokenizer.token(for: id) ?? "<\(id)>")
                                                               : self.tokens.tokenizer.decode([id], skipSpecialTokens: false) }
        var maps = AttentionMaps(
            sourceTokens: (0..<frames).map { String(format: "%.2fs", Double($0) * secondsPerColumn) },
            decoderInputTokens: inputs.map(label), targetTokens: (Array(inputs.dropFirst()) + [tokens.endOfText]).map(label),
            text: transcription.text.trimmingCharacters(in: .whitespaces), encoderSelf: capture.encoderSelf,
            decoderSelf: capture.decoderSelf, cross: capture.cross.keepingKeys(frames))
        maps.notes = [
            ("encoder_self_note", "mean over heads, in blocks of \(Self.attentionEncoderBlock) × \(Self.attentionEncoderBlock) encoder frames (\(Double(Self.attentionEncoderBlock) * secondsPerColumn) s) over the whole 30 s window (rows sum to 1): the full weights are \(capture.cross.keys)² per head"),
            ("cross_note", "columns are encoder frames of \(secondsPerColumn) s; only the \(frames) frames the audio covers are kept (the window's padding after it is left out, so a row sums to 1 minus the weight on the padding)"),
        ]
        maps.words = transcription.segments.flatMap { $0.words ?? [] }
        maps.secondsPerSourceColumn = secondsPerColumn
        maps.secondsPerEncoderBlock = Double(Self.attentionEncoderBlock) * secondsPerColumn
        return maps
    }
}
