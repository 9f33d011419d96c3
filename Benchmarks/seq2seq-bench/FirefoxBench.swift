// `seq2seq-bench firefox`: sentences/s and output tokens/s translating a reference file's
// source ids (Tests/Fixtures/firefox/reference.*.jsonl) one sentence at a time with a Marian
// folder's own options, best of R runs after a warm-up. Tokenization is not timed.
import Foundation
import Seq2Seq

/// Runs `--model DIR --reference FILE [--shortlist on|off] [--threads T] [--repeats R]`.
func runFirefoxBench(_ arguments: [String]) throws {
    var options: [String: String] = [:]
    var i = 0
    while i + 1 < arguments.count { options[arguments[i]] = arguments[i + 1]; i += 2 }
    guard let path = options["--model"], let reference = options["--reference"] else {
        throw BenchError("firefox: --model DIR and --reference FILE are required")
    }
    let useShortlist = (options["--shortlist"] ?? "on") == "on"
    let repeats = Int(options["--repeats"] ?? "3") ?? 3
    if let threads = options["--threads"].flatMap(Int.init) { ThreadPool.configure(threads: threads) }
    let model = try MarianNativeModel(directory: URL(fileURLWithPath: path))
    let sources = try String(contentsOfFile: reference, encoding: .utf8).split(separator: "\n").map { line -> [Int] in
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        return (object?["source_ids"] as? [Int]) ?? []
    }
    var best = Double.infinity, tokens = 0
    for r in 0...repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        let outputs = try model.translate(sources: sources, useShortlist: useShortlist)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        tokens = outputs.reduce(0) { $0 + $1.count }
        if r > 0 { best = min(best, seconds) }
    }
    let record: [String: Any] = [
        "sentences": sources.count, "output_tokens": tokens, "seconds": best,
        "sentences_per_second": Double(sources.count) / best, "tokens_per_second": Double(tokens) / best,
        "peak_rss_mb": peakResidentMegabytes(),
    ]
    let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
