// BLEU, chrF and WER against sacreBLEU 2.6.0 and jiwer 4.0.0 on the hand-written corpus in
// Fixtures/metrics (scripts/make_metric_reference.py): the 13a tokens of every line, corpus
// and sentence scores with their statistics, and the printed lines. The metrics are exact
// counts, so every number agrees to 1e-9 relative (the reference is read with JSONDecoder,
// whose number parsing is exact; JSONSerialization's can be one ulp off).
import Foundation
import Seq2Seq
import XCTest

/// `reference.json` as scripts/make_metric_reference.py writes it.
private struct MetricReference: Decodable {
    struct BLEURecord: Decodable {
        let score: Double, counts: [Int], totals: [Int], precisions: [Double], bp: Double, ratio: Double
        let hyp_len: Int, ref_len: Int, line: String
    }
    struct ChrFRecord: Decodable { let score: Double, line: String }
    struct WERRecord: Decodable {
        let wer: Double, hits: Int, substitutions: Int, deletions: Int, insertions: Int
        let reference: String?, hypothesis: String?
    }
    struct BLEUCases: Decodable {
        let corpus: BLEURecord, corpus_two_refs: BLEURecord, corpus_effective_order: BLEURecord
        let corpus_smoothing: [String: BLEURecord]
        let sentences: [BLEURecord], sentences_two_refs: [BLEURecord], sentences_no_effective_order: [BLEURecord]
    }
    struct ChrFCases: Decodable {
        let corpus: ChrFRecord, corpus_two_refs: ChrFRecord, sentences: [ChrFRecord], sentences_two_refs: [ChrFRecord]
    }
    struct WERCases: Decodable { let corpus: WERRecord, sentences: [WERRecord] }
    struct WER: Decodable { let `default`: WERCases, normalized: WERCases, alignment_cases: [WERRecord] }

    let lines: Int
    let tokenized_13a: [String: [String]]
    let bleu: BLEUCases
    let chrf: [String: ChrFCases]
    let wer: WER
}

final class MetricsTests: XCTestCase {
    private static let folder = fixturesDirectory.appendingPathComponent("metrics")
    private var reference: MetricReference!
    private var hypotheses: [String] = [], references: [String] = [], secondReferences: [String] = []
    /// Largest relative difference seen in this test, printed at its end.
    private var maxDifference = 0.0

