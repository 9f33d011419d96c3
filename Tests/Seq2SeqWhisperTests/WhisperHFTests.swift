// Hugging Face Whisper folders (`WhisperForConditionalGeneration`) against transformers 5.24 and
// against CTranslate2's conversion of the same weights: Tests/Fixtures/whisper-hf (80 mel bins,
// the real multilingual tokenizer), whisper-hf-128 (128 mel bins) and whisper-hf-ct2, made by
// scripts/make_whisper_hf_fixture.py.
import Foundation
import Seq2Seq
import XCTest

/// One tiny HF Whisper fixture: the loaded folder, its reference and its input features.
struct WhisperHFFixture {
    let directory: URL
    let reference: [String: Any]
    let model: Seq2SeqModel

    init(_ name: String) throws {
        directory = fixturesDirectory.appendingPathComponent(name)
        let data = try Data(contentsOf: directory.appendingPathComponent("reference.json"))
        reference = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        model = try Seq2SeqModel(directory: directory)
    }

    /// transformers' features of the clip, [mels, 3000]: the stored frames, then the last one repeated.
    func features() throws -> Tensor {
        let info = try XCTUnwrap(reference["features"] as? [String: Any])
        let stored = try NPYFile.readFloat32Matrix(path: directory.appendingPathComponent(try XCTUnwrap(info["file"] as? String)).path)
        let (mels, kept) = (stored.shape[0], stored.shape[1]), frames = try XCTUnwrap(info["frames"] as? Int)
        let full = Tensor(zeros: [mels, frames])
        for m in 0..<mels {
            for t in 0..<frames { full.data[m * frames + t] = stored.data[m * kept + min(t, kept - 1)] }
        }
        return full
    }

    var generation: [[String: Any]] { reference["generation"] as? [[String: Any]] ?? [] }
}

final class WhisperHFTests: XCTestCase {
    /// Teacher-forced logits [T, V] of `decoderInputs` over `features`.
    private func logits(_ model: Seq2SeqModel, features: Tensor, decoderInputs: [Int]) throws -> Tensor {
        let decoder = model.network.makeDecoder(for: try model.network.encode(features: [features]))
        try decoder.begin(rowsPerSource: 1)
        return try decoder.forward(tokens: [decoderInputs], allPositions: true)
    }

    func testLogitsMatchTransformers() throws {
        for name in ["whisper-hf", "whisper-hf-128"] {
            let fixture = try WhisperHFFixture(name)
            let forced = try XCTUnwrap(fixture.reference["teacher_forced"] as? [String: Any])
            let inputs = ints(forced["decoder_input_ids"]), columns = ints(forced["columns"])
            let ours = try logits(fixture.model, features: try fixture.features(), decoderInputs: inputs)
            let v = fixture.model.network.spec.vocabularySize
            XCTAssertEqual(ours.shape, [inputs.count, v])
            var worst: Float = 0
            for (t, expected) in intRowsOfFloats(forced["logits"]).enumerated() {
                let row = ours.data + t * v
                for (c, e) in zip(columns, expected) { worst = max(worst, abs(row[c] - e)) }
                for (id, e) in zip(ints((forced["top_ids"] as? [Any])?[t]), floats((forced["top_logits"] as? [Any])?[t])) {
                    worst = max(worst, abs(row[id] - e))
                }
                XCTAssertEqual((0..<v).max { row[$0] < row[$1] }, ints((forced["top_ids"] as? [Any])?[t]).first, "\(name) argmax at \(t)")
                var m = -Float.infinity
                for i in 0..<v { m = max(m, row[i]) }
                var sum = 0.0
                for i in 0..<v { sum += exp(Double(row[i] - m)) }
                worst = max(worst, abs(Float(Double(m) + log(sum)) - floats(forced["logsumexp"])[t]))
            }
            print("\(name): largest logit difference from transformers \(worst) (\(inputs.count) positions)")
            XCTAssertLessThan(worst, 1e-4, name)
        }
    }

