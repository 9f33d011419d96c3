// The trainable Transformer on tiny configurations: checkpoint names per variant, shapes,
// no recording without gradients, dropout only in training, and gradients of the whole
// model against finite differences.
import Foundation
import Seq2SeqTensor
import Seq2SeqTraining
import XCTest

final class TransformerModelTests: XCTestCase {
    /// D 8, H 2, FFN 12, 1 + 1 layers, V 11: small enough for finite differences.
    static func micro(_ change: (inout TransformerConfiguration) -> Void = { _ in }) -> TransformerConfiguration {
        var c = TransformerConfiguration(vocabularySize: 11, modelWidth: 8, heads: 2, feedForwardWidth: 12,
                                         encoderLayers: 1, decoderLayers: 1, dropout: 0, maxPositions: 16)
        change(&c)
        return c
    }

    /// Sources of lengths 5 and 3, targets of lengths 4 and 2 (padding 0, start 0).
    static let batch = TrainingBatch(sources: [[3, 4, 5, 6, 1], [7, 8, 1]], targets: [[9, 10, 2, 1], [5, 1]],
                                     padTokenId: 0, decoderStartTokenId: 0)

    func testPresets() throws {
        let base = TransformerConfiguration(preset: .base, vocabularySize: 32000)
        XCTAssertEqual([base.modelWidth, base.heads, base.feedForwardWidth, base.encoderLayers, base.decoderLayers], [512, 8, 2048, 6, 6])
        XCTAssertEqual(base.activation, .relu)
        XCTAssertFalse(base.preNorm)
        let small = TransformerConfiguration(preset: .small, vocabularySize: 8000)
        XCTAssertEqual([small.modelWidth, small.heads, small.feedForwardWidth, small.encoderLayers], [256, 4, 1024, 3])
        let tiny = TransformerConfiguration(preset: .tiny, vocabularySize: 100)
        XCTAssertEqual([tiny.modelWidth, tiny.heads, tiny.feedForwardWidth, tiny.decoderLayers], [64, 2, 128, 2])
        try tiny.validate()
        let decoded = try JSONDecoder().decode(TransformerConfiguration.self, from: JSONEncoder().encode(tiny))
        XCTAssertEqual(decoded, tiny)
        var bad = tiny
        bad.heads = 3
        XCTAssertThrowsError(try bad.validate())
        bad = tiny
        bad.padTokenId = 100
        XCTAssertThrowsError(try bad.validate())
    }

    func testParameterNamesFollowTransformers() {
        let model = TransformerModel(configuration: Self.micro(), seed: 1)
        let names = model.namedParameters.map(\.name)
        XCTAssertEqual(names.first, "model.shared.weight")
        XCTAssertFalse(names.contains("lm_head.weight"))
        for name in ["model.encoder.layers.0.self_attn.q_proj.weight", "model.encoder.layers.0.self_attn.k_proj.bias",
                     "model.encoder.layers.0.self_attn_layer_norm.weight", "model.encoder.layers.0.fc1.weight",
                     "model.encoder.layers.0.final_layer_norm.bias", "model.decoder.layers.0.encoder_attn.out_proj.weight",
                     "model.decoder.layers.0.encoder_attn_layer_norm.weight", "model.decoder.layers.0.fc2.bias"] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertEqual(names.count, 1 + 16 + 26)  // table; encoder layer: 4 projections, 2 norms, 2 linears
        XCTAssertEqual(Set(names).count, names.count)
        let pre = TransformerModel(configuration: Self.micro { $0.preNorm = true; $0.embeddingNorm = true; $0.sharedEmbeddings = false; $0.tiedOutput = false }, seed: 1)
        let preNames = Set(pre.namedParameters.map(\.name))
        for name in ["model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", "lm_head.weight",
                     "model.encoder.layernorm_embedding.weight", "model.decoder.layer_norm.bias", "model.encoder.layer_norm.weight"] {
            XCTAssertTrue(preNames.contains(name), name)
        }
        XCTAssertEqual(model.parameterCount, model.parameters.reduce(0) { $0 + $1.value.count })
        // The padding row starts at zero.
        XCTAssertEqual(Array(model.namedParameters[0].variable.value.values[0..<8]), Array(repeating: 0, count: 8))
    }

