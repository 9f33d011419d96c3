// `--model OWNER/NAME[@REVISION]` and `seq2seq download` against a local Hub (scripts/hub_fixture_server.py
// serving Tests/Fixtures/bart as test-org/tiny-bart), and against caches huggingface_hub itself
// writes and reads. Skipped with a message when python3 (or, for the interoperability tests,
// huggingface_hub) is missing.
import Foundation
import Seq2SeqHub
import XCTest

let repositoryRoot = fixtures.deletingLastPathComponent().deletingLastPathComponent()
private let serverScript = repositoryRoot.appendingPathComponent("scripts/hub_fixture_server.py")
private let repo = "test-org/tiny-bart"
/// The files a model folder needs from the served repository (it also holds README.md,
/// .gitattributes, pytorch_model.bin, tf_model.h5 and onnx/encoder_model.onnx).
private let modelFiles = ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]

/// python3 on PATH, or nil.
private let python3: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    .map { URL(fileURLWithPath: String($0)).appendingPathComponent("python3") }
    .first { FileManager.default.isExecutableFile(atPath: $0.path) }

/// Standard error, read on another thread while standard output is read on this one.
private final class ErrorOutput: @unchecked Sendable { var data = Data() }

/// One run of scripts/hub_fixture_server.py.
private final class HubServer {
    let process = Process()
    let endpoint: String
    let log: URL

    init(options: [String] = [], scratch: URL) throws {
        guard let python3 else { throw XCTSkip("python3 not found: the Hub fixture server needs it") }
        let ports = scratch.appendingPathComponent("ports-\(UUID().uuidString).json")
        log = scratch.appendingPathComponent("requests-\(UUID().uuidString).jsonl")
        process.executableURL = python3
        process.arguments = [serverScript.path, "--fixture", fixtures.appendingPathComponent("bart").path, "--repo", repo,
                             "--port-file", ports.path, "--log", log.path] + options
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: ports.path) {
            guard process.isRunning, Date() < deadline else { throw XCTSkip("the Hub fixture server did not start") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: ports)) as? [String: Int]
        endpoint = "http://127.0.0.1:\(object?["hub"] ?? 0)"
    }

    /// The requests served so far: server ("hub" or "cdn"), method, path, range, authorization.
    func requests() -> [[String: String]] {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?.compactMapValues { $0 as? String }
        }
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}

final class HubCLITests: XCTestCase {
    var scratch: URL!
    var home: URL!
    private var servers: [HubServer] = []

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-hub-\(UUID().uuidString)")
        home = scratch.appendingPathComponent("hf-home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        servers.forEach { $0.stop() }
        try? FileManager.default.removeItem(at: scratch)
    }

    private func startServer(_ options: [String] = []) throws -> HubServer {
        let server = try HubServer(options: options, scratch: scratch)
        servers.append(server)
        return server
    }

