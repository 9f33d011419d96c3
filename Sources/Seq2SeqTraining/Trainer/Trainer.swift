// Training an encoder-decoder from a parallel corpus, as fairseq / OpenNMT / Marian users
// expect: a subword vocabulary learned from the training text, batches by token count,
// AdamW with warmup, label smoothing, clipping, checkpoints that resume exactly, validation
// loss and greedy BLEU, early stopping, a metrics log and a loss plot.
//
// The run folder:
//   run.json                 the options (what `--resume` continues with)
//   tokenizer.json, tokenizer_config.json, config.json, generation_config.json,
//   model.safetensors        the model: the best by validation (the latest without one)
//   checkpoints/step-N/      each checkpoint, a whole model folder plus optimiser and state
//   averaged/                the mean of the last K checkpoints (when asked)
//   metrics.jsonl, loss.svg  one record per logged step / validation, and its plot
import Foundation
import Seq2SeqTensor
import Seq2SeqTokenizers
import Seq2Seq

/// What a finished (or stopped) run reached.
public struct TrainingSummary: Sendable {
    /// Optimiser steps taken in all.
    public var steps: Int
    /// Why it ended: "max steps" or "early stopping".
    public var reason: String
    /// Best validation BLEU (or nil) and the step it was reached.
    public var bestBLEU: Double?
    public var bestStep: Int?
    /// Seconds of training over all sessions.
    public var seconds: Double
    /// Target tokens per second over all sessions.
    public var targetTokensPerSecond: Double
    /// Whether validation was still improving when the run ended, as a sentence (nil without
    /// validation): "still improving … train longer" or "stopped improving … best at step N".
    public var validationTrend: String?
}

/// One training run in a folder: `start` a new one or `resume` the one there, then `train()`.
public final class Trainer {
    public private(set) var options: TrainingRunOptions
    /// Whether `maxEpochs` set the step count (the run ends after that many epochs).
    private var stopsAtEpochs = false
    /// The run folder.
    public let run: URL
    /// Progress and notices, one line each (standard error in the command-line tool).
    public var log: (String) -> Void

    private let tokenizer: any Tokenizer
    private let model: TransformerModel
    private let optimizer: AdamW
    private var batcher: TokenBatcher
    private let validPairs: [TokenizedPair]
    private let validTexts: [TextPair]
    /// The languages of a multilingual model's fine-tuning run.
    private let languages: FineTuningLanguages?
    /// The decoder's first input and the labels' last id.
    private let decoderStart: Int32, labelEnd: Int32
    private var state: TrainerState
    private let store: CheckpointStore
    private let metrics: TrainingMetricsLog

    /// A new run in `run` (created if needed). Refuses a folder that already has checkpoints.
    public static func start(_ options: TrainingRunOptions, in run: URL, log: @escaping (String) -> Void) throws -> Trainer {
        try options.validate()
        let store = CheckpointStore(run: run)
        guard store.all().isEmpty else {
            throw TrainingRunError("\(run.path): already holds checkpoints; continue with --resume or choose another folder")
        }
        do {
            try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        } catch {
            throw TrainingRunError("\(run.path): cannot create the run folder (\(error.localizedDescription))")
        }
        try ModelFolder.writeJSON(options, to: run.appendingPathComponent("run.json"))
        return try Trainer(options: options, run: run, resuming: false, log: log)
    }

    /// The run in `run`, from its latest checkpoint, with the options it was started with
    /// (`maxSteps` may be raised to train further).
    public static func resume(in run: URL, maxSteps: Int? = nil, log: @escaping (String) -> Void) throws -> Trainer {
        let url = run.appendingPathComponent("run.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingRunError("\(run.path): no training run to resume (no run.json)")
        }
        var options: TrainingRunOptions
        do {
            options = try JSONDecoder().decode(TrainingRunOptions.self, from: Data(contentsOf: url))
        } catch {
            throw TrainingRunError("\(url.path): unreadable run options (\(error.localizedDescription))")
        }
        guard !CheckpointStore(run: run).all().isEmpty else {
            throw TrainingRunError("\(run.path): no checkpoint to resume from")
        }
        if let maxSteps {
            options.maxSteps = maxSteps
            options.maxEpochs = nil  // a new step count says how much further to train
            try options.validate()
            try ModelFolder.writeJSON(options, to: url)
        }
        return try Trainer(options: options, run: run, resuming: true, log: log)
    }

