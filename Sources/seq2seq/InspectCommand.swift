// `seq2seq inspect`: what a model folder holds — Hugging Face, CTranslate2 or Marian (Firefox
// Translations) folders alike.
import ArgumentParser
import Foundation
import Seq2Seq

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Family, sizes, parameter count, dtypes, tokenizer, languages and special tokens of a model.")

    @OptionGroup var modelOptions: ModelOptions
    @Flag(name: .long, help: "Print a JSON object.") var json = false

    func run() throws {
        let folder = try modelOptions.folder()
        var fields: [(String, Any?)]
        if try ModelFolderKind.detect(folder) == .marian {
            let translator = try Translator(directory: folder, computeType: modelOptions.computeType)
            guard let model = translator.marianModel else { return }
            fields = architecture("marian-ssru", model.parameterCount, model.weightDTypes, model.spec)
            fields += [("tokenizer", translator.tokenizer.description), ("languages", languages(translator.languages)),
                       ("beam_size", model.options.beamSize), ("shortlist", model.shortlist != nil)]
        } else {
            let model = try modelOptions.load()
            fields = architecture(model.network.family, model.network.parameterCount, model.network.sourceDTypes, model.network.spec)
            fields.append(("tokenizer", model.tokenizer.map { "\($0.description)\($0.tokenizerClass.map { " (\($0))" } ?? "")" } ?? "none"))
            if !model.network.readsAudio, let translator = try? Translator(model) {
                fields.append(("languages", languages(translator.languages)))
            }
            fields += specialTokens(model.generationDefaults)
        }
        if json {
            printJSON(JSONObject(members: fields))
        } else {
            for (k, v) in fields where v != nil { print("\(k): \(v is [Int] ? (v as! [Int]).map(String.init).joined(separator: ",") : "\(v!)")") }
        }
    }

    private func architecture(_ family: String, _ parameters: Int, _ dtypes: Set<String>, _ s: TransformerSpec) -> [(String, Any?)] {
        [("family", family), ("parameters", parameters), ("weights_dtypes", dtypes.sorted().joined(separator: ",")),
         ("d_model", s.modelWidth), ("heads", s.heads), ("head_width", s.headWidth), ("ffn_width", s.ffnWidth),
         ("encoder_layers", s.encoderLayers), ("decoder_layers", s.decoderLayers), ("vocab_size", s.vocabularySize),
         ("norm", s.preNorm ? "pre-norm" : "post-norm"), ("activation", s.activation.rawValue + (s.gatedFFN ? " (gated)" : ""))]
    }

    /// `en -> pt (fixed pair)`, or the codes a multilingual model accepts.
    private func languages(_ l: ModelLanguages) -> String {
        guard l.mechanism != .none else { return "none" }
        return "\(l.source.isEmpty ? "any" : l.source.joined(separator: ",")) -> \(l.target.isEmpty ? "any" : l.target.joined(separator: ",")) (\(l.mechanism.rawValue))"
    }

    private func specialTokens(_ g: GenerationConfig) -> [(String, Any?)] {
        [("decoder_start_token_id", g.decoderStartTokenId), ("pad_token_id", g.padTokenId),
         ("eos_token_id", g.eosTokenIds.isEmpty ? nil : g.eosTokenIds), ("bos_token_id", g.bosTokenId),
         ("forced_bos_token_id", g.forcedBosTokenId), ("forced_eos_token_id", g.forcedEosTokenId)]
    }
}
