// `seq2seq-bench train-step`: target tokens per second of full training steps (forward,
// label-smoothed loss, backward, clipping, AdamW) of a `TransformerModel` preset on random
// token batches, with the time split into forward, backward and optimizer. The same shapes in
// PyTorch: scripts/bench_training.py.
import Foundation
import Seq2SeqTensor
import Seq2SeqTraining

/// Runs `train-step --preset tiny|small|base --batch-tokens N --length L --vocab V --steps K
/// --threads T [--save-model DIR] [--keep-freed-memory on|off]`; prints one JSON object.
/// `--keep-freed-memory on` (the default) calls `TrainingMemory.keepFreedMemory()`.
func runTrainStepBench(_ arguments: [String]) throws {
    var options: [String: String] = [:]
    var i = 0
    while i + 1 < arguments.count { options[arguments[i]] = arguments[i + 1]; i += 2 }
    guard let preset = TransformerConfiguration.Preset(rawValue: options["--preset"] ?? "small") else {
        throw BenchError("train-step: --preset is tiny, small or base")
    }
    let batchTokens = Int(options["--batch-tokens"] ?? "4096") ?? 4096
    let length = Int(options["--length"] ?? "32") ?? 32
    let vocabulary = Int(options["--vocab"] ?? "8000") ?? 8000
    let steps = max(1, Int(options["--steps"] ?? "3") ?? 3)
    if let threads = options["--threads"].flatMap(Int.init) { ThreadPool.configure(threads: threads) }
    let B = max(1, batchTokens / length)
    let keepFreedMemory = (options["--keep-freed-memory"] ?? "on") == "on"
    if keepFreedMemory { TrainingMemory.keepFreedMemory() }

    let model = TransformerModel(configuration: TransformerConfiguration(preset: preset, vocabularySize: vocabulary), seed: 1)
    if let path = options["--save-model"] { try model.export(to: URL(fileURLWithPath: path)) }
    let optimizer = AdamW(parameters: model.parameters, learningRate: 1e-4, beta2: 0.98, epsilon: 1e-9,
                          withoutWeightDecay: model.parametersWithoutWeightDecay)
    model.isTraining = true
    var random = TrainingRandom(seed: 7)
    func sequence() -> [Int32] { (0..<(length - 1)).map { _ in Int32(2 + random.next() % UInt64(vocabulary - 2)) } + [1] }

    var times: [(forward: Double, backward: Double, optimizer: Double)] = []
    for _ in 0...steps {  // the first step warms up
        let batch = TrainingBatch(sources: (0..<B).map { _ in sequence() }, targets: (0..<B).map { _ in sequence() },
                                  padTokenId: 0, decoderStartTokenId: 0)
        let t0 = now()
        let loss = model.loss(for: batch)
        let t1 = now()
        loss.backward()
        let t2 = now()
        clipGradientNorm(model.parameters, maxNorm: 1)
        optimizer.step()
        optimizer.zeroGradients()
        times.append((t1 - t0, t2 - t1, now() - t2))
    }
    let timed = times.dropFirst()
    let mean = { (part: KeyPath<(forward: Double, backward: Double, optimizer: Double), Double>) in
        timed.map { $0[keyPath: part] }.reduce(0, +) / Double(timed.count)
    }
    let step = mean(\.forward) + mean(\.backward) + mean(\.optimizer)
    let record: [String: Any] = [
        "engine": "seq2seq", "preset": preset.rawValue, "batch": B, "length": length, "vocab": vocabulary,
        "target_tokens": B * length, "threads": ThreadPool.shared.threadCount, "parameters": model.parameterCount,
        "steps": steps, "seconds_per_step": step, "tokens_per_second": Double(B * length) / step,
        "forward_seconds": mean(\.forward), "backward_seconds": mean(\.backward), "optimizer_seconds": mean(\.optimizer),
        "peak_rss_mb": peakResidentMegabytes(), "cpu": cpuModelName(), "keep_freed_memory": keepFreedMemory,
    ]
    let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

private func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// The processor's name from /proc/cpuinfo.
func cpuModelName() -> String {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
    let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
    return line.map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown"
}