    private init(options: TrainingRunOptions, run: URL, resuming: Bool, log: @escaping (String) -> Void) throws {
        self.options = options
        self.run = run
        self.log = log
        store = CheckpointStore(run: run)
        store.removePartial()

        let train = try ParallelCorpus(contentsOf: URL(fileURLWithPath: options.trainPath))
        if let summary = train.report.summary(listing: 5) { log(summary) }
        let valid = try options.validPath.map { try ParallelCorpus(contentsOf: URL(fileURLWithPath: $0)) }
        if let summary = valid?.report.summary(listing: 5) { log(summary) }
        validTexts = valid?.pairs ?? []

        var pretrained: TransformerModel?
        if let initFrom = options.initFrom, !resuming {
            let folder = URL(fileURLWithPath: initFrom)
            pretrained = try Self.loadPretrained(folder, options: options)
            self.options.model = pretrained!.configuration
            try ModelFolder.copyPretrainedFiles(from: folder, to: run)
            let c = pretrained!.configuration
            log("fine-tuning \(folder.path): \(pretrained!.parameterCount) parameters (\(c.encoderLayers)+\(c.decoderLayers) layers, "
                + "width \(c.modelWidth), vocabulary \(c.vocabularySize)) with its tokenizer")
        }
        // How open the corpus's vocabulary is: sizes the default vocabulary and model.
        let recurringWords = TrainingDefaults.recurringWords(train.pairs)
        let pieceFrequency = TrainingDefaults.minimumPieceFrequency(recurringWords: recurringWords)
        let tokenizerURL = run.appendingPathComponent("tokenizer.json")
        var targetEncoder: MarianTokenizer?
        var languages: FineTuningLanguages?
        if options.initFrom != nil {
            guard let loaded = try ModelTokenizer.load(directory: run) else {
                throw TrainingRunError("\(options.initFrom ?? run.path): no tokenizer (tokenizer.json, or source.spm + target.spm + vocab.json)")
            }
            if loaded.languageTokens != nil || options.sourceLanguage != nil || options.targetLanguage != nil {
                languages = try FineTuningLanguages(tokenizer: loaded, options: options,
                                                    modelType: (try? self.options.model.huggingFaceModelType()) ?? "unknown",
                                                    folder: options.initFrom ?? run.path)
                if !resuming { try languages!.writeGenerationSettings(in: run, configuration: self.options.model) }
                log("languages: \(languages!.source) → \(languages!.target)")
            }
            tokenizer = loaded.source
            targetEncoder = loaded.source as? MarianTokenizer
        } else if FileManager.default.fileExists(atPath: tokenizerURL.path) {
            tokenizer = try HuggingFaceTokenizer(contentsOf: tokenizerURL)
        } else {
            let started = Date()
            let learned = try Self.learnTokenizer(options, from: train.pairs, minimumFrequency: pieceFrequency)
            try learned.save(to: run)
            tokenizer = learned
            let how = options.tokenizer == "char" ? "a character vocabulary of \(learned.vocabularySize) tokens"
                : options.vocabularySize == nil
                ? "a \(learned.vocabularySize)-token BPE vocabulary (merges while a new piece occurs at least "
                    + "\(pieceFrequency) times, at most \(TrainingDefaults.vocabularyCeiling) tokens; --vocab-size to choose)"
                : "a \(learned.vocabularySize)-token BPE vocabulary"
            log(String(format: "learned %@ from %d pairs in %.1f s", how, train.pairs.count, Date().timeIntervalSince(started)))
        }
        if options.initFrom == nil {
            guard tokenizer.id(for: "<pad>") == 0, tokenizer.id(for: "</s>") == 1 else {
                throw TrainingRunError("\(tokenizerURL.path): <pad> must be id 0 and </s> id 1")
            }
        }

        // Sources as the tokenizer encodes them; targets as transformers encodes `text_target=`
        // (Marian: target.spm), without the final </s> that the batcher appends.
        let eos = Int32(pretrained?.configuration.eosTokenId ?? self.options.model.eosTokenId)
        let tokenize = { [tokenizer, targetEncoder, languages, initFrom = options.initFrom] (pair: TextPair) throws -> TokenizedPair in
            if let languages { return try languages.tokenize(pair) }
            var target: [Int32]
            if initFrom == nil {
                target = try tokenizer.encode(pair.target, addSpecialTokens: false).map(Int32.init)
            } else {
                target = try (targetEncoder?.encodeTarget(pair.target, addSpecialTokens: true)
                    ?? tokenizer.encode(pair.target, addSpecialTokens: true)).map(Int32.init)
                if target.last == eos { target.removeLast() }
            }
            return TokenizedPair(source: try tokenizer.encode(pair.source, addSpecialTokens: true).map(Int32.init), target: target)
        }
        let pairs = try train.pairs.map(tokenize)
        validPairs = try validTexts.map(tokenize)
        if !resuming {
            self.options = Self.chooseDefaults(self.options, recurringWords: recurringWords, pairs: pairs, vocabularySize: tokenizer.vocabularySize, log: log)
        }
        if let pretrained {
            model = pretrained
            self.options.model = pretrained.configuration
        } else {
            var configuration = self.options.model
            if options.initFrom == nil {  // a fine-tuning run resumed keeps the pretrained model's ids
                configuration.vocabularySize = tokenizer.vocabularySize
                (configuration.padTokenId, configuration.eosTokenId, configuration.decoderStartTokenId) = (0, 1, 0)
            }
            self.options.model = configuration
            model = TransformerModel(configuration: configuration, seed: options.seed)
        }
        let configuration = self.options.model
        // The batcher's label end and decoder start: the model's start and </s>, or an mBART's
        // last label (wrapped around to the front).
        labelEnd = languages?.labelEnd ?? Int32(configuration.eosTokenId)
        decoderStart = languages?.labelEnd ?? Int32(configuration.decoderStartTokenId)
        self.languages = languages
        optimizer = AdamW(parameters: model.parameters, learningRate: self.options.learningRate, beta1: options.beta1,
                          beta2: options.beta2, epsilon: options.epsilon, weightDecay: options.weightDecay,
                          withoutWeightDecay: model.parametersWithoutWeightDecay)
        let batching = TokenBatcherOptions(maxTokens: self.options.batchTokens, maxLength: options.maxLength,
                                           startID: decoderStart, eosID: labelEnd,
                                           padID: Int32(configuration.padTokenId), labelPadID: Int32(configuration.padTokenId), seed: options.seed)
        var resumed: (state: TrainerState, checkpoint: URL)?
        if resuming, let latest = store.all().last {
            resumed = (try store.restore(latest.url, into: model, optimizer: optimizer), latest.url)
        }
        do {
            batcher = try TokenBatcher(pairs: pairs, options: batching, resumingFrom: resumed?.state.batcher)
        } catch {
            throw TrainingRunError("\(options.trainPath): \(error)")
        }
        if let epochs = options.maxEpochs {
            // Every epoch has the same number of batches: they are cut from the pairs sorted by
            // length, and only the order among equal lengths changes from epoch to epoch.
            let steps = (epochs * batcher.batchesInEpoch + options.accumulation - 1) / options.accumulation
            if steps < options.maxSteps {
                self.options.maxSteps = steps
                stopsAtEpochs = true
                if !resuming { log("\(epochs) \(epochs == 1 ? "epoch" : "epochs") of \(batcher.batchesInEpoch) batches: \(steps) steps (--max-epochs)") }
            }
        }
        if !resuming {
            if self.options.warmupSteps == nil {
                let warmup = TrainingDefaults.warmup(maxSteps: self.options.maxSteps, ratio: options.warmupRatio)
                self.options.warmupSteps = warmup.steps
                log("warmup: \(warmup.steps) steps (\(warmup.reason))")
            }
            var recorded = self.options  // run.json says what was chosen, not only what was asked
            recorded.maxSteps = options.maxSteps  // --max-epochs is worked out again on resuming
            recorded.learnedVocabularySize = tokenizer.vocabularySize
            try ModelFolder.writeJSON(recorded, to: run.appendingPathComponent("run.json"))
        }
        let dropped = batcher.statistics.droppedTooLong + batcher.statistics.droppedEmptySource + batcher.statistics.droppedOverBudget
        if dropped > 0 && !resuming {
            log("left out \(dropped) of \(pairs.count) training pairs (longer than \(options.maxLength) tokens, empty, or over the batch budget alone)")
        }
        if let resumed {
            state = resumed.state
            model.dropoutRandom = state.dropoutRandom
            // A run killed between writing a checkpoint and copying it to the run folder's root.
            let root = validPairs.isEmpty ? resumed.checkpoint : state.bestStep.map { CheckpointStore(run: run).checkpoint(step: $0) }
            if let root, FileManager.default.fileExists(atPath: root.path) { try ModelFolder.copyModel(from: root, to: run) }
            log("resuming \(run.path) at step \(state.step) from \(resumed.checkpoint.lastPathComponent)")
        } else {
            state = TrainerState(step: 0, batcher: batcher.state, dropoutRandom: model.dropoutRandom, targetTokens: 0,
                                 elapsedSeconds: 0, bestScore: nil, bestStep: nil, validationsWithoutImprovement: 0)
            log("model: \(model.parameterCount) parameters (\(configuration.encoderLayers)+\(configuration.decoderLayers) layers, "
                + "width \(configuration.modelWidth)); \(pairs.count) training pairs, \(batcher.batchesInEpoch) batches per epoch")
        }
        metrics = try TrainingMetricsLog(run: run, keepingUpTo: state.step)
    }

