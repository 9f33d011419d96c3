// Transcript file formats: plain text, JSON (docs/cli.md), SubRip and WebVTT —
// the subtitle layouts as openai/whisper `utils.py` writes them (`WriteSRT`, `WriteVTT`).
import Foundation

/// An output format of `seq2seq transcribe`.
public enum TranscriptFormat: String, Sendable, CaseIterable {
    /// One line per segment.
    case txt
    /// `{"duration","file"?,"language","language_probability","segments":[{"avg_logprob",
    /// "compression_ratio","end","id","no_speech_prob","seek","start","temperature","text",
    /// "tokens","words"?}],"text"}` (faster-whisper's fields, keys sorted).
    case json
    /// SubRip subtitles.
    case srt
    /// WebVTT subtitles.
    case vtt

    /// The transcription written in this format (ending with a newline, except empty txt);
    /// JSON names the audio `file` when given.
    public func render(_ t: Transcription, file: String? = nil) -> String {
        switch self {
        case .txt: return t.segments.map { Self.clean($0.text) + "\n" }.joined()
        case .json: return Self.json(t, file: file) + "\n"
        case .srt:
            return t.segments.enumerated().map { i, s in
                "\(i + 1)\n\(Self.timestamp(s.start, hours: true, separator: ",")) --> \(Self.timestamp(s.end, hours: true, separator: ","))\n\(Self.clean(s.text))\n\n"
            }.joined()
        case .vtt:
            return "WEBVTT\n\n" + t.segments.map { s in
                "\(Self.timestamp(s.start, hours: false, separator: ".")) --> \(Self.timestamp(s.end, hours: false, separator: "."))\n\(Self.clean(s.text))\n\n"
            }.joined()
        }
    }

    private static func clean(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "-->", with: "->")
    }

    /// `HH:MM:SS,mmm` (hours optional when zero unless `hours`).
    static func timestamp(_ seconds: Double, hours: Bool, separator: String) -> String {
        let ms = Int((max(seconds, 0) * 1000).rounded())
        let h = ms / 3_600_000, m = ms / 60_000 % 60, s = ms / 1000 % 60, f = ms % 1000
        let head = hours || h > 0 ? String(format: "%02d:", h) : ""
        return head + String(format: "%02d:%02d%@%03d", m, s, separator, f)
    }

    private static func json(_ t: Transcription, file: String?) -> String {
        func number(_ x: Double, _ digits: Int = 3) -> Any { Double(String(format: "%.\(digits)f", x)) ?? x }
        let segments: [[String: Any]] = t.segments.map { s in
            // faster-whisper's Segment fields.
            var record: [String: Any] = ["id": s.id, "seek": s.seek, "start": number(s.start), "end": number(s.end), "text": s.text,
                                         "tokens": s.tokens, "temperature": number(Double(s.temperature), 2),
                                         "avg_logprob": number(Double(s.averageLogProb), 4),
                                         "compression_ratio": number(Double(s.compressionRatio), 4),
                                         "no_speech_prob": number(Double(s.noSpeechProb), 4)]
            if let words = s.words {
                record["words"] = words.map { w -> [String: Any] in
                    ["word": w.word, "start": number(w.start), "end": number(w.end),
                     "probability": Double(String(format: "%.4f", Double(w.probability))) ?? 0]
                }
            }
            return record
        }
        var object: [String: Any] = ["text": t.text, "language": t.language, "language_probability": number(Double(t.languageProbability), 4),
                                     "duration": number(t.duration), "segments": segments]
        if let file { object["file"] = file }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
