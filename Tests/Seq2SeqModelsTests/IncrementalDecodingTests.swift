// The decoder stepped one token at a time through its caches (with rows reordered midway, as
// beam search does) gives the teacher-forced logits of transformers.
import Foundation
import Seq2Seq
import XCTest

final class IncrementalDecodingTests: XCTestCase {
    func testSteppedDecoderWithReorderMatchesTeacherForcedReference() throws {
        for name in fixtureModels {
            let fixture = try Fixture(name)
            let model = try Seq2SeqModel(directory: fixture.directory)
            let tf = try XCTUnwrap(fixture.teacherForced.first { $0["attention_mask"] != nil }, "\(name): no batched case")
            let sources = unpadded(intRows(tf["source_ids"]), mask: intRows(tf["attention_mask"]))
            let decoder = intRows(tf["decoder_input_ids"])
            let expected = try XCTUnwrap(tf["logits"] as? [[[Any]]])
            let state = model.network.makeDecoder(for: try model.network.encode(sources))
            // Two rows per source; after two steps every pair swaps places, so each row must
            // carry its own cache along.
            let rows = 2 * sources.count
            try state.begin(rowsPerSource: 2)
            let v = model.network.spec.vocabularySize
            var maxDiff: Float = 0
            for t in 0..<decoder[0].count {
                if t == 2 { try state.reorder(rows: (0..<rows).map { $0 ^ 1 }) }
                let logits = try state.step(tokens: (0..<rows).map { decoder[$0 / 2][t] })
                XCTAssertEqual(logits.shape, [rows, v])
                for r in 0..<rows {
                    let want = floats(expected[r / 2][t])
                    for i in 0..<v { maxDiff = max(maxDiff, abs(logits.data[r * v + i] - want[i])) }
                }
            }
            XCTAssertLessThan(maxDiff, 1e-4, "\(name): stepped decoder max abs diff \(maxDiff)")
        }
    }

    func testDroppingRowsKeepsTheOthersIntact() throws {
        let fixture = try Fixture("marian")
        let model = try Seq2SeqModel(directory: fixture.directory)
        let tf = try XCTUnwrap(fixture.teacherForced.first { $0["attention_mask"] != nil })
        let sources = unpadded(intRows(tf["source_ids"]), mask: intRows(tf["attention_mask"]))
        let decoder = intRows(tf["decoder_input_ids"])
        let expected = try XCTUnwrap(tf["logits"] as? [[[Any]]])
        let state = model.network.makeDecoder(for: try model.network.encode(sources))
        try state.begin(rowsPerSource: 1)
        _ = try state.step(tokens: decoder.map { $0[0] })
        try state.reorder(rows: [2])  // sources 0 and 1 finished: only source 2 goes on
        let v = model.network.spec.vocabularySize
        for t in 1..<decoder[2].count {
            let logits = try state.step(tokens: [decoder[2][t]])
            let want = floats(expected[2][t])
            for i in 0..<v { XCTAssertEqual(logits.data[i], want[i], accuracy: 1e-4) }
        }
    }
}
