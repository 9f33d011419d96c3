// AAC as people have it: M4A / MP4 files (mono 16 kHz, stereo 44.1 kHz, `faststart` with the
// index before the audio) and raw ADTS streams, made by Debian's ffmpeg from a test signal,
// decoded through FAAD2 to the samples ffmpeg's own AAC decoder gives (the MP4 edit list's
// priming and padding cut as ffmpeg cuts them); damaged and foreign files are one
// AudioFileError naming the file, never a crash. Needs ffmpeg and libfaad2 (.ci/run installs them).
import Foundation
import XCTest
@testable import Seq2SeqAudio

final class AACTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg not installed (.ci/run installs it)") }
        guard FAADDecoder.isAvailable else { throw XCTSkip("libfaad2 not installed (.ci/run installs it)") }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-aac-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { if let scratch { try? FileManager.default.removeItem(at: scratch) } }

    /// Runs ffmpeg with `arguments`; its standard output.
    @discardableResult
    private func ffmpeg(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-loglevel", "error", "-y"] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, arguments.joined(separator: " "))
        return data
    }

    /// A 2.5 s test signal (a swept tone with a pause), encoded to `name` with `arguments`.
    private func encoded(_ name: String, _ arguments: [String]) throws -> URL {
        let url = scratch.appendingPathComponent(name)
        try ffmpeg(["-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*(200+300*t)*t)*lt(mod(t\\,1)\\,0.8):s=16000:d=2.5"] + arguments + [url.path])
        return url
    }

    /// ffmpeg's decoding of `url` (`channels` channels) to float samples, averaged to mono.
    private func reference(_ url: URL, channels: Int) throws -> [Float] {
        let data = try ffmpeg(["-i", url.path, "-f", "f32le", "-"])
        let interleaved = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (0..<interleaved.count / channels).map { frame in
            (0..<channels).reduce(Float(0)) { $0 + interleaved[frame * channels + $1] } / Float(channels)
        }
    }

    func testM4AAndADTSDecodeAsFFmpegDoes() throws {
        let cases: [(String, [String], rate: Int, channels: Int)] = [
            ("mono.m4a", ["-c:a", "aac", "-b:a", "96k"], 16000, 1),
            ("stereo-44k.m4a", ["-ac", "2", "-ar", "44100", "-c:a", "aac", "-b:a", "128k"], 44100, 2),
            ("faststart.mp4", ["-c:a", "aac", "-movflags", "+faststart"], 16000, 1),
            ("stream.aac", ["-c:a", "aac", "-b:a", "64k"], 16000, 1),
        ]
        for (name, arguments, rate, channels) in cases {
            let url = try encoded(name, arguments)
            let decoded = try AudioDecoder.decode(data: try Data(contentsOf: url), path: url.path)
            XCTAssertEqual(decoded.rate, rate, name)
            var expected = try reference(url, channels: channels)
            if name.hasSuffix(".aac") {
                // ffmpeg's ADTS output keeps the decoder's first frame (1024 samples of delay),
                // which FAAD2 drops; without an edit list both end at a whole frame.
                expected.removeFirst(min(1024, expected.count))
            } else {
                // The edit list plays the signal's 2.5 s: FAAD2's output is cut there; ffmpeg's
                // goes on to the last frame's end (the encoder's padding).
                XCTAssertEqual(decoded.samples.count, rate * 5 / 2, "\(name): the edit list's duration")
                XCTAssertLessThan(expected.count - decoded.samples.count, 2048, "\(name): at most a frame of padding")
                expected = Array(expected.prefix(decoded.samples.count))
            }
            XCTAssertEqual(decoded.samples.count, expected.count, "\(name): length")
            var worst: Float = 0
            for (a, b) in zip(decoded.samples, expected) { worst = max(worst, abs(a - b)) }
            XCTAssertLessThan(worst, 2e-3, "\(name): samples against ffmpeg's decoder")
            print("\(name): \(decoded.samples.count) samples at \(rate) Hz, largest difference from ffmpeg \(worst)")
        }
    }

    func testDamagedAndForeignFilesAreOneError() throws {
        let m4a = try Data(contentsOf: try encoded("clip.m4a", ["-c:a", "aac"]))
        let adts = try Data(contentsOf: try encoded("clip.aac", ["-c:a", "aac"]))
        let alac = try Data(contentsOf: try encoded("clip-alac.m4a", ["-c:a", "alac"]))
        func refused(_ data: Data, _ name: String, mentioning words: [String]) {
            XCTAssertThrowsError(try AudioDecoder.decode(data: data, path: name), name) { error in
                let text = String(describing: error)
                XCTAssertTrue(error is AudioFileError, "\(name): \(text)")
                XCTAssertTrue(text.hasPrefix(name + ": "), text)
                for word in words { XCTAssertTrue(text.contains(word), "\(name): \(text) lacks \(word)") }
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
        refused(m4a.prefix(m4a.count / 2), "half.m4a", mentioning: ["truncated"])
        refused(alac, "alac.m4a", mentioning: ["'alac'", "ffmpeg -i"])
        refused(adts.prefix(40), "tiny.aac", mentioning: ["AAC"])

        // Bytes flipped anywhere in the file (the box tree at its start, the frames after it):
        // each result is samples or one AudioFileError, never a crash or a hang.
        var random = SystemRandomNumberGenerator()
        var decodedCount = 0, refusedCount = 0
        for trial in 0..<300 {
            var bytes = [UInt8](trial % 2 == 0 ? m4a : adts)
            let flips = Int.random(in: 1...8, using: &random)
            for _ in 0..<flips {
                let at = trial % 3 == 0 ? Int.random(in: 0..<min(bytes.count, 800), using: &random) : Int.random(in: 0..<bytes.count, using: &random)
                bytes[at] = UInt8.random(in: 0...255, using: &random)
            }
            do {
                let decoded = try AudioDecoder.decode(data: Data(bytes), path: "fuzz")
                XCTAssertTrue(decoded.samples.allSatisfy { abs($0) <= 1000 })
                decodedCount += 1
            } catch let error as AudioFileError {
                XCTAssertEqual(error.path, "fuzz")
                refusedCount += 1
            }
        }
        print("flipped bytes: \(decodedCount) decoded, \(refusedCount) refused in one line")
    }
}
