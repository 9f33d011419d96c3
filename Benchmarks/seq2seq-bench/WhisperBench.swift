// `seq2seq-bench whisper`: seconds to transcribe audio files (features, language detection
// and decoding; reading the files is not timed) after one warm-up transcription of the first
// file. Prints one JSON object: {"seconds","audio_seconds","real_time_factor"}.
import Foundation
import Seq2Seq

/// Runs `--model DIR [--beam-size N] [--threads T] [--compute-type float32|int8] FILE…`.
func runWhisperBench(_ arguments: [String]) throws {
    var options: [String: String] = [:], files: [String] = []
    var i = 0
    while i < arguments.count {
        if arguments[i].hasPrefix("--"), i + 1 < arguments.count {
            options[arguments[i]] = arguments[i + 1]
            i += 2
        } else {
            files.append(arguments[i])
            i += 1
        }
    }
    guard let path = options["--model"], !files.isEmpty else { throw BenchError("whisper: --model DIR and audio files are required") }
    if let threads = options["--threads"].flatMap(Int.init) { ThreadPool.configure(threads: threads) }
    guard let computeType = ComputeType(rawValue: options["--compute-type"] ?? "float32") else {
        throw BenchError("whisper: --compute-type is float32 or int8")
    }
    let transcriber = try Transcriber(directory: URL(fileURLWithPath: path), computeType: computeType)
    var transcription = TranscriptionOptions()
    transcription.beamSize = Int(options["--beam-size"] ?? "5") ?? 5
    let audio = try files.map { try AudioDecoder.load(path: $0) }
    _ = try transcriber.transcribe(samples: audio[0], options: transcription)
    let start = DispatchTime.now().uptimeNanoseconds
    for samples in audio { _ = try transcriber.transcribe(samples: samples, options: transcription) }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let audioSeconds = Double(audio.reduce(0) { $0 + $1.count }) / 16_000
    print("{\"seconds\": \(seconds), \"audio_seconds\": \(audioSeconds), \"real_time_factor\": \(seconds / audioSeconds)}")
}
