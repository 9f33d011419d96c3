// The language codes of a fine-tuning run of a multilingual model (mBART), and what they change,
// as the Hugging Face Trainer takes such a model: sources encoded with the source code's token
// and targets as `tokenizer(text_target=…)` writes them (`text </s> ro_RO` for mBART,
// `ro_RO text </s>` for mBART-50); the decoder input is transformers' mBART
// `shift_tokens_right`: the labels moved right by one with the last one wrapped to the front
// (`ro_RO text </s>`, or `</s> ro_RO text`). The fine-tuned model then writes the target
// language by default: an mBART model starts its decoder from the code (as fairseq's
// fine-tuned mBART models on the Hub do, `decoder_start_token_id` = the code), an mBART-50 one
// has it forced as its first token (`forced_bos_token_id`).
import Foundation
import Seq2Seq

/// The languages of a multilingual fine-tuning run.
struct FineTuningLanguages {
    let source: String, target: String
    let tokenizer: ModelTokenizer
    /// The id the batcher writes at the end of every label row and at the start of every
    /// decoder input row: the last label, which mBART's shift wraps around.
    let labelEnd: Int32
    /// The target code's id.
    let targetId: Int
    let placement: LanguageTokens.Placement

    /// The languages of `options` (or the tokenizer's `src_lang` / `tgt_lang`), checked against
    /// the model `folder`'s tokenizer and model type.
    init(tokenizer: ModelTokenizer, options: TrainingRunOptions, modelType: String, folder: String) throws {
        guard let languages = tokenizer.languageTokens else {
            throw TrainingRunError("\(folder): --source-lang and --target-lang need a multilingual model (mBART); this tokenizer has no language codes")
        }
        guard modelType == "mbart" else {
            throw TrainingRunError("\(folder): fine-tuning with language codes reads mBART models (this is \(modelType))")
        }
        let listed = languages.codes.prefix(12).joined(separator: ", ") + (languages.codes.count > 12 ? ", …" : "")
        func code(_ given: String?, _ fallback: String?, _ flag: String) throws -> String {
            guard let code = given ?? fallback else {
                throw TrainingRunError("\(folder): the tokenizer names no default; give \(flag) (the model's codes: \(listed))")
            }
            guard languages.ids[code] != nil else {
                throw TrainingRunError("\(folder): unknown language code \"\(code)\" for \(flag) (the model's codes: \(listed))")
            }
            return code
        }
        source = try code(options.sourceLanguage, languages.defaultSource, "--source-lang")
        target = try code(options.targetLanguage, languages.defaultTarget, "--target-lang")
        self.tokenizer = tokenizer
        targetId = languages.ids[target]!
        placement = languages.placement
        guard let eos = tokenizer.target.id(for: "</s>") else { throw TrainingRunError("\(folder): the tokenizer has no </s>") }
        labelEnd = Int32(placement == .afterEnd ? targetId : eos)
    }

    /// A training pair: the source ids, and the labels without the last one (`labelEnd`).
    func tokenize(_ pair: TextPair) throws -> TokenizedPair {
        let labels = try tokenizer.encodeTarget(pair.target, targetLanguage: target)
        return TokenizedPair(source: try tokenizer.encodeSource(pair.source, sourceLanguage: source).map(Int32.init),
                             target: labels.dropLast().map(Int32.init))
    }

    /// Rewrites the run's copy of the pretrained generation settings (`generation_config.json`
    /// of every checkpoint) so that the model writes the target language by default; writes
    /// one from `configuration` when the pretrained folder had none.
    func writeGenerationSettings(in run: URL, configuration c: TransformerConfiguration) throws {
        let url = run.appendingPathComponent(ModelFolder.pretrainedGenerationConfig)
        var settings: JSONValue = ["decoder_start_token_id": .integer(c.decoderStartTokenId), "eos_token_id": .integer(c.eosTokenId),
                                   "forced_eos_token_id": .integer(c.eosTokenId), "pad_token_id": .integer(c.padTokenId)]
        if let data = try? Data(contentsOf: url) {
            guard let object = try? JSONValue.parse([UInt8](data)), object.members != nil else {
                throw TrainingRunError("\(url.path): not a JSON object")
            }
            settings = object
        }
        switch placement {
        case .afterEnd:
            settings["decoder_start_token_id"] = .integer(targetId)
            settings["forced_bos_token_id"] = nil
        case .beforeText:
            settings["forced_bos_token_id"] = .integer(targetId)
        }
        try ModelFolder.writeAtomically(Data(settings.serialized()), to: url)
    }
}
