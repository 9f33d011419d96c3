// RIFF/WAVE decoding to mono float samples, and raw 16-bit PCM.
//
// Format facts from the RIFF/WAVE specification (Microsoft "Multimedia Programming Interface
// and Data Specifications 1.0") and the WAVE_FORMAT_EXTENSIBLE note: little-endian chunks
// `id(4) size(4) payload`, payloads padded to even length; 8-bit PCM is unsigned, wider PCM
// signed; streaming writers leave the data size at 0 or 0xFFFFFFFF.
import Foundation

/// A decoded WAV file: its format and its samples mixed down to mono.
///
///     let wav = try WAVFile(path: "speech.wav")
///     let samples16k = Resampler(from: wav.sampleRate, to: 16_000).resample(wav.samples)
public struct WAVFile: Sendable {
    /// How the samples are stored in the file.
    public enum Encoding: Equatable, Sendable {
        /// Integer PCM: 8-bit unsigned, 16/24/32-bit signed.
        case pcm
        /// IEEE float, 32 or 64 bits.
        case float
    }

    /// Frames per second.
    public let sampleRate: Int
    /// Channels in the file (the samples are their average).
    public let channelCount: Int
    /// Bits per stored sample (the container size).
    public let bitsPerSample: Int
    /// Integer or float samples.
    public let encoding: Encoding
    /// Mono samples in [-1, 1) (floats as stored): the mean of the channels, one per frame.
    public let samples: [Float]

    /// Reads and decodes the WAV file at `path`. Throws `AudioFileError` naming the file and the problem.
    public init(path: String) throws {
        let data = try readWholeFile(path)
        try self.init(data: data, path: path)
    }

    /// Decodes WAV bytes; `path` only names the source in errors.
    public init(data: Data, path: String) throws {
        let bytes = [UInt8](data)
        let parser = RIFFParser(bytes: bytes, path: path)
        let (format, dataRange) = try parser.parse()
        sampleRate = format.sampleRate
        channelCount = format.channels
        bitsPerSample = format.bits
        encoding = format.isFloat ? .float : .pcm
        samples = bytes.withUnsafeBufferPointer { buffer in
            decodeFrames(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[dataRange]), format: format)
        }
        if format.isFloat, let bad = samples.firstIndex(where: { !(abs($0) <= WAVLimits.maxFloatMagnitude) }) {
            throw AudioFileError(path, "frame \(bad) holds \(samples[bad]), not a sample of float audio (corrupt data)")
        }
    }
}

/// Reading audio files into 16 kHz mono for Whisper.
public enum AudioDecoder {
    /// Decodes an audio file — WAV, or FLAC, Ogg Vorbis, Opus, MP3 when libsndfile is installed
    /// (`decode(data:path:)`), or raw 16-bit little-endian PCM when `rawSampleRate` is given;
    /// `-` reads standard input — and resamples it to `targetRate` (16 kHz by default).
    /// Throws `AudioFileError`.
    public static func load(path: String, rawSampleRate: Int? = nil, rawChannels: Int = 1, targetRate: Int = 16_000) throws -> [Float] {
        let (samples, rate): ([Float], Int)
        if let rawSampleRate {
            (samples, rate) = (try readRawPCM16(path: path, sampleRate: rawSampleRate, channels: rawChannels), rawSampleRate)
        } else {
            (samples, rate) = try decode(data: try readWholeFile(path), path: path)
        }
        return Resampler(from: rate, to: targetRate).resample(samples)
    }

