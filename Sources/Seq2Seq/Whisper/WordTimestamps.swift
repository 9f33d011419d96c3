import Foundation
import Seq2SeqModels

extension Transcriber {
    func addWordTimestamps(_ segments: inout [WindowSegment], encoded: EncoderOutput, startSequence: [Int], frames: Int,
                           options: TranscriptionOptions, lastSpeechTimestamp: Double) throws {
        throw TranscriptionError("word timestamps are not available yet")
    }
}
