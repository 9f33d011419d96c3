// Checkpoints of a training run: `checkpoints/step-000500/` holds the model as a Hugging Face
// folder (config.json, model.safetensors, generation_config.json, tokenizer files), the
// optimiser moments (`optimizer.safetensors`) and where training stands (`trainer_state.json`:
// step, batch position, random generators, best score). A checkpoint is written into a hidden
// `.step-000500.partial` folder and renamed into place when complete, so a run killed at any
// moment leaves whole checkpoints and, at worst, a partial folder that the next start removes.
import Foundation
import Seq2SeqIO
import Seq2SeqTensor
import Seq2Seq

/// Where training stands at a checkpoint.
struct TrainerState: Codable, Equatable {
    /// Optimiser steps taken.
    var step: Int
    /// The batch sequence's position (epoch, batch, shuffling generator).
    var batcher: BatcherState
    /// The dropout generator.
    var dropoutRandom: TrainingRandom
    /// Target tokens trained on so far.
    var targetTokens: Int
    /// Seconds of training so far (all sessions).
    var elapsedSeconds: Double
    /// Best validation score so far (BLEU, or minus the loss) and its step.
    var bestScore: Double?
    var bestStep: Int?
    /// The best validation's exact match and loss: ties of the score go to the higher exact
    /// match, then the lower loss (outputs of one BLEU token, such as "18.10.1960", all score
    /// BLEU 0).
    var bestExactMatch: Double?
    var bestLoss: Double?
    /// Validations since the best one (early stopping).
    var validationsWithoutImprovement: Int
}

/// The checkpoints of one run folder.
struct CheckpointStore {
    let run: URL
    var folder: URL { run.appendingPathComponent("checkpoints") }
    static let stateFile = "trainer_state.json", optimizerFile = "optimizer.safetensors"

    /// The folder of the checkpoint at `step`.
    func checkpoint(step: Int) -> URL {
        folder.appendingPathComponent(String(format: "step-%06d", step))
    }

    /// Complete checkpoints, oldest first.
    func all() -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)) else { return nil }
            return (step, folder.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }

    /// Removes partial checkpoints left by a run that was killed while writing one.
    func removePartial() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasSuffix(".partial") {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    /// Writes the checkpoint of `state.step`: model, tokenizer files from `tokenizerFolder`,
    /// optimiser moments and state, complete or not at all.
    func save(model: TransformerModel, optimizer: AdamW, state: TrainerState, tokenizerFolder: URL) throws -> URL {
        let final = checkpoint(step: state.step)
        let partial = folder.appendingPathComponent("." + final.lastPathComponent + ".partial")
        let files = FileManager.default
        try? files.removeItem(at: partial)
        try files.createDirectory(at: partial, withIntermediateDirectories: true)
        try model.export(to: partial)
        try ModelFolder.copyTokenizerFiles(from: tokenizerFolder, to: partial)
        var moments: [SafetensorsWriter.Item] = []
        for (index, (name, variable)) in model.namedParameters.enumerated() {
            let shape = variable.value.shape
            moments.append(.init(name: "m." + name, shape: shape, values: Array(optimizer.firstMoments[index].buffer)))
            moments.append(.init(name: "v." + name, shape: shape, values: Array(optimizer.secondMoments[index].buffer)))
        }
        try SafetensorsWriter.write(moments, metadata: ["format": "pt", "adamw_steps": String(optimizer.stepCount)],
                                    to: partial.appendingPathComponent(Self.optimizerFile))
        try ModelFolder.writeJSON(state, to: partial.appendingPathComponent(Self.stateFile))
        try? files.removeItem(at: final)  // a checkpoint of the same step from an earlier session
        guard rename(partial.path, final.path) == 0 else {
            throw TrainingRunError("\(final.path): cannot finish the checkpoint (\(String(cString: strerror(errno))))")
        }
        return final
    }

    /// Reads checkpoint `url` into `model` and `optimizer` (built for the same configuration);
    /// returns where training stood.
    func restore(_ url: URL, into model: TransformerModel, optimizer: AdamW) throws -> TrainerState {
        let saved: TransformerModel
        do {
            saved = try TransformerModel.load(from: url)
        } catch {
            throw TrainingRunError("\(url.path): \(error)")
        }
        guard saved.namedParameters.map(\.name) == model.namedParameters.map(\.name) else {
            throw TrainingRunError("\(url.path): the checkpoint's weights do not match the run's model settings")
        }
        for (target, source) in zip(model.namedParameters, saved.namedParameters) {
            guard target.variable.value.shape == source.variable.value.shape else {
                throw TrainingRunError("\(url.path): \(source.name) has shape \(source.variable.value.shape), the run's model \(target.variable.value.shape)")
            }
            target.variable.value.data.update(from: source.variable.value.data, count: source.variable.value.count)
        }
        model.finalLogitsBias.value.data.update(from: saved.finalLogitsBias.value.data, count: saved.finalLogitsBias.value.count)
        let moments: SafetensorsFile
        do {
            moments = try SafetensorsFile(path: url.appendingPathComponent(Self.optimizerFile).path)
        } catch {
            throw TrainingRunError("\(error)")
        }
        guard let steps = moments.metadata["adamw_steps"].flatMap(Int.init) else {
            throw TrainingRunError("\(moments.path): no adamw_steps in the metadata")
        }
        var first: [Tensor] = [], second: [Tensor] = []
        for (name, variable) in model.namedParameters {
            do {
                let m = try moments.floatTensor("m." + name), v = try moments.floatTensor("v." + name)
                guard m.shape == variable.value.shape && v.shape == variable.value.shape else {
                    throw TrainingRunError("\(moments.path): the moments of \(name) have the wrong shape")
                }
                first.append(m)
                second.append(v)
            } catch let error as TrainingRunError {
                throw error
            } catch {
                throw TrainingRunError("\(error)")
            }
        }
        optimizer.restore(stepCount: steps, firstMoments: first, secondMoments: second)
        let stateURL = url.appendingPathComponent(Self.stateFile)
        do {
            return try JSONDecoder().decode(TrainerState.self, from: Data(contentsOf: stateURL))
        } catch {
            throw TrainingRunError("\(stateURL.path): unreadable trainer state (\(error.localizedDescription))")
        }
    }

    /// Deletes all but the newest `keep` checkpoints, sparing `best`.
    func prune(keep: Int, sparing best: Int?) {
        let checkpoints = all()
        for (step, url) in checkpoints.dropLast(keep) where step != best {
            try? FileManager.default.removeItem(at: url)
        }
    }
}