    /// Reads headerless signed 16-bit little-endian PCM (`ffmpeg -f s16le`), mixed down to mono.
    /// The sample rate is not stored in such files, so it is only checked here. Throws `AudioFileError`.
    public static func readRawPCM16(path: String, sampleRate: Int, channels: Int = 1) throws -> [Float] {
        guard WAVLimits.sampleRates.contains(sampleRate) else {
            throw AudioFileError(path, "raw PCM sample rate \(sampleRate) Hz is out of range")
        }
        guard channels > 0, channels <= WAVLimits.maxChannels else {
            throw AudioFileError(path, "raw PCM channel count \(channels) is out of range")
        }
        let bytes = [UInt8](try readWholeFile(path))
        let format = WAVFormat(channels: channels, sampleRate: sampleRate, bits: 16, isFloat: false)
        return bytes.withUnsafeBytes { decodeFrames($0, format: format) }
    }
}

/// Limits that reject headers no real recording has, before they size anything.
enum WAVLimits {
    static let maxChannels = 1024
    /// Rates outside this range would make resampling to 16 kHz absurdly long or large.
    static let sampleRates = 1_000...1_000_000
    /// Float samples are nominally in [-1, 1]; a NaN, an infinity or a value 60 dB above full
    /// scale is corrupt data, not sound.
    static let maxFloatMagnitude: Float = 1000
}

/// The fmt chunk fields that decoding needs.
struct WAVFormat {
    var channels: Int
    var sampleRate: Int
    var bits: Int
    var isFloat: Bool
    var bytesPerFrame: Int { channels * bits / 8 }
}

/// The whole file at `path`; `-` is standard input.
func readWholeFile(_ path: String) throws -> Data {
    if path == "-" {
        do { return try FileHandle.standardInput.readToEnd() ?? Data() } catch {
            throw AudioFileError("-", "standard input cannot be read (\(error.localizedDescription))")
        }
    }
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw AudioFileError(path, "no such file")
    }
    guard !isFolder.boolValue else { throw AudioFileError(path, "is a directory, not a file") }
    do {
        // Read, not mapped: a mapped file truncated by another process raises SIGBUS.
        return try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw AudioFileError(path, "cannot be read (\(error.localizedDescription))")
    }
}

/// Walks the RIFF chunks: finds `fmt ` and `data`, skips the rest.
private struct RIFFParser {
    let bytes: [UInt8]
    let path: String

    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
    func tag(_ at: Int) -> String { String(decoding: bytes[at..<at + 4], as: UTF8.self) }
    func fail(_ problem: String) -> AudioFileError { AudioFileError(path, problem) }

    func parse() throws -> (WAVFormat, Range<Int>) {
        guard !bytes.isEmpty else { throw fail("empty file") }
        guard bytes.count >= 12 else { throw fail("truncated: \(bytes.count) bytes is shorter than a RIFF header") }
        guard tag(0) == "RIFF" else {
            throw fail(tag(0) == "RF64" ? "RF64 (64-bit WAV) is not supported" : "not a WAV file (no RIFF header)")
        }
        guard tag(8) == "WAVE" else { throw fail("RIFF file of type '\(tag(8))', not WAVE") }
        var format: WAVFormat?
        var dataRange: Range<Int>?
        var at = 12
        while at + 8 <= bytes.count, format == nil || dataRange == nil {
            let id = tag(at), size = u32(at + 4), body = at + 8
            let remaining = bytes.count - body
            if id == "data" {
                if size == 0xFFFF_FFFF || size == 0 {
                    dataRange = body..<bytes.count  // streaming writer: the data runs to the end of the file
                    break
                }
                guard size <= remaining else {
                    throw fail("truncated: the data chunk declares \(size) bytes but only \(remaining) follow")
                }
                dataRange = body..<body + size
            } else if id == "fmt " {
                guard size <= remaining else {
                    throw fail("truncated: the fmt chunk declares \(size) bytes but only \(remaining) follow")
                }
                format = try parseFormat(body, size: size)
            } else if size > remaining {
                if dataRange != nil { break }  // trailing metadata cut short; the audio is whole
                throw fail("truncated: chunk '\(printable(id))' declares \(size) bytes but only \(remaining) follow")
            }
            at = body + size + (size & 1)
        }
        guard let format else { throw fail(dataRange == nil ? "no fmt or data chunk" : "no fmt chunk") }
        guard let dataRange else { throw fail("no data chunk") }
        return (format, dataRange)
    }