    func testGenerationMatchesTransformers() throws {
        for name in ["whisper-hf", "whisper-hf-128"] {
            let fixture = try WhisperHFFixture(name)
            let encoded = try fixture.model.network.encode(features: [try fixture.features()])
            let defaults = fixture.model.generationDefaults
            XCTAssertFalse(defaults.suppressTokens.isEmpty, "generation_config.json's suppress_tokens")
            XCTAssertEqual(defaults.maxLength, 448)
            for run in fixture.generation {
                let sequence = ints(run["sequence"]), expected = ints(run["ids"])
                // The forced prompt: <|startoftranscript|> [language, task] <|notimestamps|>.
                let prompt = Array(sequence.prefix(sequence.count - expected.count - (sequence.last == defaults.eosTokenIds.first ? 1 : 0)))
                XCTAssertEqual(prompt.first, defaults.decoderStartTokenId)
                var options = defaults
                options.numBeams = try XCTUnwrap(run["num_beams"] as? Int)
                options.maxNewTokens = try XCTUnwrap(run["max_new_tokens"] as? Int)
                let hypothesis = try XCTUnwrap(Generator(config: options)
                    .generate(session: fixture.model.network.makeDecoder(for: encoded), prefix: Array(prompt.dropFirst())).first?.first)
                XCTAssertEqual(hypothesis.ids, Array(sequence.dropFirst(prompt.count)), "\(name) \(run["name"] ?? "")")
                if let score = run["sequences_score"] as? Double {
                    XCTAssertEqual(Double(try XCTUnwrap(hypothesis.score)), score, accuracy: 1e-4, "\(name) \(run["name"] ?? "")")
                }
            }
        }
    }

    /// CTranslate2's converter and our transformers name map give the same network and the same
    /// settings: identical logits, generation defaults and transcripts.
    func testCTranslate2ConversionIsTheSameModel() throws {
        let hf = try WhisperHFFixture("whisper-hf")
        let ct2 = try Seq2SeqModel(directory: fixturesDirectory.appendingPathComponent("whisper-hf-ct2"))
        XCTAssertEqual(hf.model.network.spec, ct2.network.spec)
        XCTAssertEqual(hf.model.network.melBins, 80)
        XCTAssertEqual(ct2.network.melBins, 80)
        let inputs = ints((hf.reference["teacher_forced"] as? [String: Any])?["decoder_input_ids"])
        let features = try hf.features()
        let a = try logits(hf.model, features: features, decoderInputs: inputs), b = try logits(ct2, features: features, decoderInputs: inputs)
        XCTAssertEqual(a.shape, b.shape)
        let different = zip(a.values, b.values).filter { $0 != $1 }.count
        XCTAssertEqual(different, 0, "the two loaders of the same weights must compute the same logits")
        XCTAssertEqual(hf.model.generationDefaults.suppressTokens, ct2.generationDefaults.suppressTokens)
        XCTAssertEqual(hf.model.generationDefaults.beginSuppressTokens, ct2.generationDefaults.beginSuppressTokens)

        let samples = try AudioDecoder.load(path: fixturesDirectory.appendingPathComponent("audio/pcm16_mono_16k.wav").path)
        var options = TranscriptionOptions()
        options.beamSize = 1
        options.temperatures = [0]
        options.wordTimestamps = true
        let ours = try Transcriber(model: hf.model).transcribe(samples: samples, options: options)
        let theirs = try Transcriber(model: ct2).transcribe(samples: samples, options: options)
        XCTAssertFalse(ours.segments.isEmpty)
        XCTAssertEqual(ours.language, theirs.language)
        XCTAssertEqual(ours.languageProbability, theirs.languageProbability)
        XCTAssertEqual(ours.segments, theirs.segments)
    }

