// The settings `seq2seq train` chooses when the user leaves them out, each from the run itself
// (the corpus, the learned vocabulary, the number of steps), and the sentence that says why.
//
// - Warmup: Hugging Face's `warmup_ratio` idea with fairseq's 4,000-step ceiling — a tenth of
//   the run, at most 4,000 steps, so a short run reaches its peak learning rate early enough to
//   use it (a fixed 4,000 steps in a 4,000-step run peaks on the last step).
// - Vocabulary: BPE merges while the new piece still occurs often in the training text
//   (at least 100 times for a closed vocabulary, 15 for natural language), up to
//   `vocabularyCeiling` — a corpus of dates supports about a thousand pieces, a small
//   translation corpus a few thousand, a large one tens of thousands. SentencePiece
//   refuses a vocabulary the corpus cannot fill; this sizes it so that it never has to.
// - Model: the width follows how open the corpus's vocabulary is and the tokens the run will
//   see (a symbolic task whose words stop growing needs D 64; natural language, whose
//   recurring words keep growing with the corpus, needs D 256; the paper's base model only
//   pays for itself on a large corpus trained long).
// - Layers: the tiny model chosen by `--preset auto` is pre-norm (Xiong et al. 2020: no
//   warmup-sensitive gradients at the output layers, so a higher learning rate trains), the
//   wider ones post-norm as in the paper. On the reversal/copy task (20–80 symbols, 3,000
//   steps) pre-norm, no dropout and 2e-3 each mattered: post-norm with the old defaults
//   reached validation BLEU 7.8 (0% exact), pre-norm alone 28.4, pre-norm + 2e-3 73.3,
//   pre-norm + no dropout 58.0, all three 96.7 (77% exact) — BENCHMARKS.md.
// - Dropout 0.3 on corpora under a million target tokens (fairseq's IWSLT recipes, Sennrich &
//   Zhang 2019 on low-resource NMT), else the paper's 0.1; the tiny model none when pre-norm
//   (it underfits before it overfits), else 0.1.
// - Batches of 4,096 tokens, fewer on a corpus too small for 32 of them an epoch.
// - Peak learning rate 1e-3 for widths up to 256, 5e-4 above (fairseq's base recipe); 2e-3
//   for a pre-norm model up to width 64.
import Foundation
import Seq2Seq

/// How the defaults of a training run are chosen from the run itself.
public enum TrainingDefaults {
    /// The longest default warmup, in steps.
    public static let maximumWarmup = 4000
    /// The default warmup as a share of the run's steps.
    public static let warmupRatio = 0.1
    /// A merge is made only while the piece it makes occurs at least this often in the
    /// training text (default vocabulary); pieces rarer than this also count as rare in the
    /// warning about a chosen `--vocab-size`. A closed, symbolic vocabulary gets few frequent
    /// pieces (dates written 15 ways: 1,053 tokens, 100% exact match); natural language, whose
    /// words keep coming, more (FreeDict's 11,672 pairs: 4,093 tokens at 15, next to the
    /// hand-picked 4,000 of its tuned run; at 20, 3,331 tokens trained to test BLEU 2.19 where
    /// 4,000 reached 2.57; at 100, 1,146 tokens to 0.60).
    public static func minimumPieceFrequency(recurringWords: Int) -> Int {
        recurringWords <= closedVocabularyWords ? 100 : 15
    }
    /// The largest default vocabulary.
    public static let vocabularyCeiling = 32000
    /// Below this many target tokens a corpus counts as small (dropout 0.3).
    public static let smallCorpusTargetTokens = 1_000_000

    /// The warmup of a run of `maxSteps` steps: `ratio` of them (default a tenth), rounded,
    /// at most `maximumWarmup` when no ratio is given; and why.
    public static func warmup(maxSteps: Int, ratio: Double?) -> (steps: Int, reason: String) {
        if let ratio {
            let steps = Int((ratio * Double(maxSteps)).rounded())
            return (steps, "\(percent(ratio)) of \(maxSteps) steps (--warmup-ratio)")
        }
        let steps = min(maximumWarmup, max(1, Int((warmupRatio * Double(maxSteps)).rounded())))
        let reason = steps == maximumWarmup
            ? "the default ceiling; \(percent(warmupRatio)) of \(maxSteps) steps would be more"
            : "\(percent(warmupRatio)) of \(maxSteps) steps"
        return (steps, reason + "; --warmup or --warmup-ratio to choose")
    }

