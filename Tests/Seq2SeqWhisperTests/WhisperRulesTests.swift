// Whisper's decoding rules on the committed random-weight fixture (Tests/Fixtures/whisper-hf),
// so they are tested on a fresh clone: the timestamp grammar as a logits processor, the
// temperature-fallback decision, long-form seeking over a recording longer than a window, and
// batched windows equal to windows decoded one by one. The model's words are noise; the rules
// are not.
import Foundation
import Seq2Seq
@testable import Seq2SeqWhisper
import XCTest

final class WhisperRulesTests: XCTestCase {
    private static let transcriber = Result { try Transcriber(directory: fixturesDirectory.appendingPathComponent("whisper-hf")) }

    private func transcriber() throws -> Transcriber { try Self.transcriber.get() }

    /// `seconds` of deterministic noise at 16 kHz (amplitude 0.1), different for each seed.
    private func noise(seconds: Double, seed: UInt64) -> [Float] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<Int(seconds * 16000)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 10000
        }
    }

    /// One row of scores after the timestamp rules, for the ids so far (prompt of 3 tokens).
    private func applyRules(_ tokens: WhisperTokens, ids generated: [Int], scores: [Float]) -> [Float] {
        let prompt = [tokens.startOfTranscript, tokens.startOfTranscript + 1, tokens.startOfTranscript + 2]
        let rules = WhisperTimestampRules(tokens: tokens, sampleBegin: prompt.count, maxInitialTimestampIndex: 50)
        var row = scores
        row.withUnsafeMutableBufferPointer { rules.process($0, ids: prompt + generated) }
        return row
    }

    func testTimestampGrammar() throws {
        let tokens = try transcriber().tokens
        let v = tokens.lastId + 1, begin = tokens.timestampBegin, eot = tokens.endOfText
        let flat = [Float](repeating: 0, count: v)
        let banned = { (row: [Float], ids: ClosedRange<Int>) in ids.allSatisfy { row[$0] == -.infinity } }
        let open = { (row: [Float], ids: ClosedRange<Int>) in ids.allSatisfy { row[$0] == 0 } }

        // First generated token: a timestamp no later than 1.00 s; never <|notimestamps|>.
        var row = applyRules(tokens, ids: [], scores: flat)
        XCTAssertTrue(banned(row, 0...(begin - 1)), "text before the first timestamp")
        XCTAssertTrue(open(row, begin...(begin + 50)))
        XCTAssertTrue(banned(row, (begin + 51)...(v - 1)), "a first timestamp after 1.00 s")
        XCTAssertEqual(row[tokens.noTimestamps], -.infinity)

        // The first timestamp opens a segment: text comes next (openai/whisper counts a lone
        // first timestamp as a complete pair).
        row = applyRules(tokens, ids: [begin + 10], scores: flat)
        XCTAssertTrue(banned(row, begin...(v - 1)))
        XCTAssertTrue(open(row, 0...eot))

        // A timestamp after text closes the segment: another timestamp, not earlier, or the end.
        var end = flat
        end[eot] = 20  // the end likelier than every timestamp together, so the mass rule stays out
        row = applyRules(tokens, ids: [begin + 5, 220, begin + 10], scores: end)
        XCTAssertTrue(banned(row, 0...(eot - 1)))
        XCTAssertEqual(row[eot], 20)
        XCTAssertTrue(banned(row, begin...(begin + 9)))
        XCTAssertTrue(open(row, (begin + 10)...(v - 1)))

        // A complete pair: text (or the end) next, no timestamp.
        row = applyRules(tokens, ids: [begin + 5, 220, begin + 10, begin + 10], scores: flat)
        XCTAssertTrue(banned(row, begin...(v - 1)))
        XCTAssertTrue(open(row, 0...eot))

        // Text after a timestamp: timestamps never go back (nor repeat the last one).
        var text = flat
        text[220] = 20  // text far likelier than any timestamp, so the mass rule stays out
        row = applyRules(tokens, ids: [begin + 10, 220], scores: text)
        XCTAssertTrue(banned(row, begin...(begin + 10)))
        XCTAssertTrue(open(row, (begin + 11)...(v - 1)))
        XCTAssertEqual(row[220], 20)

        // When the timestamps together are likelier than the best text token, a timestamp comes next.
        row = applyRules(tokens, ids: [begin + 10, 220], scores: flat)
        XCTAssertTrue(banned(row, 0...(begin - 1)), "the timestamp mass wins over every text token")
    }

    func testFallbackDecision() throws {
        let transcriber = try transcriber()
        var options = TranscriptionOptions()
        let decoder = transcriber.windowDecoder(options)
        func result(logProb: Float, ratio: Float, noSpeech: Float) -> WindowResult {
            WindowResult(tokens: [1], averageLogProb: logProb, noSpeechProb: noSpeech, compressionRatio: ratio, temperature: 0)
        }
        XCTAssertFalse(decoder.needsFallback(result(logProb: -0.5, ratio: 1.5, noSpeech: 0)))
        XCTAssertTrue(decoder.needsFallback(result(logProb: -1.5, ratio: 1.5, noSpeech: 0)), "too unlikely")
        XCTAssertTrue(decoder.needsFallback(result(logProb: -0.5, ratio: 2.5, noSpeech: 0)), "too repetitive")
        XCTAssertFalse(decoder.needsFallback(result(logProb: -1.5, ratio: 1.5, noSpeech: 0.7)), "silence is not retried")
        XCTAssertFalse(decoder.needsFallback(result(logProb: -1.5, ratio: 2.5, noSpeech: 0.7)),
                       "silence is kept even when repetitive (faster-whisper)")
        XCTAssertTrue(decoder.needsFallback(result(logProb: -0.5, ratio: 2.5, noSpeech: 0.7)),
                      "a likely result is not silence: repetition is retried")
        options.logProbThreshold = nil
        XCTAssertFalse(transcriber.windowDecoder(options).needsFallback(result(logProb: -9, ratio: 1.5, noSpeech: 0)))
    }

    func testEveryTemperatureFailingKeepsTheLastTemperature() throws {
        let transcriber = try transcriber(), audio = noise(seconds: 4, seed: 1)
        var options = TranscriptionOptions()
        options.temperatures = [0, 0.5, 1]
        options.bestOf = 2
        options.beamSize = 2
        options.seed = 7
        // Thresholds off: the first temperature is kept.
        (options.logProbThreshold, options.compressionRatioThreshold, options.noSpeechThreshold) = (nil, nil, nil)
        let greedy = try transcriber.transcribe(samples: audio, options: options)
        XCTAssertFalse(greedy.segments.isEmpty)
        XCTAssertTrue(greedy.segments.allSatisfy { $0.temperature == 0 }, "\(greedy.segments.map(\.temperature))")
        // A log-probability no result reaches: every temperature is tried, the last one reported.
        options.logProbThreshold = 0
        let fallen = try transcriber.transcribe(samples: audio, options: options)
        XCTAssertFalse(fallen.segments.isEmpty)
        XCTAssertTrue(fallen.segments.allSatisfy { $0.temperature == 1 }, "\(fallen.segments.map(\.temperature))")
        XCTAssertTrue(fallen.segments.allSatisfy { $0.averageLogProb < 0 })
        // Seeded sampling is reproducible.
        XCTAssertEqual(try transcriber.transcribe(samples: audio, options: options).segments, fallen.segments)
    }

    func testLongFormSeeksThroughTheRecording() throws {
        let transcriber = try transcriber(), audio = noise(seconds: 65, seed: 2)
        var options = TranscriptionOptions()
        options.temperatures = [0]
        options.beamSize = 2
        let transcript = try transcriber.transcribe(samples: audio, options: options)
        XCTAssertEqual(transcript.duration, 65, accuracy: 1e-9)
        let segments = transcript.segments
        XCTAssertGreaterThan(Set(segments.map(\.seek)).count, 2, "65 s take at least three windows")
        XCTAssertEqual(segments.map(\.id), Array(1...segments.count), "ids count from 1, as faster-whisper's")
        for (previous, segment) in zip([nil] + segments.map(Optional.some), segments) {
            XCTAssertLessThanOrEqual(segment.start, segment.end, "segment \(segment.id)")
            XCTAssertGreaterThanOrEqual(segment.start, Double(segment.seek) * 0.01 - 1e-9, "a segment starts within its window")
            XCTAssertLessThanOrEqual(segment.end, Double(segment.seek) * 0.01 + 30 + 1e-9, "a segment ends within its window")
            if let previous {
                XCTAssertGreaterThanOrEqual(segment.seek, previous.seek, "seeking only moves forward")
                XCTAssertGreaterThanOrEqual(segment.start, previous.start - 1e-9, "segments in order")
            }
        }
        XCTAssertLessThan(segments.last.map { Double($0.seek) * 0.01 } ?? 0, 65, "the last window starts inside the audio")
        XCTAssertGreaterThan(segments.last?.end ?? 0, 30, "decoding went past the first window")
    }

    func testBatchedRecordingsEqualOneByOne() throws {
        let transcriber = try transcriber()
        let recordings = [noise(seconds: 3, seed: 3), noise(seconds: 34, seed: 4), noise(seconds: 9, seed: 5)]
        var options = TranscriptionOptions()
        options.temperatures = [0, 1]
        options.logProbThreshold = -3
        options.beamSize = 3
        options.bestOf = 2
        options.seed = 11
        let batched = try transcriber.transcribe(batch: recordings, options: options)
        XCTAssertEqual(batched.count, 3)
        for (recording, result) in zip(recordings, batched) {
            // The same tokens, times and choices; the decoder passes shared by the batch may round
            // the scores differently in the last bits.
            let alone = try transcriber.transcribe(samples: recording, options: options)
            XCTAssertEqual(result.duration, alone.duration)
            XCTAssertEqual(result.segments.count, alone.segments.count)
            for (a, b) in zip(result.segments, alone.segments) {
                XCTAssertEqual([a.id, a.seek] + a.tokens, [b.id, b.seek] + b.tokens)
                XCTAssertEqual([a.start, a.end], [b.start, b.end])
                XCTAssertEqual(a.text, b.text)
                XCTAssertEqual(a.temperature, b.temperature)
                XCTAssertEqual(a.averageLogProb, b.averageLogProb, accuracy: 1e-4)
                XCTAssertEqual(a.noSpeechProb, b.noSpeechProb, accuracy: 1e-6)
                XCTAssertEqual(a.compressionRatio, b.compressionRatio)
            }
        }
    }
}
