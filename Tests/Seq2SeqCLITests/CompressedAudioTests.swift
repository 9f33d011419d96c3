// Compressed audio as people have it on disk: a LibriVox clip converted by Debian's ffmpeg to
// FLAC (also stereo 44.1 kHz), Ogg Vorbis, Opus and MP3 (through libsndfile), M4A and raw
// AAC (through FAAD2) transcribes to the WAV's transcript — from a file, from standard input and
// as an upload to the server; a truncated FLAC or M4A file is exit 3 naming it.
// Needs ffmpeg, libsndfile, libfaad2 and Whisper tiny.en (.ci/run installs and fetches them).
import Foundation
import XCTest

final class CompressedAudioTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-codecs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// `wav` converted by ffmpeg with `arguments` into `name`.
    private func convert(_ wav: URL, _ name: String, _ arguments: [String]) throws -> String {
        let out = scratch.appendingPathComponent(name).path
        let r = try runCLI(["ffmpeg", "-loglevel", "error", "-y", "-i", wav.path] + arguments + [out],
                           executable: URL(fileURLWithPath: "/usr/bin/env"))
        XCTAssertEqual(r.status, 0, r.stderr)
        return out
    }

    private func transcript(_ r: RunResult, file: StaticString = #filePath, line: UInt = #line) -> String {
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testCompressedFormatsTranscribeLikeTheWAV() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg not installed (.ci/run installs it)") }
        guard ["/lib/x86_64-linux-gnu/libsndfile.so.1", "/usr/lib/x86_64-linux-gnu/libsndfile.so.1"].contains(where: FileManager.default.fileExists)
        else { throw XCTSkip("libsndfile not installed") }
        let (whisper, wav) = try ServeTests.speech()
        let expected = transcript(try runCLI(["transcribe", "--model", whisper, "--quiet", wav.path]))
        XCTAssertFalse(expected.isEmpty)

        let files = [
            try convert(wav, "clip.flac", []),
            try convert(wav, "clip-stereo-44k.flac", ["-ac", "2", "-ar", "44100"]),
            try convert(wav, "clip.ogg", ["-c:a", "libvorbis", "-q:a", "6"]),
            try convert(wav, "clip.opus", ["-c:a", "libopus", "-b:a", "96k"]),
            try convert(wav, "clip.mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
            try convert(wav, "clip.m4a", ["-c:a", "aac", "-b:a", "128k"]),
            try convert(wav, "clip-stereo-44k.m4a", ["-ac", "2", "-ar", "44100", "-c:a", "aac"]),
            try convert(wav, "clip.aac", ["-c:a", "aac", "-b:a", "96k"]),
        ]
        for file in files {
            XCTAssertEqual(transcript(try runCLI(["transcribe", "--model", whisper, "--quiet", file])), expected, file)
        }
        let flac = try Data(contentsOf: URL(fileURLWithPath: files[0]))
        XCTAssertEqual(transcript(try runCLI(["transcribe", "--model", whisper, "--quiet", "-"], stdin: flac)), expected, "standard input")

        let m4a = try Data(contentsOf: URL(fileURLWithPath: files[5]))
        XCTAssertEqual(transcript(try runCLI(["transcribe", "--model", whisper, "--quiet", "-"], stdin: m4a)), expected, "M4A on standard input")
        let cutM4A = scratch.appendingPathComponent("cut.m4a")
        try m4a.prefix(m4a.count * 2 / 3).write(to: cutM4A)
        let refused = try runCLI(["transcribe", "--model", whisper, "--quiet", cutM4A.path])
        XCTAssertEqual(refused.status, 3, refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("cut.m4a") && refused.stderr.contains("truncated"), refused.stderr)

        let cut = scratch.appendingPathComponent("cut.flac")
        try flac.prefix(300).write(to: cut)
        let truncated = try runCLI(["transcribe", "--model", whisper, "--quiet", cut.path])
        XCTAssertEqual(truncated.status, 3, truncated.stderr + truncated.stdout)
        XCTAssertTrue(truncated.stderr.contains("cut.flac"), truncated.stderr)

        let server = try ServerProcess(["--model", "speech=\(whisper)"])
        let (body, type) = multipart([("model", "speech"), ("response_format", "text")],
                                     files: [("file", "clip.opus", try Data(contentsOf: URL(fileURLWithPath: files[3])))])
        let answer = try http("POST", server.base + "/v1/audio/transcriptions", body: body, type: type)
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(answer.text.trimmingCharacters(in: .whitespacesAndNewlines), expected)
        let (m4aBody, m4aType) = multipart([("model", "speech"), ("response_format", "text")], files: [("file", "clip.m4a", m4a)])
        let m4aAnswer = try http("POST", server.base + "/v1/audio/transcriptions", body: m4aBody, type: m4aType)
        XCTAssertEqual(m4aAnswer.status, 200, m4aAnswer.text)
        XCTAssertEqual(m4aAnswer.text.trimmingCharacters(in: .whitespacesAndNewlines), expected, "an M4A upload")
        XCTAssertEqual(server.stop(), 0)
    }
}
