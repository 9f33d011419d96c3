// `seq2seq convert`: a Hugging Face model folder rewritten as one safetensors file whose
// weights are float32, float16, bfloat16, or int8 with a float32 scale per row.
//
// The int8 layout (documented in the README and docs/formats.md): a weight W[N, K] is stored as
// `NAME` (I8, [N, K], values in [−127, 127]) and `NAME_scale` (F32, [N]), W[j] ≈ NAME[j]·NAME_scale[j],
// each row quantized symmetrically (scale = max|W[j]|/127) exactly as the int8 compute type
// quantizes at load. Which weights: those the int8 compute type keeps as int8 (the linear
// layers, and the embeddings and output layer where they are one table), so a converted folder
// loads to the very int8 weights the original folder gives with `--compute-type int8`.
import Foundation
import Seq2SeqIO
import Seq2SeqTensor

/// The element type `seq2seq convert` stores weights in.
public enum WeightQuantization: String, CaseIterable, Sendable {
    /// Every floating-point tensor as float32.
    case float32
    /// Every floating-point tensor as float16 (rounded to nearest even).
    case float16
    /// Every floating-point tensor as bfloat16 (rounded to nearest even).
    case bfloat16
    /// The weights the int8 compute type quantizes as int8 with per-row scales; the others as stored.
    case int8
}

/// Rewrites model folders in this toolkit's safetensors layout (`seq2seq convert`).
public enum ModelConverter {
    /// What a conversion wrote.
    public struct Report: Sendable {
        /// Tensors written (the scales of int8 tensors not counted).
        public var tensors = 0
        /// Of those, tensors stored as int8 with scales.
        public var int8Tensors = 0
        /// Bytes of the input's safetensors files.
        public var inputBytes = 0
        /// Bytes of the written `model.safetensors`.
        public var outputBytes = 0
        /// Other files copied from the input folder.
        public var copiedFiles: [String] = []
    }

    /// Weight files of other frameworks, left out of the converted folder.
    static let otherFrameworkWeights = ["pytorch_model.bin", "tf_model.h5", "flax_model.msgpack", "rust_model.ot", "model.ckpt"]

    /// Converts the Hugging Face folder `input` (config.json + safetensors) into a new folder
    /// `output` (absent or empty): one `model.safetensors` stored as `quantization` says, and
    /// every other file of the folder (configuration, tokenizer, …) copied unchanged. The folder
    /// appears whole or not at all. Throws `ModelFileError` naming the file at fault.
    @discardableResult
    public static func convert(_ input: URL, to output: URL, quantization: WeightQuantization) throws -> Report {
        guard case .huggingFace = try ModelFolderKind.detect(input) else {
            throw ModelFileError(input.path, "convert reads Hugging Face folders (config.json with safetensors weights); "
                                 + "CTranslate2 and Marian folders run as they are")
        }
        try checkOutput(output)
        let configURL = input.appendingPathComponent("config.json")
        let config = try JSONConfig(contentsOf: configURL)
        let checkpoint = try SafetensorsCheckpoint(directory: input)
        var report = Report()
        report.inputBytes = checkpoint.filePaths.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        var int8Names: Set<String> = []
        if quantization == .int8 {
            int8Names = try EncoderDecoderModel.int8WeightNames(config: config, configPath: configURL.path, weights: checkpoint)
            int8Names.formUnion(try duplicates(of: int8Names, in: checkpoint))
        }
        var items: [SafetensorsWriter.Item] = []
        for name in checkpoint.names {
            items += try encoded(name, in: checkpoint, as: quantization, int8: int8Names.contains(name))
            report.tensors += 1
            if int8Names.contains(name) { report.int8Tensors += 1 }
        }

        let staging = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).partial")
        let manager = FileManager.default
        try? manager.removeItem(at: staging)
        do {
            try manager.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw ModelFileError(staging.path, "cannot create (\(error.localizedDescription))")
        }
        do {
            let weights = staging.appendingPathComponent("model.safetensors")
            try SafetensorsWriter.write(items, metadata: ["format": "pt", "seq2seq.weights": quantization.rawValue], to: weights)
            report.outputBytes = (try manager.attributesOfItem(atPath: weights.path)[.size] as? Int) ?? 0
            report.copiedFiles = try copyOtherFiles(from: input, to: staging, skipping: Set(checkpoint.filePaths.map { URL(fileURLWithPath: $0).lastPathComponent }))
            // rename(2) replaces an empty folder: the output appears whole.
            guard rename(staging.path, output.path) == 0 else {
                throw ModelFileError(output.path, "cannot create (\(String(cString: strerror(errno))))")
            }
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
        return report
    }

