// AAC — in an MP4 / M4A file (MP4AudioTrack.swift) or as a raw ADTS stream (.aac) — decoded
// by FAAD2 (Debian's `libfaad2`), loaded with dlopen when first needed, as libsndfile is: nothing
// links it at build time. The calls are FAAD2's documented C API (neaacdec.h: NeAACDecOpen,
// NeAACDecGetCurrentConfiguration / SetConfiguration, NeAACDecInit / Init2, NeAACDecDecode,
// NeAACDecGetErrorMessage, NeAACDecClose, and the NeAACDecConfiguration and NeAACDecFrameInfo
// layouts of FAAD2 2.x on 64-bit Linux). Output: float samples, 5.1 mixed down to stereo by
// the library, then averaged to mono.
import Foundation

/// FAAD2, when the system has it.
enum FAADDecoder {
    private typealias Open = @convention(c) () -> OpaquePointer?
    private typealias GetConfiguration = @convention(c) (OpaquePointer?) -> UnsafeMutableRawPointer?
    private typealias SetConfiguration = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> UInt8
    private typealias Initialize = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UInt,
                                                   UnsafeMutablePointer<UInt>?, UnsafeMutablePointer<UInt8>?) -> Int
    private typealias Initialize2 = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UInt,
                                                    UnsafeMutablePointer<UInt>?, UnsafeMutablePointer<UInt8>?) -> Int8
    private typealias Decode = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, UInt) -> UnsafeMutableRawPointer?
    private typealias ErrorMessage = @convention(c) (UInt8) -> UnsafeMutablePointer<CChar>?
    private typealias Close = @convention(c) (OpaquePointer?) -> Void

    private struct Library {
        let open: Open, getConfiguration: GetConfiguration, setConfiguration: SetConfiguration
        let initialize: Initialize, initialize2: Initialize2, decode: Decode, errorMessage: ErrorMessage, close: Close
    }

    /// The library's entry points, or nil when `libfaad.so.2` is not installed.
    private static let library: Library? = {
        guard let handle = dlopen("libfaad.so.2", RTLD_NOW | RTLD_LOCAL) else { return nil }
        func symbol<T>(_ name: String, _ type: T.Type) -> T? { dlsym(handle, name).map { unsafeBitCast($0, to: type) } }
        guard let open = symbol("NeAACDecOpen", Open.self),
              let getConfiguration = symbol("NeAACDecGetCurrentConfiguration", GetConfiguration.self),
              let setConfiguration = symbol("NeAACDecSetConfiguration", SetConfiguration.self),
              let initialize = symbol("NeAACDecInit", Initialize.self), let initialize2 = symbol("NeAACDecInit2", Initialize2.self),
              let decode = symbol("NeAACDecDecode", Decode.self), let errorMessage = symbol("NeAACDecGetErrorMessage", ErrorMessage.self),
              let close = symbol("NeAACDecClose", Close.self) else { return nil }
        return Library(open: open, getConfiguration: getConfiguration, setConfiguration: setConfiguration, initialize: initialize,
                       initialize2: initialize2, decode: decode, errorMessage: errorMessage, close: close)
    }()

    static var isAvailable: Bool { library != nil }

    /// neaacdec.h: FAAD_FMT_FLOAT.
    private static let floatOutput: UInt8 = 4
    /// NeAACDecFrameInfo's size (104 bytes in FAAD2 2.x), with room to spare.
    private static let frameInfoBytes = 256

    /// Whether `head` starts with an ADTS frame header (sync word 0xFFF, layer 0): a raw AAC stream.
    static func isADTS(_ head: [UInt8]) -> Bool { head.count >= 2 && head[0] == 0xFF && head[1] & 0xF6 == 0xF0 }

    /// Mono samples and rate of the MP4 file `bytes`' AAC track; nil without FAAD2.
    static func decodeMP4(_ bytes: UnsafeRawBufferPointer, path: String) throws -> (samples: [Float], rate: Int)? {
        guard let library else { return nil }
        let track = try MP4AudioTrack(bytes, path: path)
        let decoder = try Decoder(library, path: path)
        var config = track.decoderConfig
        var rate: UInt = 0, channels: UInt8 = 0
        guard library.initialize2(decoder.handle, &config, UInt(config.count), &rate, &channels) == 0 else {
            throw AudioFileError(path, "MP4: the AAC decoder refuses the track's AudioSpecificConfig")
        }
        let base = UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        for frame in track.frames { try decoder.decode(base + frame.lowerBound, count: frame.count) }
        let outputRate = decoder.rate ?? Int(rate)
        // The edit list's priming samples (in the track's time scale) are dropped, as players do;
        // FAAD2 has dropped the first frame's output (its overlap delay) itself. Then the edit's
        // duration cuts the encoder's padding at the end.
        let priming = Int((Double(track.skippedSamples) * Double(outputRate) / Double(track.timeScale)).rounded())
        let skip = min(decoder.samples.count, max(0, priming - decoder.leadingSamplesDropped))
        var samples = Array(decoder.samples.dropFirst(skip))
        if let seconds = track.playedSeconds {
            let played = Int((seconds * Double(outputRate)).rounded())
            if played > 0 && played < samples.count { samples.removeLast(samples.count - played) }
        }
        return (samples, outputRate)
    }

    /// Mono samples and rate of the ADTS stream `bytes`; nil without FAAD2.
    static func decodeADTS(_ bytes: UnsafeRawBufferPointer, path: String) throws -> (samples: [Float], rate: Int)? {
        guard let library else { return nil }
        let decoder = try Decoder(library, path: path)
        let base = UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        var rate: UInt = 0, channels: UInt8 = 0
        let skipped = library.initialize(decoder.handle, base, UInt(bytes.count), &rate, &channels)
        guard skipped >= 0, skipped < bytes.count else { throw AudioFileError(path, "AAC: no ADTS frame header the decoder accepts") }
        var position = skipped
        while bytes.count - position >= 7 {
            let consumed = try decoder.decode(base + position, count: bytes.count - position)
            guard consumed > 0 else { break }
            position += consumed
        }
        return (decoder.samples, decoder.rate ?? Int(rate))
    }

    /// One opened decoder, set to float output mixed down to at most two channels, and the mono
    /// samples it has decoded.
    private final class Decoder {
        let library: Library
        let handle: OpaquePointer
        let path: String
        private let info: UnsafeMutableRawPointer
        private(set) var samples: [Float] = []
        /// The decoded frames' sample rate (nil before the first).
        private(set) var rate: Int?
        /// Samples of the frames decoded to nothing before the first output (FAAD2 returns none
        /// for the first frame: its overlap delay), at the output rate.
        var leadingSamplesDropped: Int { silentFrames * (samples.count > 0 ? firstFrameLength : 0) }
        private var silentFrames = 0, firstFrameLength = 0

        init(_ library: Library, path: String) throws {
            guard let handle = library.open() else { throw AudioFileError(path, "AAC: the decoder cannot start") }
            guard let configuration = library.getConfiguration(handle) else {
                library.close(handle)
                throw AudioFileError(path, "AAC: the decoder has no configuration")
            }
            // NeAACDecConfiguration: defObjectType (0), defSampleRate (8), outputFormat (16),
            // downMatrix (17), useOldADTSFormat (18), dontUpSampleImplicitSBR (19). A stream that
            // may carry SBR without saying so is decoded at its core rate, not doubled: speech is
            // resampled to 16 kHz, below any core rate's band.
            configuration.storeBytes(of: FAADDecoder.floatOutput, toByteOffset: 16, as: UInt8.self)
            configuration.storeBytes(of: 1, toByteOffset: 17, as: UInt8.self)
            configuration.storeBytes(of: 1, toByteOffset: 19, as: UInt8.self)
            _ = library.setConfiguration(handle, configuration)
            self.library = library
            self.handle = handle
            self.path = path
            info = UnsafeMutableRawPointer.allocate(byteCount: FAADDecoder.frameInfoBytes, alignment: 8)
            info.initializeMemory(as: UInt8.self, repeating: 0, count: FAADDecoder.frameInfoBytes)
        }

        deinit {
            library.close(handle)
            info.deallocate()
        }

        /// Decodes the frame at `encoded` (`count` bytes available) and keeps its mono samples;
        /// returns the bytes it used.
        @discardableResult
        func decode(_ encoded: UnsafeMutablePointer<UInt8>, count available: Int) throws -> Int {
            let output = library.decode(handle, info, encoded, UInt(available))
            // NeAACDecFrameInfo: bytesconsumed (0), samples (8), channels (16), error (17), samplerate (24).
            let error = info.load(fromByteOffset: 17, as: UInt8.self)
            if error != 0 {
                let message = library.errorMessage(error).map { String(cString: $0) } ?? "error \(error)"
                throw AudioFileError(path, "AAC: \(message) (after \(samples.count) samples)")
            }
            let consumed = Int(info.load(fromByteOffset: 0, as: UInt.self))
            let count = Int(info.load(fromByteOffset: 8, as: UInt.self))
            let channels = Int(info.load(fromByteOffset: 16, as: UInt8.self))
            let frameRate = Int(info.load(fromByteOffset: 24, as: UInt.self))
            guard let output, count > 0, channels > 0 else {
                if samples.isEmpty { silentFrames += 1 }
                return consumed
            }
            guard count % channels == 0, count <= 1 << 20 else { throw AudioFileError(path, "AAC: the decoder returned \(count) samples") }
            guard WAVLimits.sampleRates.contains(frameRate) else { throw AudioFileError(path, "AAC: sample rate \(frameRate) Hz is out of range") }
            if let rate, rate != frameRate { throw AudioFileError(path, "AAC: the sample rate changes from \(rate) to \(frameRate) Hz") }
            rate = frameRate
            if samples.isEmpty { firstFrameLength = count / channels }
            guard samples.count + count / channels <= Sndfile.maxFrames else {
                throw AudioFileError(path, "decodes to more than \(Sndfile.maxFrames) frames; split it")
            }
            appendMono(output.assumingMemoryBound(to: Float.self), frames: count / channels, channels: channels, to: &samples)
            return consumed
        }
    }
}
