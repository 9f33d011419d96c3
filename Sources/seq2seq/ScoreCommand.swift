// `seq2seq score`: teacher-forced log-probabilities of a target given a source.
import ArgumentParser
import Foundation
import Seq2Seq

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Log-probabilities of a target given a source (teacher forcing).")

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .long, help: "Source text (tokenized by the model's tokenizer).") var source: String?
    @Option(name: .long, help: "Target text (tokenized with the special tokens the tokenizer adds).") var target: String?
    @Option(name: .long, help: "Source ids, e.g. \"13 7 42 1\".") var sourceIds: String?
    @Option(name: .long, help: "Target ids to score (include the end-of-sequence id to score it).") var targetIds: String?

    func validate() throws {
        if (source == nil) == (sourceIds == nil) { throw ValidationError("give exactly one of --source and --source-ids") }
        if (target == nil) == (targetIds == nil) { throw ValidationError("give exactly one of --target and --target-ids") }
    }
    @Flag(name: .long, help: "Print a JSON object.") var json = false

    func run() throws {
        let model = try modelOptions.load()
        let tokenizer = { () throws -> ModelTokenizer in
            guard let t = model.tokenizer else { throw Failure.badInput("\(model.directory.path): no tokenizer; give --source-ids and --target-ids") }
            return t
        }
        let source = try sourceIds.map { try parseIds($0, what: "--source-ids") } ?? tokenizer().encodeSource(self.source ?? "")
        let target = try targetIds.map { try parseIds($0, what: "--target-ids") } ?? tokenizer().target.encode(self.target ?? "", addSpecialTokens: true)
        try checkIds([source], vocabulary: model.network.sourceVocabularySize, what: sourceIds == nil ? "--source" : "--source-ids")
        try checkIds([target], vocabulary: model.network.targetVocabularySize, what: targetIds == nil ? "--target" : "--target-ids")
        let scores = try model.score(source: source, target: target)
        if json {
            printJSON(JSONObject(["token_log_probs": scores.tokenLogProbs.map(jsonNumber), "log_prob": jsonNumber(scores.logProb),
                                  "ids": scores.ids]))
        } else {
            print(scores.logProb)
        }
    }
}
