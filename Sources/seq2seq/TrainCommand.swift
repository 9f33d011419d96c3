// `seq2seq train`: trains an encoder-decoder from scratch on a parallel corpus, or resumes a
// run; the library's `Trainer` does the work.
import ArgumentParser
import Foundation
import Seq2Seq
import Seq2SeqTraining

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a Transformer translation model from a parallel corpus (TSV or JSON Lines).",
        discussion: """
        The run folder ends up as a model folder every other command (and Hugging Face \
        transformers) loads: the best model by validation, its tokenizer, checkpoints/, \
        metrics.jsonl and loss.svg. --resume continues the run in --out from its last checkpoint.
        """)

    @Option(name: .long, help: "Training pairs: source<TAB>target per line, or JSON Lines with source/target.") var train: String?
    @Option(name: .long, help: "Validation pairs (loss and greedy BLEU at checkpoints).") var valid: String?
    @Option(name: .long, help: "Run folder.") var out: String
    @Flag(name: .long, help: "Continue the run in --out from its last checkpoint, with its options.") var resume = false
    @Option(name: .long, help: ArgumentHelp("Fine-tune this model folder (MarianMT, BART, mBART, T5, or one written by seq2seq train): its weights, architecture, tokenizer and generation settings.", valueName: "folder")) var initFrom: String?
    @Option(name: .long, help: ArgumentHelp("Fine-tuning a multilingual model (mBART): the sources' language code; without it, the tokenizer's src_lang.", valueName: "code")) var sourceLang: String?
    @Option(name: .long, help: ArgumentHelp("Fine-tuning a multilingual model (mBART): the targets' language code, which the model then writes; without it, the tokenizer's tgt_lang.", valueName: "code")) var targetLang: String?
    @Option(name: .long, help: ArgumentHelp("Model size (base: the paper's); without it (and without size flags), auto: chosen from the corpus and the learned vocabulary, and printed.", valueName: "name")) var preset: PresetChoice?
    @Option(name: .long, help: "Optimiser steps in all.") var maxSteps: Int?
    @Option(name: .long, help: "Stop after this many passes over the training pairs, if that comes before --max-steps.") var maxEpochs: Int?
    @Option(name: .long, help: "Seed of initialisation, dropout and batch order.") var seed: UInt64 = 1
    @Option(name: .long, help: "Steps between checkpoints.") var saveEvery = 1000
    @Option(name: .long, help: ArgumentHelp("Steps between validations; 0 validates at every checkpoint.", valueName: "steps")) var validateEvery = 0
    @Option(name: .long, help: "Steps between progress lines.") var logEvery = 50
    @Option(name: .long, help: "Tokens per batch, padding included; without it, 4096, or fewer when the corpus would make fewer than 32 batches an epoch.") var batchTokens: Int?
    @Option(name: .long, help: "Batches per optimiser step (gradient accumulation).") var accumulate = 1
    @Option(name: .long, help: "Subword vocabulary size (BPE learned from the training text); without it, sized from the corpus: merges while a new piece occurs at least 100 times (15 in natural language).") var vocabSize: Int?
    @Option(name: .long, help: ArgumentHelp("Tokenizer learned from the training text; char: one token per character.", valueName: "kind")) var tokenizer: TokenizerChoice = .bpe
    @Option(name: .long, help: "Peak learning rate; without it, 1e-3 for models up to 256 wide, 5e-4 above.") var lr: Float?
    @Option(name: .long, help: "Warmup steps; without it (or --warmup-ratio), a tenth of the run, at most 4000.") var warmup: Int?
    @Option(name: .long, help: ArgumentHelp("Warmup as a share of the run's steps (0.1: a tenth).", valueName: "ratio")) var warmupRatio: Double?
    @Option(name: .long, help: "Learning-rate schedule.") var schedule: ScheduleChoice = .inverseSqrt
    @Option(name: .long, help: "Label smoothing.") var labelSmoothing: Float = 0.1
    @Option(name: .long, help: "Dropout on residual connections; without it, 0.3 on corpora under a million target tokens (0.1 for the tiny width), else 0.1.") var dropout: Float?
    @Option(name: .long, help: "Dropout on attention weights.") var attentionDropout: Float?
    @Option(name: .long, help: "Dropout after the feed-forward activation.") var activationDropout: Float?
    @Option(name: .long, help: "Weight decay (AdamW).") var weightDecay: Float = 0
    @Option(name: .long, help: "Clip gradients to this global norm (0: off).") var clipNorm: Float = 1
    @Option(name: .long, help: "Model width D.") var dModel: Int?
    @Option(name: .long, help: "Attention heads H.") var heads: Int?
    @Option(name: .long, help: "Feed-forward width.") var ffn: Int?
    @Option(name: .long, help: "Encoder layers.") var encoderLayers: Int?
    @Option(name: .long, help: "Decoder layers.") var decoderLayers: Int?
    @Option(name: .long, help: "Feed-forward activation.") var activation: Activation?
    @Flag(name: .long, help: "Pre-norm layers (exported as mBART); without it or --post-norm, pre-norm for the tiny model --preset auto chooses.")
    var preNorm = false
    @Flag(name: .long, help: "Post-norm layers as in the paper (exported as MarianMT); the default except for the tiny model --preset auto chooses.")
    var postNorm = false
    @Flag(name: .long, inversion: .prefixedNo, help: "One embedding table for source and target.")
    var sharedEmbeddings = true
    @Option(name: .long, help: "Pairs with a side longer than this many tokens are left out.") var maxLength = 256
    @Option(name: .long, help: "Validation lines decoded for BLEU (0: loss only).") var validBleuLines = 500
    @Option(name: .long, help: "Stop after this many validations without improvement.") var patience: Int?
    @Option(name: .long, help: "Checkpoints kept besides the best.") var keep = 5
    @Option(name: .long, help: "At the end, write averaged/: the mean of the last K checkpoints.") var averageLast = 0
    @Option(name: .long, help: "Threads to use (default: all cores).") var threads: Int?
    @Flag(name: .long, help: "No progress lines.") var quiet = false

    func validate() throws {
        if !resume && train == nil { throw ValidationError("--train is required (or --resume)") }
        if resume && maxEpochs != nil { throw ValidationError("--max-epochs applies to a new run; --resume takes --max-steps") }
        if let maxEpochs, maxEpochs < 1 { throw ValidationError("--max-epochs must be at least 1") }
        try validateThreads(threads)
        if preset == .auto && hasSizeFlags {
            throw ValidationError("--preset auto chooses the sizes; name a preset (tiny, small, base) to change them with --d-model, --heads, --ffn or the layer counts")
        }
        if preNorm && postNorm { throw ValidationError("give --pre-norm or --post-norm, not both") }
        if initFrom != nil && (preset != nil || hasSizeFlags || vocabSize != nil || tokenizer != .bpe || preNorm || postNorm || activation != nil) {
            throw ValidationError("--init-from keeps the model's architecture and tokenizer: no --preset, sizes, --vocab-size, --tokenizer, --pre-norm, --post-norm or --activation")
        }
        if initFrom != nil && resume { throw ValidationError("--init-from starts a run; --resume continues one") }
        if initFrom == nil && (sourceLang != nil || targetLang != nil) {
            throw ValidationError("--source-lang and --target-lang name the languages of a multilingual model fine-tuned with --init-from")
        }
        if tokenizer == .char && vocabSize != nil { throw ValidationError("--tokenizer char takes no --vocab-size: one token per character") }
        if warmup != nil && warmupRatio != nil { throw ValidationError("give --warmup or --warmup-ratio, not both") }
        if let warmupRatio, !(warmupRatio >= 0 && warmupRatio < 1) { throw ValidationError("--warmup-ratio must be at least 0 and below 1") }
    }

    /// Whether any flag sets a model size (then the preset is not chosen automatically).
    private var hasSizeFlags: Bool {
        dModel != nil || heads != nil || ffn != nil || encoderLayers != nil || decoderLayers != nil
    }

    func run() throws {
        if let threads { ThreadPool.configure(threads: threads) }
        TrainingMemory.keepFreedMemory()
        let folder = URL(fileURLWithPath: out)
        let log: (String) -> Void = { line in
            if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        do {
            let trainer = resume ? try Trainer.resume(in: folder, maxSteps: maxSteps, log: log)
                                 : try Trainer.start(try runOptions(), in: folder, log: log)
            let summary = try trainer.train()
            var line = "trained \(summary.steps) steps (\(summary.reason)) in \(Self.duration(summary.seconds)), "
                + String(format: "%.0f target tokens/s", summary.targetTokensPerSecond)
            if let bleu = summary.bestBLEU, let step = summary.bestStep { line += String(format: "; best validation BLEU %.2f at step %d", bleu, step) }
            print(line + "; model in \(out)")
            if let trend = summary.validationTrend { print(trend.replacingOccurrences(of: "--out RUN", with: "--out \(out)")) }
        } catch let error as TrainingDataError {
            throw Failure.badInput(error.description)
        } catch let error as TrainingRunError {
            throw Failure.badInput(error.description)
        }
    }

    /// The run's options from the flags.
    private func runOptions() throws -> TrainingRunOptions {
        let automaticModel = (preset == nil || preset == .auto) && !hasSizeFlags && initFrom == nil
        var model = TransformerConfiguration(preset: preset?.preset ?? .small,
                                             vocabularySize: vocabSize ?? 8000)
        if let dModel { model.modelWidth = dModel }
        if let heads { model.heads = heads }
        if let ffn { model.feedForwardWidth = ffn }
        if let encoderLayers { model.encoderLayers = encoderLayers }
        if let decoderLayers { model.decoderLayers = decoderLayers }
        if let dropout { model.dropout = dropout }
        if let attentionDropout { model.attentionDropout = attentionDropout }
        if let activationDropout { model.activationDropout = activationDropout }
        if let activation { model.activation = activation }
        model.preNorm = preNorm
        model.embeddingNorm = preNorm  // a pre-norm model exports as mBART, which normalises its embeddings
        model.sharedEmbeddings = sharedEmbeddings
        model.tiedOutput = true
        model.labelSmoothing = labelSmoothing
        model.maxPositions = max(model.maxPositions, maxLength + 2)
        var options = TrainingRunOptions(trainPath: train ?? "", validPath: valid, model: model)
        options.vocabularySize = vocabSize
        options.tokenizer = initFrom == nil ? tokenizer.rawValue : nil
        options.initFrom = initFrom.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        if initFrom != nil {
            var rates: [String: Float] = [:]
            rates["dropout"] = dropout
            rates["attention"] = attentionDropout
            rates["activation"] = activationDropout
            options.pretrainedDropout = rates
            (options.sourceLanguage, options.targetLanguage) = (sourceLang, targetLang)
        }
        options.automaticModel = automaticModel
        options.automaticNorm = automaticModel && !preNorm && !postNorm
        options.automaticDropout = dropout == nil
        options.automaticLearningRate = lr == nil
        options.maxSteps = maxSteps ?? 20_000
        options.maxEpochs = maxEpochs
        options.seed = seed
        options.batchTokens = batchTokens ?? TrainingDefaults.batchTokens
        options.automaticBatch = batchTokens == nil
        options.accumulation = accumulate
        options.maxLength = maxLength
        options.learningRate = lr ?? 5e-4
        options.warmupSteps = warmup
        options.warmupRatio = warmupRatio
        options.schedule = schedule.rawValue
        options.weightDecay = weightDecay
        options.clipNorm = clipNorm
        options.logEvery = logEvery
        options.saveEvery = saveEvery
        options.validateEvery = validateEvery
        options.validationBLEULines = validBleuLines
        options.patience = patience
        options.keepCheckpoints = keep
        options.averageLast = averageLast
        do {
            try options.validate()
        } catch let error as TrainingRunError {
            throw Failure.usage(error.description)
        }
        return options
    }

    private static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : String(format: "%.1f s", seconds)
    }
}

/// `--preset`: a model size, or auto (chosen from the corpus).
enum PresetChoice: String, CaseIterable, ExpressibleByArgument {
    case auto, tiny, small, base

    /// The size, nil for auto.
    var preset: TransformerConfiguration.Preset? { TransformerConfiguration.Preset(rawValue: rawValue) }
}

/// `--tokenizer`: what is learned from the training text.
enum TokenizerChoice: String, CaseIterable, ExpressibleByArgument {
    case bpe, char
}

/// `--schedule`: the learning-rate schedule after warmup (`TrainingRunOptions.schedule` keeps its name).
enum ScheduleChoice: String, CaseIterable, ExpressibleByArgument {
    case inverseSqrt = "inverse-sqrt", cosine
}

extension Activation: ExpressibleByArgument {
    /// The values are listed by name in the option's help, without a line each.
    public static var allValueDescriptions: [String: String] { [:] }
}
