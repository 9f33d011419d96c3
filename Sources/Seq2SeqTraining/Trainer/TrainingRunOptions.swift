// Everything a training run is started with, saved as `run.json` in the run folder so that
// `--resume` continues with exactly the same settings.
import Foundation
import Seq2Seq
import Seq2SeqTensor

/// The settings of one training run (the `seq2seq train` flags).
public struct TrainingRunOptions: Codable, Sendable, Equatable {
    /// Parallel corpus to learn from (TSV `source<TAB>target`, or JSON Lines).
    public var trainPath: String
    /// Held-out pairs for validation loss and BLEU (nil: no validation).
    public var validPath: String?
    /// The model: a preset with every size overridable, dropout, norms, tying.
    public var model: TransformerConfiguration
    /// A model folder to start from (fine-tuning): its weights, architecture and tokenizer;
    /// nil: a new model and vocabulary learned from the training text.
    public var initFrom: String?
    /// Dropout rates given for a fine-tuning run ("dropout", "attention", "activation"); the
    /// pretrained model's own rates stay where none is given.
    public var pretrainedDropout: [String: Float]?
    /// The language codes of a fine-tuning run of a multilingual model (mBART `en_XX`):
    /// sources encoded with `sourceLanguage`'s token, targets with `targetLanguage`'s, and the
    /// model then translates into it by default; nil: the tokenizer config's `src_lang` / `tgt_lang`.
    public var sourceLanguage: String?, targetLanguage: String?
    /// Subword vocabulary asked for, learned from the training text (joint source + target);
    /// nil: sized from the corpus (`TrainingDefaults.minimumPieceFrequency(recurringWords:)`).
    public var vocabularySize: Int?
    /// "bpe" (the default, also when nil) or "char": one token per character (BPE without merges).
    public var tokenizer: String?
    /// The vocabulary actually learned (the corpus may support fewer tokens than asked);
    /// recorded once the tokenizer is trained.
    public var learnedVocabularySize: Int?
    /// Optimiser steps to take in all.
    public var maxSteps = 20_000
    /// Passes over the training pairs to stop after, when that comes before `maxSteps`
    /// (as Hugging Face's `num_train_epochs`: the steps of that many epochs, rounded up).
    public var maxEpochs: Int?
    /// Seeds initialisation, dropout and the batch order.
    public var seed: UInt64 = 1
    /// Tokens per batch, padding included (source + target).
    public var batchTokens = 4096
    /// Batches whose gradients are summed before one optimiser step.
    public var accumulation = 1
    /// Pairs with a side longer than this many tokens are left out.
    public var maxLength = 256
    /// Peak learning rate.
    public var learningRate: Float = 5e-4
    /// Steps of linear warmup; nil: `warmupRatio` of the steps, or the default of
    /// `TrainingDefaults.warmup` (recorded in run.json once chosen).
    public var warmupSteps: Int?
    /// Warmup as a share of `maxSteps`, when `warmupSteps` is nil.
    public var warmupRatio: Double?
    /// Whether the model's sizes (preset), its dropout and the learning rate are chosen from
    /// the corpus and the learned vocabulary when the run starts (`TrainingDefaults`); the
    /// run's `model` and `learningRate` are replaced by the choice and recorded in run.json.
    public var automaticModel: Bool?
    /// Whether pre- or post-norm layers follow the automatic model's width (neither
    /// `--pre-norm` nor `--post-norm` given).
    public var automaticNorm: Bool?
    public var automaticDropout: Bool?
    public var automaticLearningRate: Bool?
    /// Whether `batchTokens` is chosen from the corpus size when the run starts.
    public var automaticBatch: Bool?
    /// `inverse-sqrt` (the paper's decay after warmup) or `cosine` (to 0 at `maxSteps`).
    public var schedule = "inverse-sqrt"
    /// AdamW decay rates, ε and decoupled weight decay (biases and norms are not decayed).
    public var beta1: Float = 0.9, beta2: Float = 0.98, epsilon: Float = 1e-9, weightDecay: Float = 0
    /// Gradients are scaled down to at most this global norm (0: no clipping).
    public var clipNorm: Float = 1
    /// Steps between progress lines and `metrics.jsonl` records.
    public var logEvery = 50
    /// Steps between checkpoints.
    public var saveEvery = 1000
    /// Steps between validations (at checkpoints; 0: at every checkpoint).
    public var validateEvery = 0
    /// Validation sources decoded greedily for BLEU (0: loss only).
    public var validationBLEULines = 500
    /// Stop after this many validations without a better BLEU (or loss when BLEU is off).
    public var patience: Int?
    /// Checkpoints kept (the best one is kept besides).
    public var keepCheckpoints = 5
    /// At the end, also write `averaged/`: the mean of the last K checkpoints' weights (K ≥ 2).
    public var averageLast = 0

    /// A run with the defaults of `model`.
    public init(trainPath: String, validPath: String?, model: TransformerConfiguration) {
        self.trainPath = trainPath
        self.validPath = validPath
        self.model = model
    }

    /// The learning rate of each step.
    var learningRateSchedule: LearningRateSchedule {
        let warmup = warmupSteps ?? TrainingDefaults.warmup(maxSteps: maxSteps, ratio: warmupRatio).steps
        return schedule == "cosine"
            ? .cosine(peak: learningRate, warmupSteps: warmup, totalSteps: maxSteps)
            : .inverseSquareRoot(peak: learningRate, warmupSteps: warmup)
    }

    /// Checks the values a user can get wrong.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw TrainingRunError(message) } }
        try check(maxSteps >= 1, "max steps must be at least 1")
        try check(maxEpochs.map { $0 >= 1 } ?? true, "max epochs must be at least 1")
        try check(batchTokens >= 16, "batch tokens must be at least 16")
        try check(accumulation >= 1, "accumulation must be at least 1")
        try check(maxLength >= 2, "max length must be at least 2")
        try check(vocabularySize.map { $0 >= 300 } ?? true, "the vocabulary needs at least 300 tokens (4 special, 256 bytes and some merges)")
        try check(["bpe", "char"].contains(tokenizer ?? "bpe"), "tokenizer must be bpe or char")
        try check(tokenizer != "char" || vocabularySize == nil, "a character tokenizer takes no vocabulary size (one token per character)")
        try check(initFrom == nil || (vocabularySize == nil && tokenizer != "char"),
                  "a fine-tuning run uses the model's own tokenizer: no vocabulary size or tokenizer kind")
        try check(learningRate > 0 && (warmupSteps ?? 0) >= 0, "the learning rate must be positive and warmup not negative")
        try check(warmupRatio.map { $0 >= 0 && $0 < 1 } ?? true, "the warmup ratio must be at least 0 and below 1")
        try check(warmupSteps == nil || warmupRatio == nil, "give warmup steps or a warmup ratio, not both")
        try check(["inverse-sqrt", "cosine"].contains(schedule), "schedule must be inverse-sqrt or cosine")
        try check(logEvery >= 1 && saveEvery >= 1 && validateEvery >= 0, "log and save intervals must be at least 1")
        try check(keepCheckpoints >= 1, "keep at least one checkpoint")
        try check(patience.map { $0 >= 1 } ?? true, "patience must be at least 1")
        do {
            try model.validate()
        } catch {
            throw TrainingRunError("\(error)")
        }
    }
}

/// A training run that cannot go on: bad settings, a run folder without a checkpoint to
/// resume, a checkpoint that does not match the run.
public struct TrainingRunError: Seq2SeqError, Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension TrainingRunError: LocalizedError {
    /// The one-line description, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}
