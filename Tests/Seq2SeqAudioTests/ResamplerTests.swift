// Resampling a 1 kHz sine to 16 kHz matches the analytic sine; tones above 8 kHz vanish.
import Foundation
import Seq2SeqAudio
import XCTest

final class ResamplerTests: XCTestCase {
    private func sine(_ frequency: Double, rate: Int, seconds: Double) -> [Float] {
        (0..<Int(Double(rate) * seconds)).map { Float(sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
    }

    func testSineMatchesAnalyticAt16k() {
        for rate in [44_100, 48_000, 8_000, 22_050, 32_000, 11_025] {
            let out = Resampler(from: rate, to: 16_000).resample(sine(1000, rate: rate, seconds: 1))
            XCTAssertEqual(out.count, 16_000, "from \(rate)")
            let edge = 400  // filter support near the ends sees zeros outside the signal
            let expected = sine(1000, rate: 16_000, seconds: 1)
            let error = maxAbsDifference(out[edge..<out.count - edge], expected[edge..<expected.count - edge])
            print("resample 1 kHz sine \(rate) → 16000 Hz: max abs error \(error)")
            XCTAssertLessThan(error, 1e-3, "from \(rate) Hz")
        }
    }

    func testToneAboveNewNyquistIsSuppressed() {
        for (rate, tone) in [(44_100, 10_000.0), (48_000, 8_500.0), (48_000, 15_000.0), (32_000, 12_000.0)] {
            let out = Resampler(from: rate, to: 16_000).resample(sine(tone, rate: rate, seconds: 1))
            let middle = out[2000..<14_000]
            let peak = middle.reduce(0) { max($0, abs($1)) }
            print("resample \(tone) Hz tone \(rate) → 16000 Hz: peak \(peak)")
            XCTAssertLessThan(peak, 1e-4, "\(tone) Hz from \(rate) Hz: peak \(peak) (−80 dB is 1e-4)")
        }
    }

    func testExtremeRatiosStayAccurate() {
        // A prime input rate: 16000 phases, stored as a coarser grid and interpolated.
        for rate in [999_983, 1_009] {
            // From 1009 Hz the filter spans 68 input samples = 1078 output samples each side.
            let out = Resampler(from: rate, to: 16_000).resample(sine(300, rate: rate, seconds: 0.5))
            let expected = sine(300, rate: 16_000, seconds: 0.5)
            XCTAssertLessThan(maxAbsDifference(out[1500..<6500], expected[1500..<6500]), 1e-3, "from \(rate) Hz")
        }
    }

    func testSpeed() {
        let x = sine(1000, rate: 44_100, seconds: 30)
        let resampler = Resampler(from: 44_100, to: 16_000)
        _ = resampler.resample(x)
        let start = DispatchTime.now()
        let y = resampler.resample(x)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        print("resample 30 s 44100 → 16000 Hz: \(String(format: "%.1f", ms)) ms")
        XCTAssertEqual(y.count, 480_000)
    }

    func testSameRatePassesThrough() {
        let x = sine(440, rate: 16_000, seconds: 0.1)
        XCTAssertEqual(Resampler(from: 16_000, to: 16_000).resample(x), x)
    }

    func testUnusualRatioUsesInterpolatedPhases() {
        // 16000 / 44101 does not reduce: more phases than the table holds.
        let out = Resampler(from: 44_101, to: 16_000).resample(sine(1000, rate: 44_101, seconds: 0.5))
        let expected = sine(1000, rate: 16_000, seconds: 0.5)
        XCTAssertEqual(out.count, (Int(44_101 * 0.5) * 16_000 + 44_100) / 44_101)
        XCTAssertLessThan(maxAbsDifference(out[400..<7600], expected[400..<7600]), 1e-3)
    }
}
