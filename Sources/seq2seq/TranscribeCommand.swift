// `seq2seq transcribe`: speech to text with Whisper models (docs/cli.md).
import ArgumentParser
import Foundation
import Seq2Seq

struct TranscribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcribe", abstract: "Speech to text (and subtitles) with a Whisper model.")

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "Audio files (- for standard input): WAV (any PCM or float format, rate, channels); FLAC, Ogg Vorbis, Opus, MP3 with libsndfile installed; raw 16-bit PCM with --sample-rate.")
    var audio: [String]

    @Option(name: .long, help: "Spoken language code (default: detect; English for .en models).") var language: String?
    @Option(name: .long, help: "transcribe, or translate (to English).") var task: WhisperTask = .transcribe
    @Option(name: .long, help: "Beam size (1: greedy).") var beamSize = 5
    @Option(name: .long, help: "Output format; all: the four files together, with --output-dir.") var format: OutputFormat = .txt
    @Flag(name: .long, help: "Word start and end times (json output).") var wordTimestamps = false
    @Option(name: .long, help: "Write NAME.FORMAT for each input into this folder instead of standard output.")
    var outputDir: String?
    @Option(name: .long, help: "Text that prompts the first window (names, spelling, style).") var initialPrompt: String?
    @Flag(name: .long, inversion: .prefixedNo, help: "Prompt each window with the previous text.")
    var conditionOnPreviousText = true
    @Option(name: .long, help: "Temperatures tried in turn, comma-separated (default 0,0.2,0.4,0.6,0.8,1).")
    var temperature: String?
    @Flag(name: .long, inversion: .prefixedNo,
          help: "Skip 30 s windows of digital silence (peak below -80 dBFS) instead of decoding them.")
    var skipSilence = true
    @Option(name: .long, help: "Inputs are raw 16-bit little-endian mono PCM at this rate.") var sampleRate: Int?
    @Option(name: .long, help: "Recordings transcribed together: their 30 s windows share decoder passes (same results as one at a time).")
    var batchSize = 1
    @Flag(name: .long, help: "No progress on standard error.") var quiet = false

    func validate() throws {
        if format == .all && outputDir == nil { throw ValidationError("--format all writes four files a recording: give --output-dir") }
        if beamSize < 1 { throw ValidationError("--beam-size must be at least 1") }
        if !(1...256).contains(batchSize) { throw ValidationError("--batch-size must be in 1...256") }
        if let sampleRate, sampleRate < 1 { throw ValidationError("--sample-rate must be positive") }
        if audio.isEmpty { throw ValidationError("give at least one audio file") }
    }

    func run() throws {
        var options = TranscriptionOptions()
        options.language = language
        options.task = task
        options.beamSize = beamSize
        options.wordTimestamps = wordTimestamps
        options.initialPrompt = initialPrompt
        options.conditionOnPreviousText = conditionOnPreviousText
        if !skipSilence { options.silencePeakThreshold = nil }
        if let temperature {
            options.temperatures = try temperature.split(separator: ",").map {
                guard let t = Float($0.trimmingCharacters(in: .whitespaces)), t >= 0 else {
                    throw Failure.usage("--temperature: '\($0)' is not a temperature")
                }
                return t
            }
        }
        let formats = format.transcriptFormats
        let outputs = try formats.map { try outputFiles(format: $0) }
        if let outputDir { try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true) }
        let transcriber: Transcriber
        do {
            if let threads = modelOptions.threads { ThreadPool.configure(threads: threads) }
            transcriber = try Transcriber(directory: modelOptions.folder(), computeType: modelOptions.computeType)
        } catch let error as TranscriptionError {
            throw Failure.usage("\(error)")  // a text model given to transcribe
        }
        do {
            try transcriber.validate(options)
        } catch let error as TranscriptionError {
            throw Failure.usage("\(error)")
        }
        var failed: [String] = []
        for first in stride(from: 0, to: audio.count, by: batchSize) {
            // Read this group's recordings; one bad file does not stop the others (as whisper.cpp
            // and faster-whisper go on).
            var group: [(index: Int, samples: [Float])] = []
            for index in first..<min(audio.count, first + batchSize) {
                do {
                    group.append((index, try AudioDecoder.load(path: audio[index], rawSampleRate: sampleRate)))
                } catch let error as AudioFileError {
                    guard audio.count > 1 else { throw Failure.badInput(error.description) }
                    FileHandle.standardError.write(Data("seq2seq: \(error)\n".utf8))
                    failed.append(audio[index])
                }
            }
            let results: [Transcription]
            do {
                if group.count == 1 {
                    let path = audio[group[0].index]
                    results = [try transcriber.transcribe(samples: group[0].samples, options: options,
                                                          progress: quiet ? nil : { done, total in Self.report(path, done, total) })]
                } else {
                    results = try transcriber.transcribe(batch: group.map(\.samples), options: options, maxBatchSize: batchSize)
                }
            } catch let error as TranscriptionError {
                throw Failure.usage("\(error)")
            }
            for ((index, _), result) in zip(group, results) {
                let path = audio[index]
                for (format, files) in zip(formats, outputs) {
                    let text = format.render(result, file: path)
                    if let output = files?[index] {
                        try Data(text.utf8).write(to: output)
                    } else {
                        // Several files to standard output: each under a header naming it.
                        let header = audio.count > 1 && format != .json ? "==> \(path) <==\n" : ""
                        FileHandle.standardOutput.write(Data((header + text + (header.isEmpty ? "" : "\n")).utf8))
                    }
                }
            }
        }
        if !failed.isEmpty {
            throw Failure.badInput("\(failed.count) of \(audio.count) files could not be transcribed: \(failed.joined(separator: ", "))")
        }
    }

    /// The file each input writes in `--output-dir` (nil: standard output); two inputs that
    /// would write the same file are refused before anything is transcribed.
    private func outputFiles(format: TranscriptFormat) throws -> [URL]? {
        guard let outputDir else { return nil }
        let files = audio.map {
            URL(fileURLWithPath: outputDir).appendingPathComponent(
                ($0 == "-" ? "stdin" : URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent) + "." + format.rawValue)
        }
        var seen: [String: String] = [:]
        for (path, file) in zip(audio, files) {
            if let other = seen[file.lastPathComponent] {
                throw Failure.usage("\(other) and \(path) would both write \(file.path); transcribe them into different --output-dir folders")
            }
            seen[file.lastPathComponent] = path
        }
        return files
    }

    /// Progress on standard error for recordings longer than one window.
    private static func report(_ path: String, _ done: Double, _ total: Double) {
        guard total > 30 else { return }
        let percent = total > 0 ? Int((done / total * 100).rounded()) : 100
        let line = String(format: "\r%@: %3d%% (%.0f / %.0f s)", (path as NSString).lastPathComponent, percent, done, total)
        FileHandle.standardError.write(Data((line + (done >= total ? "\n" : "")).utf8))
    }
}

/// `--format`: one of the transcript formats, or all four.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case txt, json, srt, vtt, all

    /// The formats written.
    var transcriptFormats: [TranscriptFormat] {
        TranscriptFormat(rawValue: rawValue).map { [$0] } ?? TranscriptFormat.allCases
    }
}

extension WhisperTask: ExpressibleByArgument {}