    /// A word (cut at white space) counts as recurring when it occurs at least this often.
    public static let recurringWordFrequency = 10
    /// At most this many recurring words make a closed vocabulary (the tiny model).
    public static let closedVocabularyWords = 1000

    /// How many distinct words (cut at white space, source and target) occur at least
    /// `recurringWordFrequency` times in `pairs`. Natural language keeps adding such words as
    /// the corpus grows (FreeDict's 11,672 pairs: 1,713); a symbolic task saturates (dates
    /// written 15 ways, 30,000 pairs: 519; reversal of 36 symbols: 38).
    public static func recurringWords(_ pairs: [TextPair]) -> Int {
        var counts: [Substring: Int] = [:]
        for pair in pairs {
            for word in pair.source.split(whereSeparator: \.isWhitespace) { counts[word, default: 0] += 1 }
            for word in pair.target.split(whereSeparator: \.isWhitespace) { counts[word, default: 0] += 1 }
        }
        return counts.values.filter { $0 >= recurringWordFrequency }.count
    }

    /// The model preset for a corpus with `recurringWords` recurring words and `targetTokens`
    /// target tokens, trained `maxSteps` steps of `batchTokens` tokens; and why.
    public static func preset(recurringWords: Int, targetTokens: Int, maxSteps: Int, batchTokens: Int)
        -> (preset: TransformerConfiguration.Preset, reason: String)
    {
        let seen = Double(maxSteps) * Double(batchTokens)
        let words = "\(recurringWords) words recur \(recurringWordFrequency)+ times"
        if recurringWords <= closedVocabularyWords {
            return (.tiny, "\(words): a closed, symbolic vocabulary")
        }
        if targetTokens >= 5_000_000 && seen >= 2e9 {
            return (.base, "\(words), \(targetTokens) target tokens, \(maxSteps) steps: a large corpus trained long")
        }
        return (.small, "\(words): natural language; \(targetTokens) target tokens")
    }

    /// The default tokens per batch, and the fewest batches an epoch should have.
    public static let batchTokens = 4096
    public static let minimumBatchesPerEpoch = 32

    /// Tokens per batch for a corpus of `corpusTokens` source and target tokens: 4,096, or
    /// fewer (a multiple of 256, at least 512) when that would cut an epoch into fewer than
    /// `minimumBatchesPerEpoch` batches — a tiny corpus then still gets many updates an epoch.
    public static func batchTokens(corpusTokens: Int) -> Int {
        min(batchTokens, max(512, corpusTokens / minimumBatchesPerEpoch / 256 * 256))
    }

    /// The widest model that counts as tiny (pre-norm by default, no dropout, learning rate 2e-3).
    public static let tinyWidth = 64

    /// Whether a model chosen by `--preset auto`, `modelWidth` wide, gets pre-norm layers.
    public static func preNorm(modelWidth: Int) -> Bool { modelWidth <= tinyWidth }

    /// The dropout of a model `modelWidth` wide on a corpus of `targetTokens` target tokens
    /// (the tiny preset's width and below underfit before they overfit: 0 when pre-norm, else
    /// 0.1 as before pre-norm was chosen for them).
    public static func dropout(modelWidth: Int, targetTokens: Int, preNorm: Bool = false) -> Float {
        if modelWidth <= tinyWidth { return preNorm ? 0 : 0.1 }
        return targetTokens < smallCorpusTargetTokens ? 0.3 : 0.1
    }

    /// The peak learning rate of a fine-tuning run (`--init-from`) of a model `modelWidth` wide:
    /// the Hugging Face Trainer's 5e-5 for the wide pretrained models it is made for, 3e-4 up to
    /// width 256 — a tiny date normaliser fine-tuned 500 steps to a new output format reached 0.2%
    /// exact match at 5e-5, 99.6% at 3e-4 and 100% at 1e-3 (BENCHMARKS.md).
    public static func fineTuningLearningRate(modelWidth: Int) -> Float {
        modelWidth <= 256 ? 3e-4 : 5e-5
    }

    /// The peak learning rate of a model `modelWidth` wide.
    public static func learningRate(modelWidth: Int, preNorm: Bool = false) -> Float {
        if preNorm && modelWidth <= tinyWidth { return 2e-3 }
        return modelWidth <= 256 ? 1e-3 : 5e-4
    }

    private static func percent(_ ratio: Double) -> String {
        let value = ratio * 100
        return value == value.rounded() ? "\(Int(value))%" : String(format: "%.1f%%", value)
    }
}
