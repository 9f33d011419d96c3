// `seq2seq inspect`: what a model folder holds.
import ArgumentParser
import Foundation
import Seq2Seq

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Family, sizes, parameter count, dtypes and special tokens of a model.")

    @OptionGroup var modelOptions: ModelOptions
    @Flag(name: .long, help: "Print a JSON object.") var json = false

    func run() throws {
        let model = try modelOptions.load()
        let s = model.network.spec
        let g = model.generationDefaults
        var fields: [(String, Any)] = [
            ("family", model.network.family),
            ("parameters", model.network.parameterCount),
            ("weights_dtypes", model.network.sourceDTypes.sorted().joined(separator: ",")),
            ("d_model", s.modelWidth), ("heads", s.heads), ("head_width", s.headWidth), ("ffn_width", s.ffnWidth),
            ("encoder_layers", s.encoderLayers), ("decoder_layers", s.decoderLayers), ("vocab_size", s.vocabularySize),
            ("norm", s.preNorm ? "pre-norm" : "post-norm"), ("activation", s.activation.rawValue + (s.gatedFFN ? " (gated)" : "")),
            ("tokenizer", model.tokenizer.map { "\($0.description)\($0.tokenizerClass.map { " (\($0))" } ?? "")" } ?? "none"),
        ]
        if let v = g.decoderStartTokenId { fields.append(("decoder_start_token_id", v)) }
        if let v = g.padTokenId { fields.append(("pad_token_id", v)) }
        if !g.eosTokenIds.isEmpty { fields.append(("eos_token_id", g.eosTokenIds)) }
        if let v = g.bosTokenId { fields.append(("bos_token_id", v)) }
        if let v = g.forcedBosTokenId { fields.append(("forced_bos_token_id", v)) }
        if let v = g.forcedEosTokenId { fields.append(("forced_eos_token_id", v)) }
        if json {
            printJSON(JSONObject(members: fields))
        } else {
            for (k, v) in fields { print("\(k): \(v is [Int] ? (v as! [Int]).map(String.init).joined(separator: ",") : "\(v)")") }
        }
    }
}
