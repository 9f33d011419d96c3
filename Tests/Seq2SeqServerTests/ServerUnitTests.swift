// The server's parts on their own: request bodies in the encodings clients send, the model
// worker's batching and limits, language codes.
import Foundation
@testable import Seq2SeqServer
import XCTest

final class RequestFieldsTests: XCTestCase {
    func testMultipartFieldsFilesAndRepeatedNames() throws {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"timestamp_granularities[]\"\r\n\r\nword\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"timestamp_granularities[]\"\r\n\r\nsegment\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF\u{0}\u{1}\r\n"
            + "--XyZ--\r\n"
        let fields = try RequestFields.multipart(Array(body.utf8), contentType: "multipart/form-data; boundary=XyZ")
        XCTAssertEqual(try fields.string("model"), "whisper-1")
        XCTAssertEqual(try fields.strings("timestamp_granularities"), ["word", "segment"])
        XCTAssertEqual(fields.files["file"]?.filename, "a b.wav")
        XCTAssertEqual(fields.files["file"]?.bytes, Array("RIFF\u{0}\u{1}".utf8))
        XCTAssertThrowsError(try RequestFields.multipart(Array(body.utf8), contentType: "multipart/form-data"))
    }

    /// A part header name with a byte past ASCII is a 400 (MultipartKit 4.7 trapped on it); a
    /// UTF-8 filename in a header value is still read.
    func testNonASCIIPartHeaderNamesAreRefusedAndUTF8ValuesKept() throws {
        let type = "multipart/form-data; boundary=B"
        for name in ["Content-Di\u{E0}position", "\u{C0}", "X-\u{1F600}"] {
            let body = Array("--B\r\nContent-Disposition: form-data; name=\"model\"\r\n\(name): x\r\n\r\nwhisper\r\n--B--\r\n".utf8)
            XCTAssertThrowsError(try RequestFields.multipart(body, contentType: type)) { error in
                XCTAssertTrue("\(error)".contains("byte past ASCII"), "\(error)")
            }
        }
        let body = Array("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ação.wav\"\r\n\r\nRIFF\r\n--B--\r\n".utf8)
        XCTAssertEqual(try RequestFields.multipart(body, contentType: type).files["file"]?.filename, "ação.wav")
    }

    func testFormDecodingAndTypedAccess() throws {
        let fields = RequestFields.form(Array("q=Ol%C3%A1+mundo&source=auto&target=pt&alternatives=2&stream=true".utf8))
        XCTAssertEqual(try fields.string("q"), "Olá mundo")
        XCTAssertEqual(try fields.int("alternatives"), 2)
        XCTAssertEqual(try fields.bool("stream"), true)
        XCTAssertThrowsError(try fields.int("q"))
    }

