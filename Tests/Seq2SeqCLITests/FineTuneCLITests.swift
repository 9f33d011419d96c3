// `seq2seq train --init-from`: fine-tuning a Hugging Face MarianMT folder laid out as the Hub's
// opus-mt models are (Tests/Fixtures/opus-mt: source.spm, target.spm, vocab.json in Marian's
// order), a BART folder (learned positions, byte-level BPE tokenizer.json) and an mBART folder
// (pre-norm, language codes: fine-tuned de_DE → fr_XX, `text </s> fr_XX` labels whose last id
// the model's shift wraps to the front) and T5 v1.0 and v1.1 folders (RMS norms, relative
// position buckets, gated-GELU, decoder start = padding). One step on the
// pairs of Tests/Fixtures/training/finetune equals PyTorch's step of transformers' model with
// the tokenizer's `text_target=` labels (scripts/make_finetune_reference.py); the run folder keeps the pretrained tokenizer and
// generation settings and loads in every command; models that cannot be fine-tuned are one line.
import Foundation
import Seq2SeqIO
import XCTest

final class FineTuneCLITests: XCTestCase {
    private var scratch: URL!
    private let reference = fixtures.appendingPathComponent("training/finetune")
    private let pretrained = fixtures.appendingPathComponent("opus-mt")  // the Marian variant

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-finetune-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func testOneStepMatchesPyTorch() throws {
        for variant in ["marian", "bart", "mbart", "t5-v1_0", "t5-v1_1"] { try checkOneStep(variant) }
    }

