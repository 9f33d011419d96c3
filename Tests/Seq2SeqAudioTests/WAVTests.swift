// WAV decoding: the committed fixtures decode to what numpy computes from the written
// samples (expected.json), hand-built edge cases, and one clear error per kind of damage.
import Foundation
import Seq2SeqAudio
import XCTest

final class WAVTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("s2s-wav-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    // MARK: building files

    private func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    private func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16((v >> 16) & 0xFFFF) }

    private func chunk(_ id: String, _ payload: [UInt8], size: Int? = nil) -> [UInt8] {
        Array(id.utf8) + le32(size ?? payload.count) + payload + (payload.count % 2 == 1 ? [0] : [])
    }

    private func fmt(tag: Int = 1, channels: Int = 1, rate: Int = 16_000, bits: Int = 16, blockAlign: Int? = nil) -> [UInt8] {
        let block = blockAlign ?? channels * bits / 8
        return le16(tag) + le16(channels) + le32(rate) + le32(rate * block) + le16(block) + le16(bits)
    }

    private func riff(_ chunks: [UInt8], type: String = "WAVE", size: Int? = nil) -> [UInt8] {
        Array("RIFF".utf8) + le32(size ?? chunks.count + 4) + Array(type.utf8) + chunks
    }

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func assertProblem(_ bytes: [UInt8], contains words: String, line: UInt = #line) throws {
        let path = try write("bad-\(line).wav", bytes)
        XCTAssertThrowsError(try WAVFile(path: path), line: line) { error in
            let e = error as? AudioFileError
            XCTAssertEqual(e?.path, path, line: line)
            XCTAssertTrue(e?.problem.contains(words) ?? false, "\(error)", line: line)
            XCTAssertFalse("\(error)".contains("\n"), line: line)
        }
    }

    // MARK: fixtures

    func testFixturesDecodeAsNumpyReadsThem() throws {
        let files = try XCTUnwrap(AudioFixtures.expected()["files"] as? [String: [String: Any]])
        XCTAssertEqual(files.count, 5)
        for (name, e) in files.sorted(by: { $0.key < $1.key }) {
            let wav = try WAVFile(path: AudioFixtures.path(name))
            XCTAssertEqual(wav.sampleRate, e["sample_rate"] as? Int, name)
            XCTAssertEqual(wav.channelCount, e["channels"] as? Int, name)
            XCTAssertEqual(wav.bitsPerSample, e["bits"] as? Int, name)
            XCTAssertEqual(wav.encoding, e["encoding"] as? String == "float" ? .float : .pcm, name)
            XCTAssertEqual(wav.samples.count, e["frames"] as? Int, name)
            let first = try XCTUnwrap(e["first"] as? [Double]).map(Float.init)
            let last = try XCTUnwrap(e["last"] as? [Double]).map(Float.init)
            XCTAssertLessThan(maxAbsDifference(wav.samples.prefix(16), first), 1e-7, name)
            XCTAssertLessThan(maxAbsDifference(wav.samples.suffix(16), last), 1e-7, name)
            let sum = wav.samples.reduce(0.0) { $0 + Double($1) }
            let squares = wav.samples.reduce(0.0) { $0 + Double($1) * Double($1) }
            XCTAssertEqual(sum, try XCTUnwrap(e["sum"] as? Double), accuracy: 1e-4, name)
            XCTAssertEqual(squares, try XCTUnwrap(e["sum_squares"] as? Double), accuracy: 1e-4, name)
        }
    }

    func testLoadResamplesTo16k() throws {
        let samples = try AudioDecoder.load(path: AudioFixtures.path("pcm24_stereo_44k.wav"))
        XCTAssertEqual(samples.count, 16_000)
        let same = try AudioDecoder.load(path: AudioFixtures.path("pcm16_mono_16k.wav"))
        XCTAssertEqual(same, try WAVFile(path: AudioFixtures.path("pcm16_mono_16k.wav")).samples)
    }

    // MARK: edge cases that must decode

    func testEncodingsAndChannelAveraging() throws {
        // 8-bit unsigned: 0 → -1, 128 → 0, 255 → 127/128.
        let u8 = try WAVFile(data: Data(riff(chunk("fmt ", fmt(bits: 8)) + chunk("data", [0, 128, 255]))), path: "u8")
        XCTAssertEqual(u8.samples, [-1, 0, 127.0 / 128])
        // 24-bit stereo: (-8388608, 8388607) and (0x000001, -1).
        let s24 = try WAVFile(data: Data(riff(chunk("fmt ", fmt(channels: 2, bits: 24)) + chunk("data", [0, 0, 0x80, 0xFF, 0xFF, 0x7F, 1, 0, 0, 0xFF, 0xFF, 0xFF]))), path: "s24")
        XCTAssertEqual(s24.samples[0], (-1 + 8_388_607.0 / 8_388_608) / 2, accuracy: 1e-7)
        XCTAssertEqual(s24.samples[1], 0, accuracy: 1e-7)
        // 64-bit float, three channels.
        let doubles: [Double] = [0.5, -0.25, 1, 0.125, 0.125, 0.125]
        let f64Bytes = doubles.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let f64 = try WAVFile(data: Data(riff(chunk("fmt ", fmt(tag: 3, channels: 3, bits: 64)) + chunk("data", f64Bytes))), path: "f64")
        XCTAssertEqual(f64.encoding, .float)
        XCTAssertEqual(f64.samples[0], Float(1.25 / 3), accuracy: 1e-7)
        XCTAssertEqual(f64.samples[1], 0.125, accuracy: 1e-7)
        // 32-bit signed: Int32.min → -1.
        let s32 = try WAVFile(data: Data(riff(chunk("fmt ", fmt(bits: 32)) + chunk("data", le32(Int(Int32.min) & 0xFFFF_FFFF)))), path: "s32")
        XCTAssertEqual(s32.samples, [-1])
    }

    func testStreamingDataSizeReadsToEndOfFile() throws {
        let samples = le16(1000) + le16(0xFFFF) + le16(0x8000)
        for size in [0xFFFF_FFFF, 0] {
            let bytes = riff(chunk("fmt ", fmt()) + Array("data".utf8) + le32(size) + samples, size: 0xFFFF_FFFF)
            XCTAssertEqual(try WAVFile(data: Data(bytes), path: "stream").samples, [1000.0 / 32768, -1.0 / 32768, -1])
        }
    }

    func testSkipsUnknownChunksWithOddPaddingAndPartialFrames() throws {
        let bytes = riff(chunk("LIST", [1, 2, 3]) + chunk("fmt ", fmt(channels: 2)) + chunk("cue ", [9]) +
            chunk("data", le16(100) + le16(300) + [7]) + chunk("id3 ", [1, 2], size: 1000))
        let wav = try WAVFile(data: Data(bytes), path: "odd")
        XCTAssertEqual(wav.samples, [200.0 / 32768])
        // Extensible 16-bit PCM with a fmt chunk longer than 40 bytes.
        let guid: [UInt8] = le16(1) + [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]
        let ext = fmt(tag: 0xFFFE) + le16(22) + le16(16) + le32(4) + guid + [0, 0]
        XCTAssertEqual(try WAVFile(data: Data(riff(chunk("fmt ", ext) + chunk("data", le16(16384)))), path: "ext").samples, [0.5])
    }

    func testRawPCM16() throws {
        let path = try write("raw.pcm", le16(16384) + le16(0xC000) + le16(0) + le16(32767) + [5])
        XCTAssertEqual(try AudioDecoder.readRawPCM16(path: path, sampleRate: 16_000), [0.5, -0.5, 0, 32767.0 / 32768])
        XCTAssertEqual(try AudioDecoder.readRawPCM16(path: path, sampleRate: 8_000, channels: 2), [0, 32767.0 / 65536])
        XCTAssertEqual(try AudioDecoder.load(path: path, rawSampleRate: 8_000).count, 8)
        XCTAssertThrowsError(try AudioDecoder.readRawPCM16(path: path, sampleRate: 0))
        XCTAssertThrowsError(try AudioDecoder.readRawPCM16(path: path, sampleRate: 50_000_000))
        XCTAssertThrowsError(try AudioDecoder.readRawPCM16(path: path, sampleRate: 16_000, channels: 0))
    }

    // MARK: damage

    func testRejectsNonWAVAndTruncatedHeaders() throws {
        try assertProblem([], contains: "empty file")
        try assertProblem(Array("RIFF".utf8) + [0, 0], contains: "truncated")
        try assertProblem(Array("ID3\u{3}not a wav file at all".utf8), contains: "not a WAV file")
        try assertProblem(riff([], type: "AVI "), contains: "not WAVE")
        try assertProblem(Array("RF64".utf8) + le32(0) + Array("WAVE".utf8), contains: "RF64")
        try assertProblem(riff([]), contains: "no fmt or data chunk")
        try assertProblem(riff(chunk("data", le16(1))), contains: "no fmt chunk")
        try assertProblem(riff(chunk("fmt ", fmt())), contains: "no data chunk")
        try assertProblem(riff(chunk("fmt ", fmt()) + Array("da".utf8)), contains: "no data chunk")
    }

    func testRejectsTruncatedChunks() throws {
        // Data chunk claims more than the file holds (not the streaming 0 / 0xFFFFFFFF case).
        try assertProblem(riff(chunk("fmt ", fmt()) + Array("data".utf8) + le32(0xFFFF_FFF0) + le16(1)), contains: "truncated: the data chunk declares 4294967280 bytes")
        try assertProblem(riff(chunk("fmt ", fmt()) + Array("data".utf8) + le32(100) + le16(1)), contains: "truncated")
        try assertProblem(riff(Array("fmt ".utf8) + le32(16) + [1, 0, 1]), contains: "truncated: the fmt chunk")
        try assertProblem(riff(chunk("JUNK", [], size: 0x7FFF_FFFF) + chunk("fmt ", fmt())), contains: "truncated: chunk 'JUNK'")
    }

    func testRejectsBadFormats() throws {
        func file(_ format: [UInt8]) -> [UInt8] { riff(chunk("fmt ", format) + chunk("data", [0, 0, 0, 0])) }
        try assertProblem(file(Array(fmt().prefix(14))), contains: "fmt chunk is 14 bytes")
        try assertProblem(file(fmt(channels: 0, blockAlign: 2)), contains: "0 channels")
        try assertProblem(file(fmt(channels: 65535, blockAlign: 2)), contains: "65535 channels")
        try assertProblem(file(fmt(rate: 0)), contains: "sample rate 0 Hz is outside")
        try assertProblem(file(fmt(rate: 999)), contains: "sample rate 999 Hz is outside")
        try assertProblem(file(le16(1) + le16(1) + le32(0xFFFF_FFFF) + le32(0) + le16(2) + le16(16)), contains: "sample rate 4294967295")
        try assertProblem(file(fmt(bits: 12, blockAlign: 2)), contains: "12-bit PCM")
        try assertProblem(file(fmt(bits: 0, blockAlign: 2)), contains: "0-bit PCM")
        try assertProblem(file(fmt(tag: 3, bits: 16)), contains: "16-bit float")
        try assertProblem(file(fmt(tag: 2, bits: 4, blockAlign: 2)), contains: "format tag 2")
        try assertProblem(file(fmt(tag: 0x55)), contains: "format tag 85")
        try assertProblem(file(fmt(blockAlign: 3)), contains: "block align 3")
        try assertProblem(file(fmt(tag: 0xFFFE)), contains: "EXTENSIBLE fmt chunk is too short")
        let otherGUID = fmt(tag: 0xFFFE) + le16(22) + le16(16) + le32(4) + le16(1) + [UInt8](repeating: 7, count: 14)
        try assertProblem(file(otherGUID), contains: "unknown subformat")
        let adpcmGUID = fmt(tag: 0xFFFE) + le16(22) + le16(16) + le32(4) + le16(2) + [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]
        try assertProblem(file(adpcmGUID), contains: "format tag 2")
    }

    /// A fuzz find: float WAVs holding NaN or infinities decoded and transcribed as "!!!!".
    func testRejectsNonFiniteFloatSamples() throws {
        func floatFile(_ values: [Float], channels: Int = 1) -> [UInt8] {
            riff(chunk("fmt ", fmt(tag: 3, channels: channels, bits: 32)) + chunk("data", values.flatMap { le32(Int($0.bitPattern)) }))
        }
        try assertProblem(floatFile([0.5, .nan, 0.25]), contains: "frame 1 holds nan")
        try assertProblem(floatFile([0.5, 0.1, -.infinity]), contains: "frame 2 holds -inf")
        try assertProblem(floatFile([.infinity, -.infinity], channels: 2), contains: "frame 0")
        try assertProblem(floatFile([0, 1e30]), contains: "frame 1")
        XCTAssertEqual(try WAVFile(path: try write("loud.wav", floatFile([0.5, -1.5, 2]))).samples, [0.5, -1.5, 2])
    }

    func testMissingFileAndDirectory() {
        for (path, words) in [(folder.appendingPathComponent("none.wav").path, "no such file"), (folder.path, "directory")] {
            XCTAssertThrowsError(try WAVFile(path: path)) { error in
                XCTAssertEqual((error as? AudioFileError)?.path, path)
                XCTAssertTrue("\(error)".contains(words), "\(error)")
            }
        }
    }
}