    /// The model a fine-tuning run starts from, with the dropout and label smoothing of
    /// `options` where the user set them.
    private static func loadPretrained(_ folder: URL, options: TrainingRunOptions) throws -> TransformerModel {
        do {
            let rates = options.pretrainedDropout ?? [:]
            return try TransformerModel.load(from: folder) { c in
                c.dropout = rates["dropout"] ?? c.dropout
                c.attentionDropout = rates["attention"] ?? c.attentionDropout
                c.activationDropout = rates["activation"] ?? c.activationDropout
                c.labelSmoothing = options.model.labelSmoothing
            }
        } catch {
            throw TrainingRunError("\(folder.path): cannot fine-tune this model: \(error) (fine-tuning reads MarianMT, BART, mBART, T5 "
                + "and mT5 folders and folders written by seq2seq train; umT5, M2M-100, NLLB and Pegasus are not trainable yet)")
        }
    }

    /// The run's tokenizer learned from the training pairs: characters, BPE of the size asked,
    /// or BPE sized from the corpus.
    private static func learnTokenizer(_ options: TrainingRunOptions, from pairs: [TextPair], minimumFrequency: Int) throws -> TrainedBPETokenizer {
        var trainer: BPETrainer
        if options.tokenizer == "char" {
            trainer = BPETrainer.characters()
        } else if let size = options.vocabularySize {
            trainer = BPETrainer(vocabularySize: size)
        } else {
            trainer = BPETrainer(vocabularySize: TrainingDefaults.vocabularyCeiling)
            trainer.minimumFrequency = minimumFrequency
        }
        trainer.specialTokens = ["<pad>", "</s>", "<unk>", "<s>"]
        return try trainer.train(lines: pairs.lazy.flatMap { [$0.source, $0.target] })
    }

