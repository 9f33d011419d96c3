// The fuzz targets: every parser of outside data, fed one input through the same entry point
// the toolkit uses (a file on disk where the toolkit reads files). An input may be rejected with
// a thrown error — that is the expected outcome for garbage; a crash, a sanitizer report, an
// allocation past the fuzzer's limit or a hang is a bug.
import Foundation
import Seq2Seq
import Seq2SeqAudio
import Seq2SeqIO
import Seq2SeqTokenizers
import FreeDict
import Seq2SeqTraining

/// One parser under test.
struct FuzzTarget {
    let name: String
    /// What the input is, for `--list`.
    let summary: String
    /// Files of the repository's fixtures that make a starting corpus.
    let seeds: [String]
    let run: (Data) throws -> Void
}

/// A private scratch folder per process (on tmpfs when there is one): inputs are written here.
let scratch: URL = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
    let url = base.appendingPathComponent("seq2seq-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

/// Where the repository's fixtures are: `SEQ2SEQ_FIXTURES`, else Tests/Fixtures under the
/// current folder.
let fixtures = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SEQ2SEQ_FIXTURES"] ?? "Tests/Fixtures")

/// Writes `data` to `name` in the scratch folder and returns its path.
func write(_ data: Data, as name: String, in folder: URL = scratch) throws -> String {
    let url = folder.appendingPathComponent(name)
    try data.write(to: url)
    return url.path
}

/// A copy of a fixture model folder in the scratch folder, made once, whose `replaced` file
/// each input overwrites.
final class ModelFolderCopy {
    private var made: [String: URL] = [:]

    func folder(_ fixture: String) throws -> URL {
        if let url = made[fixture] { return url }
        let url = scratch.appendingPathComponent("model-\(fixture)")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent(fixture), to: url)
        made[fixture] = url
        return url
    }
}
let modelFolders = ModelFolderCopy()

/// The fixture whose weights fit a config.json of `model_type` (the input's own, if it parses).
func fixture(forConfig data: Data) -> String {
    let modelType = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["model_type"] as? String
    switch modelType {
    case "t5", "mt5": return "t5-v1_0"
    case "umt5": return "umt5"
    case "mbart": return "mbart"
    case "marian": return "marian"
    case "whisper": return "whisper-hf"
    case "m2m_100": return "m2m100"
    case "pegasus": return "pegasus"
    default: return "bart"
    }
}

let sampleText = "Hello, world! Olá — 1,234.5 🌍 \u{301}a\tb  "

