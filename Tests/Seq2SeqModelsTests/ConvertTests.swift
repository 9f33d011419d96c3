// `ModelConverter` (`seq2seq convert`): an int8 folder loads to the very int8 weights the
// original gives with `ComputeType.int8` (read as stored, not quantized again), float16 and
// bfloat16 folders hold the rounded values, and bad folders and files give one clear error.
import Foundation
@testable import Seq2SeqModels
import Seq2Seq
import XCTest

final class ConvertTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("convert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func weightNames(_ folder: URL) throws -> Set<String> {
        let config = try JSONConfig(contentsOf: folder.appendingPathComponent("config.json"))
        return try EncoderDecoderModel.int8WeightNames(config: config, configPath: folder.path, weights: try SafetensorsCheckpoint(directory: folder))
    }

    /// Every fixture family and Whisper: the int8 folder stores exactly the weights the int8
    /// compute type quantizes, as I8 + F32 scales, and gives bit-identical logits at int8.
    func testInt8FolderLoadsToTheSameInt8Weights() throws {
        for name in fixtureModels + ["whisper-hf"] {
            let original = fixturesDirectory.appendingPathComponent(name), converted = scratch.appendingPathComponent(name)
            let report = try ModelConverter.convert(original, to: converted, quantization: .int8)
            let stored = try SafetensorsCheckpoint(directory: converted)
            let quantized = try weightNames(original)
            XCTAssertFalse(quantized.isEmpty, name)
            XCTAssertEqual(try weightNames(converted), quantized, name)
            for weight in quantized {
                XCTAssertTrue(stored.storesInt8Rows(weight), "\(name): \(weight)")
                XCTAssertEqual(stored.dtypeName(of: weight), "I8")
            }
            XCTAssertEqual(Set(stored.names), Set(try SafetensorsCheckpoint(directory: original).names), "\(name): the same tensors, scales not listed")
            XCTAssertLessThan(report.outputBytes, report.inputBytes, name)
            XCTAssertTrue(report.copiedFiles.contains("config.json"), name)

            let a = try Seq2SeqModel(directory: original, computeType: .int8), b = try Seq2SeqModel(directory: converted, computeType: .int8)
            XCTAssertEqual(a.network.parameterCount, b.network.parameterCount, name)
            let fixture = try Fixture(name)
            var compared = 0
            for tf in fixture.teacherForced {
                let sources: [[Int]], decoder: [[Int]]
                if (tf["source_ids"] as? [Any])?.first is [Any] {
                    (sources, decoder) = (intRows(tf["source_ids"]), intRows(tf["decoder_input_ids"]))
                } else {
                    (sources, decoder) = ([ints(tf["source_ids"])], [ints(tf["decoder_input_ids"])])
                }
                guard !sources.isEmpty, !sources[0].isEmpty else { continue }
                let x = try a.network.logits(sources: sources, decoderInputs: decoder)
                let y = try b.network.logits(sources: sources, decoderInputs: decoder)
                XCTAssertEqual(x.count, y.count)
                XCTAssertEqual(memcmp(x.data, y.data, x.count * 4), 0, "\(name): int8 logits of the converted folder differ")
                compared += 1
            }
            if name != "whisper-hf" { XCTAssertGreaterThan(compared, 0, name) }
        }
    }

    /// The int8 folder also runs at float32 (weights dequantized), close to the original.
    func testInt8FolderRunsAtFloat32() throws {
        let original = fixturesDirectory.appendingPathComponent("bart"), converted = scratch.appendingPathComponent("bart")
        try ModelConverter.convert(original, to: converted, quantization: .int8)
        let a = try Seq2SeqModel(directory: original), b = try Seq2SeqModel(directory: converted)
        let stored = try SafetensorsCheckpoint(directory: converted), source = try SafetensorsCheckpoint(directory: original)
        let name = "model.encoder.layers.0.fc1.weight"
        let q = try stored.floatTensor(name), w = try source.floatTensor(name)
        let width = w.shape[1]
        for row in 0..<w.shape[0] {
            var top: Float = 0
            for c in 0..<width { top = max(top, abs(w.data[row * width + c])) }
            for c in 0..<width { XCTAssertEqual(q.data[row * width + c], w.data[row * width + c], accuracy: top / 254 * 1.0001 + 1e-12) }
        }
        let fixture = try Fixture("bart")
        let tf = try XCTUnwrap(fixture.teacherForced.first { !((($0["source_ids"] as? [Any])?.first) is [Any]) })
        let x = try a.network.logits(sources: [ints(tf["source_ids"])], decoderInputs: [ints(tf["decoder_input_ids"])])
        let y = try b.network.logits(sources: [ints(tf["source_ids"])], decoderInputs: [ints(tf["decoder_input_ids"])])
        var range: Float = 0, diff: Float = 0
        for i in 0..<x.count { range = max(range, abs(x.data[i])); diff = max(diff, abs(x.data[i] - y.data[i])) }
        XCTAssertGreaterThan(diff, 0, "the weights were rounded")
        XCTAssertLessThan(diff / range, 0.05)
    }

    /// float16 and bfloat16 folders hold each value rounded to nearest even, and load.
    func testHalfPrecisionFoldersHoldRoundedValues() throws {
        let original = fixturesDirectory.appendingPathComponent("t5-v1_1")
        let source = try SafetensorsCheckpoint(directory: original)
        for kind in [WeightQuantization.float16, .bfloat16, .float32] {
            let converted = scratch.appendingPathComponent(kind.rawValue)
            try ModelConverter.convert(original, to: converted, quantization: kind)
            let stored = try SafetensorsCheckpoint(directory: converted)
            XCTAssertEqual(stored.names, source.names)
            for name in source.names {
                XCTAssertEqual(stored.dtypeName(of: name), ["float16": "F16", "bfloat16": "BF16", "float32": "F32"][kind.rawValue], name)
                let a = try source.floatTensor(name), b = try stored.floatTensor(name)
                for i in 0..<a.count {
                    let want: Float = switch kind {
                    case .float16: Float(Float16(a.data[i]))
                    case .bfloat16: Float(bitPattern: UInt32(ModelConverter.bfloat16Bits(a.data[i])) << 16)
                    default: a.data[i]
                    }
                    if b.data[i] != want { XCTFail("\(kind) \(name)[\(i)]: \(b.data[i]) != \(want)"); break }
                }
            }
            _ = try Seq2SeqModel(directory: converted)
        }
        // Ties go to even; a NaN stays a NaN.
        XCTAssertEqual(ModelConverter.bfloat16Bits(Float(bitPattern: 0x3F80_8000)), 0x3F80)
        XCTAssertEqual(ModelConverter.bfloat16Bits(Float(bitPattern: 0x3F81_8000)), 0x3F82)
        XCTAssertEqual(ModelConverter.bfloat16Bits(Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertTrue(Float(bitPattern: UInt32(ModelConverter.bfloat16Bits(.nan)) << 16).isNaN)
    }

    /// Nothing of the user's is overwritten; folders convert does not read are named.
    func testRefusesAnOccupiedOutputAndOtherFolderKinds() throws {
        let original = fixturesDirectory.appendingPathComponent("bart"), occupied = scratch.appendingPathComponent("occupied")
        try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: occupied.appendingPathComponent("notes.txt"))
        XCTAssertThrowsError(try ModelConverter.convert(original, to: occupied, quantization: .int8)) { error in
            XCTAssertTrue("\(error)".contains("not an empty folder"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOf: occupied.appendingPathComponent("notes.txt"), encoding: .utf8), "keep")
        let empty = scratch.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try ModelConverter.convert(original, to: empty, quantization: .int8)
        XCTAssertTrue(FileManager.default.fileExists(atPath: empty.appendingPathComponent("model.safetensors").path))
        XCTAssertThrowsError(try ModelConverter.convert(fixturesDirectory.appendingPathComponent("whisper-hf-ct2"),
                                                        to: scratch.appendingPathComponent("ct2"), quantization: .int8)) { error in
            XCTAssertTrue("\(error)".contains("convert reads Hugging Face folders"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted(), ["empty", "occupied"], "no staging folder left")
    }

    /// A corrupt int8 file: a −128 value or a bad scale is an error naming the file.
    func testCorruptInt8TensorsAreRefused() throws {
        let original = fixturesDirectory.appendingPathComponent("bart"), converted = scratch.appendingPathComponent("bart")
        try ModelConverter.convert(original, to: converted, quantization: .int8)
        let file = converted.appendingPathComponent("model.safetensors")
        let stored = try SafetensorsFile(path: file.path)
        let name = "model.encoder.layers.0.fc1.weight"
        let header = 8 + Int(try Data(contentsOf: file).prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        let pristine = try Data(contentsOf: file)
        for (offset, byte, problem) in [(header + stored.entries[name]!.range.lowerBound + 5, UInt8(0x80), "−128"),
                                        (header + stored.entries[name + "_scale"]!.range.lowerBound + 3, UInt8(0xFF), "finite")] {
            var bytes = pristine
            bytes[offset] = byte
            try bytes.write(to: file)
            XCTAssertThrowsError(try Seq2SeqModel(directory: converted, computeType: .int8)) { error in
                XCTAssertTrue("\(error)".hasPrefix(file.path) && "\(error)".contains(problem), "\(error)")
            }
            XCTAssertThrowsError(try Seq2SeqModel(directory: converted)) { error in
                XCTAssertTrue("\(error)".contains(problem), "\(error)")
            }
        }
    }
}
