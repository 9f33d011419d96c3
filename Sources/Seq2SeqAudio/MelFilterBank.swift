// Triangular mel filters on the Slaney mel scale with Slaney area normalisation, as
// librosa.filters.mel(sr, n_fft, n_mels) computes them (librosa/filters.py `mel`,
// `hz_to_mel`/`mel_to_hz` with htk=False, norm="slaney"); openai/whisper ships these
// same filters in mel_filters.npz. Computed here, not stored.
import Foundation

/// A mel filter bank: `melCount` triangular filters over the `fftSize / 2 + 1` FFT bins.
public struct MelFilterBank: Sendable {
    /// Filters.
    public let melCount: Int
    /// FFT bins each filter spans: `fftSize / 2 + 1`.
    public let binCount: Int
    /// Weights, row-major [melCount, binCount].
    public let weights: [Float]
    /// The bins where each filter is non-zero: filter m covers `ranges[m]`.
    let ranges: [Range<Int>]

    /// librosa's `filters.mel(sr: sampleRate, n_fft: fftSize, n_mels: melCount)` with
    /// fmin 0 and fmax `sampleRate / 2`.
    public init(sampleRate: Int, fftSize: Int, melCount: Int) {
        precondition(sampleRate > 0 && fftSize > 0 && melCount > 0, "mel filter bank sizes must be positive")
        self.melCount = melCount
        binCount = fftSize / 2 + 1
        let fftFrequencies = (0..<binCount).map { Double($0) * Double(sampleRate) / Double(fftSize) }
        let lowMel = Self.hzToMel(0), highMel = Self.hzToMel(Double(sampleRate) / 2)
        // numpy.linspace: start + i * step, with the last point exactly `highMel`.
        let step = (highMel - lowMel) / Double(melCount + 1)
        let edges = (0..<melCount + 2).map { Self.melToHz($0 == melCount + 1 ? highMel : lowMel + Double($0) * step) }
        var weights = [Float](repeating: 0, count: melCount * binCount)
        var ranges: [Range<Int>] = []
        for m in 0..<melCount {
            let norm = 2 / (edges[m + 2] - edges[m])
            var first = binCount, last = 0
            for k in 0..<binCount {
                let rising = (fftFrequencies[k] - edges[m]) / (edges[m + 1] - edges[m])
                let falling = (edges[m + 2] - fftFrequencies[k]) / (edges[m + 2] - edges[m + 1])
                let w = max(0, min(rising, falling)) * norm
                weights[m * binCount + k] = Float(w)
                if w > 0 { first = min(first, k); last = max(last, k + 1) }
            }
            ranges.append(first < last ? first..<last : 0..<0)
        }
        self.weights = weights
        self.ranges = ranges
    }

    // Slaney's scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above (27 mels per factor 6.4).
    private static let linearStep = 200.0 / 3
    private static let logStart = 1000.0
    private static let logStep = log(6.4) / 27

    static func hzToMel(_ hz: Double) -> Double {
        hz < logStart ? hz / linearStep : logStart / linearStep + log(hz / logStart) / logStep
    }

    static func melToHz(_ mel: Double) -> Double {
        let logStartMel = logStart / linearStep
        return mel < logStartMel ? mel * linearStep : logStart * exp(logStep * (mel - logStartMel))
    }

    /// mel[m] = Σ_k weights[m, k] · power[k], over each filter's non-zero bins only.
    func apply(_ power: UnsafePointer<Float>, into mel: (Int, Float) -> Void) {
        weights.withUnsafeBufferPointer { w in
            for m in 0..<melCount {
                var sum: Float = 0
                let row = m * binCount
                for k in ranges[m] { sum += w[row + k] * power[k] }
                mel(m, sum)
            }
        }
    }
}