    func testJSONTypesAreChecked() throws {
        let fields = try RequestFields.json(Array(#"{"q": ["a", "b"], "n": 3, "flag": true, "zero": 0, "ids": [[1, 2], [3]], "bad": [1, true]}"#.utf8))
        XCTAssertEqual(try fields.texts("q")?.texts, ["a", "b"])
        XCTAssertEqual(try fields.texts("q")?.wasArray, true)
        XCTAssertEqual(try fields.int("n"), 3)
        XCTAssertThrowsError(try fields.int("flag"), "true is not an integer")
        XCTAssertEqual(try fields.int("zero"), 0, "0 is an integer, not false")
        XCTAssertEqual(try fields.idSequences("ids")?.sequences, [[1, 2], [3]])
        XCTAssertThrowsError(try fields.idSequences("bad"))
        XCTAssertThrowsError(try RequestFields.json(Array("[1, 2]".utf8)))
        XCTAssertThrowsError(try RequestFields.json(Array("{\"q\": ".utf8)))
    }

    func testLanguageCodes() {
        XCTAssertEqual(LanguageNames.iso("en_XX"), "en")
        XCTAssertEqual(LanguageNames.iso("por_Latn"), "pt")
        XCTAssertEqual(LanguageNames.iso("deu"), "de")
        XCTAssertEqual(LanguageNames.name("pt"), "Portuguese")
        XCTAssertEqual(LanguageNames.iso("xx"), "xx")
    }

    func testModelSpecArguments() {
        XCTAssertEqual(ServedModelSpec(argument: "en-pt=models/firefox/enpt"), ServedModelSpec(name: "en-pt", path: "models/firefox/enpt"))
        XCTAssertEqual(ServedModelSpec(argument: "models/whisper-base"), ServedModelSpec(name: "whisper-base", path: "models/whisper-base"))
    }
}

final class ModelWorkerTests: XCTestCase {
    /// Records the batches a worker runs; each input's result is the input doubled.
    final class Recorder: @unchecked Sendable {
        let lock = NSLock()
        var batches: [[Int]] = []
        func run(_ key: BatchKey, _ inputs: [Any]) throws -> [Any] {
            Thread.sleep(forTimeInterval: 0.05)
            lock.withLock { batches.append(inputs as! [Int]) }
            return inputs.map { ($0 as! Int) * 2 }
        }
    }

    func worker(_ recorder: Recorder, window: Double = 0.05, maxQueue: Int = 100, maxBatch: Int = 32) -> ModelWorker {
        var options = ServerOptions()
        options.batchWindow = window
        options.maxQueuedRequests = maxQueue
        options.maxBatchSize = maxBatch
        return ModelWorker(name: "test", options: options, metrics: nil, runBatch: recorder.run)
    }

    func testConcurrentJobsOfOneKeyShareABatchAndGetTheirOwnResults() async throws {
        let recorder = Recorder()
        let worker = worker(recorder)
        let key = BatchKey(parts: ["k"])
        let results = try await withThrowingTaskGroup(of: (Int, [Int]).self) { group in
            for i in 0..<8 {
                group.addTask { (i, try await worker.submit(ModelJob(key: key, inputs: [i, 100 + i], tokens: 2), timeout: 30) as! [Int]) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for i in 0..<8 { XCTAssertEqual(results[i], [2 * i, 200 + 2 * i]) }
        XCTAssertEqual(recorder.batches.map(\.count).reduce(0, +), 16)
        XCTAssertLessThan(recorder.batches.count, 8, "jobs that arrived together were not batched: \(recorder.batches)")
    }

    func testDifferentKeysNeverShareABatchAndBatchSizeIsKept() async throws {
        let recorder = Recorder()
        let worker = worker(recorder, maxBatch: 4)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<12 {
                group.addTask {
                    _ = try await worker.submit(ModelJob(key: BatchKey(parts: [i % 2 == 0 ? "even" : "odd"]), inputs: [i], tokens: 1), timeout: 30)
                }
            }
            try await group.waitForAll()
        }
        for batch in recorder.batches {
            XCTAssertLessThanOrEqual(batch.count, 4)
            XCTAssertEqual(Set(batch.map { $0 % 2 }).count, 1, "mixed keys in \(batch)")
        }
    }

    func testFullQueueAndDeadline() async throws {
        let recorder = Recorder()
        let worker = worker(recorder, window: 0, maxQueue: 1)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    do {
                        _ = try await worker.submit(ModelJob(solo: { Thread.sleep(forTimeInterval: 0.2); return 1 }), timeout: 30)
                        return 200
                    } catch let error as ServerError {
                        return Int(error.status.code)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertTrue(statuses.contains(503), "\(statuses)")
        XCTAssertTrue(statuses.contains(200), "\(statuses)")
        do {
            _ = try await worker.submit(ModelJob(solo: { Thread.sleep(forTimeInterval: 0.5); return 1 }), timeout: 0.05)
            XCTFail("no timeout")
        } catch let error as ServerError {
            XCTAssertEqual(error.status.code, 504)
        }
    }
}

/// LibreTranslate's `format: "html"`: what is translated and what comes back verbatim.
final class HTMLTextTests: XCTestCase {
    func testTextNodesAreCutFromTheMarkup() {
        let html = "<div id='a>b'>  Caf&eacute; &amp; cr&#232;me&#x21;\n<br>Two &lt;three&gt;</div>"
            + "<script>if (a < b) { x = \"<p>no</p>\" }</script><STYLE>p > b {}</STYLE>"
            + "<p class=\"x notranslate\">keep <p>nested</p> this</p><pre>raw</pre>tail &unknown; &"
        let document = HTMLText(html)
        XCTAssertEqual(document.texts, ["Caf&eacute; & crème!", "Two <three>", "tail &unknown; &"])
        XCTAssertEqual(document.rebuilt(with: ["A", "B & <C>", "Z"]),
                       "<div id='a>b'>  A\n<br>B &amp; &lt;C&gt;</div><script>if (a < b) { x = \"<p>no</p>\" }</script><STYLE>p > b {}</STYLE>"
                       + "<p class=\"x notranslate\">keep <p>nested</p> this</p><pre>raw</pre>Z")
    }

    func testFragmentsWithoutTextAndBrokenMarkupComeBackUnchanged() {
        for html in ["", "<br/>", "  \n ", "<!-- only a comment -->", "<p", "a < b and c > d", "<a href=\"x"] {
            let document = HTMLText(html)
            XCTAssertEqual(document.rebuilt(with: document.texts.map(HTMLText.escape)).replacingOccurrences(of: "&amp;", with: "&")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">"), html, html)
        }
        XCTAssertEqual(HTMLText("a < b").texts, ["a < b"])
        XCTAssertEqual(HTMLText("<p").texts, [])
    }
}