    func testLogitsShapeAndNoRecordingWithoutGradients() {
        let model = TransformerModel(configuration: Self.micro { $0.dropout = 0.3 }, seed: 2)
        let logits = model.logits(for: Self.batch)
        XCTAssertEqual(logits.value.shape, [2 * 4, 11])
        XCTAssertTrue(logits.requiresGradient)
        let off = Autograd.withoutGradients { model.loss(for: Self.batch) }
        XCTAssertFalse(off.requiresGradient, "a loss computed without gradients recorded a graph")
        XCTAssertEqual(off.value.shape, [])
        XCTAssertEqual(Self.batch.targetTokenCount(padTokenId: 0), 6)
    }

    func testDropoutOnlyInTrainingMode() {
        let model = TransformerModel(configuration: Self.micro { $0.dropout = 0.3; $0.attentionDropout = 0.2; $0.activationDropout = 0.1 }, seed: 3)
        let a = model.logits(for: Self.batch).value.values, b = model.logits(for: Self.batch).value.values
        XCTAssertEqual(a, b, "evaluation mode is deterministic")
        let state = model.dropoutRandom
        model.isTraining = true
        let c = model.logits(for: Self.batch).value.values
        XCTAssertNotEqual(a, c, "no dropout in training mode")
        XCTAssertNotEqual(model.dropoutRandom, state, "dropout masks did not advance the generator")
        model.dropoutRandom = state
        XCTAssertEqual(model.logits(for: Self.batch).value.values, c, "the same generator state gives the same masks")
    }

    /// The whole model's loss (label smoothing, padding, masks, tied table) against central
    /// differences, on a few tensors of each kind in both norm placements. The decoder starts
    /// with id 2 here: with the padding id as start token, the padding row's lookups change the
    /// loss but send it no gradient (by design, as `padding_idx`), which differences would see.
    func testModelGradientsMatchFiniteDifferences() {
        let batch = TrainingBatch(sources: [[3, 4, 5, 6, 1], [7, 8, 1]], targets: [[9, 10, 2, 1], [5, 1]],
                                  padTokenId: 0, decoderStartTokenId: 2)
        for preNorm in [false, true] {
            let model = TransformerModel(configuration: Self.micro {
                $0.preNorm = preNorm; $0.embeddingNorm = preNorm; $0.activation = .gelu; $0.decoderStartTokenId = 2
            }, seed: 4)
            let names = ["model.shared.weight", "model.encoder.layers.0.self_attn.q_proj.weight",
                         "model.decoder.layers.0.encoder_attn.v_proj.bias", "model.decoder.layers.0.final_layer_norm.weight",
                         "model.encoder.layers.0.fc1.bias"] + (preNorm ? ["model.decoder.layer_norm.bias", "model.encoder.layernorm_embedding.weight"] : [])
            let checked = names.compactMap { model.parameter(named: $0) }
            XCTAssertEqual(checked.count, names.count)
            checkGradients(of: checked) { model.loss(for: batch) }
        }
    }

    /// Pairs padded to one length: the padded pair's loss and logits do not depend on what
    /// fills its padding.
    func testPaddingIsMaskedOut() {
        let model = TransformerModel(configuration: Self.micro(), seed: 5)
        let padded = Self.batch
        var sources = padded.sourceIds
        sources[2 * 5 - 1] = 9  // the short source's padding, changed
        let other = TrainingBatch(sourceIds: sources, sourceLengths: padded.sourceLengths,
                                  decoderInputIds: padded.decoderInputIds, targetIds: padded.targetIds)
        XCTAssertEqual(model.loss(for: padded).scalar, model.loss(for: other).scalar)
    }
}
