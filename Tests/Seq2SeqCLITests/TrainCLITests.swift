// `seq2seq train` end to end on a word-reversal corpus: it learns, writes a model folder the
// other commands load, checkpoints and metrics; a run killed with SIGKILL and resumed logs
// the same losses as one that was never interrupted; bad input is one line and exit 3.
import Foundation
import XCTest

final class TrainCLITests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// `count` pairs "w1 w2 … wn<TAB>wn … w2 w1" over 20 Greek-letter words, seeded.
    private func reversalCorpus(_ name: String, count: Int, seed: UInt64) throws -> URL {
        let words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon"
            .split(separator: " ").map(String.init)
        var state = seed
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        let lines = (0..<count).map { _ -> String in
            let sentence = (0..<(2 + next(5))).map { _ in words[next(words.count)] }
            return sentence.joined(separator: " ") + "\t" + sentence.reversed().joined(separator: " ")
        }
        let url = scratch.appendingPathComponent(name)
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private func trainArguments(_ train: URL, _ valid: URL?, out: URL, steps: Int, extra: [String] = []) -> [String] {
        ["train", "--train", train.path] + (valid.map { ["--valid", $0.path] } ?? []) + [
            "--out", out.path, "--preset", "tiny", "--vocab-size", "400", "--max-steps", String(steps),
            "--batch-tokens", "1024", "--warmup", "100", "--lr", "3e-3", "--threads", "2"] + extra
    }

    private func records(_ run: URL) throws -> [[String: Any]] {
        try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func testLearnsReversalAndWritesAModelFolderEveryCommandLoads() throws {
        let train = try reversalCorpus("train.tsv", count: 2000, seed: 1), valid = try reversalCorpus("valid.tsv", count: 100, seed: 2)
        let run = scratch.appendingPathComponent("run")
        let result = try runCLI(trainArguments(train, valid, out: run, steps: 600,
                                               extra: ["--save-every", "200", "--log-every", "50", "--dropout", "0",
                                                       "--average-last", "2", "--keep", "2"]))
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("trained 600 steps"), result.stdout)
        XCTAssertTrue(result.stderr.contains("step 50/600"), result.stderr)
        let metrics = try records(run)
        let training = metrics.filter { $0["loss"] != nil }, validation = metrics.compactMap { $0["valid_bleu"] as? Double }
        XCTAssertEqual(training.map { $0["step"] as? Int }, Array(stride(from: 50, through: 600, by: 50)))
        XCTAssertEqual(validation.count, 3)
        let firstLoss = try XCTUnwrap(training.first?["loss"] as? Double), lastLoss = try XCTUnwrap(training.last?["loss"] as? Double)
        XCTAssertLessThan(lastLoss, firstLoss / 3, "the loss must fall")
        XCTAssertGreaterThan(validation.max() ?? 0, 90, "greedy BLEU on held-out reversals")
        let svg = try String(contentsOf: run.appendingPathComponent("loss.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("<polyline") && svg.contains("<circle"))
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("checkpoints").path).sorted()
        XCTAssertTrue(checkpoints.contains("step-000600") && checkpoints.count <= 3, "\(checkpoints)")  // 2 kept + the best
        for folder in [run, run.appendingPathComponent("averaged")] {
            for file in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), "\(folder.path)/\(file)")
            }
        }
        let translated = try runCLI(["translate", "--model", run.path, "alpha beta gamma delta", "mu nu xi pi rho"])
        XCTAssertEqual(translated.status, 0, translated.stderr)
        XCTAssertEqual(translated.stdout, "delta gamma beta alpha\nrho pi xi nu mu\n")
        let sources = scratch.appendingPathComponent("sources.txt"), references = scratch.appendingPathComponent("references.txt")
        let pairs = try String(contentsOf: valid, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t") }
        try pairs.map { String($0[0]) }.joined(separator: "\n").write(to: sources, atomically: true, encoding: .utf8)
        try pairs.map { String($0[1]) }.joined(separator: "\n").write(to: references, atomically: true, encoding: .utf8)
        let evaluated = try runCLI(["evaluate", "--model", run.path, "--source", sources.path, "--reference", references.path])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        XCTAssertTrue(evaluated.stdout.hasPrefix("BLEU|nrefs:1|"), evaluated.stdout)
    }

    /// A run killed with SIGKILL after a checkpoint and resumed logs exactly the losses of an
    /// uninterrupted run with the same seed (dropout on, so the random state must be restored);
    /// every checkpoint left behind is whole, and a partial one is cleared on resume.
    func testKilledAndResumedRunMatchesAnUninterruptedOne() throws {
        let train = try reversalCorpus("train.tsv", count: 1500, seed: 3), valid = try reversalCorpus("valid.tsv", count: 60, seed: 4)
        let extra = ["--save-every", "20", "--log-every", "10", "--dropout", "0.1", "--valid-bleu-lines", "0", "--quiet"]
        let whole = scratch.appendingPathComponent("whole"), killed = scratch.appendingPathComponent("killed")
        XCTAssertEqual(try runCLI(trainArguments(train, valid, out: whole, steps: 300, extra: extra)).status, 0)

        let process = Process()
        process.executableURL = binary
        process.arguments = trainArguments(train, valid, out: killed, steps: 300, extra: extra)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let trigger = killed.appendingPathComponent("checkpoints/step-000060").path
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: trigger) && process.isRunning && Date() < deadline { usleep(2_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the run must be killed before it finishes")

        let checkpoints = killed.appendingPathComponent("checkpoints")
        for name in try FileManager.default.contentsOfDirectory(atPath: checkpoints.path) where name.hasPrefix("step-") {
            for file in ["config.json", "model.safetensors", "optimizer.safetensors", "trainer_state.json", "tokenizer.json"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoints.appendingPathComponent("\(name)/\(file)").path),
                              "\(name) lacks \(file)")
            }
        }
        // As if the kill had come in the middle of writing the next checkpoint.
        let partial = checkpoints.appendingPathComponent(".step-999999.partial")
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        try Data("half".utf8).write(to: partial.appendingPathComponent("model.safetensors"))

        let resumed = try runCLI(["train", "--out", killed.path, "--resume", "--threads", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming"), resumed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path), "partial checkpoint left behind")

        let keys = ["step", "loss", "gradient_norm", "learning_rate", "valid_loss"]
        func comparable(_ records: [[String: Any]]) -> [String] {
            records.map { r in keys.compactMap { k in r[k].map { "\(k)=\($0)" } }.joined(separator: " ") }
        }
        let expected = comparable(try records(whole)), got = comparable(try records(killed))
        XCTAssertEqual(got.count, expected.count)
        for (g, e) in zip(got, expected) { XCTAssertEqual(g, e) }
        let wholeModel = try Data(contentsOf: whole.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(try Data(contentsOf: killed.appendingPathComponent("model.safetensors")), wholeModel,
                       "the resumed run's best model differs from the uninterrupted run's")
    }

    /// run.json once said 8000 tokens when far fewer were learned, the log's parameter count
    /// differed from inspect's, and metrics.jsonl's epoch was one behind the progress line's.
    func testBookkeepingAgrees() throws {
        let train = try reversalCorpus("train.tsv", count: 300, seed: 5)
        let run = scratch.appendingPathComponent("books")
        let result = try runCLI(["train", "--train", train.path, "--out", run.path, "--preset", "tiny", "--max-steps", "20",
                                 "--log-every", "10", "--save-every", "20", "--batch-tokens", "512", "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let options = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("run.json"))) as? [String: Any])
        let learned = try XCTUnwrap(options["learnedVocabularySize"] as? Int, "run.json has no learned size")
        XCTAssertLessThan(learned, 8000)
        XCTAssertEqual((options["model"] as? [String: Any])?["vocabularySize"] as? Int, learned)
        XCTAssertTrue(result.stderr.contains("learned a \(learned)-token BPE vocabulary"), result.stderr)
        let logged = try XCTUnwrap(result.stderr.range(of: #"model: (\d+) parameters"#, options: .regularExpression).map {
            Int(result.stderr[$0].split(separator: " ")[1]) })
        let inspect = try runCLI(["inspect", "--model", run.path, "--json"])
        let described = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(described["parameters"] as? Int, logged)
        XCTAssertEqual(described["vocab_size"] as? Int, learned)
        let record = try XCTUnwrap(try records(run).first { $0["step"] as? Int == 20 && $0["loss"] != nil })
        let progress = try XCTUnwrap(result.stderr.split(separator: "\n").first { $0.contains("step 20/20") })
        XCTAssertTrue(progress.contains("epoch \(record["epoch"] as? Int ?? -1) "), "\(progress) vs \(record)")
    }

    /// `--max-epochs N` ends the run after N passes over the pairs (the steps of N epochs,
    /// rounded up over `--accumulate`), before `--max-steps`.
    func testMaxEpochsEndsAfterThatManyPasses() throws {
        let train = try reversalCorpus("train.tsv", count: 300, seed: 7)
        for accumulate in [1, 2] {
            let run = scratch.appendingPathComponent("epochs-\(accumulate)")
            let result = try runCLI(["train", "--train", train.path, "--out", run.path, "--preset", "tiny", "--vocab-size", "400",
                                     "--max-steps", "1000", "--max-epochs", "2", "--accumulate", String(accumulate),
                                     "--log-every", "1", "--batch-tokens", "512", "--threads", "2"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let match = try XCTUnwrap(result.stderr.range(of: #"2 epochs of (\d+) batches: (\d+) steps"#, options: .regularExpression),
                                      result.stderr)
            let numbers = result.stderr[match].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            let (batches, steps) = (numbers[1], numbers[2])
            XCTAssertGreaterThan(batches, 3)
            XCTAssertEqual(steps, (2 * batches + accumulate - 1) / accumulate)
            XCTAssertTrue(result.stdout.hasPrefix("trained \(steps) steps (max epochs)"), result.stdout)
            let progress = try records(run).filter { $0["loss"] != nil }
            XCTAssertEqual(progress.last?["step"] as? Int, steps)
            XCTAssertEqual(progress.last?["epoch"] as? Int, 2, "the last step is in the second epoch")
            if accumulate == 1 {
                XCTAssertEqual(progress.first { $0["step"] as? Int == batches }?["epoch"] as? Int, 1)
                XCTAssertEqual(progress.first { $0["step"] as? Int == batches + 1 }?["epoch"] as? Int, 2)
            }
        }
        let refused = try runCLI(["train", "--resume", "--out", scratch.appendingPathComponent("epochs-1").path, "--max-epochs", "3"])
        XCTAssertEqual(refused.status, 2, refused.stderr)
    }

    /// With no flag but --train/--valid/--out/--max-steps the run chooses its warmup (a tenth
    /// of the steps), its vocabulary (from the corpus), its model (tiny for 20 words, pre-norm),
    /// dropout (none) and learning rate (2e-3), says so, records them in run.json, and the learning rate peaks at the
    /// end of that warmup; the end says whether validation was still improving, and loss.svg
    /// carries the validation BLEU and exact-match curves.
    func testDefaultsFitTheRun() throws {
        let train = try reversalCorpus("train.tsv", count: 1500, seed: 11), valid = try reversalCorpus("valid.tsv", count: 40, seed: 12)
        let run = scratch.appendingPathComponent("defaults")
        let result = try runCLI(["train", "--train", train.path, "--valid", valid.path, "--out", run.path, "--max-steps", "120",
                                 "--log-every", "12", "--save-every", "60", "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        for fragment in ["warmup: 12 steps (10% of 120 steps", "chose tiny model (20 words recur 10+ times",
                         "pre-norm layers (width 64", "dropout 0.0 (", "learning rate 0.002 (width 64, pre-norm)", "-token BPE vocabulary (merges while a new piece occurs at least 100 times"] {
            XCTAssertTrue(result.stderr.contains(fragment), "\(fragment) not in \(result.stderr)")
        }
        XCTAssertFalse(result.stderr.contains("warning"), result.stderr)
        let options = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("run.json"))) as? [String: Any])
        XCTAssertEqual(options["warmupSteps"] as? Int, 12)
        XCTAssertEqual((options["learningRate"] as? Double).map { Float($0) }, 2e-3)
        XCTAssertEqual((options["model"] as? [String: Any])?["modelWidth"] as? Int, 64)
        XCTAssertEqual((options["model"] as? [String: Any])?["preNorm"] as? Bool, true)
        XCTAssertEqual((options["model"] as? [String: Any])?["dropout"] as? Double, 0)
        let exported = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json"))) as? [String: Any]
        XCTAssertEqual(exported?["model_type"] as? String, "mbart", "a pre-norm model exports as mBART")
        XCTAssertNil(options["vocabularySize"] as? Int)
        let batch = try XCTUnwrap(options["batchTokens"] as? Int)
        XCTAssertTrue(batch < 4096 && batch >= 512 && batch % 256 == 0, "a 1,500-pair corpus gets smaller batches: \(batch)")
        XCTAssertTrue(result.stderr.contains("batches of \(batch) tokens"), result.stderr)
        let rates = try records(run).filter { $0["loss"] != nil }.reduce(into: [Int: Double]()) {
            $0[$1["step"] as? Int ?? 0] = $1["learning_rate"] as? Double
        }
        XCTAssertEqual(try XCTUnwrap(rates[12]), 2e-3, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(rates[48]), 2e-3 * (12.0 / 48).squareRoot(), accuracy: 1e-9)
        let validation = try records(run).filter { $0["valid_loss"] != nil }
        XCTAssertEqual(validation.count, 2)
        XCTAssertTrue(validation.allSatisfy { ($0["valid_exact_match"] as? Double).map { $0 >= 0 && $0 <= 100 } ?? false }, "\(validation)")
        let trend = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(trend.hasPrefix("validation was still improving at the end") || trend.hasPrefix("validation stopped improving"), result.stdout)
        let plot = try String(contentsOf: run.appendingPathComponent("loss.svg"), encoding: .utf8)
        XCTAssertTrue(plot.contains("validation BLEU (right)") && plot.contains("exact match % (right)"), plot)
        // A resumed run keeps what was chosen.
        let resumed = try runCLI(["train", "--resume", "--out", run.path, "--max-steps", "130", "--threads", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertFalse(resumed.stderr.contains("chose") || resumed.stderr.contains("warmup:"), resumed.stderr)
        let rate130 = try XCTUnwrap(try records(run).last { $0["loss"] != nil }?["learning_rate"] as? Double)
        XCTAssertEqual(rate130, 2e-3 * (12.0 / 130).squareRoot(), accuracy: 1e-9)
    }

    /// --warmup-ratio, and the flags that cannot go together.
    func testWarmupRatioAndRefusedCombinations() throws {
        let train = try reversalCorpus("train.tsv", count: 300, seed: 13)
        let run = scratch.appendingPathComponent("ratio")
        let result = try runCLI(["train", "--train", train.path, "--out", run.path, "--max-steps", "40", "--warmup-ratio", "0.25",
                                 "--preset", "tiny", "--batch-tokens", "512", "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("warmup: 10 steps (25% of 40 steps (--warmup-ratio))"), result.stderr)
        XCTAssertTrue(result.stderr.contains("chose dropout 0.1"), result.stderr)
        XCTAssertFalse(result.stderr.contains("chose tiny model") || result.stderr.contains("pre-norm layers") || result.stderr.contains(", pre-norm)"),
                       "an explicit preset is not chosen, and keeps post-norm: \(result.stderr)")
        for extra in [["--warmup", "5", "--warmup-ratio", "0.1"], ["--preset", "auto", "--d-model", "32"],
                      ["--tokenizer", "char", "--vocab-size", "400"], ["--warmup-ratio", "1.5"], ["--tokenizer", "words"]] {
            let refused = try runCLI(["train", "--train", train.path, "--out", scratch.appendingPathComponent("no").path] + extra)
            XCTAssertEqual(refused.status, 2, "\(extra): \(refused.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("no").path))
        }
    }

    /// A --vocab-size the corpus cannot fill with frequent pieces gets a warning; the default
    /// size does not.
    func testRareVocabularyIsWarnedAbout() throws {
        var state: UInt64 = 3
        func letter() -> Character {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Character(Unicode.Scalar(UInt8(97 + (state >> 33) % 26)))
        }
        let lines = (0..<400).map { _ in
            let words = (0..<4).map { _ in String((0..<6).map { _ in letter() }) }
            return words.joined(separator: " ") + "\t" + words.reversed().joined(separator: " ")
        }
        let train = scratch.appendingPathComponent("random.tsv")
        try (lines.joined(separator: "\n") + "\n").write(to: train, atomically: true, encoding: .utf8)
        let asked = try runCLI(["train", "--train", train.path, "--out", scratch.appendingPathComponent("big").path, "--max-steps", "2",
                                "--vocab-size", "1500", "--preset", "tiny", "--threads", "2"])
        XCTAssertEqual(asked.status, 0, asked.stderr)
        XCTAssertTrue(asked.stderr.contains("warning:") && asked.stderr.contains("occur fewer than 100 times"), asked.stderr)
        let sized = try runCLI(["train", "--train", train.path, "--out", scratch.appendingPathComponent("sized").path, "--max-steps", "2",
                                "--preset", "tiny", "--threads", "2"])
        XCTAssertEqual(sized.status, 0, sized.stderr)
        XCTAssertFalse(sized.stderr.contains("warning"), sized.stderr)
    }

    /// --tokenizer char: one token per character, a tokenizer.json without merges that the
    /// trained model's folder uses like any other.
    func testCharacterTokenizer() throws {
        let train = try reversalCorpus("train.tsv", count: 300, seed: 17)
        let run = scratch.appendingPathComponent("chars")
        let result = try runCLI(["train", "--train", train.path, "--out", run.path, "--max-steps", "4", "--tokenizer", "char",
                                 "--batch-tokens", "1024", "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("learned a character vocabulary of"), result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("tokenizer.json"))) as? [String: Any])
        let model = try XCTUnwrap(json["model"] as? [String: Any])
        XCTAssertEqual((model["merges"] as? [Any])?.count, 0)
        let tokens = try runCLI(["tokenize", "--model", run.path, "beta alpha"])
        XCTAssertEqual(tokens.status, 0, tokens.stderr)
        XCTAssertEqual(tokens.stdout.split(whereSeparator: \.isWhitespace), ["▁", "b", "e", "t", "a", "▁", "a", "l", "p", "h", "a", "</s>"],
                       tokens.stdout)
    }

    func testBadInputIsOneLineAndExitThree() throws {
        let run = scratch.appendingPathComponent("run")
        let empty = scratch.appendingPathComponent("empty.tsv")
        try Data().write(to: empty)
        for (arguments, fragment) in [
            (trainArguments(empty, nil, out: run, steps: 10), "empty.tsv"),
            (trainArguments(scratch.appendingPathComponent("missing.tsv"), nil, out: run, steps: 10), "missing.tsv"),
            (["train", "--out", scratch.appendingPathComponent("nothing").path, "--resume"], "nothing"),
        ] {
            let result = try runCLI(arguments)
            XCTAssertEqual(result.status, 3, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(fragment), result.stderr)
            XCTAssertFalse(result.stderr.contains("Fatal error"))
        }
    }

    func testMalformedLinesAreReportedWithLineNumbers() throws {
        let good = try String(contentsOf: try reversalCorpus("good.tsv", count: 300, seed: 5), encoding: .utf8)
        var lines = good.split(separator: "\n").map(String.init)
        lines.insert("no tab here", at: 2)           // line 3
        lines.insert("a\tb\tc", at: 6)               // line 7
        lines.insert("\tempty source", at: 9)        // line 10
        let train = scratch.appendingPathComponent("messy.tsv")
        var data = Data((lines.joined(separator: "\n") + "\n").utf8)
        data.append(contentsOf: [0x66, 0xFF, 0x09, 0x67, 0x0A])  // line 304: invalid UTF-8
        try data.write(to: train)
        let result = try runCLI(trainArguments(train, nil, out: scratch.appendingPathComponent("run"), steps: 5,
                                               extra: ["--save-every", "5"]))
        XCTAssertEqual(result.status, 0, result.stderr)
        for fragment in ["skipped 4 malformed lines in messy.tsv", "line 3", "line 7", "line 10", "line 304"] {
            XCTAssertTrue(result.stderr.contains(fragment), "'\(fragment)' not in: \(result.stderr)")
        }
    }
}
