// The AAC audio track of an MP4 / M4A file (ISO/IEC 14496-12 boxes, 14496-14 `esds`): where
// each encoded frame lies in the file, the decoder's AudioSpecificConfig, and the edit list's
// leading priming samples (an AAC encoder's delay, which players drop). Parsed here from the
// specification's box layouts; the frames are decoded by FAAD2 (FAADDecoder.swift).
import Foundation

/// The first AAC sound track of an MP4 file.
struct MP4AudioTrack {
    /// The AudioSpecificConfig bytes of the track's `esds` (DecoderSpecificInfo).
    let decoderConfig: [UInt8]
    /// Each encoded frame's bytes in the file, in decoding order.
    let frames: [Range<Int>]
    /// Samples of the track's time scale that the edit list skips at the start (0 without one).
    let skippedSamples: Int
    /// The track's samples per second (`mdhd`).
    let timeScale: Int
    /// The seconds the edit list plays (its first entry's duration), when it says.
    let playedSeconds: Double?

    /// The track of the file `bytes` (named `path` in errors). Throws `AudioFileError`.
    init(_ bytes: UnsafeRawBufferPointer, path: String) throws {
        let reader = BoxReader(bytes: bytes, path: path)
        var found: MP4AudioTrack?
        var codecs: [String] = []
        for moov in try reader.children(of: 0..<bytes.count) where moov.type == "moov" {
            // mvhd: the movie's time scale (edit durations count in it), at 12 (version 0) or 20.
            let mvhd = try reader.child("mvhd", of: moov.payload)
            let movieScale = try mvhd.map { Int(try reader.u32($0.payload, try reader.u8($0.payload, 0) == 1 ? 20 : 12)) } ?? 0
            for trak in try reader.children(of: moov.payload) where trak.type == "trak" {
                if let track = try Self.audioTrack(trak.payload, reader, movieScale: movieScale, codecs: &codecs) {
                    found = track
                    break
                }
            }
        }
        guard let found else {
            if let codec = codecs.first {
                throw AudioFileError(path, "an MP4 sound track in '\(codec)', not AAC; convert it: ffmpeg -i FILE -ar 16000 FILE.wav")
            }
            throw AudioFileError(path, "an MP4 file without an AAC sound track (or a fragmented one, which is not read)")
        }
        self = found
    }

    private init(decoderConfig: [UInt8], frames: [Range<Int>], skippedSamples: Int, timeScale: Int, playedSeconds: Double?) {
        self.decoderConfig = decoderConfig
        self.frames = frames
        self.skippedSamples = skippedSamples
        self.timeScale = timeScale
        self.playedSeconds = playedSeconds
    }