    /// The output must not exist or be an empty folder: nothing of the user's is overwritten.
    private static func checkOutput(_ output: URL) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: output.path, isDirectory: &isFolder) else { return }
        guard isFolder.boolValue, (try? FileManager.default.contentsOfDirectory(atPath: output.path))?.isEmpty == true else {
            throw ModelFileError(output.path, "already exists and is not an empty folder; convert writes a new folder")
        }
    }

    /// Tensors with the same shape and values as one of `names` (a tied table stored twice):
    /// stored as int8 too, so the loader still sees them as one table.
    private static func duplicates(of names: Set<String>, in checkpoint: SafetensorsCheckpoint) throws -> Set<String> {
        let shapes = Dictionary(grouping: names, by: { checkpoint.shape(of: $0) ?? [] })
        var found: Set<String> = []
        for name in checkpoint.names where !names.contains(name) {
            guard let shape = checkpoint.shape(of: name), shape.count == 2, let candidates = shapes[shape],
                  isFloatingPoint(checkpoint.dtypeName(of: name)) else { continue }
            let values = try checkpoint.floatTensor(name)
            for other in candidates {
                let b = try checkpoint.floatTensor(other)
                if memcmp(values.data, b.data, values.count * MemoryLayout<Float>.size) == 0 {
                    found.insert(name)
                    break
                }
            }
        }
        return found
    }

    private static func isFloatingPoint(_ dtype: String?) -> Bool { ["F32", "F16", "BF16", "F64"].contains(dtype ?? "") }

    /// Tensor `name` as it is written: int8 with its scale, a float type, or its stored bytes.
    private static func encoded(_ name: String, in checkpoint: SafetensorsCheckpoint, as quantization: WeightQuantization,
                                int8: Bool) throws -> [SafetensorsWriter.Item] {
        let shape = checkpoint.shape(of: name)!
        if int8 {
            let (rows, width) = (shape[0], shape[1])
            var values = [Int8](repeating: 0, count: rows * width), scales = [Float](repeating: 0, count: rows)
            if checkpoint.storesInt8Rows(name) {
                try checkpoint.int8Rows(name, rows: 0..<rows, values: &values, scales: &scales)
            } else {
                let w = try checkpoint.floatTensor(name)
                (values, scales) = Int8Quantization.quantizeRows(w.data, rows: rows, width: width)
            }
            return [.init(name: name, shape: shape, dtype: .int8, bytes: values.map { UInt8(bitPattern: $0) }),
                    .init(name: name + "_scale", shape: [rows], values: scales)]
        }
        let entry = checkpoint.entry(name)!, quantized = checkpoint.storesInt8Rows(name)
        let target: SafetensorsDType? = switch quantization {
        case .float32: .float32
        case .float16: .float16
        case .bfloat16: .bfloat16
        case .int8: entry.dtype == .float64 ? .float32 : nil  // the rest kept as stored
        }
        // Integer buffers, and tensors already in the target type, are copied as stored.
        guard let target, quantized || isFloatingPoint(entry.dtype.rawValue), entry.dtype != target else {
            var items = [SafetensorsWriter.Item(name: name, shape: shape, dtype: entry.dtype, bytes: try checkpoint.storedBytes(name))]
            if quantized {
                items.append(.init(name: name + "_scale", shape: [shape[0]], dtype: .float32, bytes: try checkpoint.storedBytes(name + "_scale")))
            }
            return items
        }
        let values = try checkpoint.floatTensor(name)
        let buffer = UnsafeBufferPointer(start: values.data, count: values.count)
        switch target {
        case .float16:
            return [.init(name: name, shape: shape, dtype: .float16, bytes: littleEndianBytes(buffer.map { Float16($0).bitPattern }))]
        case .bfloat16:
            return [.init(name: name, shape: shape, dtype: .bfloat16, bytes: littleEndianBytes(buffer.map(bfloat16Bits)))]
        default:
            return [.init(name: name, shape: shape, values: Array(buffer))]
        }
    }

    private static func littleEndianBytes(_ values: [UInt16]) -> [UInt8] {
        values.map(\.littleEndian).withUnsafeBytes { Array($0) }
    }

    /// `x` rounded to the nearest bfloat16 (ties to even); a NaN stays a quiet NaN.
    static func bfloat16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(bits >> 16) | 0x0040 }
        return UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    /// Copies the folder's other regular files (not its weights) into `staging`.
    private static func copyOtherFiles(from input: URL, to staging: URL, skipping weights: Set<String>) throws -> [String] {
        let manager = FileManager.default
        let skipped = weights.union(["model.safetensors", "model.safetensors.index.json"]).union(otherFrameworkWeights)
        var copied: [String] = []
        for name in try manager.contentsOfDirectory(atPath: input.path).sorted() where !skipped.contains(name) && !name.hasPrefix(".") {
            let source = input.appendingPathComponent(name)
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: source.path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            do {
                try manager.copyItem(at: source, to: staging.appendingPathComponent(name))
            } catch {
                throw ModelFileError(source.path, "cannot copy (\(error.localizedDescription))")
            }
            copied.append(name)
        }
        return copied
    }
}