    /// `options` with the model, dropout and learning rate chosen where the run asks for them
    /// (`automatic…`), from the tokenized pairs; warns when a chosen vocabulary is mostly rare pieces.
    private static func chooseDefaults(_ options: TrainingRunOptions, recurringWords: Int, pairs: [TokenizedPair], vocabularySize: Int,
                                       log: (String) -> Void) -> TrainingRunOptions {
        var options = options
        if options.initFrom != nil {
            if options.automaticLearningRate == true {
                options.learningRate = TrainingDefaults.fineTuningLearningRate(modelWidth: options.model.modelWidth)
                log(String(format: "chose learning rate %g for fine-tuning (width %d); --lr to choose", options.learningRate,
                           options.model.modelWidth))
            }
            if options.automaticBatch == true { options.batchTokens = TrainingDefaults.batchTokens }
            return options
        }
        let reserved = 4 + 256  // special and byte tokens
        var counts = [Int](repeating: 0, count: vocabularySize)
        var targetTokens = 0, sourceTokens = 0
        for pair in pairs {
            sourceTokens += pair.source.count
            for id in pair.source where Int(id) < vocabularySize { counts[Int(id)] += 1 }
            for id in pair.target where Int(id) < vocabularySize { counts[Int(id)] += 1 }
            targetTokens += pair.target.count + 1
        }
        let pieces = max(vocabularySize - reserved, 0)
        if options.vocabularySize != nil && pieces > 0 {
            let threshold = TrainingDefaults.minimumPieceFrequency(recurringWords: recurringWords)
            let rare = counts[reserved...].filter { $0 < threshold }.count
            if rare * 2 > pieces {
                log("warning: \(rare) of the \(pieces) learned pieces (\(rare * 100 / pieces)%) occur fewer than \(threshold) times "
                    + "in the training pairs, too rarely to learn their embeddings well; a smaller --vocab-size (or none: sized "
                    + "from the corpus) usually trains better")
            }
        }
        var chosen: [String] = []
        if options.automaticModel == true {
            let choice = TrainingDefaults.preset(recurringWords: recurringWords, targetTokens: targetTokens, maxSteps: options.maxSteps,
                                                 batchTokens: options.batchTokens)
            let sizes = TransformerConfiguration(preset: choice.preset, vocabularySize: vocabularySize)
            options.model.modelWidth = sizes.modelWidth
            options.model.heads = sizes.heads
            options.model.feedForwardWidth = sizes.feedForwardWidth
            options.model.encoderLayers = sizes.encoderLayers
            options.model.decoderLayers = sizes.decoderLayers
            chosen.append("\(choice.preset.rawValue) model (\(choice.reason))")
            if options.automaticNorm == true {
                let pre = TrainingDefaults.preNorm(modelWidth: sizes.modelWidth)
                options.model.preNorm = pre
                options.model.embeddingNorm = pre  // a pre-norm model exports as mBART, which normalises its embeddings
                chosen.append(pre ? "pre-norm layers (width \(sizes.modelWidth): trains at a higher learning rate; exported as mBART)"
                                  : "post-norm layers (as in the paper; exported as MarianMT)")
            }
        }
        let preNorm = options.model.preNorm
        if options.automaticDropout == true {
            options.model.dropout = TrainingDefaults.dropout(modelWidth: options.model.modelWidth, targetTokens: targetTokens, preNorm: preNorm)
            chosen.append(String(format: "dropout %.1f (%d target tokens, width %d%@)", options.model.dropout, targetTokens,
                                 options.model.modelWidth, preNorm ? ", pre-norm" : ""))
        }
        if options.automaticLearningRate == true {
            options.learningRate = TrainingDefaults.learningRate(modelWidth: options.model.modelWidth, preNorm: preNorm)
            chosen.append(String(format: "learning rate %g (width %d%@)", options.learningRate, options.model.modelWidth,
                                 preNorm ? ", pre-norm" : ""))
        }
        if options.automaticBatch == true {
            options.batchTokens = TrainingDefaults.batchTokens(corpusTokens: sourceTokens + targetTokens)
            chosen.append("batches of \(options.batchTokens) tokens (\(sourceTokens + targetTokens) in the corpus)")
        }
        if !chosen.isEmpty {
            log("chose " + chosen.joined(separator: ", ") + "; --preset, --pre-norm/--post-norm, --dropout, --lr, --batch-tokens to choose")
        }
        return options
    }