    /// The track in `trak`'s payload when it is AAC sound; other sound codecs are added to `codecs`.
    private static func audioTrack(_ trak: Range<Int>, _ r: BoxReader, movieScale: Int, codecs: inout [String]) throws -> MP4AudioTrack? {
        guard let mdia = try r.child("mdia", of: trak), let hdlr = try r.child("hdlr", of: mdia.payload),
              hdlr.payload.count >= 12, r.fourCC(at: hdlr.payload.lowerBound + 8) == "soun" else { return nil }
        guard let mdhd = try r.child("mdhd", of: mdia.payload), let minf = try r.child("minf", of: mdia.payload),
              let stbl = try r.child("stbl", of: minf.payload) else {
            throw r.fail("a sound track without mdhd, minf or stbl")
        }
        let tables = try r.children(of: stbl.payload)
        let table = { (type: String) in tables.first { $0.type == type } }
        guard let stsd = table("stsd") else { throw r.fail("a sound track without stsd") }
        // stsd: version/flags, entry count, then sample entries (boxes); the first one counts.
        guard let entry = try r.children(of: try r.range(stsd.payload, from: 8)).first else { throw r.fail("an empty stsd") }
        guard entry.type == "mp4a" else {
            codecs.append(entry.type)
            return nil
        }
        // AudioSampleEntry: 8 bytes of SampleEntry, then version (QuickTime v1 adds 16 bytes, v2 36),
        // 18 more bytes of fields; child boxes (esds, or a QuickTime `wave` holding it) follow.
        let version = try r.u16(entry.payload, 8)
        let extra = version == 1 ? 16 : version == 2 ? 36 : 0
        let children = try r.range(entry.payload, from: 28 + extra)
        guard let esds = try r.child("esds", of: children) ?? r.child("wave", of: children).flatMap({ try r.child("esds", of: $0.payload) }) else {
            throw r.fail("an mp4a sample entry without esds")
        }
        let config = try decoderSpecificInfo(try r.range(esds.payload, from: 4), r)

        // Frame sizes (stsz), frames per chunk (stsc) and chunk offsets (stco / co64).
        guard let stsz = table("stsz"), let stsc = table("stsc") else {
            throw r.fail("a sound track without stsz or stsc")
        }
        let fixedSize = Int(try r.u32(stsz.payload, 4)), count = Int(try r.u32(stsz.payload, 8))
        guard count <= r.bytes.count else { throw r.fail("stsz counts \(count) frames in a \(r.bytes.count)-byte file") }
        let sizes = try fixedSize != 0 ? [Int](repeating: fixedSize, count: count)
            : (0..<count).map { Int(try r.u32(stsz.payload, 12 + 4 * $0)) }
        let offsets: [Int]
        if let stco = table("stco") {
            let n = Int(try r.u32(stco.payload, 4))
            guard n <= r.bytes.count / 4 else { throw r.fail("stco counts \(n) chunks") }
            offsets = try (0..<n).map { Int(try r.u32(stco.payload, 8 + 4 * $0)) }
        } else if let co64 = table("co64") {
            let n = Int(try r.u32(co64.payload, 4))
            guard n <= r.bytes.count / 8 else { throw r.fail("co64 counts \(n) chunks") }
            offsets = try (0..<n).map { k in
                let high = UInt64(try r.u32(co64.payload, 8 + 8 * k)), low = UInt64(try r.u32(co64.payload, 12 + 8 * k))
                guard high < 1 << 31 else { throw r.fail("a chunk offset beyond the file") }
                return Int(high << 32 | low)
            }
        } else {
            throw r.fail("a sound track without chunk offsets (stco or co64)")
        }
        let runs = Int(try r.u32(stsc.payload, 4))
        guard runs <= r.bytes.count / 12 else { throw r.fail("stsc counts \(runs) entries") }
        var frames: [Range<Int>] = []
        frames.reserveCapacity(count)
        for run in 0..<runs {
            let first = Int(try r.u32(stsc.payload, 8 + 12 * run)), perChunk = Int(try r.u32(stsc.payload, 12 + 12 * run))
            let end = run + 1 < runs ? Int(try r.u32(stsc.payload, 8 + 12 * (run + 1))) : offsets.count + 1
            guard first >= 1, first <= end, end <= offsets.count + 1 else { throw r.fail("stsc entry \(run) names chunks outside stco") }
            for chunk in first..<end {
                var offset = offsets[chunk - 1]
                for _ in 0..<perChunk where frames.count < count {
                    let size = sizes[frames.count]
                    guard offset >= 0, size <= r.bytes.count, offset <= r.bytes.count - size else {
                        throw r.fail("frame \(frames.count) lies outside the file (offset \(offset), \(size) bytes)")
                    }
                    frames.append(offset..<offset + size)
                    offset += size
                }
            }
        }
        guard frames.count == count else { throw r.fail("stsc places \(frames.count) of the \(count) frames stsz lists") }

        // mdhd: version 0 has 32-bit times (time scale at 12), version 1 64-bit (time scale at 20).
        let timeScale = Int(try r.u32(mdhd.payload, try r.u8(mdhd.payload, 0) == 1 ? 20 : 12))
        guard timeScale > 0 else { throw r.fail("mdhd's time scale is 0") }
        var skipped = 0
        var played: Double?
        if let edts = try r.child("edts", of: trak), let elst = try r.child("elst", of: edts.payload), try r.u32(elst.payload, 4) > 0 {
            // The first entry: duration (movie time scale) and media time (-1: an empty edit),
            // 32-bit each in version 0, 64-bit in version 1.
            let long = try r.u8(elst.payload, 0) == 1
            let u64 = { (at: Int) in UInt64(try r.u32(elst.payload, at)) << 32 | UInt64(try r.u32(elst.payload, at + 4)) }
            let duration = long ? try u64(8) : UInt64(try r.u32(elst.payload, 8))
            let time = long ? Int64(bitPattern: try u64(16)) : Int64(Int32(bitPattern: try r.u32(elst.payload, 12)))
            if time > 0 && time < Int64(count) * 8192 { skipped = Int(time) }
            if duration > 0 && movieScale > 0 { played = Double(duration) / Double(movieScale) }
        }
        return MP4AudioTrack(decoderConfig: config, frames: frames, skippedSamples: skipped, timeScale: timeScale, playedSeconds: played)
    }

