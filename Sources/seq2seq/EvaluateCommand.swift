// `seq2seq evaluate`: decode the sources with a model (translation, or Whisper transcription)
// or take an output file, and score it against references with sacreBLEU-compatible BLEU or
// chrF, or jiwer-compatible WER (../shared/CONTRACT.md).
import ArgumentParser
import Foundation
import Seq2Seq

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a model's outputs, or a file of outputs, against references: BLEU, chrF or WER.",
        discussion: """
            Text models translate each line of --source; Whisper models transcribe each audio file \
            that --source lists (one path a line, relative paths from the list's folder). With \
            --hypotheses the outputs come from that file and no model is needed. Prints one \
            sacreBLEU-style line, or one JSON object with --json.
            """)

    @Option(name: .long, help: "Model folder: text-to-text or Whisper (not needed with --hypotheses).")
    var model: String?
    @Option(name: .long, help: "Sources, one a line: texts, or audio file paths for speech models.")
    var source: String?
    @Option(name: .long, help: "Outputs to score, one a line, instead of decoding --source.")
    var hypotheses: String?
    @Option(name: .long, help: "References, one a line; repeat the flag for several references (BLEU, chrF).")
    var reference: [String] = []
    @Option(name: .long, help: "bleu, chrf, chrf++ or wer (default: bleu; wer for speech models).")
    var metric: String?
    @Flag(name: .long, help: "WER: lowercase, remove punctuation and collapse whitespace first.")
    var normalize = false
    @Option(name: .long, help: "Beam size (default: the model's, else 4; 5 for Whisper).") var beamSize: Int?
    @Option(name: .long, help: "Most tokens to generate per source (text models).") var maxLength: Int?
    @Option(name: .long, help: "Sources decoded together (text models).") var batchSize = 16
    @Option(name: .long, help: "Source language code (mBART; T5 task prefixes).") var sourceLang: String?
    @Option(name: .long, help: "Target language code (mBART; T5 task prefixes).") var targetLang: String?
    @Option(name: .long, help: "Threads to use (default: all cores).") var threads: Int?
    @Flag(name: .long, help: "Print one JSON object with the score and its statistics.") var json = false

    /// The metrics `--metric` accepts.
    private enum Metric: String { case bleu, chrf, chrfPlusPlus = "chrf++", wer }

    func validate() throws {
        if reference.isEmpty { throw ValidationError("give the references with --reference FILE") }
        if hypotheses != nil && (model != nil || source != nil) {
            throw ValidationError("give either --hypotheses, or --model with --source, not both")
        }
        if hypotheses == nil && (model == nil || source == nil) {
            throw ValidationError("give --model and --source to decode, or --hypotheses to score a file of outputs")
        }
        if let metric, Metric(rawValue: metric) == nil { throw ValidationError("--metric must be bleu, chrf, chrf++ or wer") }
        if metric == Metric.wer.rawValue && reference.count > 1 { throw ValidationError("WER takes a single --reference") }
        if let b = beamSize, b < 1 { throw ValidationError("--beam-size must be at least 1") }
        if let m = maxLength, m < 1 { throw ValidationError("--max-length must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let references = try reference.map(readTextFileLines)
        let (inputPath, inputs) = try hypotheses.map { ($0, try readTextFileLines($0)) } ?? (source ?? "", try readTextFileLines(source ?? ""))
        for (path, lines) in zip(reference, references) where lines.count != inputs.count {
            throw Failure.badInput("\(path): \(lineCount(lines.count)), but \(inputPath) has \(inputs.count)")
        }
        var outputs = inputs, speech = false
        if hypotheses == nil, let model {
            if let threads { ThreadPool.configure(threads: threads) }
            (outputs, speech) = try decode(inputs, model: URL(fileURLWithPath: model))
        }
        let metric = self.metric.flatMap(Metric.init) ?? (speech ? .wer : .bleu)
        if metric == .wer && references.count > 1 { throw Failure.usage("WER takes a single --reference") }
        try report(metric, outputs: outputs, references: references)
    }

    private func lineCount(_ n: Int) -> String { n == 1 ? "1 line" : "\(n) lines" }

    /// The model's output for each input, and whether it is a speech model.
    private func decode(_ inputs: [String], model url: URL) throws -> ([String], Bool) {
        if MarianNativeModel.isMarianFolder(url) { return (try translate(inputs, with: try Translator(model: url)), false) }
        let loaded = try Seq2SeqModel(directory: url)
        guard loaded.network.readsAudio else { return (try translate(inputs, with: try Translator(loaded)), false) }
        return (try transcribe(inputs, with: try Transcriber(model: loaded)), true)
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
            return try transcriber.transcribe(path: file, options: options).text.trimmingCharacters(in: .whitespaces)
        }
    }

    private func report(_ metric: Metric, outputs: [String], references: [[String]]) throws {
        let line: String
        var record: [String: Any]
        switch metric {
        case .bleu:
            let s = try BLEU().corpusScore(hypotheses: outputs, references: references)
            line = s.description
            record = ["name": "BLEU", "score": s.score, "precisions": s.precisions, "counts": s.counts, "totals": s.totals,
                      "bp": s.brevityPenalty, "ratio": s.ratio, "hyp_len": s.hypothesisLength, "ref_len": s.referenceLength]
        case .chrf, .chrfPlusPlus:
            let s = try (metric == .chrf ? ChrF() : ChrF.plusPlus).corpusScore(hypotheses: outputs, references: references)
            line = s.description
            record = ["name": s.name, "score": s.score, "char_order": s.characterOrder, "word_order": s.wordOrder, "beta": s.beta]
        case .wer:
            let s = try WordErrorRate(normalize: normalize).corpusScore(hypotheses: outputs, references: references[0])
            line = s.description
            record = ["name": "WER", "score": s.score, "wer": s.errorRate, "substitutions": s.substitutions,
                      "deletions": s.deletions, "insertions": s.insertions, "hits": s.hits,
                      "ref_words": s.referenceWords, "hyp_words": s.hypothesisWords, "normalized": normalize]
        }
        guard json else { return print(line) }
        record["metric"] = metric.rawValue
        record["line"] = line
        record["segments"] = outputs.count
        record["references"] = references.count
        try printJSON(record)
    }
}