    /// One step of `variant` (Tests/Fixtures/training/finetune/<variant>) against PyTorch's.
    private func checkOneStep(_ variant: String) throws {
        let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: reference.appendingPathComponent("\(variant)/reference.json"))) as? [String: Any])
        let pretrained = fixtures.appendingPathComponent(try XCTUnwrap(expected["model"] as? String))
        let run = scratch.appendingPathComponent("run-\(variant)")
        let languages = expected["languages"] as? [String: String] ?? [:]
        let result = try runCLI(["train", "--init-from", pretrained.path, "--train", reference.appendingPathComponent("pairs.tsv").path,
                                 "--out", run.path, "--max-steps", "1", "--lr", "1e-3", "--warmup", "0", "--dropout", "0",
                                 "--label-smoothing", "0.1", "--weight-decay", "0", "--clip-norm", "1", "--batch-tokens", "100000",
                                 "--log-every", "1", "--threads", "2"]
                                + (languages["src_lang"].map { ["--source-lang", $0] } ?? [])
                                + (languages["tgt_lang"].map { ["--target-lang", $0] } ?? []))
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("fine-tuning \(pretrained.path)"), result.stderr)
        let record = try XCTUnwrap(String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").first)
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(record.utf8)) as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(metrics["loss"] as? Double), try XCTUnwrap(expected["loss"] as? Double), accuracy: 1e-5,
                       "\(variant): the loss of the same batch — sources and text_target labels tokenized as transformers does")
        XCTAssertEqual(try XCTUnwrap(metrics["gradient_norm"] as? Double), try XCTUnwrap(expected["grad_norm"] as? Double), accuracy: 1e-4,
                       "\(variant): clipped norm")

        let ours = try SafetensorsFile(path: run.appendingPathComponent("checkpoints/step-000001/model.safetensors").path)
        let theirs = try SafetensorsFile(path: reference.appendingPathComponent("\(variant)/updated.safetensors").path)
        let before = try SafetensorsCheckpoint(directory: pretrained)  // the mBART fixture is sharded
        let gradients = try SafetensorsFile(path: reference.appendingPathComponent("\(variant)/gradients.safetensors").path)
        var compared = 0, worst: Float = 0, moved: Float = 0, noise = 0
        for name in theirs.entries.keys.sorted() {
            let want = try theirs.floatTensor(name), got = try ours.floatTensor(name), old = try before.floatTensor(name)
            let gradient = try gradients.floatTensor(name)
            XCTAssertEqual(got.count, want.count, name)
            for i in 0..<min(got.count, want.count) {
                moved = max(moved, abs(want.data[i] - old.data[i]))
                if name.contains("k_proj.bias") || (abs(gradient.data[i]) < 1e-7 && gradient.data[i] != 0) {
                    // A gradient within rounding noise of 0 (a key bias's is exactly 0 in truth: it
                    // shifts every score of a query alike): AdamW's first step lr·g/(|g| + 1e-9)
                    // turns that noise into a step anywhere within ±lr, in both frameworks.
                    XCTAssertLessThanOrEqual(abs(got.data[i] - old.data[i]), 1e-3 * 1.0001, name)
                    noise += 1
                    continue
                }
                let d = abs(got.data[i] - want.data[i]) / max(1, abs(want.data[i]))
                worst = max(worst, d)
            }
            compared += 1
        }
        XCTAssertEqual(compared, (expected["trainable"] as? [String])?.count)
        XCTAssertGreaterThan(moved, 5e-4, "\(variant): the step moved the parameters")
        XCTAssertLessThanOrEqual(worst, 1e-5, "\(variant): parameters after the step")
        XCTAssertLessThan(noise, 2000, "\(variant): only a few gradients are rounding noise")
        print("fine-tuning step, \(variant): \(compared) tensors, largest difference from PyTorch \(worst), largest move \(moved), "
              + "\(noise) values with a noise-level gradient")

        // The run folder is the pretrained model's kind: its tokenizer files and generation settings.
        let files = variant == "marian" ? ["source.spm", "target.spm", "vocab.json", "tokenizer_config.json"] : ["tokenizer.json", "tokenizer_config.json"]
        for name in files {
            XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent(name)), try Data(contentsOf: pretrained.appendingPathComponent(name)), name)
        }
        if let target = languages["tgt_lang"] {
            try checkLanguages(run: run, pretrained: pretrained, target: target)
        } else {
            XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent("generation_config.json")),
                           try Data(contentsOf: pretrained.appendingPathComponent("generation_config.json")))
        }
        let translated = try runCLI(["translate", "--model", run.path, "--beam-size", "1", "--max-length", "8", "Thank you."])
        XCTAssertEqual(translated.status, 0, translated.stderr)
    }

    /// An mBART model fine-tuned into `target` starts its decoder from that code (as fairseq's
    /// fine-tuned mBART models on the Hub do), with no forced first token: `translate` with no
    /// language option writes `target` first, and `--target-lang` names the start instead.
    private func checkLanguages(run: URL, pretrained: URL, target: String) throws {
        let tokenizer = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: pretrained.appendingPathComponent("tokenizer.json"))) as? [String: Any])
        let vocabulary = try XCTUnwrap((tokenizer["added_tokens"] as? [[String: Any]]))
        let id = try XCTUnwrap(vocabulary.first { $0["content"] as? String == target }?["id"] as? Int)
        let generation = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("generation_config.json"))) as? [String: Any])
        XCTAssertEqual(generation["decoder_start_token_id"] as? Int, id)
        XCTAssertNil(generation["forced_bos_token_id"])
        let plain = try runCLI(["translate", "--model", run.path, "--beam-size", "1", "--max-length", "6", "--json", "Thank you."])
        let asked = try runCLI(["translate", "--model", run.path, "--beam-size", "1", "--max-length", "6", "--json",
                                "--source-lang", "de_DE", "--target-lang", target, "Thank you."])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(asked.status, 0, asked.stderr)
        let ids = { (output: String) in (try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])?["ids"] as? [Int] }
        let askedIds = try XCTUnwrap(ids(asked.stdout))
        XCTAssertNotEqual(askedIds.first, id, "the code starts the decoder; it is not generated again")
        let unknown = try runCLI(["train", "--init-from", pretrained.path, "--train", reference.appendingPathComponent("pairs.tsv").path,
                                  "--out", scratch.appendingPathComponent("unknown").path, "--max-steps", "1", "--target-lang", "xx_YY"])
        XCTAssertEqual(unknown.status, 3, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("unknown language code \"xx_YY\" for --target-lang"), unknown.stderr)
        XCTAssertEqual(unknown.stderr.split(separator: "\n").filter { $0.contains("xx_YY") }.count, 1, unknown.stderr)
    }

    /// A fine-tuning run resumes like any other; it keeps the pretrained ids (pad 250, eos 0).
    func testFineTuningResumes() throws {
        let run = scratch.appendingPathComponent("resumed")
        let pairs = reference.appendingPathComponent("pairs.tsv").path
        let first = try runCLI(["train", "--init-from", pretrained.path, "--train", pairs, "--valid", pairs, "--out", run.path,
                                "--max-steps", "3", "--save-every", "3", "--threads", "2"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("chose learning rate 0.0003 for fine-tuning (width 32)"), first.stderr)
        let resumed = try runCLI(["train", "--resume", "--out", run.path, "--max-steps", "5", "--threads", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.hasPrefix("trained 5 steps"), resumed.stdout)
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json"))) as? [String: Any])
        XCTAssertEqual(config["pad_token_id"] as? Int, 250)
        XCTAssertEqual(config["vocab_size"] as? Int, 251)
    }

    func testModelsThatCannotBeFineTunedAreOneLine() throws {
        let pairs = reference.appendingPathComponent("pairs.tsv").path
        for model in ["umt5", "whisper-hf"] {
            let result = try runCLI(["train", "--init-from", fixtures.appendingPathComponent(model).path, "--train", pairs,
                                     "--out", scratch.appendingPathComponent(model).path, "--max-steps", "1"])
            XCTAssertEqual(result.status, 3, "\(model): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("cannot fine-tune this model"), result.stderr)
        }
        let refused = try runCLI(["train", "--init-from", pretrained.path, "--train", pairs, "--out", scratch.appendingPathComponent("x").path,
                                  "--preset", "small"])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        let languagesAlone = try runCLI(["train", "--train", pairs, "--out", scratch.appendingPathComponent("y").path, "--target-lang", "fr_XX"])
        XCTAssertEqual(languagesAlone.status, 2, languagesAlone.stderr)
        XCTAssertTrue(languagesAlone.stderr.contains("--init-from"), languagesAlone.stderr)
        let plain = try runCLI(["translate", "--model", pretrained.path, "--alternatives", "2", "Thank you."])
        XCTAssertEqual(plain.status, 2, "--alternatives are printed by --json: \(plain.stderr)")
        let tooMany = try runCLI(["translate", "--model", pretrained.path, "--alternatives", "65", "--json", "Thank you."])
        XCTAssertEqual(tooMany.status, 2, tooMany.stderr)
    }
}