    /// The DecoderSpecificInfo of an ES_Descriptor (14496-1: tags 0x03 → 0x04 → 0x05).
    private static func decoderSpecificInfo(_ range: Range<Int>, _ r: BoxReader) throws -> [UInt8] {
        var at = range.lowerBound
        func descriptor(_ tag: UInt8) throws -> Range<Int> {
            guard at < range.upperBound, r.bytes[at] == tag else { throw r.fail("esds: descriptor 0x0\(tag) expected") }
            at += 1
            var length = 0
            for _ in 0..<4 {
                guard at < range.upperBound else { throw r.fail("esds: a descriptor length runs past the box") }
                let byte = r.bytes[at]
                at += 1
                length = length << 7 | Int(byte & 0x7F)
                if byte & 0x80 == 0 { break }
            }
            guard length <= range.upperBound - at else { throw r.fail("esds: a descriptor runs past the box") }
            return at..<at + length
        }
        let es = try descriptor(0x03)
        guard es.count >= 3 else { throw r.fail("esds: a short ES descriptor") }
        let flags = r.bytes[es.lowerBound + 2]
        at = es.lowerBound + 3
        if flags & 0x80 != 0 { at += 2 }
        if flags & 0x40 != 0 { at += 1 + (at < range.upperBound ? Int(r.bytes[at]) : 0) }
        if flags & 0x20 != 0 { at += 2 }
        let decoderConfig = try descriptor(0x04)
        guard decoderConfig.count >= 13 else { throw r.fail("esds: a short decoder config descriptor") }
        let objectType = r.bytes[decoderConfig.lowerBound]
        guard [0x40, 0x66, 0x67, 0x68].contains(objectType) else {
            throw r.fail("the sound track's object type 0x\(String(objectType, radix: 16)) is not AAC; convert it: ffmpeg -i FILE -ar 16000 FILE.wav")
        }
        at = decoderConfig.lowerBound + 13
        let info = try descriptor(0x05)
        guard !info.isEmpty else { throw r.fail("esds: an empty AudioSpecificConfig") }
        return Array(r.bytes[info])
    }
}

/// Reads MP4 boxes within bounds; every size is checked against the enclosing range.
private struct BoxReader {
    let bytes: UnsafeRawBufferPointer
    let path: String

    struct Box {
        let type: String
        let payload: Range<Int>
    }

    func fail(_ problem: String) -> AudioFileError { AudioFileError(path, "MP4: \(problem)") }

    /// The boxes directly inside `range`.
    func children(of range: Range<Int>) throws -> [Box] {
        var boxes: [Box] = []
        var at = range.lowerBound
        while range.upperBound - at >= 8 {
            var size = Int(try u32(range, at - range.lowerBound))
            let type = fourCC(at: at + 4)
            var header = 8
            if size == 1 {
                guard range.upperBound - at >= 16 else { throw fail("box '\(type)' cut short") }
                let high = try u32(range, at - range.lowerBound + 8), low = try u32(range, at - range.lowerBound + 12)
                guard high < 1 << 31 else { throw fail("box '\(type)' is larger than the file") }
                size = Int(UInt64(high) << 32 | UInt64(low))
                header = 16
            } else if size == 0 {
                size = range.upperBound - at
            }
            guard size >= header, size <= range.upperBound - at else {
                throw fail("box '\(type)' at byte \(at) has size \(size), past its container (a truncated file?)")
            }
            boxes.append(Box(type: type, payload: at + header..<at + size))
            at += size
        }
        return boxes
    }

    /// The first box named `type` directly inside `range`.
    func child(_ type: String, of range: Range<Int>) throws -> Box? { try children(of: range).first { $0.type == type } }

    func fourCC(at offset: Int) -> String {
        String(decoding: (0..<4).map { bytes[offset + $0] }, as: UTF8.self)
    }

    /// `range` from `offset` bytes in.
    func range(_ range: Range<Int>, from offset: Int) throws -> Range<Int> {
        guard offset <= range.count else { throw fail("a box shorter than its fields") }
        return range.lowerBound + offset..<range.upperBound
    }

    func u8(_ range: Range<Int>, _ offset: Int) throws -> UInt8 {
        guard offset >= 0, offset < range.count else { throw fail("a box shorter than its fields") }
        return bytes[range.lowerBound + offset]
    }

    func u16(_ range: Range<Int>, _ offset: Int) throws -> UInt16 {
        UInt16(try u8(range, offset)) << 8 | UInt16(try u8(range, offset + 1))
    }

    /// The big-endian 32-bit value `offset` bytes into `range`.
    func u32(_ range: Range<Int>, _ offset: Int) throws -> UInt32 {
        guard offset >= 0, offset <= range.count - 4 else { throw fail("a box shorter than its fields") }
        let p = range.lowerBound + offset
        return UInt32(bytes[p]) << 24 | UInt32(bytes[p + 1]) << 16 | UInt32(bytes[p + 2]) << 8 | UInt32(bytes[p + 3])
    }
}
