// `seq2seq evaluate`: decode the sources with a model (translation, or Whisper transcription)
// or take an output file, and score it against references with sacreBLEU-compatible BLEU or
// chrF, or jiwer-compatible WER (docs/cli.md).
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

    @Option(name: .long, help: "Model folder or Hub id OWNER/NAME[@REVISION]: text-to-text or Whisper (not needed with --hypotheses).")
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
        if normalize, let metric, metric != Metric.wer.rawValue { throw ValidationError("--normalize applies to WER only") }
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
        let metric = self.metric.flatMap(Metric.init) ?? (isSpeech ? .wer : .bleu)
        if metric == .wer && references.count > 1 { throw Failure.usage("WER takes a single --reference") }
        if normalize && metric != .wer { throw Failure.usage("--normalize applies to WER only") }
        let outputs: [String]
        switch decoder {
        case .text(let translator)?: outputs = try translate(inputs, with: translator)
        case .speech(let transcriber)?: outputs = try transcribe(inputs, with: transcriber)
        case nil: outputs = inputs
        }
        try report(metric, outputs: outputs, references: references)
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
        if MarianNativeModel.isMarianFolder(url) { return .text(try Translator(directory: url)) }
        let loaded = try Seq2SeqModel(directory: url)
        return loaded.network.readsAudio ? .speech(try Transcriber(model: loaded)) : .text(try Translator(loaded))
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

    private func report(_ metric: Metric, outputs: [String], references: [[String]]) throws {
        let line: String
        var record: JSONObject
        switch metric {
        case .bleu:
            let s = try BLEU().corpusScore(hypotheses: outputs, references: references)
            line = s.description
            record = JSONObject(["name": "BLEU", "score": s.score, "precisions": s.precisions, "counts": s.counts, "totals": s.totals,
                      "bp": s.brevityPenalty, "ratio": s.ratio, "hyp_len": s.hypothesisLength, "ref_len": s.referenceLength])
        case .chrf, .chrfPlusPlus:
            let s = try (metric == .chrf ? ChrF() : ChrF.plusPlus).corpusScore(hypotheses: outputs, references: references)
            line = s.description
            record = JSONObject(["name": s.name, "score": s.score, "char_order": s.characterOrder, "word_order": s.wordOrder, "beta": s.beta])
        case .wer:
            let s = try WordErrorRate(normalize: normalize).corpusScore(hypotheses: outputs, references: references[0])
            line = s.description
            record = JSONObject(["name": "WER", "score": s.score, "wer": s.errorRate, "substitutions": s.substitutions,
                      "deletions": s.deletions, "insertions": s.insertions, "hits": s.hits,
                      "ref_words": s.referenceWords, "hyp_words": s.hypothesisWords, "normalized": normalize])
        }
        guard json else { return print(line) }
        record.append("metric", metric.rawValue)
        record.append("line", line)
        record.append("segments", outputs.count)
        record.append("references", references.count)
        printJSON(record)
    }
}
