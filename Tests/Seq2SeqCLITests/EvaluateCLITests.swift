// `seq2seq evaluate` end to end: scoring a file of outputs prints sacreBLEU's and jiwer's
// numbers for the metrics fixture (Fixtures/metrics/reference.json); decoding with a fixture
// model prints what scoring `translate`'s output prints; a Whisper model (when fetched) gets
// WER; bad files are one line and exit 3, bad flags exit 2.
import Foundation
import XCTest

final class EvaluateCLITests: XCTestCase {
    private let metrics = fixtures.appendingPathComponent("metrics")
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-evaluate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func path(_ name: String) -> String { metrics.appendingPathComponent(name).path }

    private func write(_ name: String, _ data: Data) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    /// The value at `keys` in the fixture's reference.json.
    private func expected(_ keys: String...) throws -> Any {
        let data = try Data(contentsOf: metrics.appendingPathComponent("reference.json"))
        var value = try XCTUnwrap(JSONSerialization.jsonObject(with: data))
        for key in keys { value = try XCTUnwrap((value as? [String: Any])?[key], "no \(keys) in reference.json") }
        return value
    }

    private func evaluate(_ arguments: [String], line: UInt = #line) throws -> String {
        let result = try runCLI(["evaluate"] + arguments)
        XCTAssertEqual(result.status, 0, result.stderr, line: line)
        return result.stdout
    }

