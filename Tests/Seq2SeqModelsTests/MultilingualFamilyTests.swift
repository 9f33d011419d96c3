// M2M-100, NLLB-200 and Pegasus end to end against transformers on the committed fixtures
// (scripts/make_fixtures.py, scripts/make_family_tokenizer_fixtures.py): text in, text out
// through `Translator` (the tokenizer, the language tokens, generation, decoding), and the
// language-code handling of the M2M-100 and NLLB tokenizers (both NLLB layouts).
import Foundation
import Seq2Seq
import XCTest

final class MultilingualFamilyTests: XCTestCase {
    /// transformers' `generate` + `batch_decode` on five texts, greedy and beam 4, with the
    /// folder's own generation settings (NLLB/M2M-100: forced to their default target language).
    func testTextGenerationMatchesTransformers() throws {
        for name in ["m2m100", "nllb", "pegasus"] {
            let fixture = try Fixture(name)
            let translator = try Translator(try Seq2SeqModel(directory: fixture.directory))
            let cases = try XCTUnwrap(fixture.reference["text"] as? [[String: Any]], name)
            XCTAssertEqual(cases.count, 2)
            for c in cases {
                try check(translator, c, name: "\(name)/\(c["name"] as? String ?? "?")", languages: (nil, nil))
            }
        }
    }

    /// Another language pair: `--source-lang` writes its code's token into the source as the
    /// tokenizer would, `--target-lang` forces the decoder to start with the target's token.
    func testLanguagePairsMatchTransformers() throws {
        for name in ["m2m100", "nllb"] {
            let fixture = try Fixture(name)
            let translator = try Translator(try Seq2SeqModel(directory: fixture.directory))
            let cases = try XCTUnwrap(fixture.reference["languages"] as? [[String: Any]], name)
            XCTAssertEqual(cases.count, 2)
            for c in cases {
                try check(translator, c, name: "\(name)/\(c["name"] as? String ?? "?")",
                          languages: (c["source_lang"] as? String, c["target_lang"] as? String))
            }
            XCTAssertEqual(translator.languages.mechanism, .languageTokens)
            XCTAssertEqual(translator.languages.source.count, name == "nllb" ? 202 : 100)
        }
    }

    private func check(_ translator: Translator, _ c: [String: Any], name: String, languages: (String?, String?)) throws {
        let kwargs = c["kwargs"] as? [String: Any] ?? [:]
        var options = TranslationOptions(beamSize: kwargs["num_beams"] as? Int ?? 1, maxLength: kwargs["max_new_tokens"] as? Int)
        options.sourceLanguage = languages.0
        options.targetLanguage = languages.1
        let minimum = kwargs["min_new_tokens"] as? Int, noRepeat = kwargs["no_repeat_ngram_size"] as? Int
        options.configure = { config in
            if let minimum { config.minNewTokens = minimum }
            if let noRepeat { config.noRepeatNgramSize = noRepeat }
        }
        let texts = try XCTUnwrap(c["texts"] as? [String])
        XCTAssertEqual(try translator.sourceIds(texts, options: options), intRows(c["source_ids"]), "\(name): source ids")
        let results = try translator.run(texts, options: options)
        let wanted = intRows(c["ids"])
        for (i, (result, want)) in zip(results, wanted).enumerated() {
            XCTAssertEqual(result.ids, want, "\(name) #\(i): ids \(result.ids) vs \(want)")
        }
        XCTAssertEqual(results.map(\.text), c["outputs"] as? [String], name)
    }

    /// Every corpus line of the fixture's `languages.json` encoded with another source
    /// language, and the id of each code, as transformers' tokenizer gives them.
    func testSourceLanguagesEncodeAsTransformers() throws {
        for name in ["m2m100", "nllb", "nllb-legacy"] {
            let folder = fixturesDirectory.appendingPathComponent(name)
            let tokenizer = try XCTUnwrap(try ModelTokenizer.load(directory: folder), name)
            let languages = try XCTUnwrap(tokenizer.languageTokens, "\(name): language tokens")
            XCTAssertEqual(languages.placement, name == "nllb-legacy" ? .afterEnd : .beforeText, name)
            let data = try Data(contentsOf: folder.appendingPathComponent("languages.json"))
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            for (code, id) in try XCTUnwrap(object["code_ids"] as? [String: Int]) {
                XCTAssertEqual(languages.ids[code], id, "\(name): id of \(code)")
            }
            let cases = try XCTUnwrap(object["cases"] as? [[String: Any]])
            XCTAssertGreaterThanOrEqual(cases.count, 80)
            for c in cases {
                let code = try XCTUnwrap(c["source_lang"] as? String), text = try XCTUnwrap(c["text"] as? String)
                XCTAssertEqual(try tokenizer.encodeSource(text, sourceLanguage: code), ints(c["ids"]), "\(name) \(code): \(text.prefix(40))")
            }
            XCTAssertThrowsError(try tokenizer.encodeSource("x", sourceLanguage: "xx_YY"), name)
        }
    }

    /// A Pegasus folder with only its SentencePiece model is refused naming the file (its ids sit
    /// behind 103 reserved ones; read as T5's they would all be wrong).
    func testPegasusWithoutTokenizerJSONIsRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pegasus-spm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fixture = fixturesDirectory.appendingPathComponent("pegasus")
        try FileManager.default.copyItem(at: fixture.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        try Data("not read".utf8).write(to: folder.appendingPathComponent("spiece.model"))
        XCTAssertThrowsError(try ModelTokenizer.load(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("spiece.model") && "\(error)".contains("tokenizer.json"), "\(error)")
        }
    }
}
