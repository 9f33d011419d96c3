// `seq2seq convert`: a Hugging Face model folder rewritten as one safetensors file, its weights
// float32, float16, bfloat16, or int8 with a scale per row (ModelConverter).
import ArgumentParser
import Foundation
import Seq2Seq

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Writes a model folder whose weights are int8 (a scale per row), float16, bfloat16 or float32.",
        discussion: """
        seq2seq convert --model IN --out OUT --quantize int8   (or: seq2seq convert --quantize int8 IN OUT)
        IN is a Hugging Face folder (config.json with safetensors weights) or a Hub id; OUT must be absent or an
        empty folder. The other files of IN (configuration, tokenizer) are copied. An int8 folder keeps each
        weight the int8 compute type quantizes as NAME (I8) and NAME_scale (F32, one per row): it loads to the
        same int8 weights with --compute-type int8, reads a quarter of the bytes, and runs at float32 too.
        """)

    @Option(name: .long, help: "The model folder to read, or a Hugging Face Hub id OWNER/NAME[@REVISION].") var model: String?
    @Option(name: .long, help: "The folder to write: absent, or an empty folder.") var out: String?
    @Option(name: .long, help: "How the weights are stored: int8, float16, bfloat16 or float32.") var quantize: WeightQuantization = .float32
    @Argument(help: "IN OUT, instead of --model and --out.") var folders: [String] = []

    func validate() throws {
        guard folders.count <= 2 else { throw ValidationError("give at most two folders: IN OUT") }
        let input = model ?? folders.first, output = out ?? (model == nil ? folders.dropFirst().first : folders.first)
        guard input != nil, output != nil else { throw ValidationError("name the folder to read and the folder to write (--model IN --out OUT, or IN OUT)") }
        guard (model == nil ? 0 : 1) + (out == nil ? 0 : 1) + folders.count == 2 else {
            throw ValidationError("give one folder to read and one to write (--model IN --out OUT, or IN OUT)")
        }
    }

    func run() throws {
        let input = try modelFolder(model ?? folders[0])
        let output = URL(fileURLWithPath: out ?? folders.last!)
        let report = try ModelConverter.convert(input, to: output, quantization: quantize)
        let megabytes = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1e6) }
        print("\(output.path): \(report.tensors) tensors (\(report.int8Tensors) int8), weights \(megabytes(report.inputBytes)) → \(megabytes(report.outputBytes)); copied \(report.copiedFiles.joined(separator: ", "))")
    }
}

extension WeightQuantization: ExpressibleByArgument {}
