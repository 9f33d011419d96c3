// `seq2seq-bench model`: tokens/s of generating a fixed number of tokens with a model folder,
// measured in-process (best of three after a warm-up), with the process's peak memory.
import Foundation
import Seq2Seq

/// Runs the model benchmark with `--model DIR --batch B --beams K --new-tokens N --source-length S --threads T`.
func runModelBench(_ arguments: [String]) throws {
    var options: [String: String] = [:]
    var i = 0
    while i + 1 < arguments.count { options[arguments[i]] = arguments[i + 1]; i += 2 }
    guard let path = options["--model"] else { throw BenchError("model: --model DIR is required") }
    let batch = Int(options["--batch"] ?? "1") ?? 1
    let beams = Int(options["--beams"] ?? "1") ?? 1
    let newTokens = Int(options["--new-tokens"] ?? "64") ?? 64
    let sourceLength = Int(options["--source-length"] ?? "24") ?? 24
    let repeats = Int(options["--repeats"] ?? "3") ?? 3
    if let threads = options["--threads"].flatMap(Int.init) { ThreadPool.configure(threads: threads) }

    guard let computeType = ComputeType(rawValue: options["--compute-type"] ?? "float32") else {
        throw BenchError("model: --compute-type is float32 or int8")
    }
    let model = try Seq2SeqModel(directory: URL(fileURLWithPath: path), computeType: computeType)
    let vocabulary = model.network.sourceVocabularySize
    var rng = SplitMix64(seed: 1234)
    let sources = (0..<batch).map { _ in (0..<sourceLength).map { _ in 10 + Int(rng.next() % UInt64(vocabulary - 10)) } }
    var config = model.generationDefaults
    config.numBeams = beams
    config.numReturnSequences = 1
    config.doSample = false
    config.maxNewTokens = newTokens
    config.minNewTokens = newTokens
    config.maxLength = nil
    config.noRepeatNgramSize = 0
    config.repetitionPenalty = 1

    var best = Double.infinity
    for r in 0...repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        let results = try model.generate(sources: sources, options: config, batchSize: batch)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let generated = results.reduce(0) { $0 + $1[0].ids.count }
        guard generated == batch * newTokens else { throw BenchError("generated \(generated) tokens, expected \(batch * newTokens)") }
        if r > 0 { best = min(best, seconds) }
    }
    let record: [String: Any] = [
        "tokens_per_second": Double(batch * newTokens) / best, "seconds": best, "peak_rss_mb": peakResidentMegabytes(),
    ]
    let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// VmHWM of this process, in MB.
func peakResidentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb / 1024
    }
    return 0
}

/// A benchmark's usage or setup failure.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A small deterministic generator for benchmark inputs.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
