// Long-form transcription: 30 s windows that seek on the model's timestamps — modelled on
// faster-whisper `transcribe.py` (`generate_segments` without clip timestamps, VAD or
// hallucination-silence skipping; `_split_segments_by_timestamps`).
import Foundation
import Seq2SeqAudio
import Seq2SeqModels
import Seq2SeqTensor

/// A segment cut from one window's tokens, before its text is decoded.
struct WindowSegment {
    var start: Double, end: Double
    var tokens: [Int]
    var words: [TranscriptionWord]?
}

/// One window waiting to be decoded: its features (zero-padded to 30 s) and its prompt.
struct PendingWindow {
    let features: Tensor
    let prompt: [Int]
}

/// Stage "long-form seeking" of one recording, as a state machine, so that the windows of
/// several recordings can be decoded together: `next()` gives the window to decode (skipping
/// digital silence), `accept` takes its decoding, keeps the segments the timestamps delimit
/// and moves `seek` to where the last complete segment ended (or past the window); previous
/// text prompts the next window.
final class LongFormRun {
    let transcriber: Transcriber
    let features: Tensor
    let samples: [Float]
    let language: String
    let languageProbability: Float
    let options: TranscriptionOptions
    let progress: ((Double, Double) -> Void)?
    let decoder: WhisperWindowDecoder
    let startSequence: [Int]
    let contentFrames: Int
    private(set) var segments: [TranscriptionSegment] = []
    private var allTokens: [Int] = [], promptResetSince = 0
    private var seek = 0, lastSpeechTimestamp = 0.0

