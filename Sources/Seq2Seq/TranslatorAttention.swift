// The attention of one translation, labelled (`AttentionMaps`, Seq2SeqWhisper
// AttentionMaps.swift): what the attention explorer page and `POST /v1/attention` show for text.
//
//     let translator = try Translator(directory: URL(fileURLWithPath: "models/firefox/enpt"))
//     let maps = try translator.attention("The green house.")
//     print(maps.cross.matrix(layer: -1))       // [T][S], mean over heads
import Foundation

extension Translator {
    /// Translates `text` (one sentence: Marian folders do not split it), then re-runs the model
    /// on the source and its output with every attention weight recorded.
    public func attention(_ text: String, options: TranslationOptions = .init()) throws -> AttentionMaps {
        var options = options
        options.splitSentences = false
        options.attention = nil
        try checkLanguages(options)
        let source = try sourceIds([text], options: options)[0]
        guard !source.isEmpty else { throw TranslationError("nothing to translate: the text is empty") }
        let result = try run(sourceIds: [source], options: options)[0]
        let capture: AttentionCapture, inputs: [Int]
        var notes: [(String, String)] = []
        if let marian = marianModel {
            inputs = [marian.eosTokenId] + result.ids.dropLast()
            capture = try marian.attention(source: source, target: result.ids)
            notes.append(("decoder_self_note", "this model's decoder has no self-attention: each layer is an SSRU, a recurrent cell (Marian's dec-cell: ssru), so decoder_self is empty"))
        } else if let model {
            guard let start = model.generationDefaults.decoderStartTokenId else {
                throw TranslationError("\(directory.path): the model has no decoder start token")
            }
            inputs = [start] + result.ids.dropLast()
            capture = result.ids.isEmpty ? AttentionCapture(encoderSelf: .empty, decoderSelf: .empty, cross: .empty)
                : try model.network.attention(source: source, decoderInputs: inputs)
        } else {
            throw TranslationError("\(directory.path): no model")
        }
        let label = { (t: Tokenizer, id: Int) in t.token(for: id) ?? "<\(id)>" }
        return AttentionMaps(sourceTokens: source.map { label(tokenizer.source, $0) },
                             decoderInputTokens: (result.ids.isEmpty ? [] : inputs).map { label(tokenizer.target, $0) },
                             targetTokens: result.ids.map { label(tokenizer.target, $0) }, text: result.text,
                             encoderSelf: capture.encoderSelf, decoderSelf: capture.decoderSelf, cross: capture.cross, notes: notes)
    }
}
