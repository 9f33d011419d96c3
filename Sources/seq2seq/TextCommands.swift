// `seq2seq translate`, `summarize` and `tokenize`: text in, text out (CONTRACT.md).
import ArgumentParser
import Foundation
import Seq2Seq

/// Options shared by `translate` and `summarize`.
struct TextToTextOptions: ParsableArguments {
    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "Input texts; standard input (one per line) when none.")
    var texts: [String] = []

    @Option(name: .long, help: "Beam size (default: the model's, else 4).") var beamSize: Int?
    @Option(name: .long, help: "Most tokens to generate per input.") var maxLength: Int?
    @Option(name: .long, help: "Inputs decoded together.") var batchSize = 16
    @Option(name: .long, help: "Source language code (mBART; T5 task prefixes).") var sourceLang: String?
    @Option(name: .long, help: "Target language code (mBART; T5 task prefixes).") var targetLang: String?
    @Option(name: .long, help: "Write the cross-attention of the first input as an SVG heatmap.") var attentionOut: String?
    @Flag(name: .long, help: "Include the cross-attention in --json output.") var attention = false
    @Option(name: .long, help: "Decoder layer of the attention (negative counts from the end).") var attentionLayer = -1
    @Option(name: .long, help: "Attention head (default: mean over heads).") var attentionHead: Int?
    @Option(name: .long, help: "Source ids instead of text (special tokens included); '-' reads one sequence per line.")
    var inputIds: String?
    @Flag(name: .long, inversion: .prefixedNo, help: "Marian folders: restrict the output vocabulary with the lexical shortlist.")
    var shortlist = true
    @Flag(name: .long, help: "One JSON object per input.") var json = false
    @Option(name: .long, help: ArgumentHelp("Also keep this many other translations (beam search widened to hold them): \"alternatives\" in --json output.", valueName: "n"))
    var alternatives = 0

    func validate() throws {
        if inputIds != nil && !texts.isEmpty { throw ValidationError("give either texts or --input-ids, not both") }
        if let b = beamSize, b < 1 { throw ValidationError("--beam-size must be at least 1") }
        if let m = maxLength, m < 1 { throw ValidationError("--max-length must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if !(0...64).contains(alternatives) { throw ValidationError("--alternatives must be 0...64") }
        if alternatives > 0 && !json { throw ValidationError("--alternatives are printed by --json") }
    }

    /// Runs the pipeline and prints one line (or JSON object) per input, in input order.
    func run(summarize: Bool) throws {
        if let threads = modelOptions.threads { ThreadPool.configure(threads: threads) }
        let translator = try Translator(directory: modelOptions.folder(), computeType: modelOptions.computeType)
        var options = translationOptions(for: translator, summarize: summarize, beamSize: beamSize, maxLength: maxLength,
                                         batchSize: batchSize, sourceLanguage: sourceLang, targetLanguage: targetLang)
        options.useShortlist = shortlist
        options.alternatives = alternatives
        let wantAttention = attentionOut != nil || attention
        if wantAttention { options.attention = (attentionLayer, attentionHead) }
        let results: [Translation]
        if let inputIds {
            let origin = inputIds == "-" ? "standard input" : "--input-ids"
            let sources = inputIds == "-"
                ? try readStandardInputLines().map { try parseIds($0, what: origin) }
                : [try parseIds(inputIds, what: origin)]
            try checkIds(sources, vocabulary: translator.sourceVocabularySize, what: origin)
            results = try translator.run(sourceIds: sources, options: options)
        } else {
            results = try translator.run(texts.isEmpty ? try readStandardInputLines() : texts, options: options)
        }
        if let path = attentionOut, let first = results.first {
            try writeHeatmap(first, to: path, translator: translator)
        }
        for r in results {
            if inputIds != nil && !json {
                print(r.ids.map(String.init).joined(separator: " "))
            } else if json {
                var record = JSONObject(["text": r.text, "ids": r.ids, "score": r.score.map(jsonNumber)])
                if wantAttention {
                    record.append("source_tokens", r.sourceTokens ?? [])
                    record.append("target_tokens", r.targetTokens ?? [])
                    record.append("cross_attention", (r.crossAttention ?? []).map { $0.map(jsonNumber) })
                }
                if alternatives > 0 { record.append("alternatives", r.alternatives) }
                printJSON(record)
            } else {
                print(r.text)
            }
        }
    }

    private func writeHeatmap(_ r: Translation, to path: String, translator: Translator) throws {
        let layerName = attentionLayer < 0 ? (attentionLayer == -1 ? "last decoder layer" : "decoder layer \(attentionLayer)")
            : "decoder layer \(attentionLayer)"
        let heads = attentionHead.map { "head \($0)" } ?? "mean over heads"
        let map = AttentionHeatmap(sourceTokens: r.sourceTokens ?? [], targetTokens: r.targetTokens ?? [],
                                   weights: r.crossAttention ?? [],
                                   title: "cross-attention — \(translator.directory.lastPathComponent), \(layerName), \(heads)")
        do {
            try map.svg().write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw Failure(message: "\(path): cannot write (\(error.localizedDescription))", code: 1)
        }
    }
}

/// The text-to-text options `translate`, `summarize` and `evaluate` decode with: the flags over
/// the model's defaults, and the T5 task prefix for the task.
func translationOptions(for translator: Translator, summarize: Bool, beamSize: Int?, maxLength: Int?, batchSize: Int,
                        sourceLanguage: String?, targetLanguage: String?) -> TranslationOptions {
    var options = TranslationOptions(beamSize: beamSize, maxLength: maxLength, batchSize: batchSize)
    options.sourceLanguage = sourceLanguage
    options.targetLanguage = targetLanguage
    options.prefix = translator.model?.taskPrefix(summarize: summarize, sourceLanguage: sourceLanguage,
                                                  targetLanguage: targetLanguage) ?? ""
    return options
}

struct TranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "translate", abstract: "Translate texts, one line out per input.")
    @OptionGroup var options: TextToTextOptions
    func run() throws { try options.run(summarize: false) }
}

struct SummarizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "summarize", abstract: "Summarize texts, one line out per input.")
    @OptionGroup var options: TextToTextOptions
    func run() throws { try options.run(summarize: true) }
}

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "The model's source tokenizer: pieces, or ids with --json; --decode turns ids into text.")

    @OptionGroup var modelOptions: ModelOptions
    @Argument(help: "Texts; standard input (one per line) when none.") var texts: [String] = []
    @Option(name: .long, help: "Ids to decode (special tokens skipped).") var decode: String?
    @Flag(name: .long, help: "{\"ids\":[…],\"tokens\":[…]} per input.") var json = false

    func run() throws {
        let folder = try modelOptions.folder()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw Failure.badInput("\(folder.path): not a model folder (no such directory)")
        }
        guard let tokenizer = try ModelTokenizer.load(directory: folder) else {
            throw Failure.badInput("\(folder.path): no tokenizer (tokenizer.json, source.spm/target.spm or spiece.model)")
        }
        if let decode {
            let ids = try parseIds(decode, what: "--decode")
            try checkIds([ids], vocabulary: tokenizer.target.vocabularySize, what: "--decode")
            print(tokenizer.target.decode(ids, skipSpecialTokens: true))
            return
        }
        for text in texts.isEmpty ? try readStandardInputLines() : texts {
            let ids = try tokenizer.source.encode(text, addSpecialTokens: true)
            let tokens = ids.map { tokenizer.source.token(for: $0) ?? "<\($0)>" }
            if json { printJSON(JSONObject(["ids": ids, "tokens": tokens])) } else { print(tokens.joined(separator: " ")) }
        }
    }
}
