// `seq2seq score`: teacher-forced log-probabilities of a target given a source.
import ArgumentParser
import Foundation
import Seq2Seq

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Log-probabilities of a target given a source (teacher forcing).")

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .long, help: "Source ids, e.g. \"13 7 42 1\".") var sourceIds: String
    @Option(name: .long, help: "Target ids to score (include the end-of-sequence id to score it).") var targetIds: String
    @Flag(name: .long, help: "Print a JSON object.") var json = false

    func run() throws {
        let model = try modelOptions.load()
        let source = try parseIds(sourceIds, what: "--source-ids"), target = try parseIds(targetIds, what: "--target-ids")
        try checkIds([source], vocabulary: model.network.sourceVocabularySize, what: "--source-ids")
        try checkIds([target], vocabulary: model.network.targetVocabularySize, what: "--target-ids")
        let scores = try model.score(source: source, target: target)
        if json {
            try printJSON(["token_log_probs": scores.tokenLogProbs.map(jsonNumber), "log_prob": jsonNumber(scores.logProb),
                           "ids": scores.ids])
        } else {
            print(scores.logProb)
        }
    }
}