    /// CTranslate2's int8 conversion (`quantization="int8"`, as faster-whisper's int8 models are
    /// stored) loads as int8 as stored: each row's values and scale are those of the file. Its
    /// logits stay close to those of the float weights quantized at load here (measured 0.8% of
    /// their range: CTranslate2 quantizes the float16 weights by its own rounding) and to the
    /// same file run at float32 (the activations' quantization only).
    func testCTranslate2Int8ConversionLoadsAsStored() throws {
        let folder = fixturesDirectory.appendingPathComponent("whisper-hf-ct2-int8")
        let file = try CTranslate2File(path: folder.appendingPathComponent("model.bin").path)
        let stored = file.names.filter(file.storesInt8Rows)
        XCTAssertGreaterThanOrEqual(stored.count, 20, "the linear layers are int8")
        for name in stored {
            let shape = try XCTUnwrap(file.shape(of: name))
            var values = [Int8](repeating: 0, count: shape[0] * shape[1]), scales = [Float](repeating: 0, count: shape[0])
            try file.int8Rows(name, rows: 0..<shape[0], values: &values, scales: &scales)
            let floats = try file.floatTensor(name)
            for i in 0..<values.count where abs(floats.data[i] - Float(values[i]) * scales[i / shape[1]]) > 1e-6 * abs(floats.data[i]) {
                XCTFail("\(name)[\(i)]: \(floats.data[i]) against \(values[i]) · \(scales[i / shape[1]])")
                break
            }
            XCTAssertTrue(values.contains(127) || values.contains(-127), "\(name): rows reach ±127")
        }
        let hf = try WhisperHFFixture("whisper-hf")
        let quantizedAtLoad = try Seq2SeqModel(directory: hf.directory, computeType: .int8)
        let asStored = try Seq2SeqModel(directory: folder, computeType: .int8)
        let inputs = ints((hf.reference["teacher_forced"] as? [String: Any])?["decoder_input_ids"])
        let features = try hf.features()
        let a = try logits(quantizedAtLoad, features: features, decoderInputs: inputs)
        let b = try logits(asStored, features: features, decoderInputs: inputs)
        let range = a.values.map(abs).max() ?? 1, diff = zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(diff / range, 0.03, "int8 as stored against int8 quantized at load")
        let dequantized = try logits(try Seq2SeqModel(directory: folder), features: features, decoderInputs: inputs)
        let activationsOnly = zip(b.values, dequantized.values).map { abs($0 - $1) }.max() ?? 0
        print("CTranslate2 int8 as stored: \(diff / range) of the range from int8 quantized at load, \(activationsOnly / range) from float32")
        XCTAssertGreaterThan(activationsOnly, 0)
        XCTAssertLessThan(activationsOnly / range, 0.03, "the int8 file at int8 against the same file at float32")
    }

    func testSettingsComeFromTheFolder() throws {
        let hf = fixturesDirectory.appendingPathComponent("whisper-hf"), ct2 = fixturesDirectory.appendingPathComponent("whisper-hf-ct2")
        let a = try WhisperSettings(directory: hf, config: try JSONConfig(contentsOf: hf.appendingPathComponent("config.json")))
        let b = try WhisperSettings(directory: ct2, config: try JSONConfig(contentsOf: ct2.appendingPathComponent("config.json")))
        XCTAssertEqual(a.alignmentHeads, [[1, 0], [2, 0], [2, 1]])
        XCTAssertEqual(a.beginSuppressTokens, [220, 50257])
        XCTAssertEqual(a.suppressTokens?.count, 86)
        XCTAssertEqual(a.alignmentHeads, b.alignmentHeads)
        XCTAssertEqual(a.suppressTokens, b.suppressTokens)
        XCTAssertEqual(a.beginSuppressTokens, b.beginSuppressTokens)
    }

    /// A CTranslate2 folder has no generation_config.json: the Whisper family completes its
    /// generation defaults (start, end, length, suppressed ids) to what the Hugging Face folder
    /// of the same model names.
    func testCTranslate2FolderGetsTheGenerationDefaultsOfTheHuggingFaceOne() throws {
        let hf = try Seq2SeqModel(directory: fixturesDirectory.appendingPathComponent("whisper-hf"))
        let ct2 = try Seq2SeqModel(directory: fixturesDirectory.appendingPathComponent("whisper-hf-ct2"))
        let (a, b) = (hf.generationDefaults, ct2.generationDefaults)
        XCTAssertEqual(b.decoderStartTokenId, hf.tokenizer?.target.id(for: "<|startoftranscript|>"))
        XCTAssertEqual(b.decoderStartTokenId, a.decoderStartTokenId)
        XCTAssertEqual(b.eosTokenIds, a.eosTokenIds)
        XCTAssertEqual(b.maxLength, 448)
        XCTAssertEqual(b.suppressTokens, a.suppressTokens)
        XCTAssertEqual(b.beginSuppressTokens, a.beginSuppressTokens)
    }