    /// Trains until `maxSteps` or early stopping; checkpoints every `saveEvery` steps and at the end.
    public func train() throws -> TrainingSummary {
        let schedule = options.learningRateSchedule
        var window = (loss: 0.0, tokens: 0, sourceTokens: 0, seconds: 0.0, steps: 0, gradientNorm: 0.0)
        var reason = stopsAtEpochs ? "max epochs" : "max steps"
        while state.step < options.maxSteps {
            let started = DispatchTime.now().uptimeNanoseconds
            model.isTraining = true
            var lossSum = 0.0, tokens = 0, sourceTokens = 0
            var batches: [TrainingBatch] = []
            for _ in 0..<options.accumulation {
                let batch = batcher.next()
                batches.append(TrainingBatch(sourceIds: batch.sourceIDs, sourceLengths: batch.sourceLengths,
                                             decoderInputIds: batch.decoderInputIDs, targetIds: batch.labels))
                tokens += batch.targetTokenCount
                sourceTokens += batch.sourceTokenCount
            }
            // Every target token weighs the same across the accumulated batches.
            for batch in batches {
                let loss = model.loss(for: batch, reduction: .sum)
                lossSum += Double(loss.scalar)
                scale(loss, by: 1 / Float(tokens)).backward()
            }
            let norm = options.clipNorm > 0 ? clipGradientNorm(model.parameters, maxNorm: options.clipNorm) : 0
            optimizer.learningRate = schedule.learningRate(step: state.step + 1)
            optimizer.step()
            optimizer.zeroGradients()
            state.step += 1
            state.targetTokens += tokens
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            state.elapsedSeconds += seconds
            window.loss += lossSum
            window.tokens += tokens
            window.sourceTokens += sourceTokens
            window.seconds += seconds
            window.steps += 1
            window.gradientNorm += Double(norm)

            let checkpointDue = state.step % options.saveEvery == 0 || state.step == options.maxSteps
            if state.step % options.logEvery == 0 || checkpointDue {
                let record: [String: Any] = [
                    "step": state.step, "loss": window.loss / Double(max(window.tokens, 1)),
                    "learning_rate": Double(optimizer.learningRate), "gradient_norm": window.gradientNorm / Double(window.steps),
                    "target_tokens_per_second": Double(window.tokens) / max(window.seconds, 1e-9),
                    "tokens_per_second": Double(window.tokens + window.sourceTokens) / max(window.seconds, 1e-9),
                    "epoch": batcher.state.epoch + 1, "elapsed_seconds": state.elapsedSeconds,
                ]
                try metrics.append(record)
                log(progressLine(record))
                window = (0, 0, 0, 0, 0, 0)
            }
            if checkpointDue {
                if try checkpoint() { reason = "early stopping"; break }
            }
        }
        if options.averageLast >= 2 { try writeAverage() }
        return TrainingSummary(steps: state.step, reason: reason, bestBLEU: options.validationBLEULines > 0 ? state.bestScore : nil,
                               bestStep: state.bestStep, seconds: state.elapsedSeconds,
                               targetTokensPerSecond: Double(state.targetTokens) / max(state.elapsedSeconds, 1e-9),
                               validationTrend: metrics.validationTrend(bestStep: state.bestStep))
    }

