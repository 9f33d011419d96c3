// Whisper log-mel features against faster-whisper's FeatureExtractor, the mel filters
// against librosa's (as faster-whisper ports them), and the speed of one 30 s window.
import Foundation
import Seq2SeqAudio
import Seq2SeqTensor
import XCTest

final class LogMelTests: XCTestCase {
    func testMelFiltersMatchLibrosa() throws {
        let reference = try AudioFixtures.npy("mel_filters_80.npy")
        let filters = MelFilterBank(sampleRate: 16_000, fftSize: 400, melCount: 80)
        XCTAssertEqual(reference.shape, [80, 201])
        XCTAssertLessThan(maxAbsDifference(filters.weights, reference.values), 1e-6)
    }

    func testLogMelMatchesFasterWhisper() throws {
        for stem in ["pcm16_mono_16k", "extensible_s32_stereo_16k"] {
            let samples = try WAVFile(path: AudioFixtures.path("\(stem).wav")).samples
            for mels in [80, 128] {
                let reference = try AudioFixtures.npy("\(stem).mel\(mels).npy")
                let features = WhisperFeatureExtractor(melCount: mels).features(samples)
                XCTAssertEqual(features.shape, reference.shape)
                let diff = maxAbsDifference(features.values, reference.values)
                print("log-mel \(stem) \(mels) mels: max abs diff \(diff)")
                XCTAssertLessThan(diff, 1e-4, "\(stem), \(mels) mels")
            }
        }
    }

    func testThirtySecondWindow() throws {
        let samples = try WAVFile(path: AudioFixtures.path("pcm16_mono_16k.wav")).samples
        let window = WhisperFeatureExtractor(melCount: 80).window(samples[...])
        XCTAssertEqual(window.shape, [80, 3000])
        let reference = try AudioFixtures.npy("pcm16_mono_16k.window80.first208.npy")
        let stored = reference.shape[1]
        var head: [Float] = [], tailMin = Float.infinity, tailMax = -Float.infinity
        for m in 0..<80 {
            head += window.values[m * 3000..<m * 3000 + stored]
            for t in stored..<3000 { tailMin = min(tailMin, window[m, t]); tailMax = max(tailMax, window[m, t]) }
        }
        XCTAssertLessThan(maxAbsDifference(head, reference.values), 1e-4)
        let expected = try AudioFixtures.expected()["window80"] as? [String: Double]
        let tail = Float(try XCTUnwrap(expected?["tail_value"]))
        XCTAssertEqual(tailMin, tail, accuracy: 1e-4)
        XCTAssertEqual(tailMax, tail, accuracy: 1e-4)
        // Longer input is cut to 30 s.
        XCTAssertEqual(WhisperFeatureExtractor().window(ArraySlice(repeating: 0.1, count: 600_000)).shape, [80, 3000])
    }

    func testSegmentTakesFramesAndPadsWithZeros() {
        let features = Tensor(shape: [2, 3005], values: (0..<6010).map(Float.init))
        let first = WhisperFeatureExtractor.segment(features, from: 0)
        XCTAssertEqual(first.shape, [2, 3000])
        XCTAssertEqual(first[1, 2999], 3005 + 2999)
        let last = WhisperFeatureExtractor.segment(features, from: 3000)
        XCTAssertEqual(last[0, 4], 3004)
        XCTAssertEqual(last[1, 0], 3005 + 3000)
        XCTAssertEqual(last[1, 5], 0)
        XCTAssertEqual(WhisperFeatureExtractor.segment(features, from: 9000).values.max(), 0)
    }

    func testWindowSpeed() {
        let samples = (0..<WhisperFeatureExtractor.windowSamples).map { Float(sin(Double($0) * 0.05)) * 0.3 }
        for mels in [80, 128] {
            let extractor = WhisperFeatureExtractor(melCount: mels)
            _ = extractor.window(samples[...])
            // Best of 10: the cores are shared, the minimum is the least disturbed run.
            var best = Double.infinity
            for _ in 0..<10 {
                let start = DispatchTime.now()
                _ = extractor.window(samples[...])
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
            }
            print("log-mel 30 s window, \(mels) mels, \(ThreadPool.shared.threadCount) threads: \(String(format: "%.2f", best)) ms (best of 10)")
        }
    }
}
