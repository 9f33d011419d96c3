// Model ids, environment settings and file selection as huggingface_hub has them
// (constants.py, utils/_validators.py, file_download.py).
import Foundation
import Seq2SeqHub
import XCTest

final class HubLayoutTests: XCTestCase {
    func testModelIds() throws {
        let plain = try HubModelID(parsing: "Helsinki-NLP/opus-mt-en-de")
        XCTAssertEqual([plain.owner, plain.name], ["Helsinki-NLP", "opus-mt-en-de"])
        XCTAssertNil(plain.revision)
        XCTAssertEqual(plain.resolvedRevision, "main")
        let pr = try HubModelID(parsing: "google/flan-t5-small@refs/pr/12")
        XCTAssertEqual(pr.revision, "refs/pr/12")
        XCTAssertEqual(pr.description, "google/flan-t5-small@refs/pr/12")
        for bad in ["t5-small", "a/b/c", "/abs/path", "owner/", "owner/na--me", "owner/-name", "owner/name.", "owner/na me",
                    "owner/name.git", "owner/name@", "owner/name@../x", "owner/name@refs//x", "o/\(String(repeating: "n", count: 97))"] {
            XCTAssertThrowsError(try HubModelID(parsing: bad), bad) { error in
                XCTAssertEqual((error as? HubError)?.kind, .invalidID, bad)
            }
        }
    }

    func testWhatLooksLikeAnId() {
        XCTAssertTrue(HubModelID.looksLikeID("owner/name"))
        XCTAssertTrue(HubModelID.looksLikeID("owner/name@v1.0/branch"))
        for path in ["models/en-de/", "./owner/name", "/owner/name", "~/owner/name", "name", "a/b/c", "../x/y", ".cache/x"] {
            XCTAssertFalse(HubModelID.looksLikeID(path), path)
        }
    }

    func testCacheFolderFromTheEnvironment() {
        func cache(_ environment: [String: String]) -> String { HubConfiguration(environment: environment).cacheDirectory.path }
        XCTAssertEqual(cache(["HOME": "/h"]), "/h/.cache/huggingface/hub")
        XCTAssertEqual(cache(["HOME": "/h", "XDG_CACHE_HOME": "/x"]), "/x/huggingface/hub")
        XCTAssertEqual(cache(["HOME": "/h", "XDG_CACHE_HOME": "/x", "HF_HOME": "~/hf"]), "/h/hf/hub")
        XCTAssertEqual(cache(["HOME": "/h", "HF_HOME": "/hf", "HUGGINGFACE_HUB_CACHE": "/legacy"]), "/legacy")
        XCTAssertEqual(cache(["HOME": "/h", "HF_HOME": "/hf", "HUGGINGFACE_HUB_CACHE": "/legacy", "HF_HUB_CACHE": "/new"]), "/new")
        XCTAssertEqual(cache(["HOME": "/h", "HF_HOME": ""]), "/h/.cache/huggingface/hub")
    }

