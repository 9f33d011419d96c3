// Export to Hugging Face folders: our own inference (`Seq2SeqModel`, the Marian, BART,
// mBART and T5 families of Seq2SeqModels) runs the exported folder with the training model's
// logits; `load(from:)` reads it back exactly; a folder transformers saved comes back out of
// `export(to:)` tensor for tensor.
//
// With SEQ2SEQ_EXPORT_CHECK_DIR set, the exported folders are kept there with the expected
// logits, for scripts/check_training_export.py to run them in transformers.
import Foundation
import Seq2Seq
@testable import Seq2SeqTraining
import XCTest

final class ExportTests: XCTestCase {
    /// Tiny models of every exportable switch combination.
    static let variants: [(String, (inout TransformerConfiguration) -> Void)] = [
        ("marian", { _ in }),
        ("marian-unshared-untied", { $0.sharedEmbeddings = false; $0.tiedOutput = false; $0.activation = .silu }),
        ("marian-shared-untied", { $0.tiedOutput = false; $0.activation = .gelu; $0.scaleEmbeddings = false }),
        ("marian-unshared-tied", { $0.sharedEmbeddings = false }),
        ("bart", { $0.embeddingNorm = true; $0.activation = .gelu; $0.decoderStartTokenId = 1 }),
        ("mbart", { $0.preNorm = true; $0.embeddingNorm = true; $0.activation = .gelu }),
        ("mbart-untied", { $0.preNorm = true; $0.embeddingNorm = true; $0.tiedOutput = false }),
        // T5 v1.0 (ReLU, tied head, scaled output), v1.1 (gated GELU, 2·12 inner columns for a
        // width of 64, unscaled) and a v1.1 with its own head, as transformers 4 saved Flan-T5;
        // T5 has one dropout rate for all three places.
        ("t5", { $0.t5 = .init(headWidth: 32, relativeBuckets: 8, relativeMaxDistance: 16); $0.preNorm = true; $0.scaleEmbeddings = false; $0.activationDropout = 0.1 }),
        ("t5-gated", {
            $0.t5 = .init(headWidth: 12, relativeBuckets: 8, relativeMaxDistance: 16, gatedFeedForward: true, scaleDecoderOutputs: false)
            $0.preNorm = true; $0.scaleEmbeddings = false; $0.activation = .geluTanh; $0.activationDropout = 0.1
        }),
        ("t5-untied", {
            $0.t5 = .init(headWidth: 32, relativeBuckets: 6, relativeMaxDistance: 8, gatedFeedForward: true, scaleDecoderOutputs: false)
            $0.preNorm = true; $0.scaleEmbeddings = false; $0.activation = .geluTanh; $0.tiedOutput = false; $0.activationDropout = 0.1
        }),
    ]

    static func configuration(_ change: (inout TransformerConfiguration) -> Void) -> TransformerConfiguration {
        var c = TransformerConfiguration(preset: .tiny, vocabularySize: 24)
        c.encoderLayers = 2
        c.decoderLayers = 1
        c.maxPositions = 64
        c.attentionDropout = 0.1
        change(&c)
        return c
    }

    /// A few AdamW steps of copying random sequences, so the weights leave their initial values
    /// (including the layer norms).
    static func trained(_ configuration: TransformerConfiguration, steps: Int = 4) -> TransformerModel {
        let model = TransformerModel(configuration: configuration, seed: 11)
        let optimizer = AdamW(parameters: model.parameters, learningRate: 3e-3, beta2: 0.98, epsilon: 1e-9,
                              withoutWeightDecay: model.parametersWithoutWeightDecay)
        var random = TrainingRandom(seed: 5)
        model.isTraining = true
        for _ in 0..<steps {
            let pairs = (0..<4).map { _ -> [Int32] in
                (0..<(3 + Int(random.next() % 6))).map { _ in Int32(2 + random.next() % 22) } + [1]
            }
            let batch = TrainingBatch(sources: pairs, targets: pairs, padTokenId: 0,
                                      decoderStartTokenId: Int32(configuration.decoderStartTokenId))
            model.loss(for: batch).backward()
            clipGradientNorm(model.parameters, maxNorm: 1)
            optimizer.step()
            optimizer.zeroGradients()
        }
        model.isTraining = false
        return model
    }

