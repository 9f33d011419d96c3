// Band-limited resampling by a Kaiser-windowed sinc, polyphase (the method of Julius O. Smith,
// "Digital Audio Resampling", as libsamplerate and soxr use it). Filter: cutoff at 0.95 of
// the lower Nyquist rate, 64 zero crossings each side, Kaiser β = 9 (about 90 dB stopband).
import Foundation
import Seq2SeqTensor

/// Converts mono samples from one sample rate to another.
///
///     let samples16k = Resampler(from: 44_100, to: 16_000).resample(samples)
///
/// Equal rates pass samples through unchanged. The output has ceil(count · to / from) samples;
/// output sample n sits at input time n · from / to; the signal is zero outside the input.
public struct Resampler: Sendable {
    /// Input sample rate (Hz).
    public let sourceRate: Int
    /// Output sample rate (Hz).
    public let targetRate: Int
    /// Reduced ratio: output n reads input time n · step / phases.
    private let phases: Int, step: Int
    /// Filter phases stored: `phases` when few enough, else a grid interpolated linearly
    /// (at most 2048 · bandwidth + 1 rows, so the linear interpolation error stays below 1e-6).
    private let tablePhases: Int
    /// Taps per phase, and the first tap's offset from floor(input time).
    private let taps: Int, firstTap: Int
    /// [(tablePhases + 1) × taps]: the filter sampled at (tap − first − phase/tablePhases).
    private let table: [Float]

    private static let zeroCrossings = 64
    private static let cutoff = 0.95
    private static let kaiserBeta = 9.0
    private static let maxTablePhases = 2048

    /// A resampler from `from` Hz to `to` Hz (both positive).
    public init(from: Int, to: Int) {
        precondition(from > 0 && to > 0, "sample rates must be positive")
        sourceRate = from
        targetRate = to
        let g = Self.gcd(from, to)
        phases = to / g
        step = from / g
        // Bandwidth relative to the input Nyquist rate; the filter is wider in input samples when decimating.
        let bandwidth = Self.cutoff * min(1, Double(to) / Double(from))
        // A narrower filter is smoother between phases: fewer stored phases keep the same accuracy,
        // and the table stays small for any pair of rates.
        tablePhases = min(phases, max(64, Int((Double(Self.maxTablePhases) * bandwidth).rounded(.up))))
        let halfWidth = Double(Self.zeroCrossings) / bandwidth
        taps = 2 * Int(halfWidth.rounded(.up)) + 2
        firstTap = -(taps / 2 - 1)
        var table = [Float](repeating: 0, count: (tablePhases + 1) * taps)
        for p in 0...tablePhases {
            let fraction = Double(p) / Double(tablePhases)
            for t in 0..<taps {
                let distance = Double(t + firstTap) - fraction
                table[p * taps + t] = Float(Self.kernel(distance, bandwidth: bandwidth, halfWidth: halfWidth))
            }
        }
        self.table = table
    }

    /// Resampled `samples`; the same array when the rates are equal.
    public func resample(_ samples: [Float]) -> [Float] {
        if sourceRate == targetRate || samples.isEmpty { return samples }
        let outCount = (samples.count * phases + step - 1) / step
        var out = [Float](repeating: 0, count: outCount)
        samples.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                let yBase = y.baseAddress!
                ThreadPool.shared.parallelChunks(outCount, minimumChunk: 4096) { range in
                    for n in range { yBase[n] = value(at: n, x) }
                }
            }
        }
        return out
    }

    /// Output sample n: Σ_t x[base + first + t] · h(base + first + t − n · step / phases).
    @inline(__always)
    private func value(at n: Int, _ x: UnsafeBufferPointer<Float>) -> Float {
        let position = n * step
        let base = position / phases, remainder = position % phases
        // Position inside the table grid: exact when every phase is stored.
        let scaled = remainder * tablePhases
        let row = scaled / phases
        let mix = Float(scaled % phases) / Float(phases)
        let start = base + firstTap
        let lo = max(0, -start), hi = min(taps, x.count - start)
        if lo >= hi { return 0 }
        return table.withUnsafeBufferPointer { h in
            let h0 = h.baseAddress! + row * taps, xs = x.baseAddress! + start
            let a = dot(xs + lo, h0 + lo, hi - lo)
            return mix == 0 ? a : a + (dot(xs + lo, h0 + taps + lo, hi - lo) - a) * mix
        }
    }

    /// Σ a[i] b[i] in eight lanes (separate multiply and add: no FMA in baseline x86-64).
    @inline(__always)
    private func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var lanes = SIMD8<Float>(), i = 0
        while i + 8 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            lanes += x * y
            i += 8
        }
        var sum = lanes.sum()
        while i < count { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    /// Kaiser-windowed sinc low-pass with cutoff `bandwidth` (fraction of the input Nyquist rate).
    private static func kernel(_ d: Double, bandwidth: Double, halfWidth: Double) -> Double {
        if abs(d) >= halfWidth { return 0 }
        let x = Double.pi * bandwidth * d
        let sinc = x == 0 ? 1 : sin(x) / x
        let r = d / halfWidth
        return bandwidth * sinc * besselI0(kaiserBeta * (1 - r * r).squareRoot()) / besselI0(kaiserBeta)
    }

    /// Modified Bessel function of the first kind, order 0, by its power series.
    private static func besselI0(_ x: Double) -> Double {
        var sum = 1.0, term = 1.0, k = 1.0
        while term > 1e-12 * sum {
            term *= (x / (2 * k)) * (x / (2 * k))
            sum += term
            k += 1
        }
        return sum
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