    func testEndpointOfflineTokenAndTimeout() throws {
        XCTAssertEqual(HubConfiguration(environment: [:]).endpoint, "https://huggingface.co")
        XCTAssertEqual(HubConfiguration(environment: ["HF_ENDPOINT": "http://mirror:8080//"]).endpoint, "http://mirror:8080")
        for (value, offline) in [("1", true), ("ON", true), ("yes", true), ("True", true), ("0", false), ("no", false), ("", false)] {
            XCTAssertEqual(HubConfiguration(environment: ["HF_HUB_OFFLINE": value]).offline, offline, value)
        }
        XCTAssertTrue(HubConfiguration(environment: ["TRANSFORMERS_OFFLINE": "1"]).offline)
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("hf-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try Data(" hf_file \n".utf8).write(to: home.appendingPathComponent("token"))
        XCTAssertEqual(HubConfiguration(environment: ["HF_HOME": home.path]).token, "hf_file")
        XCTAssertEqual(HubConfiguration(environment: ["HF_HOME": home.path, "HF_TOKEN": "hf_env"]).token, "hf_env")
        XCTAssertEqual(HubConfiguration(environment: ["HF_HOME": home.path, "HUGGING_FACE_HUB_TOKEN": "hf_old"]).token, "hf_old")
        XCTAssertNil(HubConfiguration(environment: ["HF_HOME": home.path + "/none"]).token)
        XCTAssertEqual(HubConfiguration(environment: [:]).timeout, 10)
        XCTAssertEqual(HubConfiguration(environment: ["HF_HUB_DOWNLOAD_TIMEOUT": "2.5"]).timeout, 2.5)
        XCTAssertEqual(HubConfiguration(environment: ["HF_HUB_DOWNLOAD_TIMEOUT": "-1"]).timeout, 10)
    }

    func testRepositoryFolderAndRefs() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hub-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = HubCacheRepository(cacheDirectory: root, repository: "julien-c/EsperBERTo-small")
        XCTAssertEqual(cache.folderName, "models--julien-c--EsperBERTo-small")
        let commit = String(repeating: "ab", count: 20)
        XCTAssertNil(cache.cachedSnapshot(revision: "main"))
        try cache.writeRef("refs/pr/1", commit: commit)
        XCTAssertEqual(try String(contentsOf: root.appendingPathComponent("models--julien-c--EsperBERTo-small/refs/refs/pr/1"), encoding: .utf8), commit)
        XCTAssertEqual(cache.commit(for: "refs/pr/1"), commit)
        XCTAssertNil(cache.cachedSnapshot(revision: "refs/pr/1"), "no snapshot folder yet")
        try cache.link("config.json", commit: commit, etag: "0123")
        try cache.link("sub/dir/file.txt", commit: commit, etag: "4567")
        XCTAssertEqual(cache.cachedSnapshot(revision: "refs/pr/1"), cache.snapshot(commit))
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: cache.snapshot(commit).path + "/config.json"), "../../blobs/0123")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: cache.snapshot(commit).path + "/sub/dir/file.txt"),
                       "../../../../blobs/4567")
        XCTAssertEqual(cache.cachedSnapshot(revision: commit), cache.snapshot(commit), "a commit needs no ref")
        try Data("not a commit".utf8).write(to: root.appendingPathComponent("models--julien-c--EsperBERTo-small/refs/main"))
        XCTAssertNil(cache.commit(for: "main"))
    }

    func testFileSelection() {
        let repository = ["config.json", "generation_config.json", "model.safetensors", "pytorch_model.bin", "tf_model.h5",
                          "flax_model.msgpack", "rust_model.ot", "onnx/encoder_model.onnx", "onnx/model.safetensors", "README.md",
                          ".gitattributes", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "source.spm",
                          "target.spm", "vocab.json", "spiece.model", "model-00001-of-00002.safetensors",
                          "model.safetensors.index.json", "optimizer.safetensors", "preprocessor_config.json", "vocabulary.txt",
                          "model.bin", "model.enpt.intgemm.alphas.bin", "config.enpt.yml", "lex.50.50.enpt.s2t.bin", "vocab.enpt.spm",
                          "pytorch_model-00001-of-00002.bin", "training_args.bin", "merges.txt"]
        XCTAssertEqual(HubModelFiles.select(from: repository), [
            "config.enpt.yml", "config.json", "generation_config.json", "merges.txt", "model.safetensors.index.json",
            "preprocessor_config.json", "source.spm", "special_tokens_map.json", "spiece.model", "target.spm", "tokenizer.json",
            "tokenizer_config.json", "vocab.enpt.spm", "vocab.json", "vocabulary.txt",
            "lex.50.50.enpt.s2t.bin", "model-00001-of-00002.safetensors", "model.bin", "model.enpt.intgemm.alphas.bin", "model.safetensors",
        ])
        XCTAssertFalse(HubModelFiles.holdsWeights(HubModelFiles.select(from: ["config.json", "pytorch_model.bin", "tf_model.h5"])))
    }

    func testETagsAndPathsFromTheNetwork() {
        XCTAssertEqual(HubNames.normalizedETag("W/\"abc123\""), "abc123")
        XCTAssertEqual(HubNames.normalizedETag("\"abc\""), "abc")
        XCTAssertTrue(HubNames.isSafeETag("8b79a36f19b9126be3ef92314ad39369e2e9679c9b36a4f1c131124ea487394c"))
        for bad in ["", "../x", ".hidden", "a/b", "a b", String(repeating: "a", count: 129)] { XCTAssertFalse(HubNames.isSafeETag(bad), bad) }
        XCTAssertTrue(HubNames.isSafeRepositoryPath("onnx/model.onnx"))
        for bad in ["", "../etc/passwd", "a/../b", "/abs", "a//b", "a\\b", "a/./b", "x\ny"] { XCTAssertFalse(HubNames.isSafeRepositoryPath(bad), bad) }
        XCTAssertEqual(HubNames.percentEncoded("refs/pr/1", keepSlash: false), "refs%2Fpr%2F1")
        XCTAssertEqual(HubNames.percentEncoded("dir/a b+c.json", keepSlash: true), "dir/a%20b%2Bc.json")
        XCTAssertTrue(HubNames.isCommitHash(String(repeating: "0a", count: 20)))
        XCTAssertFalse(HubNames.isCommitHash(String(repeating: "0A", count: 20)))
    }
}
