// Whisper's log-mel spectrogram. Modelled on openai/whisper `whisper/audio.py`
// (`log_mel_spectrogram`, `pad_or_trim`) and faster-whisper `faster_whisper/feature_extractor.py`
// (`FeatureExtractor.__call__`, the numpy version of the same): periodic Hann window, centred
// STFT with reflect padding of n_fft/2, power spectrum without the last frame, Slaney mel
// filters, log10 clamped at 1e-10, floored at max − 8, then (x + 4) / 4.
import Foundation
import Seq2SeqIO
import Seq2SeqTensor

/// Turns 16 kHz mono samples into Whisper's log-mel features [n_mels, F].
///
///     let extractor = WhisperFeatureExtractor(melCount: 80)
///     let features = extractor.window(samples[0..<480_000])   // [80, 3000]
public struct WhisperFeatureExtractor: Sendable {
    /// Samples per second the features assume.
    public static let sampleRate = 16_000
    /// STFT window length (25 ms).
    public static let fftSize = 400
    /// Samples between frames (10 ms).
    public static let hopLength = 160
    /// Samples in one 30 s window.
    public static let windowSamples = 480_000
    /// Frames in one 30 s window.
    public static let windowFrames = 3_000

    /// Mel bins: 80, or 128 for large-v3.
    public var melCount: Int { filters.melCount }
    private let filters: MelFilterBank
    private let fft: RealFFT
    private let hann: [Float]

    /// An extractor with `melCount` mel bins (80 or 128 for Whisper checkpoints).
    public init(melCount: Int = 80) {
        filters = MelFilterBank(sampleRate: Self.sampleRate, fftSize: Self.fftSize, melCount: melCount)
        fft = RealFFT(size: Self.fftSize)
        // Periodic Hann (torch.hann_window(400), numpy.hanning(401)[:-1]).
        hann = (0..<Self.fftSize).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(Self.fftSize))) }
    }

    /// Features of a whole recording: `padding` zeros are appended (faster-whisper's default 160,
    /// openai/whisper's `padding=N_SAMPLES` for long-form), then F = (count + padding) / 160 frames.
    /// The max − 8 floor uses the maximum over all of them. Returns [melCount, F].
    public func features(_ samples: [Float], padding: Int = hopLength) -> Tensor {
        var padded = samples
        padded.append(contentsOf: repeatElement(0, count: max(0, padding)))
        return logMel(padded)
    }

    /// One 30 s window as transformers' WhisperFeatureExtractor makes it: the samples
    /// zero-padded (or cut) to 480,000 (`pad_or_trim` on audio), then [melCount, 3000].
    public func window(_ samples: ArraySlice<Float>) -> Tensor {
        var chunk = Array(samples.prefix(Self.windowSamples))
        chunk.append(contentsOf: repeatElement(0, count: Self.windowSamples - chunk.count))
        return logMel(chunk)
    }

    /// Frames `start ..< start + 3000` of whole-recording `features` [n_mels, F], as openai/whisper's
    /// long-form loop takes them (`pad_or_trim` on the mel): missing frames are zeros. Returns [n_mels, 3000].
    public static func segment(_ features: Tensor, from start: Int) -> Tensor {
        precondition(features.rank == 2 && start >= 0, "segment takes [n_mels, F] features and a frame offset")
        let (mels, frames) = (features.shape[0], features.shape[1])
        let out = Tensor(zeros: [mels, windowFrames])
        let count = max(0, min(windowFrames, frames - start))
        for m in 0..<mels where count > 0 {
            (out.data + m * windowFrames).update(from: features.data + m * frames + start, count: count)
        }
        return out
    }

    /// STFT power → mel → log10, then the dynamic-range floor and scaling over the whole result.
    private func logMel(_ x: [Float]) -> Tensor {
        let half = Self.fftSize / 2, frames = x.count / Self.hopLength
        let signal = reflectPadded(x, by: half)
        let out = Tensor(zeros: [melCount, frames])
        let outData = out.data
        signal.withUnsafeBufferPointer { s in
            ThreadPool.shared.parallelChunks(frames, minimumChunk: 64) { range in
                melFrames(range, signal: s.baseAddress!, frames: frames, out: outData)
            }
        }
        let values = out.buffer
        let floor = (values.max() ?? 0) - 8
        for i in values.indices { values[i] = (max(values[i], floor) + 4) / 4 }
        return out
    }

    /// log10 mel energies of frames `range` into out[m * frames + t].
    private func melFrames(_ range: Range<Int>, signal: UnsafePointer<Float>, frames: Int, out: UnsafeMutablePointer<Float>) {
        let n = Self.fftSize
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: n + n / 2 + 1)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: fft.scratchCount)
        defer { buffer.deallocate(); scratch.deallocate() }
        let windowed = buffer, power = buffer + n
        hann.withUnsafeBufferPointer { w in
            for t in range {
                let start = signal + t * Self.hopLength
                for i in 0..<n { windowed[i] = start[i] * w[i] }
                fft.powerSpectrum(windowed, power: power, scratch: scratch)
                filters.apply(power) { m, energy in out[m * frames + t] = log10(max(energy, 1e-10)) }
            }
        }
    }
}

/// `x` with `pad` samples mirrored at each end, not repeating the edge (numpy "reflect").
func reflectPadded(_ x: [Float], by pad: Int) -> [Float] {
    let n = x.count
    guard n > 1 else { return [Float](repeating: x.first ?? 0, count: n + 2 * pad) }
    let period = 2 * (n - 1)
    func mirrored(_ i: Int) -> Float {
        var j = i % period
        if j < 0 { j += period }
        return x[j < n ? j : period - j]
    }
    var out = (-pad..<0).map(mirrored)
    out.append(contentsOf: x)
    out.append(contentsOf: (n..<n + pad).map(mirrored))
    return out
}

extension WhisperFeatureExtractor {
    /// The extractor a model folder's `preprocessor_config.json` asks for.
    ///
    /// The file holds transformers' `WhisperFeatureExtractor` settings
    /// (`models/whisper/feature_extraction_whisper.py`; faster-whisper reads them too), absent
    /// keys taking its defaults. `feature_size` must be the model's `melCount`, and the audio and
    /// STFT settings the ones this extractor computes with (16 kHz, n_fft 400, hop 160, 30 s
    /// chunks, no dither, zero padding), else features would silently differ from the
    /// reference's. Throws `ModelFileError` naming the file and the setting.
    public init(preprocessorConfig url: URL, melCount: Int) throws {
        let config = try JSONConfig(contentsOf: url)
        let bins = try config.int("feature_size") ?? 80
        guard bins == melCount else {
            throw ModelFileError(url.path, "feature_size is \(bins) but the model reads \(melCount) mel bins")
        }
        let fixed: [(key: String, value: Int)] = [
            ("sampling_rate", Self.sampleRate), ("n_fft", Self.fftSize), ("hop_length", Self.hopLength), ("chunk_length", 30),
        ]  // n_samples and nb_max_frames are derived from these (transformers ignores the stored ones)
        for (key, value) in fixed {
            if let given = try config.int(key), given != value {
                throw ModelFileError(url.path, "\(key) is \(given); Whisper features here are computed with \(key) \(value)")
            }
        }
        for key in ["dither", "padding_value"] {
            if let given = try config.double(key), given != 0 {
                throw ModelFileError(url.path, "\(key) is \(given); only 0 is supported")
            }
        }
        self.init(melCount: melCount)
    }
}
