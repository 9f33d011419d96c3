// BLEU, chrF, TER and WER against sacreBLEU 2.6.0 and jiwer 4.0.0 on the hand-written corpus in
// Fixtures/metrics (scripts/make_metric_reference.py): the 13a tokens of every line, corpus
// and sentence scores with their statistics, and the printed lines. The metrics are exact
// counts, so every number agrees to 1e-9 relative (the reference is read with JSONDecoder,
// whose number parsing is exact; JSONSerialization's can be one ulp off).
import Foundation
import Seq2SeqMetrics
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
    struct TERRecord: Decodable { let score: Double, num_edits: Int, ref_length: Double, line: String }
    struct TERShiftCase: Decodable { let hypothesis: String, reference: String, num_edits: Int, ref_length: Double }
    struct TERCases: Decodable {
        let corpus: TERRecord, corpus_two_refs: TERRecord, corpus_case_sensitive: TERRecord
        let sentences: [TERRecord], sentences_two_refs: [TERRecord], shift_cases: [TERShiftCase]
    }
    struct WERCases: Decodable { let corpus: WERRecord, sentences: [WERRecord] }
    struct WER: Decodable { let `default`: WERCases, normalized: WERCases, alignment_cases: [WERRecord] }

    let lines: Int
    let tokenized_13a: [String: [String]]
    let bleu: BLEUCases
    let chrf: [String: ChrFCases]
    let ter: TERCases
    let wer: WER
    struct CLICase: Decodable { let references: [String], arguments: [String], stdout: String }
    let cli: [CLICase]
}

final class MetricsTests: XCTestCase {
    private static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/metrics")
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

    private func checkTER(_ score: TERScore, _ e: MetricReference.TERRecord, _ what: String, line: UInt = #line) {
        close(score.score, e.score, "\(what) score", line: line)
        XCTAssertEqual(score.edits, e.num_edits, "\(what) edits", line: line)
        close(score.referenceLength, e.ref_length, "\(what) reference length", line: line)
        XCTAssertEqual(score.description, e.line, what, line: line)
    }

    func testTERMatchesSacreBLEU() throws {
        let ter = reference.ter
        checkTER(try TER().corpusScore(hypotheses: hypotheses, references: [references]), ter.corpus, "corpus")
        checkTER(try TER().corpusScore(hypotheses: hypotheses, references: [references, secondReferences]),
                 ter.corpus_two_refs, "two references")
        checkTER(try TER(caseSensitive: true).corpusScore(hypotheses: hypotheses, references: [references]),
                 ter.corpus_case_sensitive, "case-sensitive")
        XCTAssertEqual(ter.sentences.count, hypotheses.count)
        for i in hypotheses.indices {
            checkTER(TER().sentenceScore(hypothesis: hypotheses[i], references: [references[i]]), ter.sentences[i], "line \(i + 1)")
            checkTER(TER().sentenceScore(hypothesis: hypotheses[i], references: [references[i], secondReferences[i]]),
                     ter.sentences_two_refs[i], "line \(i + 1), two references")
        }
        XCTAssertThrowsError(try TER().corpusScore(hypotheses: ["a"], references: [["a", "b"]]))
    }

    /// Random sequences with moved blocks, up to 130 words: Tercom's shift search (distance
    /// and size limits, candidate ranking, the 1,000-candidate limit) and the beam.
    func testTERShiftSearchMatchesSacreBLEU() throws {
        let cases = reference.ter.shift_cases
        XCTAssertGreaterThan(cases.count, 200)
        var shifted = 0
        for (k, c) in cases.enumerated() {
            let score = TER().sentenceScore(hypothesis: c.hypothesis, references: [c.reference])
            XCTAssertEqual(score.edits, c.num_edits, "case \(k): '\(c.reference)' → '\(c.hypothesis)'")
            close(score.referenceLength, c.ref_length, "case \(k) reference length")
            let plain = WordErrorRate().sentenceScore(hypothesis: c.hypothesis.lowercased(), reference: c.reference)
            if score.edits < plain.substitutions + plain.deletions + plain.insertions { shifted += 1 }
        }
        XCTAssertGreaterThan(shifted, 50, "cases where shifting beats the plain edit distance")
    }

    func testSignaturesAndLinesAsSacreBLEUPrintsThem() throws {
        XCTAssertEqual(BLEU().signature(references: 1), "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0")
        XCTAssertEqual(BLEU(smoothing: .floor(), effectiveOrder: true).signature(references: 2),
                       "nrefs:2|case:mixed|eff:yes|tok:13a|smooth:floor[0.10]|version:2.6.0")
        XCTAssertEqual(ChrF.plusPlus.signature(references: 1), "nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0")
        XCTAssertEqual(TER().signature(references: 3), "nrefs:3|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0")
        let score = try BLEU().corpusScore(hypotheses: hypotheses, references: [references])
        XCTAssertEqual(score.line(width: 2), reference.bleu.corpus.line)
        XCTAssertEqual(score.line(width: 1, signature: BLEU().signature(references: 1)) + "\n",
                       reference.cli.first { $0.arguments == ["-m", "bleu"] }?.stdout)
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
