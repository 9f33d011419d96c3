// seq2seq-bench: `gemm` (float32 GEMM throughput), `model` (generation tokens/s),
// `tokenize` (tokenizer throughput), `firefox` (Marian translation sentences/s),
// `whisper` (transcription real-time factor) and `train-step` (training tokens/s); and one data
// tool, `freedict` (German→English training pairs from the FreeDict dictionary).
import Foundation
import Seq2SeqTraining

let usage = "usage: seq2seq-bench gemm [--threads T] [--repeats R] [--min-seconds S] [--path best|avx2|avx512|scalar] [--shape M,N,K]\n" +
    "       seq2seq-bench model --model DIR [--batch B] [--beams K] [--new-tokens N] [--threads T]\n" +
    "       seq2seq-bench tokenize --tokenizer FILE|DIR --file TEXT [--repeats R]\n" +
    "       seq2seq-bench firefox --model DIR --reference FILE.jsonl [--shortlist on|off] [--threads T] [--repeats R]\n" +
    "       seq2seq-bench whisper --model DIR [--beam-size N] [--threads T] FILE…\n" +
    "       seq2seq-bench freedict --dictionary /usr/share/dictd/freedict-deu-eng --out DIR [--test 500] [--valid 500] [--seed 1] [--examples] [--phrase-words N]\n" +
    "       seq2seq-bench train-step [--preset tiny|small|base] [--batch-tokens N] [--length L] [--vocab V] [--steps K] [--threads T] [--save-model DIR] [--keep-freed-memory on|off]"
let commandLine = Array(CommandLine.arguments.dropFirst())
do {
    switch commandLine.first {
    case "gemm": try runGEMMBench(Array(commandLine.dropFirst()))
    case "model": try runModelBench(Array(commandLine.dropFirst()))
    case "tokenize": try runTokenizerBench(Array(commandLine.dropFirst()))
    case "firefox": try runFirefoxBench(Array(commandLine.dropFirst()))
    case "whisper": try runWhisperBench(Array(commandLine.dropFirst()))
    case "freedict": try runFreeDict(Array(commandLine.dropFirst()))
    case "train-step": try runTrainStepBench(Array(commandLine.dropFirst()))
    default: throw BenchError(usage)
    }
} catch let error as TrainingDataError {
    FileHandle.standardError.write(Data("seq2seq-bench: \(error)\n".utf8))
    exit(3)
} catch {
    FileHandle.standardError.write(Data("seq2seq-bench: \(error)\n".utf8))
    exit(1)
}
