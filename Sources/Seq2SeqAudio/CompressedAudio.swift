// Compressed audio — FLAC, Ogg Vorbis, Opus, MP3 (and AIFF, CAF, … whatever the library
// reads) — decoded by libsndfile (Debian's `libsndfile1`), loaded with dlopen when first needed:
// nothing links it at build time, and WAV and raw PCM never touch it. The calls are
// libsndfile's documented C API (sndfile.h: sf_open_virtual, sf_readf_float, sf_close,
// sf_strerror, the SF_INFO and SF_VIRTUAL_IO layouts); the bytes come from memory, so a file
// and an HTTP upload go the same way.
import Foundation

/// libsndfile, when the system has it.
enum Sndfile {
    private typealias OpenVirtual = @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafeMutableRawPointer?,
                                                    UnsafeMutableRawPointer?) -> OpaquePointer?
    private typealias ReadFloat = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Float>?, Int64) -> Int64
    private typealias Close = @convention(c) (OpaquePointer?) -> Int32
    private typealias StrError = @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?
    // SF_VIRTUAL_IO's five callbacks.
    private typealias GetLength = @convention(c) (UnsafeMutableRawPointer?) -> Int64
    private typealias Seek = @convention(c) (Int64, Int32, UnsafeMutableRawPointer?) -> Int64
    private typealias Read = @convention(c) (UnsafeMutableRawPointer?, Int64, UnsafeMutableRawPointer?) -> Int64
    private typealias Write = @convention(c) (UnsafeRawPointer?, Int64, UnsafeMutableRawPointer?) -> Int64
    private typealias Tell = @convention(c) (UnsafeMutableRawPointer?) -> Int64

    private struct Library {
        let open: OpenVirtual, readFloat: ReadFloat, close: Close, strerror: StrError
    }

    /// The library's entry points, or nil when `libsndfile.so.1` is not installed.
    private static let library: Library? = {
        guard let handle = dlopen("libsndfile.so.1", RTLD_NOW | RTLD_LOCAL) else { return nil }
        func symbol<T>(_ name: String, _ type: T.Type) -> T? { dlsym(handle, name).map { unsafeBitCast($0, to: type) } }
        guard let open = symbol("sf_open_virtual", OpenVirtual.self), let readFloat = symbol("sf_readf_float", ReadFloat.self),
              let close = symbol("sf_close", Close.self), let strerror = symbol("sf_strerror", StrError.self) else { return nil }
        return Library(open: open, readFloat: readFloat, close: close, strerror: strerror)
    }()

    static var isAvailable: Bool { library != nil }

    /// The bytes being read and the read position (`user_data` of the callbacks).
    private final class Source {
        let bytes: UnsafeRawBufferPointer
        var position = 0
        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    }

    private static let getLength: GetLength = { user in
        Int64(Unmanaged<Source>.fromOpaque(user!).takeUnretainedValue().bytes.count)
    }
    private static let seek: Seek = { offset, whence, user in
        let source = Unmanaged<Source>.fromOpaque(user!).takeUnretainedValue()
        let base = whence == SEEK_CUR ? source.position : whence == SEEK_END ? source.bytes.count : 0
        let (target, overflow) = Int64(base).addingReportingOverflow(offset)
        guard !overflow, target >= 0, target <= Int64(source.bytes.count) else { return -1 }
        source.position = Int(target)
        return target
    }
    private static let read: Read = { destination, count, user in
        let source = Unmanaged<Source>.fromOpaque(user!).takeUnretainedValue()
        let n = Int(max(0, min(count, Int64(source.bytes.count - source.position))))
        if n > 0, let destination {
            destination.copyMemory(from: source.bytes.baseAddress! + source.position, byteCount: n)
            source.position += n
        }
        return Int64(n)
    }
    private static let write: Write = { _, _, _ in 0 }
    private static let tell: Tell = { user in Int64(Unmanaged<Source>.fromOpaque(user!).takeUnretainedValue().position) }

    /// sndfile.h: SFM_READ.
    private static let readMode: Int32 = 0x10
    /// Decoded frames read per call.
    private static let chunkFrames = 1 << 16
    /// Most mono frames decoded (2 GB of samples: 3 hours at 48 kHz, 9 at 16 kHz); a longer
    /// stream is refused rather than exhausting memory (a small file can decode to a huge one).
    static let maxFrames = 1 << 29

    /// Mono samples (the mean of the channels) and the sample rate of `bytes`; nil when
    /// libsndfile is not installed. Throws `AudioFileError` naming `path` when it cannot read them.
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> (samples: [Float], rate: Int)? {
        guard let library else { return nil }
        let retained = Unmanaged.passRetained(Source(bytes))
        defer { retained.release() }
        let user = retained.toOpaque()
        let io = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: 5)
        defer { io.deallocate() }
        io[0] = unsafeBitCast(getLength, to: UnsafeRawPointer.self)
        io[1] = unsafeBitCast(seek, to: UnsafeRawPointer.self)
        io[2] = unsafeBitCast(read, to: UnsafeRawPointer.self)
        io[3] = unsafeBitCast(write, to: UnsafeRawPointer.self)
        io[4] = unsafeBitCast(tell, to: UnsafeRawPointer.self)
        // SF_INFO: sf_count_t frames; int samplerate, channels, format, sections, seekable.
        let info = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
        defer { info.deallocate() }
        info.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
        guard let file = library.open(UnsafeMutableRawPointer(io), readMode, info, user) else {
            let reason = library.strerror(nil).map { String(cString: $0) } ?? "unknown error"
            throw AudioFileError(path, "not a WAV file, nor audio libsndfile reads (\(reason.trimmingCharacters(in: .punctuationCharacters)))")
        }
        defer { _ = library.close(file) }
        let rate = Int(info.load(fromByteOffset: 8, as: Int32.self))
        let channels = Int(info.load(fromByteOffset: 12, as: Int32.self))
        guard WAVLimits.sampleRates.contains(rate) else { throw AudioFileError(path, "sample rate \(rate) Hz is out of range") }
        guard channels > 0, channels <= WAVLimits.maxChannels else { throw AudioFileError(path, "channel count \(channels) is out of range") }

        var samples: [Float] = []
        let announced = info.load(fromByteOffset: 0, as: Int64.self)
        if announced > 0, announced <= Int64(maxFrames) { samples.reserveCapacity(Int(announced)) }
        var chunk = [Float](repeating: 0, count: chunkFrames * channels)
        while true {
            let got = chunk.withUnsafeMutableBufferPointer { Int(library.readFloat(file, $0.baseAddress, Int64(chunkFrames))) }
            guard got >= 0, got <= chunkFrames else { throw AudioFileError(path, "corrupt stream (the decoder returned \(got) frames)") }
            if got == 0 { break }
            guard samples.count + got <= maxFrames else {
                throw AudioFileError(path, "decodes to more than \(maxFrames) frames (\(maxFrames / rate / 3600) hours at \(rate) Hz); split it")
            }
            chunk.withUnsafeBufferPointer { appendMono($0.baseAddress!, frames: got, channels: channels, to: &samples) }
        }
        return (samples, rate)
    }
}

