// What a model folder holds, told from its file names (and `config.json`'s `model_type`)
// before any weight is read: the one place that decides which loader a folder needs
// (`Seq2SeqModel`, `Translator`, `Transcriber`, `ModelTokenizer` and the commands ask it).
import Foundation
import Seq2SeqIO

/// The kind of a model folder.
public enum ModelFolderKind: Sendable, Equatable {
    /// A Hugging Face checkpoint: `config.json` with safetensors weights; `family` is its
    /// `model_type` (`t5`, `bart`, `mbart`, `marian`, `whisper`, …), nil when it names none.
    case huggingFace(family: String?)
    /// A CTranslate2 folder: `model.bin` with `config.json` (Whisper, as faster-whisper uses
    /// them — the only CTranslate2 models this toolkit reads).
    case ctranslate2
    /// A Marian binary folder (Firefox Translations): `model*.bin` with `config*.yml`.
    case marian

    /// Whether the model turns speech into text (Whisper).
    public var isSpeech: Bool {
        switch self {
        case .huggingFace(let family): return family == "whisper"
        case .ctranslate2: return true
        case .marian: return false
        }
    }

    /// Whether the model turns text into text (false too when the family is unknown).
    public var isText: Bool {
        switch self {
        case .huggingFace(let family): return family.map { $0 != "whisper" } ?? false
        case .ctranslate2: return false
        case .marian: return true
        }
    }

    /// The kind of `directory`. Throws `ModelFileError` when it is not a folder, is none of the
    /// kinds above, or its `config.json` cannot be read.
    public static func detect(_ directory: URL) throws -> ModelFolderKind {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ModelFileError(directory.path, "not a model folder (no such directory)")
        }
        if MarianNativeModel.isMarianFolder(directory) { return .marian }
        let has = { (name: String) in FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) }
        guard has("config.json") else {
            throw ModelFileError(directory.appendingPathComponent("config.json").path,
                                 "missing file (not a Hugging Face or CTranslate2 folder, and no model*.bin with config*.yml as Marian folders have)")
        }
        if has("model.bin") && !has("model.safetensors") && !has("model.safetensors.index.json") { return .ctranslate2 }
        return .huggingFace(family: try JSONConfig(contentsOf: directory.appendingPathComponent("config.json")).string("model_type"))
    }
}
