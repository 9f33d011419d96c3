// End-to-end tests of `seq2seq serve`: the real binary on a loopback port, every route, the
// request shapes of LibreTranslate's and OpenAI's clients, results identical to the command
// line's, batching of concurrent requests, and every kind of bad request answered with a JSON
// error while the server stays up; SIGTERM drains the requests in flight and exits 0.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// A `seq2seq serve` process on a free loopback port.
final class ServerProcess {
    let process = Process()
    let port: Int
    private let log = LockedText()

    var base: String { "http://127.0.0.1:\(port)" }
    var stderr: String { log.text }

    init(_ arguments: [String]) throws {
        process.executableURL = binary
        process.arguments = ["serve", "--port", "0"] + arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        let log = self.log
        err.fileHandleForReading.readabilityHandler = { handle in log.append(handle.availableData) }
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while true {
            let text = log.text
            if let range = text.range(of: #"on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last!)!
                break
            }
            guard process.isRunning, Date() < deadline else {
                process.terminate()
                throw XCTSkip("server did not start: \(text)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// SIGTERM, then the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }
}

private final class ResultBox: @unchecked Sendable {
    var value: Result<HTTPResult, Error>?
}

final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ more: Data) { lock.withLock { data.append(more) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

struct HTTPResult {
    let status: Int
    let headers: [String: String]
    let body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
}

let httpSession: URLSession = {
    let configuration = URLSessionConfiguration.ephemeral
    configuration.httpMaximumConnectionsPerHost = 256
    configuration.timeoutIntervalForRequest = 600
    return URLSession(configuration: configuration)
}()

/// One HTTP request, waited for.
func http(_ method: String, _ url: String, body: Data? = nil, type: String? = nil, headers: [String: String] = [:]) throws -> HTTPResult {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.httpBody = body
    if let type { request.setValue(type, forHTTPHeaderField: "Content-Type") }
    for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
    let done = DispatchSemaphore(value: 0)
    let result = ResultBox()
    httpSession.dataTask(with: request) { data, response, error in
        if let error { result.value = .failure(error) } else {
            let r = response as! HTTPURLResponse
            var headers: [String: String] = [:]
            for (k, v) in r.allHeaderFields { headers[String(describing: k).lowercased()] = String(describing: v) }
            result.value = .success(HTTPResult(status: r.statusCode, headers: headers, body: data ?? Data()))
        }
        done.signal()
    }.resume()
    done.wait()
    return try result.value!.get()
}

func postJSON(_ url: String, _ object: Any, headers: [String: String] = [:]) throws -> HTTPResult {
    try http("POST", url, body: try JSONSerialization.data(withJSONObject: object), type: "application/json", headers: headers)
}

/// A multipart/form-data body of text fields and files.
func multipart(_ fields: [(String, String)], files: [(String, String, Data)]) -> (Data, String) {
    let boundary = "seq2seq-test-\(UUID().uuidString)"
    var body = Data()
    for (name, value) in fields {
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }
    for (name, filename, data) in files {
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: audio/wav\r\n\r\n".utf8)
        body += data + Data("\r\n".utf8)
    }
    body += Data("--\(boundary)--\r\n".utf8)
    return (body, "multipart/form-data; boundary=\(boundary)")
}

final class ServeTests: XCTestCase {
    static let marian = fixtures.appendingPathComponent("marian").path
    static let bart = fixtures.appendingPathComponent("bart").path

    /// Whisper tiny.en and a LibriVox clip (scripts/fetch_whisper_models.sh, Debian's
    /// pocketsphinx-testdata): the random fixture checkpoint writes 448 tokens of noise per
    /// window, seconds a request, too slow for tests that send dozens.
    static func speech() throws -> (folder: String, wav: URL) {
        let folder = repositoryRoot.appendingPathComponent("models/whisper-tiny.en").path
        let wav = URL(fileURLWithPath: "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0930.wav")
        guard FileManager.default.fileExists(atPath: folder + "/model.bin"), FileManager.default.fileExists(atPath: wav.path) else {
            throw XCTSkip("Whisper tiny.en or the LibriVox clip not fetched: run scripts/fetch_whisper_models.sh and scripts/fetch_speech_data.sh")
        }
        return (folder, wav)
    }

    static let sentences = ["The green house.", "A small cat sat on the mat.", "Hello world", "It was raining all day long in the city.",
                            "", "Good morning!", "I like apples and oranges.", "Where is the station?"]

    /// The command line's output lines for the same inputs.
    func cli(_ arguments: [String]) throws -> [String] {
        let result = try runCLI(arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    func testLibreTranslateShapesEqualTheCommandLine() throws {
        let server = try ServerProcess(["--model", "en-de=\(Self.marian)"])
        let expected = try cli(["translate", "--model", Self.marian] + Self.sentences)
        // JSON, one text and an array.
        let one = try postJSON(server.base + "/translate", ["q": Self.sentences[0], "source": "en", "target": "de", "format": "text"])
        XCTAssertEqual(one.status, 200, one.text)
        XCTAssertEqual(one.object["translatedText"] as? String, expected[0])
        let many = try postJSON(server.base + "/translate", ["q": Self.sentences, "source": "en", "target": "de"])
        XCTAssertEqual(many.object["translatedText"] as? [String], expected)
        // LibreTranslate's form encoding, and "auto" with one source language.
        let form = try http("POST", server.base + "/translate", body: Data("q=Hello+world&source=auto&target=de&api_key=".utf8),
                            type: "application/x-www-form-urlencoded")
        XCTAssertEqual(form.object["translatedText"] as? String, expected[2], form.text)
        XCTAssertEqual((form.object["detectedLanguage"] as? [String: Any])?["language"] as? String, "en")
        let languages = try http("GET", server.base + "/languages").json as? [[String: Any]]
        XCTAssertEqual(languages?.count, 1)
        XCTAssertEqual(languages?.first?["code"] as? String, "en")
        XCTAssertEqual(languages?.first?["name"] as? String, "English")
        XCTAssertEqual(languages?.first?["targets"] as? [String], ["de"])
        // alternatives: the best and the others of a beam of 1 + n, as `translate --alternatives n --json`.
        let beam = try cli(["translate", "--model", Self.marian, "--alternatives", "3", "--json"] + Self.sentences)
            .map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let withOthers = try postJSON(server.base + "/translate", ["q": Self.sentences, "source": "en", "target": "de", "alternatives": 3])
        XCTAssertEqual(withOthers.status, 200, withOthers.text)
        XCTAssertEqual(withOthers.object["translatedText"] as? [String], beam.map { $0["text"] as? String ?? "" })
        XCTAssertEqual(withOthers.object["alternatives"] as? [[String]], beam.map { $0["alternatives"] as? [String] ?? [] })
        XCTAssertEqual((beam[1]["alternatives"] as? [String])?.count, 3, "\(beam[1])")
        let single = try postJSON(server.base + "/translate", ["q": Self.sentences[1], "source": "en", "target": "de", "alternatives": 3])
        XCTAssertEqual(single.object["alternatives"] as? [String], beam[1]["alternatives"] as? [String])
        XCTAssertEqual(try postJSON(server.base + "/translate", ["q": "x", "source": "en", "target": "de", "alternatives": 99]).status, 400)
        // format html: the text nodes translated as plain texts are, the markup kept, code and
        // notranslate elements left alone, entities unescaped before and escaped after.
        let html = "<p class=\"lead\">\(Self.sentences[0])</p>\n<ul><li>\(Self.sentences[1])</li><li><b>Hello</b> world</li></ul>"
            + "<code>Hello world</code><span translate=\"no\">Good <i>morning</i>!</span><!-- Hello -->"
            + "<p>I like apples &amp; oranges.</p>"
        let nodes = try cli(["translate", "--model", Self.marian, Self.sentences[0], Self.sentences[1], "Hello", "world",
                             "I like apples & oranges."])
        func escaped(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let expectedHTML = "<p class=\"lead\">\(escaped(nodes[0]))</p>\n<ul><li>\(escaped(nodes[1]))</li><li><b>\(escaped(nodes[2]))</b> "
            + "\(escaped(nodes[3]))</li></ul><code>Hello world</code><span translate=\"no\">Good <i>morning</i>!</span><!-- Hello -->"
            + "<p>\(escaped(nodes[4]))</p>"
        let translatedHTML = try postJSON(server.base + "/translate", ["q": [html, "<br/>"], "source": "en", "target": "de", "format": "html"])
        XCTAssertEqual(translatedHTML.status, 200, translatedHTML.text)
        XCTAssertEqual(translatedHTML.object["translatedText"] as? [String], [expectedHTML, "<br/>"])
        XCTAssertEqual(try postJSON(server.base + "/translate", ["q": "x", "source": "en", "target": "de", "format": "markdown"]).status, 400)
        // A pair no model serves.
        let missing = try postJSON(server.base + "/translate", ["q": "x", "source": "en", "target": "fr"])
        XCTAssertEqual(missing.status, 400)
        XCTAssertTrue((missing.object["error"] as? String ?? "").contains("fr"), missing.text)
        XCTAssertEqual(server.stop(), 0)
    }

    func testNativeRoutesEqualTheCommandLine() throws {
        let server = try ServerProcess(["--model", "bart=\(Self.bart)", "--model", "mt=\(Self.marian)"])
        // /v1/translate with a beam, as `translate --json`.
        let expected = try cli(["translate", "--model", Self.marian, "--beam-size", "3", "--json"] + Self.sentences)
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let translated = try postJSON(server.base + "/v1/translate", ["model": "mt", "text": Self.sentences, "beam_size": 3])
        let rows = translated.object["translations"] as? [[String: Any]] ?? []
        XCTAssertEqual(rows.map { $0["text"] as? String }, expected.map { $0["text"] as? String })
        XCTAssertEqual(rows.map { $0["ids"] as? [Int] }, expected.map { $0["ids"] as? [Int] })
        // /v1/generate as `generate --json`.
        let generated = try postJSON(server.base + "/v1/generate", ["model": "bart", "input_ids": [[5, 6, 7, 8, 2], [9, 10, 2]],
                                                                    "num_beams": 4, "num_return_sequences": 2])
        XCTAssertEqual(generated.status, 200, generated.text)
        let lines = try runCLI(["generate", "--model", Self.bart, "--input-ids", "-", "--num-beams", "4", "--num-return-sequences", "2", "--json"],
                               stdin: Data("5 6 7 8 2\n9 10 2\n".utf8)).stdout.split(separator: "\n")
        let results = generated.object["results"] as? [[String: Any]] ?? []
        XCTAssertEqual(results.count, 2)
        for (result, line) in zip(results, lines) {
            let cliSequences = (try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["sequences"] as! [[String: Any]]
            let sequences = result["sequences"] as? [[String: Any]] ?? []
            XCTAssertEqual(sequences.map { $0["ids"] as? [Int] }, cliSequences.map { $0["ids"] as? [Int] })
            XCTAssertEqual(sequences.map { ($0["score"] as? NSNumber)?.floatValue }, cliSequences.map { ($0["score"] as? NSNumber)?.floatValue })
        }
        // /v1/score as `score --json`.
        let scored = try postJSON(server.base + "/v1/score", ["model": "bart", "source_ids": [5, 6, 7, 8, 2], "target_ids": [0, 9, 10, 2]])
        let cliScore = try JSONSerialization.jsonObject(with: Data(try runCLI(["score", "--model", Self.bart, "--source-ids", "5 6 7 8 2",
                                                                                 "--target-ids", "0 9 10 2", "--json"]).stdout.utf8)) as! [String: Any]
        XCTAssertEqual((scored.object["log_prob"] as? NSNumber)?.floatValue, (cliScore["log_prob"] as? NSNumber)?.floatValue, scored.text)
        // Streaming: the events' tokens are the greedy output, then the final record and [DONE].
        let greedy = try postJSON(server.base + "/v1/generate", ["model": "bart", "input_ids": [5, 6, 7, 8, 2], "num_beams": 1, "max_new_tokens": 8])
        let greedyIds = ((greedy.object["results"] as? [[String: Any]])?.first?["sequences"] as? [[String: Any]])?.first?["ids"] as? [Int]
        let streamed = try postJSON(server.base + "/v1/generate", ["model": "bart", "input_ids": [5, 6, 7, 8, 2], "num_beams": 1,
                                                                   "max_new_tokens": 8, "stream": true])
        XCTAssertEqual(streamed.headers["content-type"], "text/event-stream")
        let events = streamed.text.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        XCTAssertEqual(events.last, "[DONE]")
        let records = events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(records.dropLast().compactMap { $0["token"] as? Int }, greedyIds)
        XCTAssertEqual(records.last?["ids"] as? [Int], greedyIds)
        XCTAssertEqual(records.last?["finish_reason"] as? String, "stop")
        // /v1/models, /health.
        let models = try http("GET", server.base + "/v1/models").object
        XCTAssertEqual((models["data"] as? [[String: Any]])?.map { $0["id"] as? String }, ["bart", "mt"])
        XCTAssertEqual(try http("GET", server.base + "/health").object["status"] as? String, "ok")
        XCTAssertEqual(server.stop(), 0)
    }

    func testOpenAIAudioShapesEqualTheCommandLine() throws {
        let (whisper, wav) = try Self.speech()
        let server = try ServerProcess(["--model", "speech=\(whisper)"])
        let audio = try Data(contentsOf: wav)
        let expected = try cli(["transcribe", "--model", whisper, "--format", "json", wav.path]).joined()
        let cliJSON = try JSONSerialization.jsonObject(with: Data(expected.utf8)) as! [String: Any]
        for (model, format) in [("speech", "json"), ("whisper-1", "verbose_json"), ("speech", "text"), ("speech", "srt"), ("speech", "vtt")] {
            let (body, type) = multipart([("model", model), ("response_format", format), ("timestamp_granularities[]", "segment")],
                                         files: [("file", "clip.wav", audio)])
            let r = try http("POST", server.base + "/v1/audio/transcriptions", body: body, type: type)
            XCTAssertEqual(r.status, 200, "\(format): \(r.text)")
            let text = (cliJSON["text"] as! String).trimmingCharacters(in: .whitespaces)
            switch format {
            case "json": XCTAssertEqual(r.object["text"] as? String, text)
            case "verbose_json":
                XCTAssertEqual(r.object["text"] as? String, text)
                XCTAssertEqual((r.object["segments"] as? [[String: Any]])?.map { $0["tokens"] as? [Int] },
                               (cliJSON["segments"] as? [[String: Any]])?.map { $0["tokens"] as? [Int] })
                XCTAssertNotNil(r.object["duration"] as? Double)
            case "text": XCTAssertEqual(r.text.trimmingCharacters(in: .whitespacesAndNewlines), text.trimmingCharacters(in: .whitespacesAndNewlines))
            case "srt": XCTAssertTrue(r.text.hasPrefix("1\n00:00:00,000 --> "), r.text)
            default: XCTAssertTrue(r.text.hasPrefix("WEBVTT\n"), r.text)
            }
        }
        // A corrupt upload is a 400 naming the file; the server stays up.
        let (bad, type) = multipart([("model", "speech")], files: [("file", "broken.wav", Data("RIFF....WAVEjunk".utf8))])
        let refused = try http("POST", server.base + "/v1/audio/transcriptions", body: bad, type: type)
        XCTAssertEqual(refused.status, 400)
        XCTAssertTrue((refused.object["error"] as? String ?? "").contains("broken.wav"), refused.text)
        XCTAssertEqual(try http("GET", server.base + "/health").status, 200)
        XCTAssertEqual(server.stop(), 0)
    }

    /// Bad requests: each a JSON error with its status, and the server still answering.
    func testBadRequestsGetJSONErrorsAndTheServerStaysUp() throws {
        let server = try ServerProcess(["--model", "en-de=\(Self.marian)", "--max-body-bytes", "1000000", "--max-input-chars", "200"])
        func error(_ r: HTTPResult) -> String { r.object["error"] as? String ?? "<no error member: \(r.text)>" }
        let malformed = try http("POST", server.base + "/v1/translate", body: Data("{\"model\": ".utf8), type: "application/json")
        XCTAssertEqual(malformed.status, 400)
        XCTAssertTrue(error(malformed).contains("not valid JSON"), error(malformed))
        let unknown = try postJSON(server.base + "/v1/translate", ["model": "nope", "text": "x"])
        XCTAssertEqual(unknown.status, 404)
        XCTAssertTrue(error(unknown).contains("en-de"), error(unknown))
        XCTAssertEqual(try http("GET", server.base + "/no/such/route").status, 404)
        let wrongType = try postJSON(server.base + "/v1/translate", ["model": "en-de", "text": "x", "beam_size": "many"])
        XCTAssertEqual(wrongType.status, 400)
        XCTAssertTrue(error(wrongType).contains("beam_size"), error(wrongType))
        let long = try postJSON(server.base + "/translate", ["q": String(repeating: "a", count: 201), "source": "en", "target": "de"])
        XCTAssertEqual(long.status, 400)
        // A body past the limit: 413, told before it is read.
        let big = try http("POST", server.base + "/translate", body: Data(count: 2_000_000), type: "application/json")
        XCTAssertEqual(big.status, 413)
        XCTAssertTrue(error(big).contains("1000000"), error(big))
        // Invalid UTF-8 in a JSON body.
        let invalid = try http("POST", server.base + "/translate", body: Data([0x7B, 0x22, 0x71, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D]), type: "application/json")
        XCTAssertEqual(invalid.status, 400)
        // A client that sends half a request and hangs up.
        try halfRequestAndHangUp(port: server.port)
        let ok = try postJSON(server.base + "/translate", ["q": "Hello world", "source": "en", "target": "de"])
        XCTAssertEqual(ok.status, 200, ok.text)
        // Every request was counted by route and status.
        let metrics = try http("GET", server.base + "/metrics").text
        XCTAssertTrue(metrics.contains(#"seq2seq_http_requests_total{route="/translate",method="POST",status="413"} 1"#), metrics)
        XCTAssertTrue(metrics.contains(#"seq2seq_http_requests_total{route="/v1/translate",method="POST",status="404"} 1"#), metrics)
        XCTAssertTrue(metrics.contains("seq2seq_http_request_duration_seconds_bucket"), metrics)
        XCTAssertTrue(metrics.contains(#"seq2seq_batch_size_count{model="en-de"}"#), metrics)
        XCTAssertEqual(server.stop(), 0)
    }

    private func halfRequestAndHangUp(port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(connected, 0)
        let partial = "POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"q\": \"Hel"
        _ = partial.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    func testAPIKeyIsRequiredWhenSet() throws {
        let server = try ServerProcess(["--model", "en-de=\(Self.marian)", "--api-key", "s3cret"])
        let without = try postJSON(server.base + "/translate", ["q": "Hello", "source": "en", "target": "de"])
        XCTAssertEqual(without.status, 401)
        XCTAssertEqual(try postJSON(server.base + "/translate", ["q": "Hello", "source": "en", "target": "de", "api_key": "s3cret"]).status, 200)
        XCTAssertEqual(try postJSON(server.base + "/v1/translate", ["model": "en-de", "text": "Hello"],
                                    headers: ["Authorization": "Bearer s3cret"]).status, 200)
        XCTAssertEqual(try postJSON(server.base + "/v1/translate", ["model": "en-de", "text": "Hello"],
                                    headers: ["Authorization": "Bearer wrong"]).status, 401)
        XCTAssertEqual(try http("GET", server.base + "/health").status, 200)
        XCTAssertEqual(server.stop(), 0)
    }

    /// 48 concurrent requests: each gets what the command line gives for its text, and the
    /// worker decoded them in batches (the batch-size histogram's mean is above 1).
    func testConcurrentRequestsAreBatchedWithIdenticalResults() throws {
        let server = try ServerProcess(["--model", "en-de=\(Self.marian)", "--batch-window-ms", "50"])
        let texts = (0..<48).map { Self.sentences[$0 % Self.sentences.count] + ($0 % 3 == 0 ? "" : " And \($0) more.") }
        let expected = try cli(["translate", "--model", Self.marian] + texts)
        let answers = LockedAnswers(count: texts.count)
        concurrently(texts.count) { i in
            let r = try? postJSON(server.base + "/translate", ["q": texts[i], "source": "en", "target": "de"])
            answers.set(i, r?.status == 200 ? r?.object["translatedText"] as? String : "HTTP \(r?.status ?? 0): \(r?.text ?? "")")
        }
        XCTAssertEqual(answers.values, expected.map(Optional.some))
        try assertBatched(server, model: "en-de", inputs: texts.count, "no two requests were decoded together")
        XCTAssertEqual(server.stop(), 0)
    }

    /// The server's batch-size metric for `model`: `inputs` inputs in fewer runs than inputs.
    func assertBatched(_ server: ServerProcess, model: String, inputs: Int, _ message: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let metrics = try http("GET", server.base + "/metrics").text
        func value(_ name: String) -> Double {
            metrics.split(separator: "\n").first { $0.hasPrefix(name + "{model=\"\(model)\"}") }.flatMap { Double($0.split(separator: " ").last!) } ?? 0
        }
        XCTAssertEqual(value("seq2seq_batch_size_sum"), Double(inputs), file: file, line: line)
        XCTAssertLessThan(value("seq2seq_batch_size_count"), Double(inputs), message, file: file, line: line)
    }

    /// Concurrent speech requests are transcribed together (the batch-size metric counts fewer
    /// runs than requests) and each answer equals `seq2seq transcribe` of its file alone.
    func testConcurrentSpeechRequestsAreBatchedWithIdenticalResults() throws {
        let (whisper, _) = try Self.speech()
        let data = "/usr/share/pocketsphinx/test/data/"
        let files = ["librivox/sense_and_sensibility_01_austen_64kb-0870.wav", "librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
                     "librivox/sense_and_sensibility_01_austen_64kb-0890.wav", "librivox/sense_and_sensibility_01_austen_64kb-0920.wav",
                     "librivox/sense_and_sensibility_01_austen_64kb-0930.wav", "cards/001.wav", "cards/002.wav", "cards/003.wav"]
            .map { data + $0 }
        guard files.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else { throw XCTSkip("pocketsphinx-testdata not installed") }
        let expected = try cli(["transcribe", "--model", whisper, "--format", "json", "--batch-size", "1", "--quiet"] + files).map { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["text"] as? String
        }.map { $0?.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(expected.count, files.count)
        let server = try ServerProcess(["--model", "speech=\(whisper)", "--batch-window-ms", "200"])
        let answers = LockedAnswers(count: files.count)
        concurrently(files.count) { i in
            guard let audio = try? Data(contentsOf: URL(fileURLWithPath: files[i])) else { return }
            let (body, type) = multipart([("model", "speech")], files: [("file", "clip.wav", audio)])
            let r = try? http("POST", server.base + "/v1/audio/transcriptions", body: body, type: type)
            answers.set(i, r?.status == 200 ? r?.object["text"] as? String : "HTTP \(r?.status ?? 0): \(r?.text ?? "")")
        }
        XCTAssertEqual(answers.values, expected)
        try assertBatched(server, model: "speech", inputs: files.count, "no two speech requests were decoded together")
        XCTAssertEqual(server.stop(), 0)
    }

    /// A full queue answers 503 with Retry-After; a request past its deadline 504.
    func testQueueLimitAndDeadline() throws {
        let (whisper, wav) = try Self.speech()
        let server = try ServerProcess(["--model", "speech=\(whisper)", "--max-queue", "1", "--request-timeout", "20"])
        let (body, type) = multipart([("model", "speech")], files: [("file", "clip.wav", try Data(contentsOf: wav))])
        let statuses = LockedAnswers(count: 12)
        concurrently(12) { i in
            let r = try? http("POST", server.base + "/v1/audio/transcriptions", body: body, type: type)
            statuses.set(i, r.map { "\($0.status) \($0.headers["retry-after"] ?? "-")" })
        }
        XCTAssertTrue(statuses.values.contains("503 1"), "\(statuses.values)")
        XCTAssertTrue(statuses.values.contains("200 -"), "\(statuses.values)")
        XCTAssertEqual(Set(statuses.values).subtracting(["503 1", "200 -"]), [])
        XCTAssertEqual(server.stop(), 0)

        let hurried = try ServerProcess(["--model", "speech=\(whisper)", "--request-timeout", "0.001"])
        let late = try http("POST", hurried.base + "/v1/audio/transcriptions", body: body, type: type)
        XCTAssertEqual(late.status, 504, late.text)
        XCTAssertTrue((late.object["error"] as? String ?? "").contains("request-timeout"), late.text)
        XCTAssertEqual(try http("GET", hurried.base + "/health").status, 200)
        XCTAssertEqual(hurried.stop(), 0)
    }

    /// SIGTERM while requests are in flight (all six accepted: five wait in the model's queue,
    /// one runs): every one of them is answered, then exit 0.
    func testSIGTERMFinishesRequestsInFlight() throws {
        let (whisper, wav) = try Self.speech()
        let server = try ServerProcess(["--model", "speech=\(whisper)"])
        let (body, type) = multipart([("model", "speech")], files: [("file", "clip.wav", try Data(contentsOf: wav))])
        let statuses = LockedAnswers(count: 6)
        let group = DispatchGroup()
        for i in 0..<6 {
            DispatchQueue.global().async(group: group) {
                let r = try? http("POST", server.base + "/v1/audio/transcriptions", body: body, type: type)
                statuses.set(i, r.map { String($0.status) })
            }
        }
        let deadline = Date().addingTimeInterval(60)
        while true {
            let health = try http("GET", server.base + "/health").object
            let queued = (health["models"] as? [[String: Any]])?.first?["queue"] as? Int ?? 0
            if queued + statuses.values.compactMap({ $0 }).count >= 5 { break }  // the sixth is running
            guard Date() < deadline else { return XCTFail("the requests never queued up: \(health)") }
            Thread.sleep(forTimeInterval: 0.005)
        }
        kill(server.process.processIdentifier, SIGTERM)
        group.wait()
        server.process.waitUntilExit()
        XCTAssertEqual(statuses.values, [String?](repeating: "200", count: 6), server.stderr)
        XCTAssertEqual(server.process.terminationStatus, 0, server.stderr)
    }

    /// The `openai` package's own client and LibreTranslate-style requests from Python
    /// (scripts/check_serve_clients.py), when python3 has `openai`.
    func testPythonClients() throws {
        let python = URL(fileURLWithPath: "/usr/bin/env")
        guard try runCLI(["python3", "-c", "import openai, requests"], executable: python).status == 0 else {
            throw XCTSkip("python3 with openai and requests not installed (.ci/run installs them)")
        }
        let (whisper, wav) = try Self.speech()
        let server = try ServerProcess(["--model", "en-de=\(Self.marian)", "--model", "speech=\(whisper)"])
        let script = repositoryRoot.appendingPathComponent("scripts/check_serve_clients.py").path
        let r = try runCLI(["python3", script, "--base-url", server.base, "--speech-model", "speech", "--audio", wav.path,
                            "--binary", binary.path, "--speech-folder", whisper, "--text-folder", Self.marian],
                           executable: python)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("all client checks passed"), r.stdout)
        XCTAssertEqual(server.stop(), 0)
    }
}

/// Runs `body(0..<count)` all at once, each on its own thread (`concurrentPerform` runs only
/// as many at a time as there are cores), and waits for them.
func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        let thread = Thread { body(i); group.leave() }
        group.enter()
        thread.start()
    }
    group.wait()
}

final class LockedAnswers: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String?]
    init(count: Int) { storage = [String?](repeating: nil, count: count) }
    func set(_ i: Int, _ value: String?) { lock.withLock { storage[i] = value } }
    var values: [String?] { lock.withLock { storage } }
}