/// Appends the mean of the channels of each of `frames` interleaved float frames to `samples`.
func appendMono(_ interleaved: UnsafePointer<Float>, frames: Int, channels: Int, to samples: inout [Float]) {
    if channels == 1 { return samples.append(contentsOf: UnsafeBufferPointer(start: interleaved, count: frames)) }
    let scale = 1 / Float(channels)
    for frame in 0..<frames {
        var sum: Float = 0
        for c in 0..<channels { sum += interleaved[frame * channels + c] }
        samples.append(sum * scale)
    }
}

extension AudioDecoder {
    /// Decodes a whole audio file's bytes — WAV by this package's own parser, MP4/M4A and ADTS
    /// AAC by FAAD2, anything else (FLAC, Ogg Vorbis, Opus, MP3, …) by libsndfile, each when it
    /// is installed — to mono samples and
    /// their rate. `path` names the source in errors. Throws `AudioFileError`.
    public static func decode(data: Data, path: String) throws -> (samples: [Float], rate: Int) {
        let head = [UInt8](data.prefix(12))
        func tag(_ at: Int) -> String { head.count >= at + 4 ? String(decoding: head[at..<at + 4], as: UTF8.self) : "" }
        if tag(0) == "RIFF" || tag(0) == "RF64" || data.count < 12 {
            let wav = try WAVFile(data: data, path: path)
            return (wav.samples, wav.sampleRate)
        }
        if tag(4) == "ftyp" || FAADDecoder.isADTS(head) {
            let mp4 = tag(4) == "ftyp"
            let decoded = try data.withUnsafeBytes { try mp4 ? FAADDecoder.decodeMP4($0, path: path) : FAADDecoder.decodeADTS($0, path: path) }
            guard let decoded else {
                throw AudioFileError(path, "\(mp4 ? "an MP4/M4A file" : "an AAC stream") needs libfaad2 (Debian: apt-get install libfaad2), "
                    + "or convert it: ffmpeg -i FILE -ar 16000 FILE.wav")
            }
            guard !decoded.samples.isEmpty else { throw AudioFileError(path, "AAC: no audio decoded") }
            return try checked(decoded, path: path)
        }
        let decoded = try data.withUnsafeBytes { try Sndfile.decode($0, path: path) }
        guard let decoded else {
            throw AudioFileError(path, "not a WAV file; FLAC, Ogg Vorbis, Opus and MP3 need libsndfile (Debian: apt-get install libsndfile1)")
        }
        return try checked(decoded, path: path)
    }

    /// `decoded` when every sample a compressed-audio library gave is finite and within
    /// ±`WAVLimits.maxFloatMagnitude`.
    private static func checked(_ decoded: (samples: [Float], rate: Int), path: String) throws -> (samples: [Float], rate: Int) {
        if let bad = decoded.samples.firstIndex(where: { !(abs($0) <= WAVLimits.maxFloatMagnitude) }) {
            throw AudioFileError(path, "frame \(bad) decodes to \(decoded.samples[bad]), not a sample (corrupt data)")
        }
        return decoded
    }
}