let targets: [FuzzTarget] = [
    FuzzTarget(name: "http-body", summary: "an HTTP request body (JSON, form or multipart) to a POST route of the server, in process with the BART fixture",
               seeds: []) { data in
        try HTTPFuzz.shared.serve(data)
    },
    FuzzTarget(name: "safetensors", summary: "a model.safetensors file (header, offsets, every tensor read, int8 rows with their scales)",
               seeds: ["t5-v1_0/model.safetensors", "training/step/marian/model.safetensors"]) { data in
        let path = try write(data, as: "model.safetensors")
        let checkpoint = try SafetensorsCheckpoint(files: [try SafetensorsFile(path: path)], path: path)
        for name in checkpoint.names.prefix(64) {
            _ = try checkpoint.floatTensor(name)
            guard checkpoint.storesInt8Rows(name), let shape = checkpoint.shape(of: name) else { continue }
            var values = [Int8](repeating: 0, count: shape[0] * shape[1]), scales = [Float](repeating: 0, count: shape[0])
            try checkpoint.int8Rows(name, rows: 0..<shape[0], values: &values, scales: &scales)
        }
    },
    FuzzTarget(name: "config", summary: "config.json of a model folder, loaded with the fixture weights of its model_type",
               seeds: ["t5-v1_0/config.json", "t5-v1_1/config.json", "bart/config.json", "mbart/config.json", "marian/config.json",
                       "whisper-hf/config.json", "m2m100/config.json", "pegasus/config.json", "umt5/config.json"]) { data in
        let folder = try modelFolders.folder(fixture(forConfig: data))
        _ = try write(data, as: "config.json", in: folder)
        _ = try Seq2SeqModel(directory: folder)
    },
    FuzzTarget(name: "generation-config", summary: "generation_config.json of a model folder (the BART fixture), loaded with a translator",
               seeds: ["bart/generation_config.json", "marian/generation_config.json", "whisper-hf/generation_config.json"]) { data in
        let folder = try modelFolders.folder("bart")
        _ = try write(data, as: "generation_config.json", in: folder)
        _ = try Translator(directory: folder)
    },
    FuzzTarget(name: "tokenizer-json", summary: "a tokenizer.json, then a sentence encoded and decoded",
               seeds: ["bart/tokenizer.json", "t5-v1_0/tokenizer.json", "mbart/tokenizer.json"]) { data in
        let tokenizer = try HuggingFaceTokenizer(contentsOf: URL(fileURLWithPath: try write(data, as: "tokenizer.json")))
        let ids = try tokenizer.encode(sampleText, addSpecialTokens: true)
        _ = tokenizer.decode(ids, skipSpecialTokens: false)
    },
    FuzzTarget(name: "sentencepiece", summary: "a SentencePiece model protobuf, then a sentence encoded and decoded",
               seeds: ["tokenizers/spm/char.model", "tokenizers/spm/identity.model", "tokenizers/spm/suffix.model"]) { data in
        let tokenizer = try SentencePieceTokenizer(modelBytes: [UInt8](data), path: "input.spm")
        let ids = tokenizer.encode(sampleText, addSpecialTokens: true)
        _ = tokenizer.decode(ids, skipSpecialTokens: false)
    },
    FuzzTarget(name: "ctranslate2", summary: "a CTranslate2 model.bin (header, variables, aliases, every tensor read)",
               seeds: ["whisper-hf-ct2/model.bin", "whisper-hf-ct2-int8/model.bin"]) { data in
        let file = try CTranslate2File(path: try write(data, as: "model.bin"))
        for name in file.variables.keys.sorted().prefix(64) {
            _ = file.scalarInt(name)
            _ = try? file.floatTensor(name)
            guard file.storesInt8Rows(name), let shape = file.shape(of: name) else { continue }
            var values = [Int8](repeating: 0, count: shape[0] * shape[1]), scales = [Float](repeating: 0, count: shape[0])
            _ = try? file.int8Rows(name, rows: 0..<shape[0], values: &values, scales: &scales)
        }
    },
    FuzzTarget(name: "marian-bin", summary: "a Marian .bin model (items, float, int8 and intgemm8 values)",
               seeds: []) { data in
        let file = try MarianBinaryFile(path: "model.bin", data: data)
        for item in file.items.prefix(64) {
            switch item.type {  // a wrong read of an item is an error; every item is tried
            case .float32: _ = try? file.floats(item.name)
            case .int8: _ = try? file.int8Values(item.name)
            case .intgemm8: _ = try? file.int8Values(item.name); _ = try? file.quantizationMultiplier(item.name)
            }
            _ = file.text(item.name)
        }
    },
    FuzzTarget(name: "marian-yaml", summary: "a Marian config.yml / decoder.yml", seeds: []) { data in
        _ = try MarianYAML(text: String(decoding: data, as: UTF8.self), path: "config.yml")
    },
    FuzzTarget(name: "shortlist", summary: "a Marian binary lexical shortlist", seeds: []) { data in
        let shortlist = try MarianShortlist(path: try write(data, as: "lex.bin"))
        _ = shortlist.allowedTargets(source: [0, 1, 2, 3, 1000], targetVocabulary: 64)
    },
    FuzzTarget(name: "audio", summary: "an audio file: WAV by our parser, MP4/M4A boxes and AAC by FAAD2, the rest by libsndfile",
               seeds: ["audio/pcm16_mono_16k.wav", "audio/pcm8_8k.wav"]) { data in
        _ = try AudioDecoder.decode(data: data, path: "input.audio")
    },
    FuzzTarget(name: "npy", summary: "a .npy float32 matrix (--input-features)", seeds: ["audio/mel_filters_80.npy"]) { data in
        _ = try NPYFile.readFloat32Matrix(path: try write(data, as: "input.npy"))
    },
    FuzzTarget(name: "dictd", summary: "a dictd index and text, split at the input's first NUL byte",
               seeds: []) { data in
        let bytes = [UInt8](data)
        let split = bytes.firstIndex(of: 0) ?? bytes.count
        let dictionary = try DictdDictionary(index: Array(bytes[..<split]), text: Array(bytes[min(split + 1, bytes.count)...]))
        for entry in dictionary.entries.prefix(64) { _ = dictionary.text(of: entry) }
    },
    FuzzTarget(name: "corpus", summary: "a parallel corpus (TSV, JSON lines, detected)", seeds: ["training/finetune/pairs.tsv"]) { data in
        _ = try ParallelCorpus(parsing: [UInt8](data), name: "corpus")
    },
]