    override func setUpWithError() throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent("reference.json"))
        reference = try JSONDecoder().decode(MetricReference.self, from: data)
        hypotheses = try lines("hyp.txt")
        references = try lines("ref.txt")
        secondReferences = try lines("ref2.txt")
        XCTAssertEqual(hypotheses.count, reference.lines)
        maxDifference = 0
    }

    override func tearDown() {
        print("\(name): max relative difference \(maxDifference)")
    }

    /// The lines of a corpus file as the reference script reads them (split on "\n" only).
    private func lines(_ name: String) throws -> [String] {
        let text = try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8)
        var pieces = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String(String.UnicodeScalarView($0)) }
        if pieces.last == "" { pieces.removeLast() }
        return pieces
    }

    private func close(_ actual: Double, _ expected: Double, _ what: @autoclosure () -> String, line: UInt = #line) {
        let difference = actual == expected ? 0 : abs(actual - expected) / max(abs(actual), abs(expected))
        maxDifference = max(maxDifference, difference)
        XCTAssertLessThanOrEqual(difference, 1e-9, "\(what()): \(actual) vs \(expected)", line: line)
    }

    /// Python string equality: code point by code point (Swift's `==` is canonical equivalence).
    private func sameCodePoints(_ a: String, _ b: String, _ what: @autoclosure () -> String, line: UInt = #line) {
        XCTAssertEqual(Array(a.unicodeScalars), Array(b.unicodeScalars), what(), line: line)
    }

    private func checkBLEU(_ score: BLEUScore, _ e: MetricReference.BLEURecord, _ what: String, counts: Bool = true,
                           line: UInt = #line) {
        close(score.score, e.score, "\(what) score", line: line)
        close(score.brevityPenalty, e.bp, "\(what) bp", line: line)
        close(score.ratio, e.ratio, "\(what) ratio", line: line)
        XCTAssertEqual(score.precisions.count, e.precisions.count, what, line: line)
        for (k, (p, q)) in zip(score.precisions, e.precisions).enumerated() { close(p, q, "\(what) p\(k + 1)", line: line) }
        XCTAssertEqual(score.hypothesisLength, e.hyp_len, what, line: line)
        XCTAssertEqual(score.referenceLength, e.ref_len, what, line: line)
        if counts {
            XCTAssertEqual(score.counts, e.counts, what, line: line)
            XCTAssertEqual(score.totals, e.totals, what, line: line)
        }
        XCTAssertEqual(score.description, e.line, what, line: line)
    }

    func testTokenizer13aMatchesSacreBLEU() throws {
        let tokenizer = Tokenizer13a()
        for (name, lines) in [("hyp", hypotheses), ("ref", references), ("ref2", secondReferences)] {
            let expected = try XCTUnwrap(reference.tokenized_13a[name])
            XCTAssertEqual(expected.count, lines.count)
            for (i, line) in lines.enumerated() { sameCodePoints(tokenizer(line), expected[i], "\(name) line \(i + 1)") }
        }
        XCTAssertEqual(tokenizer("Hello, world! It costs $1,000.50."), "Hello , world ! It costs $ 1,000.50 .")
    }

    func testCorpusBLEU() throws {
        let bleu = reference.bleu
        checkBLEU(try BLEU().corpusScore(hypotheses: hypotheses, references: [references]), bleu.corpus, "corpus")
        checkBLEU(try BLEU().corpusScore(hypotheses: hypotheses, references: [references, secondReferences]),
                  bleu.corpus_two_refs, "two references")
        checkBLEU(try BLEU(effectiveOrder: true).corpusScore(hypotheses: hypotheses, references: [references]),
                  bleu.corpus_effective_order, "effective order")
        for (name, smoothing) in [("none", BLEU.Smoothing.none), ("floor", .floor()), ("add-k", .addK())] {
            // sacreBLEU reports add-k's counts with k added; ours are the raw counts.
            checkBLEU(try BLEU(smoothing: smoothing).corpusScore(hypotheses: hypotheses, references: [references]),
                      try XCTUnwrap(bleu.corpus_smoothing[name]), name, counts: name != "add-k")
        }
    }

    func testSentenceBLEU() throws {
        let bleu = reference.bleu
        XCTAssertEqual(bleu.sentences.count, hypotheses.count)
        for i in hypotheses.indices {
            checkBLEU(BLEU.sentence(hypotheses[i], references: [references[i]]), bleu.sentences[i], "line \(i + 1)")
            checkBLEU(BLEU.sentence(hypotheses[i], references: [references[i], secondReferences[i]]), bleu.sentences_two_refs[i],
                      "line \(i + 1), two references")
            checkBLEU(BLEU().sentenceScore(hypothesis: hypotheses[i], references: [references[i]]),
                      bleu.sentences_no_effective_order[i], "line \(i + 1), no effective order")
        }
    }

    func testChrF() throws {
        let variants: [(String, ChrF)] = [("chrf", ChrF()), ("chrf++", .plusPlus), ("chrf_eps", ChrF(epsilonSmoothing: true)),
                                          ("chrf++_eps", ChrF(wordOrder: 2, epsilonSmoothing: true))]
        for (name, metric) in variants {
            let expected = try XCTUnwrap(reference.chrf[name])
            let corpus = try metric.corpusScore(hypotheses: hypotheses, references: [references])
            close(corpus.score, expected.corpus.score, "\(name) corpus")
            XCTAssertEqual(corpus.description, expected.corpus.line)
            let both = try metric.corpusScore(hypotheses: hypotheses, references: [references, secondReferences])
            close(both.score, expected.corpus_two_refs.score, "\(name) two references")
            XCTAssertEqual(expected.sentences.count, hypotheses.count)
            for i in hypotheses.indices {
                let s = metric.sentenceScore(hypothesis: hypotheses[i], references: [references[i]])
                close(s.score, expected.sentences[i].score, "\(name) line \(i + 1)")
                XCTAssertEqual(s.description, expected.sentences[i].line)
                close(metric.sentenceScore(hypothesis: hypotheses[i], references: [references[i], secondReferences[i]]).score,
                      expected.sentences_two_refs[i].score, "\(name) line \(i + 1), two references")
            }
        }
    }

    private func checkWER(_ score: WordErrorRateScore, _ e: MetricReference.WERRecord, _ what: String, line: UInt = #line) {
        close(score.errorRate, e.wer, "\(what) wer", line: line)
        XCTAssertEqual([score.hits, score.substitutions, score.deletions, score.insertions],
                       [e.hits, e.substitutions, e.deletions, e.insertions],
                       "\(what): hits, substitutions, deletions, insertions", line: line)
    }

    func testWordErrorRate() throws {
        for (name, metric) in [("default", WordErrorRate()), ("normalized", WordErrorRate(normalize: true))] {
            let expected = name == "default" ? reference.wer.default : reference.wer.normalized
            checkWER(try metric.corpusScore(hypotheses: hypotheses, references: references), expected.corpus, "\(name) corpus")
            XCTAssertEqual(expected.sentences.count, hypotheses.count)
            for i in hypotheses.indices {
                checkWER(metric.sentenceScore(hypothesis: hypotheses[i], reference: references[i]), expected.sentences[i],
                         "\(name) line \(i + 1)")
            }
        }
        XCTAssertEqual(WordErrorRate(normalize: true).words("  Don't STOP — the state-of-the-art\tΟΔΟΣ!"),
                       ["dont", "stop", "the", "stateoftheart", "οδος"])
        XCTAssertEqual(WordErrorRate().words("a\tb  c "), ["a\tb", "c"])
    }

    func testWordAlignmentSplitMatchesJiwer() throws {
        let cases = reference.wer.alignment_cases
        XCTAssertGreaterThan(cases.count, 100)
        for (k, c) in cases.enumerated() {
            let score = WordErrorRate().sentenceScore(hypothesis: c.hypothesis ?? "", reference: c.reference ?? "")
            checkWER(score, c, "case \(k): '\(c.reference ?? "")' → '\(c.hypothesis ?? "")'")
        }
    }

    func testMismatchedLineCountsThrow() {
        XCTAssertThrowsError(try BLEU().corpusScore(hypotheses: ["a", "b"], references: [["a"]])) { error in
            XCTAssertEqual("\(error)", "2 hypotheses but 1 line in the references")
        }
        XCTAssertThrowsError(try ChrF().corpusScore(hypotheses: ["a"], references: [["a"], ["a", "b"]]))
        XCTAssertThrowsError(try WordErrorRate().corpusScore(hypotheses: [], references: ["a"]))
    }
}
