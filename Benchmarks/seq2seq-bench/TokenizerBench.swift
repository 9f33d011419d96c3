// `seq2seq-bench tokenize`: encoding throughput (MB/s of UTF-8 input) of a tokenizer over a
// text file, one line per encode call, single thread, best of N passes after a warm-up.
import Foundation
import Seq2Seq

/// Runs with `--tokenizer FILE|DIR [--file corpus.txt] [--repeats R]`: a tokenizer.json, a
/// SentencePiece .model, or a model folder.
func runTokenizerBench(_ arguments: [String]) throws {
    var options: [String: String] = [:]
    var i = 0
    while i + 1 < arguments.count { options[arguments[i]] = arguments[i + 1]; i += 2 }
    guard let path = options["--tokenizer"], let file = options["--file"] else {
        throw BenchError("tokenize: --tokenizer PATH and --file TEXT are required")
    }
    let repeats = Int(options["--repeats"] ?? "5") ?? 5
    let url = URL(fileURLWithPath: path)
    let tokenizer: Tokenizer
    if path.hasSuffix(".json") {
        tokenizer = try HuggingFaceTokenizer(contentsOf: url)
    } else if path.hasSuffix(".model") || path.hasSuffix(".spm") {
        tokenizer = try SentencePieceTokenizer(contentsOf: url)
    } else if let folder = try ModelTokenizer.load(directory: url) {
        tokenizer = folder.source
    } else {
        throw BenchError("tokenize: no tokenizer at \(path)")
    }
    let text = try String(contentsOfFile: file, encoding: .utf8)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let bytes = lines.reduce(0) { $0 + $1.utf8.count }
    var best = Double.infinity, tokens = 0
    for r in 0...repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        var count = 0
        for line in lines { count += try tokenizer.encode(line, addSpecialTokens: true).count }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if r > 0 { best = min(best, seconds) }
        tokens = count
    }
    let record: [String: Any] = ["seconds": best, "megabytes_per_second": Double(bytes) / best / 1e6,
                                 "bytes": bytes, "lines": lines.count, "tokens": tokens]
    let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