    func testMelBinsFromTheCheckpointAndPreprocessorConfig() throws {
        let folder = fixturesDirectory.appendingPathComponent("whisper-hf-128")
        let model = try Seq2SeqModel(directory: folder)
        XCTAssertEqual(model.network.melBins, 128)
        let extractor = try WhisperFeatureExtractor(preprocessorConfig: folder.appendingPathComponent("preprocessor_config.json"), melCount: 128)
        XCTAssertEqual(extractor.melCount, 128)
        XCTAssertThrowsError(try WhisperFeatureExtractor(preprocessorConfig: folder.appendingPathComponent("preprocessor_config.json"), melCount: 80)) {
            XCTAssertTrue("\($0)".contains("preprocessor_config.json"), "\($0)")
            XCTAssertTrue("\($0)".contains("feature_size"), "\($0)")
        }
        XCTAssertThrowsError(try model.network.encode(features: [Tensor(zeros: [80, 3000])]))
    }
}

extension WhisperHFTests {
    /// A missing, unused or mis-shaped weight, or a config that disagrees with the weights: one
    /// line naming the file and the weight.
    func testStrictLoadingNamesTheFileAndTheWeight() throws {
        let source = fixturesDirectory.appendingPathComponent("whisper-hf")
        let checkpoint = try SafetensorsCheckpoint(directory: source)
        let items = try checkpoint.names.map {
            SafetensorsWriter.Item(name: $0, shape: try XCTUnwrap(checkpoint.shape(of: $0)), values: try checkpoint.floatTensor($0).values)
        }
        typealias Item = SafetensorsWriter.Item
        let vProj = "model.decoder.layers.2.encoder_attn.v_proj.weight"
        let cases: [(name: String, items: [Item], config: [String: Any], mentions: [String])] = [
            ("missing", items.filter { $0.name != "model.encoder.layers.1.fc2.bias" }, [:],
             ["model.safetensors", "model.encoder.layers.1.fc2.bias"]),
            ("unused", items + [Item(name: "model.decoder.layers.0.self_attn.k_proj.bias", shape: [8], values: Array(repeating: 0, count: 8))], [:],
             ["model.safetensors", "model.decoder.layers.0.self_attn.k_proj.bias"]),
            ("misshaped", items.map { $0.name == vProj ? Item(name: vProj, shape: [4, 16], values: $0.values) : $0 }, [:],
             ["model.safetensors", vProj, "[4, 16]"]),
            ("mel-bins", items, ["num_mel_bins": 128], ["model.safetensors", "model.encoder.conv1.weight"]),
            ("untied", items, ["tie_word_embeddings": false], ["model.safetensors", "proj_out.weight"]),
            ("heads", items, ["encoder_attention_heads": 3, "decoder_attention_heads": 3], ["config.json", "d_model"]),
            ("activation", items, ["activation_function": "mish"], ["config.json", "activation_function"]),
        ]
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("whisper-hf-strict-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
        for c in cases {
            let folder = scratch.appendingPathComponent(c.name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for file in ["generation_config.json", "preprocessor_config.json", "tokenizer.json"] {
                try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(file), withDestinationURL: source.appendingPathComponent(file))
            }
            let original = config
            for (key, value) in c.config { config[key] = value }
            try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
            config = original
            try SafetensorsWriter.write(c.items, to: folder.appendingPathComponent("model.safetensors"))
            XCTAssertThrowsError(try Seq2SeqModel(directory: folder), c.name) { error in
                XCTAssertTrue(error is ModelFileError, "\(c.name): \(error)")
                let message = "\(error)"
                XCTAssertFalse(message.contains("\n"), message)
                XCTAssertTrue(message.contains(folder.lastPathComponent + "/"), message)
                for fragment in c.mentions { XCTAssertTrue(message.contains(fragment), "\(c.name): '\(fragment)' not in \(message)") }
            }
        }
        // The untouched weights written the same way load: the cases above fail for their own reason.
        let folder = scratch.appendingPathComponent("intact")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        try SafetensorsWriter.write(items, to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(try Seq2SeqModel(directory: folder).network.spec, try Seq2SeqModel(directory: source).network.spec)
    }
}

/// Rows of floats from a JSON array of arrays.
private func intRowsOfFloats(_ value: Any?) -> [[Float]] { (value as? [Any] ?? []).map(floats) }
