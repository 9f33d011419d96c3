// `seq2seq-bench freedict`: German→English training data from the FreeDict dictionary
// (Debian `dict-freedict-deu-eng`): sentence pairs split into train/valid/test with a fixed
// seed, and word/phrase pairs. The rules live in Benchmarks/FreeDict/FreeDictPairs.swift.
import Foundation
import Seq2SeqTraining
import FreeDict

/// Runs with `--dictionary PATH --out DIR [--test N] [--valid N] [--seed S] [--examples]
/// [--phrase-words N]`; PATH is the dictd base name (`…/freedict-deu-eng`) or its `.index`.
func runFreeDict(_ arguments: [String]) throws {
    let flags: Set<String> = ["--examples"]
    var options: [String: String] = [:]
    var i = 0
    while i < arguments.count {
        let name = arguments[i]
        if flags.contains(name) {
            options[name] = "yes"
            i += 1
        } else {
            guard name.hasPrefix("--"), i + 1 < arguments.count else { throw BenchError("freedict: unexpected argument \(name)") }
            options[name] = arguments[i + 1]
            i += 2
        }
    }
    let known: Set<String> = ["--dictionary", "--out", "--test", "--valid", "--seed", "--examples", "--phrase-words"]
    if let unknown = options.keys.first(where: { !known.contains($0) }) { throw BenchError("freedict: unknown option \(unknown)") }
    guard let dictionaryPath = options["--dictionary"], let out = options["--out"] else {
        throw BenchError("freedict: --dictionary PATH and --out DIR are required")
    }
    func count(_ name: String, default value: Int) throws -> Int {
        guard let text = options[name] else { return value }
        guard let number = Int(text), number >= 0 else { throw BenchError("freedict: \(name) needs a number ≥ 0, not \(text)") }
        return number
    }
    let testCount = try count("--test", default: 500), validCount = try count("--valid", default: 500)
    let seed = UInt64(try count("--seed", default: 1))
    let phraseWords = options["--phrase-words"] == nil ? nil : try count("--phrase-words", default: 3)

    let dictionary = try DictdDictionary(path: dictionaryPath)
    let extraction = FreeDictExtractionOptions(minimumPhraseWords: phraseWords, includeExamples: options["--examples"] != nil)
    let pairs = FreeDictExtractor.extract(from: dictionary, options: extraction)
    let split = HeldOutSplit(pairs: pairs.sentences, testCount: testCount, validCount: validCount, seed: seed)

    let folder = URL(fileURLWithPath: out, isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (name, set) in [("train", split.train), ("valid", split.valid), ("test", split.test), ("words", pairs.words)] {
        try ParallelCorpus.writeTSV(set, to: folder.appendingPathComponent("\(name).tsv"))
    }
    print("""
        entries \(pairs.entryCount) (sentence entries \(pairs.sentenceEntryCount), without English \(pairs.untranslatedCount), \
        not UTF-8 \(pairs.invalidEntryCount))
        sentence pairs \(pairs.sentences.count) (from examples \(pairs.examplePairCount), duplicate German dropped \
        \(pairs.duplicateSentenceCount)): train \(split.train.count), valid \(split.valid.count), test \(split.test.count)
        word pairs \(pairs.words.count)
        wrote \(folder.path)/{train,valid,test,words}.tsv
        """)
}
