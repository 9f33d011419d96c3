// `seq2seq evaluate`: decode the sources with a model (translation, or Whisper transcription)
// or take an output file, and score it against references with sacreBLEU-compatible BLEU,
// chrF and TER, or jiwer-compatible WER, several in one run (docs/cli.md).
import ArgumentParser
import Foundation
import Seq2Seq

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a model's outputs, or a file of outputs, against references: BLEU, chrF, TER, WER.",
        discussion: """
            Text models translate each line of --source; Whisper models transcribe each audio file \
            that --source lists (one path a line, relative paths from the list's folder). With \
            --hypotheses the outputs come from that file ('-': standard input) and no model is \
            needed. Prints sacreBLEU's command-line text: one line a metric with its signature \
            (aligned on '=' when there are several); --json prints one JSON object a metric \
            (an array when there are several).
            """)

    @Option(name: .long, help: "Model folder or Hub id OWNER/NAME[@REVISION]: text-to-text or Whisper (not needed with --hypotheses).")
    var model: String?
    @Option(name: .long, help: "Sources, one a line: texts, or audio file paths for speech models.")
    var source: String?
    @Option(name: .long, help: "Outputs to score, one a line, instead of decoding --source ('-': standard input).")
    var hypotheses: String?
    @Option(name: .long, help: "References, one a line; repeat the flag for several references (BLEU, chrF).")
    var reference: [String] = []
    @Option(name: .long, parsing: .upToNextOption,
            help: "bleu, chrf, chrf++, ter or wer; several: --metric bleu chrf ter, or bleu,chrf (default: bleu; wer for speech models).")
    var metric: [MetricList] = []
    @Option(name: .long, help: "Decimals of the scores, as sacreBLEU's command line -w.")
    var width = 1
    @Flag(name: .long, help: "WER: lowercase, remove punctuation and collapse whitespace first.")
    var normalize = false
    @Option(name: .long, help: "Beam size (default: the model's, else 4; 5 for Whisper).") var beamSize: Int?
    @Option(name: .long, help: "Most tokens to generate per source (text models).") var maxLength: Int?
    @Option(name: .long, help: "Sources decoded together (text models).") var batchSize = 16
    @Option(name: .long, help: "Source language code (mBART; T5 task prefixes).") var sourceLang: String?
    @Option(name: .long, help: "Target language code (mBART; T5 task prefixes).") var targetLang: String?
    @Option(name: .long, help: "Threads to use (default: all cores).") var threads: Int?
    @Option(name: .long, help: "How weight matrices are kept and multiplied: float32, or int8 (quantized per output row at load).") var computeType: ComputeType = .float32
    @Flag(name: .long, help: "Print one JSON object with the score and its statistics.") var json = false

    /// The metrics asked for, each once, in printing order.
    private var requested: [Metric] {
        let chosen = metric.flatMap(\.metrics)
        return Metric.allCases.filter(chosen.contains)
    }

    func validate() throws {
        if reference.isEmpty { throw ValidationError("give the references with --reference FILE") }
        if hypotheses != nil && (model != nil || source != nil) {
            throw ValidationError("give either --hypotheses, or --model with --source, not both")
        }
        if hypotheses == nil && (model == nil || source == nil) {
            throw ValidationError("give --model and --source to decode, or --hypotheses to score a file of outputs")
        }
        if requested.contains(.wer) && reference.count > 1 { throw ValidationError("WER takes a single --reference") }
        if normalize && !requested.isEmpty && !requested.contains(.wer) { throw ValidationError("--normalize applies to WER only") }
        if !(0...10).contains(width) { throw ValidationError("--width must be 0...10") }
        if (reference + [hypotheses].compactMap { $0 }).filter({ $0 == "-" }).count > 1 {
            throw ValidationError("only one of --hypotheses and --reference can read standard input ('-')")
        }
        if let b = beamSize, b < 1 { throw ValidationError("--beam-size must be at least 1") }
        if let m = maxLength, m < 1 { throw ValidationError("--max-length must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        try validateThreads(threads)
    }

    func run() throws {
        let references = try reference.map(readTextFileLines)
        let inputPath = hypotheses ?? source ?? ""
        let inputs = try readTextFileLines(inputPath)
        for (path, lines) in zip(reference, references) where lines.count != inputs.count {
            throw Failure.badInput("\(path): \(lineCount(lines.count)), but \(inputPath) has \(inputs.count)")
        }
        let decoder = try hypotheses == nil ? model.map { try load(modelFolder($0)) } : nil
        var isSpeech = false
        if case .speech = decoder { isSpeech = true }
        let metrics = requested.isEmpty ? [isSpeech ? .wer : .bleu] : requested
        if metrics.contains(.wer) && references.count > 1 { throw Failure.usage("WER takes a single --reference") }
        if normalize && !metrics.contains(.wer) { throw Failure.usage("--normalize applies to WER only") }
        let outputs: [String]
        switch decoder {
        case .text(let translator)?: outputs = try translate(inputs, with: translator)
        case .speech(let transcriber)?: outputs = try transcribe(inputs, with: transcriber)
        case nil: outputs = inputs
        }
        let results = try metrics.map { try score($0, outputs: outputs, references: references) }
        if json {
            results.count == 1 ? printJSON(results[0].record) : printJSONArray(results.map(\.record))
        } else {
            print(Self.aligned(results.map(\.line)).joined(separator: "\n"))
        }
    }

    private func lineCount(_ n: Int) -> String { n == 1 ? "1 line" : "\(n) lines" }

    /// A loaded model: text to text, or speech to text.
    private enum LoadedModel {
        case text(Translator)
        case speech(Transcriber)
    }

    /// Loads the model folder (after setting the thread pool).
    private func load(_ url: URL) throws -> LoadedModel {
        if let threads { ThreadPool.configure(threads: threads) }
        return try ModelFolderKind.detect(url).isSpeech ? .speech(try Transcriber(directory: url, computeType: computeType))
                                                        : .text(try Translator(directory: url, computeType: computeType))
    }

    private func translate(_ sources: [String], with translator: Translator) throws -> [String] {
        let options = translationOptions(for: translator, summarize: false, beamSize: beamSize, maxLength: maxLength,
                                         batchSize: batchSize, sourceLanguage: sourceLang, targetLanguage: targetLang)
        return try translator.run(sources, options: options).map(\.text)
    }

    /// Transcribes each audio file `paths` lists (relative to the list's folder) with the
    /// default options (language detected), the beam size aside.
    private func transcribe(_ paths: [String], with transcriber: Transcriber) throws -> [String] {
        let folder = URL(fileURLWithPath: source ?? "").deletingLastPathComponent()
        var options = TranscriptionOptions()
        if let beamSize { options.beamSize = beamSize }
        return try paths.enumerated().map { n, path in
            guard !path.isEmpty else { throw Failure.badInput("\(source ?? ""): line \(n + 1) names no audio file") }
            let file = path.hasPrefix("/") ? path : folder.appendingPathComponent(path).path
            return try transcriber.transcribe(path: file, options: options).text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// One metric's line (with its sacreBLEU signature) and JSON record.
    private func score(_ metric: Metric, outputs: [String], references: [[String]]) throws -> (line: String, record: JSONObject) {
        let line: String
        var record: JSONObject
        switch metric {
        case .bleu:
            let bleu = BLEU()
            let s = try bleu.corpusScore(hypotheses: outputs, references: references)
            line = s.line(width: width, signature: bleu.signature(references: references.count))
            record = JSONObject(["name": "BLEU", "score": s.score, "precisions": s.precisions, "counts": s.counts, "totals": s.totals,
                      "bp": s.brevityPenalty, "ratio": s.ratio, "hyp_len": s.hypothesisLength, "ref_len": s.referenceLength])
            record.append("signature", bleu.signature(references: references.count))
        case .chrf, .chrfPlusPlus:
            let chrF = metric == .chrf ? ChrF() : ChrF.plusPlus
            let s = try chrF.corpusScore(hypotheses: outputs, references: references)
            line = s.line(width: width, signature: chrF.signature(references: references.count))
            record = JSONObject(["name": s.name, "score": s.score, "char_order": s.characterOrder, "word_order": s.wordOrder, "beta": s.beta])
            record.append("signature", chrF.signature(references: references.count))
        case .ter:
            let ter = TER()
            let s = try ter.corpusScore(hypotheses: outputs, references: references)
            line = s.line(width: width, signature: ter.signature(references: references.count))
            record = JSONObject(["name": "TER", "score": s.score, "num_edits": s.edits, "ref_length": s.referenceLength])
            record.append("signature", ter.signature(references: references.count))
        case .wer:
            let s = try WordErrorRate(normalize: normalize).corpusScore(hypotheses: outputs, references: references[0])
            line = s.line(width: width)
            record = JSONObject(["name": "WER", "score": s.score, "wer": s.errorRate, "substitutions": s.substitutions,
                      "deletions": s.deletions, "insertions": s.insertions, "hits": s.hits,
                      "ref_words": s.referenceWords, "hyp_words": s.hypothesisWords, "normalized": normalize])
        }
        record.append("metric", metric.rawValue)
        record.append("line", line)
        record.append("segments", outputs.count)
        record.append("references", references.count)
        return (line, record)
    }

    /// Several lines right-aligned on their " = ", as sacreBLEU's command line prints them.
    static func aligned(_ lines: [String]) -> [String] {
        guard lines.count > 1 else { return lines }
        let heads = lines.map { $0.range(of: " = ").map { $0.lowerBound } ?? $0.endIndex }
        let width = zip(lines, heads).map { $0.0.distance(from: $0.0.startIndex, to: $0.1) }.max() ?? 0
        return zip(lines, heads).map { line, head in
            String(repeating: " ", count: width - line.distance(from: line.startIndex, to: head)) + line
        }
    }
}

/// The metrics `--metric` accepts, in the order they are printed (sacreBLEU's: by name).
enum Metric: String, CaseIterable { case bleu, chrf, chrfPlusPlus = "chrf++", ter, wer }

/// One `--metric` value: a metric, or several joined by commas (`bleu,chrf`), any case.
struct MetricList: ExpressibleByArgument {
    let metrics: [Metric]

    init?(argument: String) {
        let names = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let metrics = names.compactMap(Metric.init(rawValue:))
        guard !metrics.isEmpty, metrics.count == names.count else { return nil }
        self.metrics = metrics
    }

    static var allValueStrings: [String] { Metric.allCases.map(\.rawValue) }
}
