// GenerationConfig from generation_config.json / config.json dictionaries.
import Foundation
import Seq2SeqGeneration
import Seq2SeqIO
import XCTest

final class GenerationConfigTests: XCTestCase {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONValue.parse(Array(text.utf8))
    }

    func testDefaultsMatchHuggingFace() {
        let c = GenerationConfig(numBeams: 4)
        XCTAssertEqual(c.numBeams, 4)
        XCTAssertEqual(c.topK, 50)
        XCTAssertEqual(c.lengthPenalty, 1)
        XCTAssertEqual(c.earlyStopping, .heuristic)
        XCTAssertNil(c.maxLength)
    }

    func testGenerationJSONReplacesModelConfig() throws {
        let generation = try parse("""
            {"num_beams": 4, "length_penalty": 1, "early_stopping": true, "max_length": 142,
             "eos_token_id": [1, 2], "no_repeat_ngram_size": 3, "top_p": 0.9, "do_sample": false}
            """)
        let model = try parse("""
            {"decoder_start_token_id": 2, "pad_token_id": 1, "eos_token_id": 7, "forced_bos_token_id": 0,
             "max_position_embeddings": 1024, "num_beams": 8, "min_length": 56}
            """)
        let c = try GenerationConfig(json: generation, modelConfig: model)
        XCTAssertEqual(c.numBeams, 4)
        XCTAssertEqual(c.lengthPenalty, 1)
        XCTAssertEqual(c.earlyStopping, .always)
        XCTAssertEqual(c.maxLength, 142)
        XCTAssertEqual(c.eosTokenIds, [1, 2])
        XCTAssertEqual(c.noRepeatNgramSize, 3)
        XCTAssertEqual(c.topP, 0.9)
        // As transformers: with a generation_config.json, config.json's generation fields are unused.
        XCTAssertNil(c.decoderStartTokenId)
        XCTAssertNil(c.padTokenId)
        XCTAssertNil(c.forcedBosTokenId)
        XCTAssertNil(c.minLength)
        XCTAssertEqual(c.maxPositionEmbeddings, 1024)
    }

    func testLegacyFieldsFromConfigAlone() throws {
        let model = try parse("""
            {"decoder_start_token_id": 0, "eos_token_id": 1, "num_beams": 6, "early_stopping": "never",
             "length_penalty": 0.6, "forced_eos_token_id": [1], "bos_token_id": null}
            """)
        let c = try GenerationConfig(json: nil, modelConfig: model)
        XCTAssertEqual(c.numBeams, 6)
        XCTAssertEqual(c.earlyStopping, .never)
        XCTAssertEqual(c.lengthPenalty, 0.6)
        XCTAssertEqual(c.eosTokenIds, [1])
        XCTAssertEqual(c.forcedEosTokenId, 1)
        XCTAssertNil(c.bosTokenId)
        XCTAssertEqual(c.earlyStopping, .never)
    }

    func testWrongTypesThrowNamingTheKey() throws {
        let cases: [(String, String)] = [
            (#"{"num_beams": "4"}"#, "num_beams"),
            (#"{"num_beams": 2.5}"#, "num_beams"),
            (#"{"length_penalty": "long"}"#, "length_penalty"),
            (#"{"do_sample": 1.5}"#, "do_sample"),
            (#"{"early_stopping": "sometimes"}"#, "early_stopping"),
            (#"{"eos_token_id": ["1"]}"#, "eos_token_id"),
            (#"{"bad_words_ids": [1, 2]}"#, "bad_words_ids"),
        ]
        for (text, key) in cases {
            XCTAssertThrowsError(try GenerationConfig(json: parse(text), modelConfig: [:]), text) { error in
                XCTAssertTrue(error is GenerationConfigError)
                XCTAssertTrue("\(error)".contains("'\(key)'"), "\(error)")
            }
        }
    }

    func testSwiftLiteralDictionaries() throws {
        let c = try GenerationConfig(json: ["num_beams": 3, "temperature": 0.7, "do_sample": true], modelConfig: [:])
        XCTAssertEqual(c.numBeams, 3)
        XCTAssertEqual(c.temperature, 0.7)
        XCTAssertTrue(c.doSample)
    }

    /// Settings that change decoding and are not implemented are refused by name; the same keys
    /// at their inactive defaults (as old opus-mt configs carry them) are accepted.
    func testUnsupportedDecodingSettingsAreRefused() throws {
        let refused: [(String, String)] = [
            (#"{"num_beams": 4, "num_beam_groups": 2, "diversity_penalty": 0.5}"#, "num_beam_groups"),
            (#"{"diversity_penalty": 0.5}"#, "diversity_penalty"),
            (#"{"force_words_ids": [[5]]}"#, "force_words_ids"),
            (#"{"constraints": []}"#, "constraints"),
            (#"{"penalty_alpha": 0.6, "top_k": 4}"#, "penalty_alpha"),
            (#"{"sequence_bias": [[[5], 1.0]]}"#, "sequence_bias"),
            (#"{"typical_p": 0.9}"#, "typical_p"),
            (#"{"min_p": 0.1}"#, "min_p"),
            (#"{"max_time": 2.0}"#, "max_time"),
            (#"{"exponential_decay_length_penalty": [3]}"#, "exponential_decay_length_penalty"),
        ]
        for (text, key) in refused {
            XCTAssertThrowsError(try GenerationConfig(json: parse(text), modelConfig: [:]), text) { error in
                XCTAssertTrue("\(error)".contains("'\(key)'"), "\(error)")
            }
        }
        let inactive = #"{"num_beam_groups": 1, "diversity_penalty": 0.0, "penalty_alpha": null, "typical_p": 1.0, "encoder_no_repeat_ngram_size": 0, "renormalize_logits": true, "exponential_decay_length_penalty": [4, 1.5], "remove_invalid_values": true}"#
        let c = try GenerationConfig(json: parse(inactive), modelConfig: [:])
        XCTAssertTrue(c.renormalizeLogits)
        XCTAssertTrue(c.removeInvalidValues)
        XCTAssertEqual(c.exponentialDecayLengthPenalty, .init(start: 4, factor: 1.5))
        XCTAssertEqual(c.encoderNoRepeatNgramSize, 0)
        let source = try GenerationConfig(json: parse(#"{"encoder_no_repeat_ngram_size": 3, "encoder_repetition_penalty": 1.5}"#), modelConfig: [:])
        XCTAssertEqual(source.encoderNoRepeatNgramSize, 3)
        XCTAssertEqual(source.encoderRepetitionPenalty, 1.5)
    }
}