    private func parseFormat(_ at: Int, size: Int) throws -> WAVFormat {
        guard size >= 16 else { throw fail("fmt chunk is \(size) bytes, expected at least 16") }
        var formatTag = u16(at)
        let channels = u16(at + 2), sampleRate = u32(at + 4), blockAlign = u16(at + 12), bits = u16(at + 14)
        if formatTag == 0xFFFE {
            guard size >= 40, u16(at + 16) >= 22 else { throw fail("WAVE_FORMAT_EXTENSIBLE fmt chunk is too short (\(size) bytes)") }
            let guidTail: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
            guard Array(bytes[at + 26..<at + 40]) == guidTail else { throw fail("WAVE_FORMAT_EXTENSIBLE with an unknown subformat GUID") }
            formatTag = u16(at + 24)
        }
        guard formatTag == 1 || formatTag == 3 else {
            throw fail("unsupported WAV encoding (format tag \(formatTag)); only PCM (1) and IEEE float (3) are read")
        }
        guard channels > 0 else { throw fail("0 channels") }
        guard channels <= WAVLimits.maxChannels else { throw fail("\(channels) channels is not a plausible recording") }
        guard WAVLimits.sampleRates.contains(sampleRate) else {
            throw fail("sample rate \(sampleRate) Hz is outside \(WAVLimits.sampleRates.lowerBound)...\(WAVLimits.sampleRates.upperBound) Hz")
        }
        let isFloat = formatTag == 3
        let supported = isFloat ? [32, 64] : [8, 16, 24, 32]
        guard supported.contains(bits) else {
            throw fail("\(bits)-bit \(isFloat ? "float" : "PCM") samples are not supported (\(isFloat ? "32 or 64" : "8, 16, 24 or 32") bits)")
        }
        let format = WAVFormat(channels: channels, sampleRate: sampleRate, bits: bits, isFloat: isFloat)
        guard blockAlign == format.bytesPerFrame else {
            throw fail("block align \(blockAlign) does not match \(channels) channels of \(bits) bits")
        }
        return format
    }

    private func printable(_ id: String) -> String {
        String(id.unicodeScalars.map { $0.value >= 32 && $0.value < 127 ? Character($0) : "?" })
    }
}

/// Decodes whole frames (a trailing partial frame is dropped) and averages their channels.
func decodeFrames(_ raw: UnsafeRawBufferPointer, format: WAVFormat) -> [Float] {
    let frameBytes = format.bytesPerFrame, channels = format.channels
    let frames = raw.count / frameBytes
    let sampleBytes = format.bits / 8
    let scale = 1 / Float(channels)
    return [Float](unsafeUninitializedCapacity: frames) { out, initialized in
        for f in 0..<frames {
            var sum: Float = 0
            let frame = f * frameBytes
            for c in 0..<channels {
                sum += decodeSample(raw, at: frame + c * sampleBytes, format: format)
            }
            out[f] = channels == 1 ? sum : sum * scale
        }
        initialized = frames
    }
}

@inline(__always)
private func decodeSample(_ raw: UnsafeRawBufferPointer, at i: Int, format: WAVFormat) -> Float {
    switch (format.isFloat, format.bits) {
    case (false, 8): return (Float(raw[i]) - 128) / 128
    case (false, 16): return Float(Int16(bitPattern: UInt16(raw[i]) | UInt16(raw[i + 1]) << 8)) / 32768
    case (false, 24):
        let u = UInt32(raw[i]) << 8 | UInt32(raw[i + 1]) << 16 | UInt32(raw[i + 2]) << 24
        return Float(Int32(bitPattern: u) >> 8) / 8_388_608
    case (false, _): return Float(Int32(bitPattern: raw.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian)) / 2_147_483_648
    case (true, 32): return Float(bitPattern: raw.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian)
    default: return Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian))
    }
}