    init(_ transcriber: Transcriber, features: Tensor, samples: [Float], language: String, languageProbability: Float,
         options: TranscriptionOptions, progress: ((Double, Double) -> Void)?) throws {
        self.transcriber = transcriber
        self.features = features
        self.samples = samples
        self.language = language
        self.languageProbability = languageProbability
        self.options = options
        self.progress = progress
        decoder = transcriber.windowDecoder(options)
        startSequence = transcriber.tokens.startSequence(language: language, task: options.task)
        contentFrames = features.shape[1] - 1
        if let prompt = options.initialPrompt {
            allTokens += try transcriber.tokens.encode(" " + prompt.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    private var segmentSize: Int { min(WhisperFeatureExtractor.windowFrames, contentFrames - seek) }

    private func reportProgress() {
        let total = Double(contentFrames) * Transcriber.secondsPerFrame
        progress?(min(Double(seek) * Transcriber.secondsPerFrame, total), total)
    }

    /// The next window to decode, or nil when the recording is done.
    func next() -> PendingWindow? {
        while seek < contentFrames {
            if let threshold = options.silencePeakThreshold,
               Transcriber.peak(samples, frames: seek..<(seek + segmentSize)) < threshold {
                seek += segmentSize  // digital silence: nothing to transcribe
                reportProgress()
                continue
            }
            return PendingWindow(features: Transcriber.window(features, from: seek, frames: segmentSize),
                                 prompt: decoder.prompt(previous: Array(allTokens[promptResetSince...]), startSequence: startSequence))
        }
        return nil
    }

    /// Takes the decoding of the window `next()` gave; `encoded` is that window alone.
    func accept(_ result: WindowResult, encoded: EncoderOutput) throws {
        let tokens = transcriber.tokens
        let segmentSize = self.segmentSize
        let timeOffset = Double(seek) * Transcriber.secondsPerFrame
        let segmentDuration = Double(segmentSize) * Transcriber.secondsPerFrame
        let previousSeek = seek
        if let threshold = options.noSpeechThreshold, result.noSpeechProb > threshold,
           !(options.logProbThreshold.map { result.averageLogProb > $0 } ?? false) {
            seek += segmentSize  // silence: on to the next window
            reportProgress()
            return
        }
        var (current, nextSeek, singleEnding) = transcriber.splitByTimestamps(
            result.tokens, timeOffset: timeOffset, segmentSize: segmentSize, segmentDuration: segmentDuration, seek: seek)
        seek = nextSeek
        if options.wordTimestamps {
            try transcriber.addWordTimestamps(&current, encoded: encoded, startSequence: startSequence, frames: segmentSize,
                                              timeOffset: timeOffset, language: language, options: options,
                                              lastSpeechTimestamp: lastSpeechTimestamp)
            // faster-whisper `get_end`: the last word's end, else the last segment's end.
            let end = current.last(where: { !($0.words ?? []).isEmpty })?.words?.last?.end ?? current.last?.end
            if !singleEnding, let end, end > timeOffset {
                seek = Int((end * Double(Transcriber.framesPerSecond)).rounded(.toNearestOrEven))
            }
            if let end { lastSpeechTimestamp = end }
        }
        for piece in current {
            let text = tokens.text(piece.tokens)
            if piece.start == piece.end || text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { continue }
            allTokens += piece.tokens
            segments.append(TranscriptionSegment(
                id: segments.count + 1, seek: previousSeek, start: piece.start, end: piece.end, text: text, tokens: piece.tokens,
                temperature: result.temperature, averageLogProb: result.averageLogProb,
                compressionRatio: result.compressionRatio, noSpeechProb: result.noSpeechProb, words: piece.words))
        }
        if !options.conditionOnPreviousText || result.temperature > options.promptResetOnTemperature {
            promptResetSince = allTokens.count
        }
        reportProgress()
    }
}

extension Transcriber {
    /// The window decoder for `options`.
    func windowDecoder(_ options: TranscriptionOptions) -> WhisperWindowDecoder {
        let (always, blank) = suppression(options)
        return WhisperWindowDecoder(network: model.network, tokens: tokens, options: options, suppressed: always,
                                    suppressBlank: blank, maxDecoderLength: model.network.spec.maxPositions ?? 448)
    }

    /// Largest absolute sample value in feature frames `frames` (160 samples each).
    static func peak(_ samples: [Float], frames: Range<Int>) -> Float {
        let hop = WhisperFeatureExtractor.hopLength
        let low = min(frames.lowerBound * hop, samples.count), high = min(frames.upperBound * hop, samples.count)
        return samples[low..<high].reduce(0) { max($0, abs($1)) }
    }

    /// Frames `start ..< start + frames` of `features` [n_mels, F], zero-padded to [n_mels, 3000].
    static func window(_ features: Tensor, from start: Int, frames: Int) -> Tensor {
        let (mels, total) = (features.shape[0], features.shape[1]), width = WhisperFeatureExtractor.windowFrames
        let out = Tensor(zeros: [mels, width])
        let count = max(0, min(frames, width, total - start))
        for m in 0..<mels where count > 0 {
            (out.data + m * width).update(from: features.data + m * total + start, count: count)
        }
        return out
    }

    /// Stage "split by timestamps": cuts a window's tokens at each pair of consecutive
    /// timestamps; returns the segments, the next seek and whether the tokens ended on a
    /// single timestamp (no speech after it).
    func splitByTimestamps(_ ids: [Int], timeOffset: Double, segmentSize: Int, segmentDuration: Double, seek: Int)
        -> ([WindowSegment], Int, Bool) {
        let begin = tokens.timestampBegin
        let singleEnding = ids.count >= 2 && ids[ids.count - 2] < begin && ids[ids.count - 1] >= begin
        let consecutive = ids.indices.filter { $0 > 0 && ids[$0] >= begin && ids[$0 - 1] >= begin }
        var segments: [WindowSegment] = []
        var seek = seek
        guard !consecutive.isEmpty else {
            var duration = segmentDuration
            if let last = ids.last(where: { $0 >= begin }), last != begin {
                duration = Double(last - begin) * Self.timePrecision
            }
            segments.append(WindowSegment(start: timeOffset, end: timeOffset + duration, tokens: ids))
            return (segments, seek + segmentSize, singleEnding)
        }
        var slices = consecutive
        if singleEnding { slices.append(ids.count) }
        var lastSlice = 0
        for slice in slices {
            let piece = Array(ids[lastSlice..<slice])
            segments.append(WindowSegment(start: timeOffset + Double(piece[0] - begin) * Self.timePrecision,
                                          end: timeOffset + Double(piece[piece.count - 1] - begin) * Self.timePrecision,
                                          tokens: piece))
            lastSlice = slice
        }
        if singleEnding {
            seek += segmentSize
        } else {
            seek += (ids[lastSlice - 1] - begin) * Self.inputStride
        }
        return (segments, seek, singleEnding)
    }
}
