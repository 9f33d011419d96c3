// The int8 compute type on the Firefox Translations models runs their intgemm8 matrices as
// stored: the int8 values and each matrix's one scale, not a per-row requantization of the
// dequantized floats. Needs the models (scripts/fetch_firefox_models.sh); skipped otherwise.
import Foundation
@testable import Seq2SeqModels
import XCTest

final class MarianInt8Tests: XCTestCase {
    func testIntgemm8WeightsRunAsStored() throws {
        guard let root = firefoxModelsDirectory else { throw XCTSkip("Firefox models not fetched (scripts/fetch_firefox_models.sh)") }
        let directory = root.appendingPathComponent("enpt")
        let exact = try MarianNativeModel(directory: directory)
        let quantized = try MarianNativeModel(directory: directory, computeType: .int8)
        XCTAssertTrue(quantized.outputLayer.isInt8)
        XCTAssertFalse(exact.outputLayer.isInt8)
        // The float32 model holds q / multiplier; the int8 model's rows dequantize to the
        // same numbers bit for bit only when q and the scale 1 / multiplier are kept.
        let d = exact.spec.modelWidth
        var a = [Float](repeating: 0, count: d), b = a
        for row in stride(from: 0, to: exact.vocabularySize, by: 97) {
            exact.outputLayer.copyRow(row, into: &a)
            quantized.outputLayer.copyRow(row, into: &b)
            XCTAssertEqual(a, b, "Wemb row \(row)")
        }
        let pairs = [(exact.base.weights.encoder.layers[0].attention.qkv.weight, quantized.base.weights.encoder.layers[0].attention.qkv.weight),
                     (exact.layers[0].ssru.weight, quantized.layers[0].ssru.weight),
                     (exact.layers[1].ffn.output.weight, quantized.layers[1].ffn.output.weight)]
        for (index, (float, int8)) in pairs.enumerated() {
            XCTAssertTrue(int8.isInt8)
            XCTAssertEqual(float.unpacked(), int8.unpacked(), "matrix \(index)")
        }
    }
}
