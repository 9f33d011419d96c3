// The `http-body` target: one request body to one of the server's POST routes, served in
// process (`Seq2SeqServer.respond`: the real routes and middleware, no socket) with
// the BART fixture as `en-de`. The input's first byte picks the route and the content type
// (JSON, URL-encoded form, or multipart with boundary `B`); the rest is the body. Any answer but
// a 500 is fine — a 500 is an error the server did not expect. No speech model is served: the
// tiny Whisper fixture takes 7–14 s a request (its fallback ladder over a 51,865-token
// vocabulary), so the audio routes are fuzzed up to choosing the model, and audio decoding by
// the `audio` target.
import Foundation
import Seq2SeqServer

final class HTTPFuzz: @unchecked Sendable {
    static let shared = HTTPFuzz()
    static let routes = ["/translate", "/v1/translate", "/v1/generate", "/v1/score", "/v1/attention",
                         "/v1/audio/transcriptions", "/v1/audio/translations"]
    static let contentTypes = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=B"]

    private let server: Seq2SeqServer

    private init() {
        var options = ServerOptions()
        options.models = [ServedModelSpec(name: "en-de", path: fixtures.appendingPathComponent("bart").path)]
        options.maxBodyBytes = 1 << 20
        options.requestTimeout = 20
        do {
            server = try Seq2SeqServer(options: options)
        } catch {
            fail("http-body: cannot load the fixture models (\(error)); run from the repository or set SEQ2SEQ_FIXTURES")
        }
    }

    /// Serves `data` (route and type byte, then the body); traps on a 500.
    func serve(_ data: Data) throws {
        guard let first = data.first else { return }
        let route = Self.routes[Int(first) % Self.routes.count]
        let type = Self.contentTypes[Int(first) / Self.routes.count % Self.contentTypes.count]
        let body = [UInt8](data.dropFirst()), server = self.server
        let (status, answer) = try blocking { try await server.respond(path: route, contentType: type, body: body) }
        if ProcessInfo.processInfo.environment["SEQ2SEQ_FUZZ_VERBOSE"] != nil {
            FileHandle.standardError.write(Data("\(route) (\(type)): \(status) \(String(decoding: answer.prefix(160), as: UTF8.self))\n".utf8))
        }
        if status >= 500 && status != 503 && status != 504 {
            fatalError("http-body: \(route) (\(type)) answered \(status): \(String(decoding: answer.prefix(300), as: UTF8.self))")
        }
    }
}

/// Runs `work` to its end on the concurrency pool and returns its result (the fuzzer's
/// callback is synchronous).
func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: Result<T, Error>?
    Task {
        do { result = .success(try await work()) } catch { result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try result!.get()
}