    /// Saves a checkpoint, validates when due, keeps the root model current; returns whether
    /// early stopping ends the run.
    private func checkpoint() throws -> Bool {
        state.batcher = batcher.state
        state.dropoutRandom = model.dropoutRandom
        let validating = !validPairs.isEmpty
            && (options.validateEvery == 0 || state.step % options.validateEvery == 0 || state.step == options.maxSteps)
        var improved = false
        var record: [String: Any] = ["step": state.step]
        if validating {
            let (loss, bleu, exact) = try validate()
            record["valid_loss"] = loss
            if let bleu { record["valid_bleu"] = bleu }
            if let exact { record["valid_exact_match"] = exact }
            let score = bleu ?? -loss
            if let best = state.bestScore {
                let exact = exact ?? 0, bestExact = state.bestExactMatch ?? 0
                improved = score > best || (score == best && (exact > bestExact || (exact == bestExact && loss < state.bestLoss ?? .infinity)))
            } else {
                improved = true
            }
            if improved {
                (state.bestScore, state.bestStep, state.validationsWithoutImprovement) = (score, state.step, 0)
                (state.bestExactMatch, state.bestLoss) = (exact, loss)
            } else {
                state.validationsWithoutImprovement += 1
            }
        }
        // The record is written before the checkpoint that counts it: a run killed between the
        // two resumes from the previous checkpoint, which drops the record and validates again.
        if validating {
            try metrics.append(record)
            log("validation at step \(state.step): loss \(String(format: "%.4f", record["valid_loss"] as? Double ?? 0))"
                + ((record["valid_bleu"] as? Double).map { String(format: ", BLEU %.2f", $0) } ?? "")
                + ((record["valid_exact_match"] as? Double).map { String(format: ", exact match %.1f%%", $0) } ?? "")
                + (improved ? " (best)" : ""))
        }
        let url = try store.save(model: model, optimizer: optimizer, state: state, tokenizerFolder: run)
        if improved || validPairs.isEmpty { try ModelFolder.copyModel(from: url, to: run) }
        store.prune(keep: options.keepCheckpoints, sparing: state.bestStep)
        try metrics.plot()
        if let patience = options.patience, state.validationsWithoutImprovement >= patience {
            log("early stopping: \(patience) validations without improvement (best at step \(state.bestStep ?? 0))")
            return true
        }
        return false
    }