    /// Sources of different lengths (padded by us, unpadded for the inference side) and
    /// decoder inputs of one length.
    static let sources: [[Int32]] = [[5, 9, 13, 22, 7, 1], [17, 3, 1], [11, 4, 4, 20, 1]]
    static let decoderInputs: [[Int32]] = [[0, 8, 19, 2, 21], [0, 14, 14, 6, 1], [0, 6, 21, 23, 10]]

    func testOurInferenceRunsTheExportWithTheSameLogits() throws {
        let keep = ProcessInfo.processInfo.environment["SEQ2SEQ_EXPORT_CHECK_DIR"].map { URL(fileURLWithPath: $0) }
        for (name, change) in Self.variants {
            let model = Self.trained(Self.configuration(change))
            let directory = keep?.appendingPathComponent(name) ?? temporaryDirectory(name)
            try model.export(to: directory)
            let batch = TrainingBatch(sourceIds: Self.sources.flatMap { $0 + Array(repeating: 0, count: 6 - $0.count) },
                                      sourceLengths: Self.sources.map(\.count), decoderInputIds: Self.decoderInputs.flatMap { $0 },
                                      targetIds: Array(repeating: 1, count: 15))
            let ours = Autograd.withoutGradients { model.logits(for: batch) }.value
            let inference = try Seq2SeqModel(directory: directory)
            XCTAssertEqual(inference.network.family, try model.configuration.huggingFaceModelType(), name)
            let theirs = try inference.network.logits(sources: Self.sources.map { $0.map(Int.init) },
                                                      decoderInputs: Self.decoderInputs.map { $0.map(Int.init) })
            XCTAssertEqual(theirs.count, ours.count, name)
            let worst = zip(ours.values, theirs.values).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-4, "\(name): our inference vs the training model")
            print("\(name): max |logit difference| training model vs Seq2SeqModel inference: \(worst)")
            XCTAssertEqual(inference.generationDefaults.decoderStartTokenId, model.configuration.decoderStartTokenId)

            let reloaded = try TransformerModel.load(from: directory)
            XCTAssertEqual(reloaded.configuration, model.configuration, name)
            XCTAssertEqual(reloaded.namedParameters.map(\.name), model.namedParameters.map(\.name))
            for (a, b) in zip(reloaded.namedParameters, model.namedParameters) {
                XCTAssertEqual(a.variable.value.values, b.variable.value.values, "\(name): \(a.name)")
            }
            if let keep {
                let record: [String: Any] = ["source_ids": Self.sources.map { $0.map(Int.init) },
                                             "decoder_input_ids": Self.decoderInputs.map { $0.map(Int.init) },
                                             "logits": ours.values.map(Double.init)]
                try JSONSerialization.data(withJSONObject: record).write(to: keep.appendingPathComponent("\(name)/expected.json"))
            } else {
                try FileManager.default.removeItem(at: directory)
            }
        }
    }

    /// The config writer escapes strings: a quote, a backslash or a control character in a
    /// value still gives JSON that reads back to the same text.
    func testConfigStringsAreEscaped() throws {
        let tricky = "a \"quoted\" C:\\path\nnext\tline \u{1} é"
        let value: JSONValue = ["name": .string(tricky), "list": ["\\", 3]]
        let back = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(value.serialized())) as? [String: Any])
        XCTAssertEqual(back["name"] as? String, tricky)
        XCTAssertEqual((back["list"] as? [Any])?.first as? String, "\\")
    }

    func testUnexportableConfigurationsThrow() {
        let preNormWithoutEmbeddingNorm = Self.configuration { $0.preNorm = true }
        XCTAssertThrowsError(try preNormWithoutEmbeddingNorm.huggingFaceModelType())
        let directory = temporaryDirectory("unexportable")
        XCTAssertThrowsError(try TransformerModel(configuration: preNormWithoutEmbeddingNorm, seed: 1).export(to: directory))
        XCTAssertThrowsError(try Self.configuration { $0.embeddingNorm = true; $0.sharedEmbeddings = false }.huggingFaceModelType())
    }

    /// A folder transformers saved (the step fixtures, the T5 v1.0 and v1.1 fixtures), loaded and
    /// exported again, gives the same tensors under the same names.
    func testExportOfATransformersFolderReproducesItsTensors() throws {
        let t5 = ["t5-v1_0", "t5-v1_1"].map { (variant: $0, source: TrainingStepReferenceTests.fixture("../../\($0)")) }
        for (variant, source) in TrainingStepReferenceTests.variants.map({ ($0, TrainingStepReferenceTests.fixture($0)) }) + t5 {
            let directory = temporaryDirectory("reexport-\(variant)")
            try TransformerModel.load(from: source).export(to: directory)
            let original = try SafetensorsFile(path: source.appendingPathComponent("model.safetensors").path)
            let exported = try SafetensorsFile(path: directory.appendingPathComponent("model.safetensors").path)
            XCTAssertEqual(Set(exported.entries.keys), Set(original.entries.keys), variant)
            for name in original.entries.keys {
                let (a, b) = (try original.floatTensor(name), try exported.floatTensor(name))
                XCTAssertEqual(a.shape, b.shape, "\(variant): \(name)")
                let worst = zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, name.contains("embed_positions") ? 1e-6 : 0, "\(variant): \(name)")
            }
            try FileManager.default.removeItem(at: directory)
        }
    }

    func testLoadRejectsForeignAndInconsistentFolders() throws {
        let directory = temporaryDirectory("inconsistent")
        let model = Self.trained(Self.configuration { $0.embeddingNorm = true }, steps: 1)
        try model.export(to: directory)
        // Position tables that are not the sinusoids …
        let file = directory.appendingPathComponent("model.safetensors")
        let stored = try SafetensorsCheckpoint(directory: directory)
        var items = try stored.names.map { SafetensorsWriter.Item(name: $0, shape: stored.shape(of: $0)!, values: try stored.floatTensor($0).values) }
        let index = items.firstIndex { $0.name == "model.encoder.embed_positions.weight" }!
        var values = items[index].values
        values[3 * 64] += 0.5
        items[index] = .init(name: items[index].name, shape: items[index].shape, values: values)
        try SafetensorsWriter.write(items, to: file)
        // … are read as learned positions (a pretrained BART), trained and exported as they are.
        let learned = try TransformerModel.load(from: directory)
        XCTAssertEqual(learned.configuration.learnedPositions, true)
        let table = try XCTUnwrap(learned.namedParameters.first { $0.name == "model.encoder.embed_positions.weight" })
        XCTAssertEqual(table.variable.value.values[3 * 64], values[3 * 64])
        let again = temporaryDirectory("learned-again")
        try learned.export(to: again)
        XCTAssertEqual(try SafetensorsCheckpoint(directory: again).floatTensor("model.encoder.embed_positions.weight").values, values)
        try FileManager.default.removeItem(at: again)
        // An unexpected tensor.
        items[index] = .init(name: items[index].name, shape: items[index].shape, values: values.enumerated().map { $0.offset == 3 * 64 ? $0.element - 0.5 : $0.element })
        try SafetensorsWriter.write(items + [.init(name: "extra.weight", shape: [1], values: [0])], to: file)
        XCTAssertThrowsError(try TransformerModel.load(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("unexpected"), "\(error)")
        }
        try FileManager.default.removeItem(at: directory)
    }

    private func temporaryDirectory(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-export-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
    }
}