/// Files of a model folder the trainer writes.
enum ModelFolder {
    /// The tokenizer, in every model folder (transformers and `Seq2SeqModel` read it there):
    /// `tokenizer.json` and its config, or a Marian model's SentencePiece files (fine-tuning).
    static let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                 "source.spm", "target.spm", "vocab.json", "target_vocab.json"]
    /// The generation settings of the model a fine-tuning run started from, kept in the run
    /// folder and written as every checkpoint's `generation_config.json`.
    static let pretrainedGenerationConfig = "generation_config.pretrained.json"

    /// Copies the tokenizer files `source` has (and the pretrained generation settings, as
    /// `generation_config.json`) into `destination`.
    static func copyTokenizerFiles(from source: URL, to destination: URL) throws {
        let files = FileManager.default
        for name in tokenizerFiles where files.fileExists(atPath: source.appendingPathComponent(name).path) {
            try writeAtomically(try Data(contentsOf: source.appendingPathComponent(name)), to: destination.appendingPathComponent(name))
        }
        let generation = source.appendingPathComponent(pretrainedGenerationConfig)
        if files.fileExists(atPath: generation.path) {
            try writeAtomically(try Data(contentsOf: generation), to: destination.appendingPathComponent("generation_config.json"))
        }
    }

    /// A fine-tuning run's start: the pretrained folder's tokenizer files and generation settings.
    static func copyPretrainedFiles(from pretrained: URL, to run: URL) throws {
        for name in tokenizerFiles { try? FileManager.default.removeItem(at: run.appendingPathComponent(name)) }  // an earlier attempt's
        try copyTokenizerFiles(from: pretrained, to: run)
        try? FileManager.default.removeItem(at: run.appendingPathComponent("generation_config.json"))
        let generation = pretrained.appendingPathComponent("generation_config.json")
        if FileManager.default.fileExists(atPath: generation.path) {
            try writeAtomically(try Data(contentsOf: generation), to: run.appendingPathComponent(pretrainedGenerationConfig))
        }
    }
    /// The model's own files (what `TransformerModel.export` writes).
    static let modelFiles = ["config.json", "generation_config.json", "model.safetensors"]

    /// Encodes `value` as pretty JSON into `url` through a temporary file and a rename.
    static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try encoder.encode(value), to: url)
    }

    /// Writes `data` to `url` through a temporary file and a rename (readers see the old file
    /// or the new one, never a part).
    static func writeAtomically(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".partial")
        try data.write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else {
            throw TrainingRunError("\(url.path): cannot write (\(String(cString: strerror(errno))))")
        }
    }

    /// Copies the model and tokenizer files of `source` into `destination`, file by file
    /// through temporary files and renames.
    static func copyModel(from source: URL, to destination: URL) throws {
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        for name in modelFiles {
            try writeAtomically(try Data(contentsOf: source.appendingPathComponent(name)), to: destination.appendingPathComponent(name))
        }
        try copyTokenizerFiles(from: source, to: destination)
    }
}
