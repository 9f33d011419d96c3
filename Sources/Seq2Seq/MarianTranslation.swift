// Translation with Marian's own models (Firefox Translations): the SSRU decoder as a
// `DecoderSession`, and the generation options the model folder's config asks for.
//
//     let model = try MarianNativeModel(directory: URL(fileURLWithPath: "models/firefox/enpt"))
//     let ids = try model.translate(sources: [[38, 824, 167, 5344, 12, 6, 4043, 3, 0]])
import Foundation

extension MarianSSRUDecoder: DecoderSession {}

extension MarianNativeModel {
    /// The generation options of the folder's `config.*.yml` for a source of `sourceLength`
    /// ids (`</s>` included): `beam-size`, `normalize` as the length penalty,
    /// at most ceil(`max-length-factor` × sourceLength) tokens, `</s>` ends, `<unk>` is never
    /// produced. The start token is a placeholder: Marian starts from a zero embedding.
    public func generationConfig(sourceLength: Int) -> GenerationConfig {
        GenerationConfig(numBeams: max(options.beamSize, 1), lengthPenalty: options.normalize,
                         maxNewTokens: max(Int((options.maxLengthFactor * Float(sourceLength)).rounded(.up)), 1),
                         decoderStartTokenId: eosTokenId, eosTokenIds: [eosTokenId], suppressTokens: [unknownTokenId])
    }

    /// Translates each source (ids ending with `</s>`) on its own with the folder's options;
    /// returns the output ids (ending with `</s>` when the model produced it).
    public func translate(sources: [[Int]], useShortlist: Bool = true, options override: GenerationConfig? = nil) throws -> [[Int]] {
        try sources.map { try bestHypothesis(source: $0, useShortlist: useShortlist, options: override).ids }
    }

    /// The best hypothesis for one source (ids ending with `</s>`), with its score.
    public func bestHypothesis(source: [Int], useShortlist: Bool = true, options override: GenerationConfig? = nil) throws -> Hypothesis {
        let decoder = makeDecoder(for: try encode([source]), sources: [source], useShortlist: useShortlist)
        let config = override ?? generationConfig(sourceLength: source.count)
        return try Generator(config: config).generate(session: decoder)[0][0]
    }
}