    private func evaluateJSON(_ arguments: [String], line: UInt = #line) throws -> [String: Any] {
        let out = try evaluate(arguments + ["--json"], line: line)
        XCTAssertEqual(out.split(separator: "\n").count, 1, out, line: line)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], out, line: line)
    }

    private func assertClose(_ actual: Any?, _ expected: Any?, _ what: String, line: UInt = #line) {
        let a = (actual as? NSNumber)?.doubleValue ?? .nan, e = (expected as? NSNumber)?.doubleValue ?? .infinity
        XCTAssertLessThanOrEqual(abs(a - e), 1e-9 * max(abs(e), 1e-300), "\(what): \(a) vs \(e)", line: line)
    }

    func testHypothesesFileMatchesSacreBLEUAndJiwer() throws {
        let files = ["--hypotheses", path("hyp.txt"), "--reference", path("ref.txt")]
        let bleu = try expected("bleu", "corpus") as? [String: Any]
        let json = try evaluateJSON(files)
        XCTAssertEqual(json["signature"] as? String, "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0")
        for key in ["score", "bp", "ratio"] { assertClose(json[key], bleu?[key], "BLEU \(key)") }
        XCTAssertEqual(json["counts"] as? [Int], bleu?["counts"] as? [Int])
        XCTAssertEqual(json["hyp_len"] as? Int, bleu?["hyp_len"] as? Int)
        XCTAssertEqual(json["ref_len"] as? Int, bleu?["ref_len"] as? Int)

        let two = files + ["--reference", path("ref2.txt")]
        assertClose(try evaluateJSON(two)["score"], try expected("bleu", "corpus_two_refs", "score"), "BLEU with two references")
        assertClose(try evaluateJSON(files + ["--metric", "chrf"])["score"], try expected("chrf", "chrf", "corpus", "score"), "chrF")
        let ter = try evaluateJSON(two + ["--metric", "ter"])
        assertClose(ter["score"], try expected("ter", "corpus_two_refs", "score"), "TER with two references")
        XCTAssertEqual(ter["num_edits"] as? Int, try expected("ter", "corpus_two_refs", "num_edits") as? Int)
        assertClose(try evaluateJSON(two + ["--metric", "chrf++"])["score"], try expected("chrf", "chrf++", "corpus_two_refs", "score"),
                    "chrF++ with two references")

        for (name, extra) in [("default", [String]()), ("normalized", ["--normalize"])] {
            let wer = try XCTUnwrap(try expected("wer", name, "corpus") as? [String: Any])
            let got = try evaluateJSON(files + ["--metric", "wer"] + extra)
            assertClose(got["wer"], wer["wer"], "WER \(name)")
            for key in ["hits", "substitutions", "deletions", "insertions"] {
                XCTAssertEqual(got[key] as? Int, wer[key] as? Int, "WER \(name) \(key)")
            }
            XCTAssertTrue(try evaluate(files + ["--metric", "wer"] + extra).hasPrefix("WER = "))
        }
    }

    /// sacreBLEU's own command line (`sacrebleu REF… -i hyp.txt -m … -f text`, recorded by
    /// scripts/make_metric_reference.py) and `seq2seq evaluate` print the same bytes.
    func testOutputIsWhatSacreBLEUsCommandLinePrints() throws {
        let cases = try XCTUnwrap(try expected("cli") as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 6)
        for c in cases {
            let refs = try XCTUnwrap(c["references"] as? [String]), sacre = try XCTUnwrap(c["arguments"] as? [String])
            var arguments = ["--hypotheses", path("hyp.txt")] + refs.flatMap { ["--reference", path($0)] }
            var k = 0, metrics: [String] = []
            while k < sacre.count {
                switch sacre[k] {
                case "-m":
                    k += 1
                    while k < sacre.count && !sacre[k].hasPrefix("-") { metrics.append(sacre[k]); k += 1 }
                    continue
                case "-w": arguments += ["--width", sacre[k + 1]]; k += 2
                case "--chrf-word-order": metrics = metrics.map { $0 == "chrf" ? "chrf++" : $0 }; k += 2
                default: XCTFail("unexpected sacrebleu argument \(sacre[k])"); k += 1
                }
            }
            // One --metric with several values, and comma-separated, give the same.
            XCTAssertEqual(try evaluate(arguments + ["--metric"] + metrics), c["stdout"] as? String, "\(sacre)")
            XCTAssertEqual(try evaluate(arguments + ["--metric", metrics.reversed().joined(separator: ",")]), c["stdout"] as? String)
        }
        // Several metrics with --json: an array, one object a metric, in the printed order.
        let out = try evaluate(["--hypotheses", path("hyp.txt"), "--reference", path("ref.txt"), "--metric", "ter", "bleu", "wer", "--json"])
        let records = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]], out)
        XCTAssertEqual(records.map { $0["name"] as? String }, ["BLEU", "TER", "WER"])
        XCTAssertNil(records[2]["signature"])
        // Hypotheses from standard input.
        let piped = try runCLI(["evaluate", "--hypotheses", "-", "--reference", path("ref.txt")],
                               stdin: try Data(contentsOf: metrics.appendingPathComponent("hyp.txt")))
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(piped.stdout, try evaluate(["--hypotheses", path("hyp.txt"), "--reference", path("ref.txt")]))
        let empty = try runCLI(["evaluate", "--hypotheses", "-", "--reference", path("ref.txt")], stdin: Data())
        XCTAssertEqual(empty.status, 3, empty.stderr)
        XCTAssertTrue(empty.stderr.contains("standard input"), empty.stderr)
    }

    func testTextModelScoresItsTranslations() throws {
        let model = fixtures.appendingPathComponent("marian").path
        let source = try write("source.txt", Data("The house is green.\nHello world\n\nA small cat sleeps.\n".utf8))
        let reference = try write("reference.txt", Data("Das Haus ist grün.\nHallo Welt\n\nEine kleine Katze schläft.\n".utf8))
        let decoding = ["--beam-size", "2", "--max-length", "8"]
        let out = try evaluate(["--model", model, "--source", source, "--reference", reference] + decoding)
        let pattern = #"^BLEU\|nrefs:1\|case:mixed\|eff:no\|tok:13a\|smooth:exp\|version:2\.6\.0 = \d+\.\d \d+\.\d/\d+\.\d/\d+\.\d/\d+\.\d \(BP = \d\.\d{3} ratio = \d+\.\d{3} hyp_len = \d+ ref_len = 12\)\n$"#
        XCTAssertNotNil(out.range(of: pattern, options: .regularExpression), out)

        let translated = try runCLI(["translate", "--model", model] + decoding, stdin: try Data(contentsOf: URL(fileURLWithPath: source)))
        XCTAssertEqual(translated.status, 0, translated.stderr)
        let hypotheses = try write("hypotheses.txt", Data(translated.stdout.utf8))
        for metric in ["bleu", "chrf", "ter"] {
            XCTAssertEqual(try evaluate(["--model", model, "--source", source, "--reference", reference, "--metric", metric] + decoding),
                           try evaluate(["--hypotheses", hypotheses, "--reference", reference, "--metric", metric]), metric)
        }
    }

    func testSpeechModelDefaultsToWER() throws {
        let root = fixtures.deletingLastPathComponent().deletingLastPathComponent()
        let whisper = (ProcessInfo.processInfo.environment["SEQ2SEQ_WHISPER_MODELS"].map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent("models")).appendingPathComponent("whisper-tiny.en")
        guard FileManager.default.fileExists(atPath: whisper.appendingPathComponent("model.bin").path) else {
            throw XCTSkip("Whisper tiny.en not fetched: run scripts/fetch_whisper_models.sh")
        }
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("audio/pcm16_mono_16k.wav"),
                                         to: scratch.appendingPathComponent("clip.wav"))
        let list = try write("audio.txt", Data("clip.wav\n".utf8))  // relative to the list's folder
        let reference = try write("reference.txt", Data("a chirp\n".utf8))
        let out = try evaluate(["--model", whisper.path, "--source", list, "--reference", reference, "--beam-size", "1"])
        XCTAssertTrue(out.hasPrefix("WER = ") && out.contains(" ref_words = 2 ") && out.hasSuffix(")\n"), out)
        let missing = try write("missing.txt", Data("nowhere.wav\n".utf8))
        let result = try runCLI(["evaluate", "--model", whisper.path, "--source", missing, "--reference", reference])
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.contains("nowhere.wav"), result.stderr)
    }

    /// Asserts exit code 3 and a single stderr line containing every fragment.
    private func assertBadInput(_ arguments: [String], mentions fragments: [String], line: UInt = #line) throws {
        let result = try runCLI(["evaluate"] + arguments)
        XCTAssertEqual(result.status, 3, "stderr: \(result.stderr)", line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "expected one line, got: \(result.stderr)", line: line)
        for f in fragments { XCTAssertTrue(result.stderr.contains(f), "'\(f)' not in: \(result.stderr)", line: line) }
        XCTAssertEqual(result.stdout, "", line: line)
    }

    func testBadInputIsOneLineAndExitThree() throws {
        let reference = path("ref.txt")
        let missing = scratch.appendingPathComponent("missing.txt").path
        try assertBadInput(["--hypotheses", missing, "--reference", reference], mentions: [missing, "no such file"])
        try assertBadInput(["--hypotheses", path("hyp.txt"), "--reference", missing], mentions: [missing, "no such file"])
        let invalid = try write("latin1.txt", Data("fine\ncaf\u{E9}\n".utf8) + Data([0x63, 0x61, 0x66, 0xE9, 0x0A]))
        try assertBadInput(["--hypotheses", invalid, "--reference", reference], mentions: [invalid, "not valid UTF-8", "line 3"])
        let empty = try write("empty.txt", Data())
        try assertBadInput(["--hypotheses", path("hyp.txt"), "--reference", empty], mentions: [empty, "empty file"])
        let short = try write("short.txt", Data("one line\n".utf8))
        try assertBadInput(["--hypotheses", short, "--reference", reference], mentions: [short, reference, "46 lines", "has 1"])
        try assertBadInput(["--hypotheses", path("hyp.txt"), "--reference", reference, "--reference", short],
                           mentions: [short, "1 line,"])
        let model = fixtures.appendingPathComponent("marian").path
        try assertBadInput(["--model", model, "--source", short, "--reference", reference], mentions: [short, reference])
        try assertBadInput(["--model", model, "--source", empty, "--reference", reference], mentions: [empty, "empty file"])
        try assertBadInput(["--hypotheses", scratch.path, "--reference", reference], mentions: [scratch.path, "folder"])
        let noModel = scratch.appendingPathComponent("no-model").path
        try assertBadInput(["--model", noModel, "--source", path("hyp.txt"), "--reference", reference], mentions: [noModel])
    }

    func testBadFlagsAreUsageErrors() throws {
        let hyp = path("hyp.txt"), ref = path("ref.txt")
        for arguments in [["--hypotheses", hyp], ["--reference", ref], ["--model", "m", "--reference", ref],
                          ["--hypotheses", hyp, "--model", "m", "--source", hyp, "--reference", ref],
                          ["--hypotheses", hyp, "--reference", ref, "--metric", "meteor"],
                          ["--hypotheses", hyp, "--reference", ref, "--metric", "bleu,rouge"],
                          ["--hypotheses", hyp, "--reference", ref, "--width", "11"],
                          ["--hypotheses", "-", "--reference", "-"],
                          ["--hypotheses", hyp, "--reference", ref, "--reference", ref, "--metric", "wer"],
                          ["--hypotheses", hyp, "--reference", ref, "--metric", "bleu", "--normalize"],
                          ["--model", "m", "--source", hyp, "--reference", ref, "--beam-size", "0"]] {
            let result = try runCLI(["evaluate"] + arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
        }
    }
}