    /// The commit hashes of the served `main` and `v1`.
    private func commits() throws -> [String: String] {
        guard let python3 else { throw XCTSkip("python3 not found") }
        let result = try run(python3, [serverScript.path, "--fixture", fixtures.appendingPathComponent("bart").path, "--repo", repo,
                                       "--print-commits"], environment: [:])
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: String])
    }

    private var cache: URL { home.appendingPathComponent("hub/models--test-org--tiny-bart") }

    /// Runs `executable` with the Hugging Face variables cleared, HF_HOME in the scratch folder and `environment` on top.
    private func run(_ executable: URL, _ arguments: [String], environment: [String: String]) throws -> RunResult {
        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HF_") && !$0.key.hasPrefix("HUGGING") && $0.key != "TRANSFORMERS_OFFLINE" }
        variables["HF_HOME"] = home.path
        variables.merge(environment) { $1 }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = variables
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errors = ErrorOutput()
        let reading = DispatchGroup()
        reading.enter()
        DispatchQueue.global().async {
            errors.data = err.fileHandleForReading.readDataToEndOfFile()
            reading.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        let errData = errors.data
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    private func seq2seq(_ arguments: [String], endpoint: String? = nil, offline: Bool = false, token: String? = nil) throws -> RunResult {
        var environment: [String: String] = [:]
        environment["HF_ENDPOINT"] = endpoint ?? "http://127.0.0.1:9"
        if offline { environment["HF_HUB_OFFLINE"] = "1" }
        if let token { environment["HF_TOKEN"] = token }
        return try run(binary, arguments, environment: environment)
    }

    /// The generate and translate runs whose outputs a Hub id must reproduce.
    private let generateArguments = ["generate", "--input-ids", "0 31 17 42 5 2", "--num-beams", "3", "--num-return-sequences", "2",
                                     "--max-new-tokens", "12", "--json"]
    private let translateArguments = ["translate", "--json", "--max-length", "10", "the quick brown fox", "jumps over"]

    private func assertRunsLikeTheFolder(_ model: String, endpoint: String? = nil, offline: Bool = false,
                                         file: StaticString = #filePath, line: UInt = #line) throws {
        let folder = fixtures.appendingPathComponent("bart").path
        for arguments in [generateArguments, translateArguments, ["tokenize", "--json", "the quick brown fox"]] {
            let expected = try seq2seq([arguments[0], "--model", folder] + arguments.dropFirst())
            XCTAssertEqual(expected.status, 0, expected.stderr, file: file, line: line)
            XCTAssertFalse(expected.stdout.isEmpty, file: file, line: line)
            let actual = try seq2seq([arguments[0], "--model", model] + arguments.dropFirst(), endpoint: endpoint, offline: offline)
            XCTAssertEqual(actual.status, 0, actual.stderr, file: file, line: line)
            XCTAssertEqual(try canonicalJSONLines(actual.stdout), try canonicalJSONLines(expected.stdout), "\(arguments[0]) on \(model)",
                           file: file, line: line)
        }
    }

    private func sha256(_ url: URL) throws -> String { try SHA256.hash(fileAt: url).hex }

    /// JSON Lines with sorted keys (each process orders dictionary keys its own way).
    private func canonicalJSONLines(_ text: String) throws -> [String] {
        try text.split(separator: "\n").map {
            let object = try JSONSerialization.jsonObject(with: Data($0.utf8))
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    /// The generated id sequences of `generate --json` output.
    private func generatedIds(_ text: String) throws -> [[Int]] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        return (object?["sequences"] as? [[String: Any]] ?? []).map { $0["ids"] as? [Int] ?? [] }
    }

    // MARK: - Downloading and running

    func testDownloadFetchesOnlyModelFilesInTheHubCacheLayoutAndRunsLikeTheFolder() throws {
        let server = try startServer()
        let commit = try XCTUnwrap(commits()["main"])
        let result = try seq2seq(["download", repo], endpoint: server.endpoint)
        XCTAssertEqual(result.status, 0, result.stderr)
        let snapshot = cache.appendingPathComponent("snapshots/\(commit)")
        XCTAssertEqual(result.stdout, snapshot.path + "\n")
        XCTAssertEqual(try String(contentsOf: cache.appendingPathComponent("refs/main"), encoding: .utf8), commit)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: snapshot.path).sorted(), modelFiles)
        for name in modelFiles {
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent(name).path)
            XCTAssertTrue(target.hasPrefix("../../blobs/"), target)
            XCTAssertEqual(try Data(contentsOf: snapshot.appendingPathComponent(name)),
                           try Data(contentsOf: fixtures.appendingPathComponent("bart/\(name)")), name)
        }
        // LFS blobs are named by their sha256 (X-Linked-Etag), the others by their git blob id (ETag).
        let weights = try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent("model.safetensors").path)
        XCTAssertEqual(weights, "../../blobs/" + (try sha256(fixtures.appendingPathComponent("bart/model.safetensors"))))
        XCTAssertTrue(FileManager.default.fileExists(atPath: cache.appendingPathComponent(".no_exist/\(commit)/special_tokens_map.json").path))
        let paths = server.requests().map { $0["path"] ?? "" }
        for unwanted in ["pytorch_model.bin", "tf_model.h5", "onnx", "README.md", ".gitattributes"] {
            XCTAssertFalse(paths.contains { $0.contains(unwanted) }, "\(unwanted) was requested")
        }
        XCTAssertTrue(server.requests().filter { $0["server"] == "cdn" }.allSatisfy { $0["authorization"] == nil })

        let before = server.requests().count
        try assertRunsLikeTheFolder(repo, endpoint: server.endpoint)
        // Cached: each of the three runs asks only which commit `main` is.
        let later = server.requests().dropFirst(before)
        XCTAssertEqual(later.count, 3, "\(later)")
        XCTAssertTrue(later.allSatisfy { $0["path"] == "/api/models/\(repo)/revision/main" }, "\(later)")
    }

    func testModelIdDownloadsOnFirstUse() throws {
        let server = try startServer()
        let result = try seq2seq(["generate", "--model", repo] + generateArguments.dropFirst(), endpoint: server.endpoint)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("downloading \(repo) model.safetensors"), result.stderr)
        let expected = try seq2seq(["generate", "--model", fixtures.appendingPathComponent("bart").path] + generateArguments.dropFirst())
        XCTAssertEqual(try canonicalJSONLines(result.stdout), try canonicalJSONLines(expected.stdout))
    }

    func testCachedModelRunsWithTheServerStopped() throws {
        let server = try startServer()
        XCTAssertEqual(try seq2seq(["download", repo], endpoint: server.endpoint).status, 0)
        let endpoint = server.endpoint
        server.stop()
        let result = try seq2seq(["generate", "--model", repo] + generateArguments.dropFirst(), endpoint: endpoint)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("using the cached snapshot"), result.stderr)
        try assertRunsLikeTheFolder(repo, endpoint: endpoint)
    }

    func testUnreachableHubWithoutCacheIsARuntimeFailure() throws {
        let result = try seq2seq(["inspect", "--model", repo], endpoint: "http://127.0.0.1:9")
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("http://127.0.0.1:9/api/models/\(repo)/revision/main"), result.stderr)
        XCTAssertTrue(result.stderr.contains("cannot reach the Hub"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }

    // MARK: - Broken transfers

    func testInterruptedTransferIsResumedWithARangeRequest() throws {
        let weights = fixtures.appendingPathComponent("bart/model.safetensors")
        let digest = try sha256(weights)
        let cutting = try startServer(["--cut-at", "100000"])
        let broken = try seq2seq(["download", repo], endpoint: cutting.endpoint)
        XCTAssertEqual(broken.status, 1, broken.stderr)
        let lastLine = String(broken.stderr.split(separator: "\n").last ?? "")
        XCTAssertTrue(lastLine.contains("/repos/") && lastLine.contains(digest), lastLine)
        XCTAssertTrue(lastLine.contains("after 100000 of 284392 bytes; run again to resume"), lastLine)
        XCTAssertFalse(broken.stderr.contains("Fatal error"))
        let partial = cache.appendingPathComponent("blobs/\(digest).incomplete")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int, 100_000)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("snapshots").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("refs/main").path))
        cutting.stop()

        let server = try startServer()
        let resumed = try seq2seq(["download", repo], endpoint: server.endpoint)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming at 100.0 kB"), resumed.stderr)
        let cdn = server.requests().filter { $0["server"] == "cdn" }
        XCTAssertEqual(cdn.count, 1, "\(cdn)")
        XCTAssertEqual(cdn.first?["range"], "bytes=100000-")
        let snapshot = URL(fileURLWithPath: resumed.stdout.trimmingCharacters(in: .newlines))
        XCTAssertEqual(try sha256(snapshot.appendingPathComponent("model.safetensors")), digest)
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
        try assertRunsLikeTheFolder(repo, endpoint: server.endpoint)
    }

    func testPartialDownloadLongerThanTheFileIsDiscarded() throws {
        let server = try startServer()
        let digest = try sha256(fixtures.appendingPathComponent("bart/model.safetensors"))
        let blobs = cache.appendingPathComponent("blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        try Data(repeating: 7, count: 300_000).write(to: blobs.appendingPathComponent("\(digest).incomplete"))
        let result = try seq2seq(["download", repo], endpoint: server.endpoint)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try sha256(blobs.appendingPathComponent(digest)), digest)
        XCTAssertEqual(server.requests().filter { $0["server"] == "cdn" }.map { $0["range"] ?? "none" }, ["none"])
    }

    func testCorruptLFSFileIsRefusedAndNotKept() throws {
        let server = try startServer(["--corrupt"])
        let digest = try sha256(fixtures.appendingPathComponent("bart/model.safetensors"))
        let result = try seq2seq(["translate", "--model", repo, "hello"], endpoint: server.endpoint)
        XCTAssertEqual(result.status, 3, result.stderr)
        let lastLine = String(result.stderr.split(separator: "\n").last ?? "")
        XCTAssertTrue(lastLine.contains("\(server.endpoint)/\(repo)/resolve/"), lastLine)
        XCTAssertTrue(lastLine.contains("model.safetensors: SHA-256 mismatch (expected \(digest)"), lastLine)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("snapshots").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("blobs/\(digest)").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("blobs/\(digest).incomplete").path))
        let offline = try seq2seq(["translate", "--model", repo, "hello"], offline: true)
        XCTAssertEqual(offline.status, 3, offline.stderr)
    }

    // MARK: - Offline mode, revisions, tokens, bad ids

    func testOfflineModeUsesOnlyTheCache() throws {
        let server = try startServer()
        let missing = try seq2seq(["generate", "--model", repo] + generateArguments.dropFirst(), endpoint: server.endpoint, offline: true)
        XCTAssertEqual(missing.status, 3, missing.stderr)
        XCTAssertEqual(missing.stderr, "seq2seq: \(repo): not in the Hugging Face cache at \(home.path)/hub, and HF_HUB_OFFLINE forbids downloading it\n")
        XCTAssertEqual(server.requests().count, 0)
        let downloaded = try seq2seq(["download", repo], endpoint: server.endpoint)
        XCTAssertEqual(downloaded.status, 0, downloaded.stderr)
        let served = server.requests().count
        try assertRunsLikeTheFolder(repo, endpoint: server.endpoint, offline: true)
        XCTAssertEqual(server.requests().count, served, "offline runs made requests")
    }

    func testRevisionsByTagAndByCommit() throws {
        let server = try startServer()
        let commits = try self.commits()
        let (main, v1) = (try XCTUnwrap(commits["main"]), try XCTUnwrap(commits["v1"]))
        XCTAssertNotEqual(main, v1)
        let tagged = try seq2seq(["download", "\(repo)@v1"], endpoint: server.endpoint)
        XCTAssertEqual(tagged.status, 0, tagged.stderr)
        XCTAssertEqual(tagged.stdout, cache.appendingPathComponent("snapshots/\(v1)").path + "\n")
        XCTAssertEqual(try String(contentsOf: cache.appendingPathComponent("refs/v1"), encoding: .utf8), v1)
        let config = try Data(contentsOf: cache.appendingPathComponent("snapshots/\(v1)/generation_config.json"))
        XCTAssertEqual((try JSONSerialization.jsonObject(with: config) as? [String: Any])?["min_length"] as? Int, 9)

        let pinned = try seq2seq(["download", "\(repo)@\(main)"], endpoint: server.endpoint)
        XCTAssertEqual(pinned.status, 0, pinned.stderr)
        XCTAssertEqual(pinned.stdout, cache.appendingPathComponent("snapshots/\(main)").path + "\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("refs/\(main)").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("refs/main").path))
        // Shared blobs are downloaded once: v1 differs from main only in generation_config.json.
        let cdn = server.requests().filter { $0["server"] == "cdn" }
        XCTAssertEqual(cdn.count, 1, "\(cdn)")

        // v1's min_length 9 (decoder start included) holds off EOS; main's model stops at once.
        let source = ["--input-ids", "0 31 17 42 5 2", "--json"]
        let long = try seq2seq(["generate", "--model", "\(repo)@v1"] + source, offline: true)
        XCTAssertEqual(long.status, 0, long.stderr)
        XCTAssertGreaterThanOrEqual(try generatedIds(long.stdout).first?.count ?? 0, 9, long.stdout)
        let short = try seq2seq(["generate", "--model", repo] + source, endpoint: server.endpoint)
        XCTAssertEqual(short.status, 0, short.stderr)
        XCTAssertEqual(try generatedIds(short.stdout).first, [0, 2], short.stdout)
        try assertRunsLikeTheFolder("\(repo)@\(main)", offline: true)

        let unknown = try seq2seq(["download", "\(repo)@nope"], endpoint: server.endpoint)
        XCTAssertEqual(unknown.status, 3, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("has no revision 'nope'"), unknown.stderr)
    }

    func testTokenGoesToTheHubAndNotToTheCDN() throws {
        let server = try startServer(["--token", "hf_test_token"])
        let refused = try seq2seq(["download", repo], endpoint: server.endpoint)
        XCTAssertEqual(refused.status, 3, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("needs HF_TOKEN"), refused.stderr)
        let accepted = try seq2seq(["download", repo], endpoint: server.endpoint, token: "hf_test_token")
        XCTAssertEqual(accepted.status, 0, accepted.stderr)
        let requests = server.requests().dropFirst()
        XCTAssertTrue(requests.filter { $0["server"] == "hub" }.allSatisfy { $0["authorization"] == "Bearer hf_test_token" })
        XCTAssertEqual(requests.filter { $0["server"] == "cdn" }.count, 1)
        XCTAssertTrue(requests.filter { $0["server"] == "cdn" }.allSatisfy { $0["authorization"] == nil })
        // The token file in HF_HOME stands in for HF_TOKEN.
        try FileManager.default.removeItem(at: cache)
        try Data("hf_test_token\n".utf8).write(to: home.appendingPathComponent("token"))
        let fromFile = try seq2seq(["download", repo], endpoint: server.endpoint)
        XCTAssertEqual(fromFile.status, 0, fromFile.stderr)
    }

    func testBadIdsAndMissingModels() throws {
        let server = try startServer()
        let malformed = try seq2seq(["download", "test-org/tiny--bart"], endpoint: server.endpoint)
        XCTAssertEqual(malformed.status, 2, malformed.stderr)
        XCTAssertEqual(try seq2seq(["download", "a/b/c"], endpoint: server.endpoint).status, 2)
        let missing = try seq2seq(["inspect", "--model", "other-org/nothing"], endpoint: server.endpoint)
        XCTAssertEqual(missing.status, 3, missing.stderr)
        XCTAssertEqual(missing.stderr, "seq2seq: \(server.endpoint)/api/models/other-org/nothing/revision/main: no model other-org/nothing on \(server.endpoint) (a private or gated model needs HF_TOKEN)\n")
        // A path that starts like a path is never taken for an id.
        let folder = try seq2seq(["inspect", "--model", "./test-org/tiny-bart"], endpoint: server.endpoint)
        XCTAssertEqual(folder.status, 3, folder.stderr)
        XCTAssertEqual(server.requests().count, 1)
    }

    // MARK: - Interoperability with huggingface_hub

    private func pythonWithHub() throws -> URL {
        guard let python3 else { throw XCTSkip("python3 not found") }
        let probe = try run(python3, ["-c", "import huggingface_hub; print(huggingface_hub.__version__)"], environment: [:])
        guard probe.status == 0 else { throw XCTSkip("huggingface_hub is not installed (pip install huggingface_hub)") }
        return python3
    }

    func testCacheWrittenByHuggingFaceHubRunsOffline() throws {
        let python = try pythonWithHub()
        let server = try startServer()
        let script = """
            import json, sys
            from huggingface_hub import snapshot_download
            print(json.dumps([snapshot_download("\(repo)", endpoint=sys.argv[1]),
                              snapshot_download("\(repo)", revision="v1", endpoint=sys.argv[1])]))
            """
        let result = try run(python, ["-c", script, server.endpoint], environment: ["HF_HUB_DISABLE_PROGRESS_BARS": "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let folders = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String])
        let commits = try self.commits()
        XCTAssertEqual(folders, [cache.appendingPathComponent("snapshots/\(commits["main"]!)").path,
                                 cache.appendingPathComponent("snapshots/\(commits["v1"]!)").path])
        // huggingface_hub fetched everything, pytorch_model.bin and onnx/ included.
        XCTAssertTrue(FileManager.default.fileExists(atPath: folders[0] + "/pytorch_model.bin"))
        server.stop()
        try assertRunsLikeTheFolder(repo, offline: true)
        let download = try seq2seq(["download", "\(repo)@v1"], offline: true)
        XCTAssertEqual(download.stdout, folders[1] + "\n")
    }

    func testCacheWrittenBySeq2SeqIsReadByHuggingFaceHub() throws {
        let python = try pythonWithHub()
        let server = try startServer()
        let downloaded = try seq2seq(["download", repo], endpoint: server.endpoint)
        XCTAssertEqual(downloaded.status, 0, downloaded.stderr)
        let tagged = try seq2seq(["download", "\(repo)@v1"], endpoint: server.endpoint)
        XCTAssertEqual(tagged.status, 0, tagged.stderr)
        server.stop()
        let script = """
            import json
            from huggingface_hub import snapshot_download, hf_hub_download, try_to_load_from_cache
            from huggingface_hub.file_download import _CACHED_NO_EXIST
            print(json.dumps({
                "main": snapshot_download("\(repo)", local_files_only=True),
                "v1": snapshot_download("\(repo)", revision="v1", local_files_only=True),
                "config": hf_hub_download("\(repo)", "config.json", local_files_only=True),
                "weights": try_to_load_from_cache("\(repo)", "model.safetensors"),
                "absent": try_to_load_from_cache("\(repo)", "special_tokens_map.json") is _CACHED_NO_EXIST,
            }))
            """
        let result = try run(python, ["-c", script], environment: ["HF_HUB_OFFLINE": "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let answer = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(answer["main"] as? String, downloaded.stdout.trimmingCharacters(in: .newlines))
        XCTAssertEqual(answer["v1"] as? String, tagged.stdout.trimmingCharacters(in: .newlines))
        XCTAssertEqual(answer["config"] as? String, (answer["main"] as? String ?? "") + "/config.json")
        let weights = try XCTUnwrap(answer["weights"] as? String)
        XCTAssertEqual(try sha256(URL(fileURLWithPath: weights)), try sha256(fixtures.appendingPathComponent("bart/model.safetensors")))
        XCTAssertEqual(answer["absent"] as? Bool, true)
    }
}
