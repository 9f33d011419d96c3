// The Swift API as a user meets it: every public error type's `localizedDescription` is its
// one-line message; `translate` runs outside the calling task (off the cooperative pool), and
// several at once give the results each gives alone; the folder kind is told before loading.
import Foundation
import Seq2Seq
import Seq2SeqHub
import Seq2SeqServer
import Seq2SeqTraining
import XCTest

final class SwiftAPITests: XCTestCase {
    private let root = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()

    /// Public error types: declared in `Sources/` as `public struct X: Error…` or `X: Seq2SeqError…`.
    private func publicErrorTypes() throws -> Set<String> {
        var names: Set<String> = []
        let files = FileManager.default.enumerator(at: root.appendingPathComponent("Sources"), includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL } ?? []
        for file in files where file.pathExtension == "swift" {
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
            where line.hasPrefix("public struct ") && (line.contains(": Error") || line.contains(": Seq2SeqError")) {
                names.insert(String(line.dropFirst("public struct ".count).prefix { $0.isLetter || $0.isNumber }))
            }
        }
        return names
    }

    func testEveryPublicErrorTypeIsALocalizedError() throws {
        let errors: [Error] = [
            ModelFileError("a.bin", "truncated"), AudioFileError("a.wav", "not a WAV file"), TokenizerError("t.json", "bad"),
            GenerationConfigError("num_beams must be positive"), TranscriptionError("bad language"), TranslationError("no codes"),
            EvaluationError("2 lines, 3 references"), TrainingRunError("no checkpoint"),
            TrainingDataError(path: "pairs.tsv", code: .noValidPairs, detail: "no valid pairs"),
            HubError(.notFound, "owner/name", "no such model on the Hub"),
            ServerError(.notFound, "no model named \"xx\""),
            thrown { _ = try Seq2SeqModel(directory: self.fixture("bart")).network.encode(features: []) },
            thrown { _ = try TokenBatcher(pairs: [], options: TokenBatcherOptions(startID: 0, eosID: 1, padID: 0)) },
            thrown { var c = TransformerConfiguration(preset: .tiny, vocabularySize: 100); c.heads = 3; try c.validate() },
            thrown { _ = try JSONValue.parse(Array("{".utf8)) },
        ]
        for error in errors {
            // Every library error but the Hub's and the server's (answered by their own callers)
            // carries its exit status, so the command-line tool maps none by hand.
            let status = (error as? Seq2SeqError)?.exitStatus
            switch error {
            case is HubError, is ServerError: XCTAssertNil(status, "\(type(of: error))")
            case is TranscriptionError, is TranslationError: XCTAssertEqual(status, 2, "\(type(of: error))")
            default: XCTAssertEqual(status, 3, "\(type(of: error))")
            }
            XCTAssertEqual(error.localizedDescription, "\(error)", "\(type(of: error))")
            XCTAssertFalse(error.localizedDescription.contains("could not be completed"), "\(type(of: error))")
        }
        XCTAssertEqual(try publicErrorTypes(), Set(errors.map { String(describing: type(of: $0)) }),
                       "a public error type this test does not check (add an instance above)")
    }

    private func fixture(_ name: String) -> URL { fixturesDirectory.appendingPathComponent(name) }

    /// The error `body` throws (a `CancellationError` when it throws none, which fails the test above).
    private func thrown(_ body: () throws -> Void) -> Error {
        do { try body() } catch { return error }
        return CancellationError()
    }

    func testConcurrentTranslationsGiveTheResultsEachGivesAlone() async throws {
        let translator = try Translator(directory: fixture("marian"))
        let inputs = (0..<24).map { "The green house number \($0) is not very big." }
        let options = TranslationOptions(beamSize: 2, maxLength: 12, batchSize: 2)
        let alone = try translator.run(inputs, options: options).map(\.text)
        let together = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { try await translator.translate(inputs, options: options).map(\.text) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(together.count, 4)
        for result in together { XCTAssertEqual(result, alone) }
    }

    func testTranslateRunsOutsideTheCallingTask() async throws {
        let translator = try Translator(directory: fixture("marian"))
        let inTask = LockedFlag()
        var options = TranslationOptions(maxLength: 4)
        options.configure = { _ in inTask.set(withUnsafeCurrentTask { $0 != nil }) }  // called where the decoding runs
        _ = try await translator.translate(["The green house."], options: options)
        XCTAssertEqual(inTask.value, false, "the decoding ran inside the calling task, on a cooperative thread")
    }

    /// `Seq2SeqServer.respond` answers through the same routes and middleware as the socket:
    /// a translation, the JSON errors, an unknown route, and the request counted in /metrics.
    func testServerAnswersInProcess() async throws {
        var options = ServerOptions()
        options.models = [ServedModelSpec(name: "en-de", path: fixture("marian").path)]
        let server = try Seq2SeqServer(options: options)
        let text = "The green house is not very big."
        let ok = try await server.respond(path: "/v1/translate", contentType: "application/json",
                                          body: Array(#"{"model": "en-de", "text": ["\#(text)"], "beam_size": 2}"#.utf8))
        XCTAssertEqual(ok.status, 200, String(decoding: ok.body, as: UTF8.self))
        let answer = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(ok.body)) as? [String: Any])
        let translations = try XCTUnwrap(answer["translations"] as? [[String: Any]])
        let alone = try Translator(directory: fixture("marian")).run([text], options: TranslationOptions(beamSize: 2)).map(\.text)
        XCTAssertEqual(translations.compactMap { $0["text"] as? String }, alone)
        let broken = try await server.respond(path: "/v1/generate", contentType: "application/json", body: Array("{".utf8))
        XCTAssertEqual(broken.status, 400)
        XCTAssertTrue(String(decoding: broken.body, as: UTF8.self).contains("not valid JSON"))
        let unknown = try await server.respond(path: "/v1/generate", contentType: "application/json", body: Array(#"{"model": "nope", "text": "a"}"#.utf8))
        XCTAssertEqual(unknown.status, 404)
        let health = try await server.respond(method: "GET", path: "/health")
        XCTAssertEqual(health.status, 200)
        let metrics = String(decoding: try await server.respond(method: "GET", path: "/metrics").body, as: UTF8.self)
        XCTAssertTrue(metrics.contains("/v1/translate"), metrics)
    }

    func testFolderKindIsToldBeforeLoading() throws {
        XCTAssertEqual(try ModelFolderKind.detect(fixture("bart")), .huggingFace(family: "bart"))
        XCTAssertEqual(try ModelFolderKind.detect(fixture("mbart")), .huggingFace(family: "mbart"))
        XCTAssertThrowsError(try ModelFolderKind.detect(fixture("metrics"))) { XCTAssertTrue($0 is ModelFileError, "\($0)") }
        let models = root.appendingPathComponent("models")
        guard FileManager.default.fileExists(atPath: models.appendingPathComponent("firefox/enpt").path),
              FileManager.default.fileExists(atPath: models.appendingPathComponent("whisper-tiny.en").path) else {
            throw XCTSkip("real models not fetched")
        }
        XCTAssertEqual(try ModelFolderKind.detect(models.appendingPathComponent("firefox/enpt")), .marian)
        XCTAssertEqual(try ModelFolderKind.detect(models.appendingPathComponent("whisper-tiny.en")), .ctranslate2)
        XCTAssertTrue(try ModelFolderKind.detect(models.appendingPathComponent("whisper-tiny.en")).isSpeech)
    }
}

/// A value set from another thread.
private final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Bool?
    var value: Bool? { lock.withLock { stored } }
    func set(_ value: Bool) { lock.withLock { stored = value } }
}