    /// Teacher-forced loss per target token over the validation pairs, and greedy BLEU and
    /// exact-match percentage on the first `validationBLEULines` of them (decoded by the
    /// inference engine from the newest export of the model).
    private func validate() throws -> (loss: Double, bleu: Double?, exactMatch: Double?) {
        model.isTraining = false
        defer { model.isTraining = true }
        var batches = try TokenBatcher(pairs: validPairs, options: TokenBatcherOptions(
            maxTokens: options.batchTokens, maxLength: nil, startID: decoderStart,
            eosID: labelEnd, padID: Int32(options.model.padTokenId), labelPadID: Int32(options.model.padTokenId), seed: 0))
        var lossSum = 0.0, tokens = 0
        try Autograd.withoutGradients {
            for _ in 0..<batches.batchesInEpoch {
                let batch = batches.next()
                let training = TrainingBatch(sourceIds: batch.sourceIDs, sourceLengths: batch.sourceLengths,
                                             decoderInputIds: batch.decoderInputIDs, targetIds: batch.labels)
                lossSum += Double(model.loss(for: training, reduction: .sum).scalar)
                tokens += batch.targetTokenCount
                if lossSum.isNaN { throw TrainingRunError("the validation loss is not a number: training diverged") }
            }
        }
        let loss = lossSum / Double(max(tokens, 1))
        let lines = min(options.validationBLEULines, validTexts.count)
        guard lines > 0 else { return (loss, nil, nil) }
        let scratch = run.appendingPathComponent(".validation")
        try? FileManager.default.removeItem(at: scratch)
        try model.export(to: scratch)
        try ModelFolder.copyTokenizerFiles(from: run, to: scratch)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let translator = try Translator(try Seq2SeqModel(directory: scratch))
        var decoding = TranslationOptions(beamSize: 1, maxLength: options.maxLength, batchSize: 32)
        decoding.splitSentences = false
        (decoding.sourceLanguage, decoding.targetLanguage) = (languages?.source, languages?.target)
        let outputs = try translator.run(validTexts.prefix(lines).map(\.source), options: decoding).map(\.text)
        let references = validTexts.prefix(lines).map(\.target)
        let bleu = try BLEU().corpusScore(hypotheses: outputs, references: [references])
        let exact = zip(outputs, references).filter { $0 == $1 }.count
        return (loss, bleu.score, 100 * Double(exact) / Double(lines))
    }

    /// `averaged/`: the parameter-wise mean of the last `averageLast` checkpoints.
    private func writeAverage() throws {
        let last = Array(store.all().suffix(options.averageLast))
        guard last.count >= 2 else { return }
        let averaged = try CheckpointAverage.average(last.map(\.url))
        let folder = run.appendingPathComponent("averaged")
        try averaged.export(to: folder)
        try ModelFolder.copyTokenizerFiles(from: run, to: folder)
        log("averaged/: mean of \(last.map { "step \($0.step)" }.joined(separator: ", "))")
    }

    private func progressLine(_ record: [String: Any]) -> String {
        let step = record["step"] as? Int ?? 0
        let rate = record["target_tokens_per_second"] as? Double ?? 0
        let perStep = state.elapsedSeconds / Double(max(state.step, 1))
        let remaining = Int(perStep * Double(options.maxSteps - step))
        let eta = remaining >= 3600 ? "\(remaining / 3600)h\(remaining % 3600 / 60)m" : "\(remaining / 60)m\(remaining % 60)s"
        return String(format: "step %d/%d  loss %.4f  lr %.2e  %.0f tok/s  epoch %d  ETA %@", step, options.maxSteps,
                      record["loss"] as? Double ?? 0, record["learning_rate"] as? Double ?? 0, rate,
                      record["epoch"] as? Int ?? 1, eta)
    }
}

/// Checkpoint averaging (as fairseq's `average_checkpoints.py` and Marian's exponential
/// smoothing's simple form): every parameter the arithmetic mean over the checkpoints.
public enum CheckpointAverage {
    /// The mean of the models in `folders` (same configuration).
    public static func average(_ folders: [URL]) throws -> TransformerModel {
        precondition(!folders.isEmpty, "nothing to average")
        let models = try folders.map { url in
            do { return try TransformerModel.load(from: url) } catch { throw TrainingRunError("\(url.path): \(error)") }
        }
        let first = models[0]
        for (model, url) in zip(models, folders) where model.configuration != first.configuration {
            throw TrainingRunError("\(url.path): a different model from \(folders[0].path); cannot average")
        }
        for (index, (_, variable)) in first.namedParameters.enumerated() {
            let n = variable.value.count, out = variable.value.data
            for i in 0..<n {
                var sum = 0.0
                for model in models { sum += Double(model.namedParameters[index].variable.value.data[i]) }
                out[i] = Float(sum / Double(models.count))
            }
        }
        return first
    }
}
