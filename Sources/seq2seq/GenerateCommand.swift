// `seq2seq generate`: token-level generation for any family.
import ArgumentParser
import Foundation
import Seq2Seq

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate from source ids (or text, with a tokenizer).")

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "Source texts (needs a tokenizer); standard input when none and no --input-ids.")
    var texts: [String] = []

    @Option(name: .long, help: "Source ids, e.g. \"13 7 42 1\"; '-' reads one sequence per line from standard input.")
    var inputIds: String?

    @Option(name: .long, help: "Speech models: a float32 [n_mels, frames] log-mel array (.npy) as the source.")
    var inputFeatures: String?

    @Option(name: .long, help: "Decoder ids forced after the start token.")
    var decoderPrefixIds: String?

    @Option(name: .long, help: "Sources decoded together.") var batchSize = 8
    @Option(name: .long, help: "Beams per source (1: greedy or plain sampling; default: the model's).") var numBeams: Int?
    @Option(name: .long, help: "Hypotheses returned per source (at most --num-beams).") var numReturnSequences: Int?
    @Option(name: .long, help: "Beam scores are divided by length^F (above 0 favours longer outputs).") var lengthPenalty: Float?
    @Flag(name: .long, inversion: .prefixedNo, help: "Stop beam search as soon as num_beams hypotheses are finished.")
    var earlyStopping: Bool?
    @Option(name: .long, help: "Most tokens to generate after the decoder prompt.") var maxNewTokens: Int?
    @Option(name: .long, help: "Fewest tokens to generate before end-of-sequence is allowed.") var minNewTokens: Int?
    @Option(name: .long, help: "Never repeat an n-gram of this size (0: off).") var noRepeatNgramSize: Int?
    @Option(name: .long, help: "Penalty on tokens already generated (1: off).") var repetitionPenalty: Float?
    @Flag(name: .long, help: "Sample instead of searching.") var sample = false
    @Option(name: .long, help: "Sampling: divide the scores by this (default 1).") var temperature: Float?
    @Option(name: .long, help: "Sampling: keep only the K most likely tokens (0: off; default 50).") var topK: Int?
    @Option(name: .long, help: "Sampling: keep the most likely tokens whose probability reaches P (1: off).") var topP: Float?
    @Option(name: .long, help: "Sampling: seed of the random generator (default 0; output is reproducible).") var seed: UInt64?
    @Flag(name: .long, help: "One JSON object per input (JSON Lines).") var json = false

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let numBeams, numBeams < 1 { throw ValidationError("--num-beams must be at least 1") }
        if let n = numReturnSequences, n < 1 { throw ValidationError("--num-return-sequences must be at least 1") }
        if let t = temperature, !(t > 0) { throw ValidationError("--temperature must be positive") }
        if let p = topP, !(p > 0 && p <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        if inputIds != nil && !texts.isEmpty { throw ValidationError("give either texts or --input-ids, not both") }
        if inputFeatures != nil && (inputIds != nil || !texts.isEmpty) {
            throw ValidationError("give either --input-features or a text source, not both")
        }
    }

    private var idsOrigin: String { inputIds == "-" ? "standard input" : "--input-ids" }

    func run() throws {
        let model = try modelOptions.load()
        var options = model.generationDefaults
        if let v = numBeams { options.numBeams = v }
        if let v = numReturnSequences { options.numReturnSequences = v }
        if let v = lengthPenalty { options.lengthPenalty = v }
        if let v = earlyStopping { options.earlyStopping = v ? .always : .heuristic }
        if let v = maxNewTokens { options.maxNewTokens = v }
        if let v = minNewTokens { options.minNewTokens = v }
        if let v = noRepeatNgramSize { options.noRepeatNgramSize = v }
        if let v = repetitionPenalty { options.repetitionPenalty = v }
        if sample { options.doSample = true }
        if let v = temperature { options.temperature = v }
        if let v = topK { options.topK = v }
        if let v = topP { options.topP = v }
        if let v = seed { options.seed = v }
        let prefix = try decoderPrefixIds.map { try parseIds($0, what: "--decoder-prefix-ids") } ?? []
        try checkIds([prefix], vocabulary: model.network.targetVocabularySize, what: "--decoder-prefix-ids")
        if let inputFeatures {
            try printResults(try generateFromFeatures(model, path: inputFeatures, options: options, prefix: prefix), tokenizer: model.tokenizer)
            return
        }
        let sources = try readSources()
        try checkIds(sources, vocabulary: model.network.sourceVocabularySize, what: idsOrigin)
        try printResults(try model.generate(sources: sources, options: options, decoderPrefix: prefix, batchSize: batchSize), tokenizer: model.tokenizer)
    }

    /// Encodes a log-mel array and generates from it (Whisper's start, end and length come
    /// with the model's generation defaults, `WhisperFamily.completeGenerationDefaults`).
    private func generateFromFeatures(_ model: Seq2SeqModel, path: String, options: GenerationConfig,
                                      prefix: [Int]) throws -> [[Hypothesis]] {
        guard model.network.readsAudio else { throw Failure.usage("--input-features needs a speech model (Whisper)") }
        let features = try NPYFile.readFloat32Matrix(path: path)
        let encoded: EncoderOutput
        do {
            encoded = try model.network.encode(features: [features])
        } catch let error as ModelError {
            throw Failure.badInput("\(path): \(error)")
        }
        return try Generator(config: options).generate(session: model.network.makeDecoder(for: encoded), prefix: prefix)
    }

    private func printResults(_ results: [[Hypothesis]], tokenizer: ModelTokenizer?) throws {
        for hypotheses in results {
            if json {
                printJSON(JSONObject(["sequences": hypotheses.map { h in
                    JSONObject(["ids": h.ids, "text": tokenizer?.target.decode(h.ids, skipSpecialTokens: true),
                                "score": h.score.map(jsonNumber)])
                }]))
            } else {
                for h in hypotheses { print(h.ids.map(String.init).joined(separator: " ")) }
            }
        }
    }

    private func readSources() throws -> [[Int]] {
        if let inputIds {
            if inputIds == "-" { return try readStandardInputLines().map { try parseIds($0, what: "standard input") } }
            return [try parseIds(inputIds, what: "--input-ids")]
        }
        guard let tokenizer = try modelOptions.loadTokenizer() else {
            throw Failure.usage("this model has no tokenizer: give source ids with --input-ids")
        }
        return try (texts.isEmpty ? try readStandardInputLines() : texts).map { try tokenizer.encodeSource($0) }
    }
}
