// `seq2seq translate`: Marian translation models (Firefox Translations folders) with the
// folder's own decoding defaults (`config.*.yml`: beam size, normalize, max-length-factor)
// and its lexical shortlist. Token ids in and out until the SentencePiece tokenizer lands.
import ArgumentParser
import Foundation
import Seq2Seq

struct TranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate", abstract: "Translate with a Marian model folder (Firefox Translations).")

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "Source texts (needs the SentencePiece tokenizer).")
    var texts: [String] = []

    @Option(name: .long, help: "Source ids ending with </s> (0), e.g. \"38 824 3 0\"; '-' reads one sequence per line from standard input.")
    var inputIds: String?

    @Option(name: .long, help: "Beam size (default: the folder's beam-size).") var beamSize: Int?
    @Flag(name: .long, inversion: .prefixedNo, help: "Restrict the output vocabulary with the folder's lexical shortlist.")
    var shortlist = true
    @Flag(name: .long, help: "One JSON object per input (JSON Lines).") var json = false
    @Option(name: .long, help: "Write the last decoder layer's cross-attention (mean over heads) of the translation as an SVG heatmap (one input only).")
    var attentionOut: String?

    func validate() throws {
        if let beamSize, beamSize < 1 { throw ValidationError("--beam-size must be at least 1") }
        if inputIds != nil && !texts.isEmpty { throw ValidationError("give either texts or --input-ids, not both") }
    }

    func run() throws {
        if let threads = modelOptions.threads { ThreadPool.configure(threads: threads) }
        let model = try MarianNativeModel(directory: URL(fileURLWithPath: modelOptions.model))
        guard let inputIds else {
            throw Failure.usage("text input needs the SentencePiece tokenizer, not in this build yet: give source ids with --input-ids")
        }
        let origin = inputIds == "-" ? "standard input" : "--input-ids"
        let sources = inputIds == "-"
            ? try readStandardInputLines().map { try parseIds($0, what: origin) }
            : [try parseIds(inputIds, what: origin)]
        try checkIds(sources, vocabulary: model.vocabularySize, what: origin)
        if attentionOut != nil && sources.count != 1 { throw Failure.usage("--attention-out needs exactly one input") }
        for source in sources {
            var config = model.generationConfig(sourceLength: source.count)
            if let beamSize { config.numBeams = beamSize }
            let ids = try model.translate(sources: [source], useShortlist: shortlist, options: config)[0]
            if json { try printJSON(["ids": ids]) } else { print(ids.map(String.init).joined(separator: " ")) }
            if let attentionOut { try writeHeatmap(model: model, source: source, target: ids, to: attentionOut) }
        }
    }

    /// Writes the cross-attention heatmap, labelled with the vocabulary's pieces when the folder
    /// has a `tokenizer.json`, else with ids.
    private func writeHeatmap(model: MarianNativeModel, source: [Int], target: [Int], to path: String) throws {
        let weights = try model.crossAttention(source: source, target: target)
        let pieces = vocabularyPieces(URL(fileURLWithPath: modelOptions.model).appendingPathComponent("tokenizer.json"))
        let label = { (id: Int) in id < pieces.count ? pieces[id] : String(id) }
        let heatmap = AttentionHeatmap(sourceTokens: source.map(label), targetTokens: target.map(label), weights: weights,
                                       title: "cross-attention, last decoder layer, mean over heads")
        do {
            try heatmap.svg().write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw Failure(message: "\(path): cannot write (\(error.localizedDescription))", code: 1)
        }
    }

    /// The pieces of a Unigram `tokenizer.json` by id, or [] when absent or unreadable.
    private func vocabularyPieces(_ url: URL) -> [String] {
        guard let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let vocab = (json["model"] as? [String: Any])?["vocab"] as? [[Any]] else { return [] }
        return vocab.map { $0.first as? String ?? "" }
    }
}
