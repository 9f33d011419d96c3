// `POST /v1/attention` and the attention explorer page on the real binary: every layer and
// head of the three attention kinds from the Firefox en→pt model (rows are distributions, the
// encoder's attention is full, the cross-attention equals `translate --json --attention`), the
// causal mask on a Hugging Face fixture, Whisper's cross-attention over audio frames with the
// words' times, and the page in headless Chromium (scripts/install_browser.sh) drawing the
// three heatmaps with the shapes the API gives.
import Foundation
import XCTest

final class AttentionServeTests: XCTestCase {
    static let firefox = repositoryRoot.appendingPathComponent("models/firefox/enpt").path
    static let sentence = "The green house is next to the old church."

    func firefoxModel() throws -> String {
        guard FileManager.default.fileExists(atPath: Self.firefox + "/tokenizer.json") else {
            throw XCTSkip("Firefox models not fetched: run scripts/fetch_firefox_models.sh")
        }
        return Self.firefox
    }

    /// `object[key]` as [L][H][Q][K].
    func weights(_ object: [String: Any], _ key: String) -> [[[[Double]]]] {
        (object[key] as? [Any] ?? []).map { layer in
            (layer as? [Any] ?? []).map { head in
                (head as? [Any] ?? []).map { row in (row as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
            }
        }
    }

    func assertRowsSumToOne(_ w: [[[[Double]]]], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for layer in w { for head in layer { for row in head {
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-4, what, file: file, line: line)
        } } }
    }

    func testFirefoxAttentionIsCompleteAndMatchesTheCommandLine() throws {
        let folder = try firefoxModel()
        let server = try ServerProcess(["--model", "en-pt=\(folder)"])
        let started = Date()
        let response = try postJSON(server.base + "/v1/attention", ["model": "en-pt", "text": Self.sentence])
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(response.status, 200, response.text)
        print("/v1/attention en-pt: \(response.body.count) bytes in \(String(format: "%.3f", seconds)) s")
        let object = response.object
        let source = object["source_tokens"] as? [String] ?? [], target = object["target_tokens"] as? [String] ?? []
        let encoder = weights(object, "encoder_self"), decoder = weights(object, "decoder_self"), cross = weights(object, "cross")
        XCTAssertEqual(encoder.count, 6)
        XCTAssertEqual(encoder.first?.count, 8)
        XCTAssertTrue(encoder.allSatisfy { $0.allSatisfy { $0.count == source.count && $0.allSatisfy { $0.count == source.count } } })
        XCTAssertTrue(cross.allSatisfy { $0.allSatisfy { $0.count == target.count && $0.allSatisfy { $0.count == source.count } } })
        XCTAssertEqual(cross.first?.count, 8)
        XCTAssertTrue(decoder.isEmpty)
        XCTAssertTrue((object["decoder_self_note"] as? String ?? "").contains("SSRU"), response.text.prefix(300).description)
        assertRowsSumToOne(encoder, "encoder self-attention")
        assertRowsSumToOne(cross, "cross-attention")
        // Bidirectional: weight both above and below the diagonal in every layer.
        for (l, layer) in encoder.enumerated() {
            var above = 0.0, below = 0.0
            for head in layer { for (i, row) in head.enumerated() { for (j, x) in row.enumerated() {
                if j > i { above += x } else if j < i { below += x }
            } } }
            XCTAssertGreaterThan(above, 0.01, "layer \(l)")
            XCTAssertGreaterThan(below, 0.01, "layer \(l)")
        }
        // The last layer's mean over heads is the command line's cross-attention.
        let line = try runCLI(["translate", "--model", folder, "--json", "--attention", Self.sentence])
        XCTAssertEqual(line.status, 0, line.stderr)
        let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.stdout.utf8)) as? [String: Any])
        let expected = (record["cross_attention"] as? [[NSNumber]] ?? []).map { $0.map(\.doubleValue) }
        XCTAssertEqual(record["text"] as? String, object["text"] as? String)
        XCTAssertEqual(expected.count, target.count)
        let last = try XCTUnwrap(cross.last)
        for (i, row) in expected.enumerated() {
            for (j, value) in row.enumerated() {
                let mean = last.reduce(0) { $0 + $1[i][j] } / Double(last.count)
                XCTAssertEqual(mean, value, accuracy: 1e-4, "cross[\(i)][\(j)]")
            }
        }
        XCTAssertEqual(server.stop(), 0)
    }

    func testCausalMaskAndErrorsOnAFixtureModel() throws {
        let server = try ServerProcess(["--model", "bart=\(ServeTests.bart)", "--model", "t5=\(fixtures.appendingPathComponent("t5-v1_0").path)"])
        for model in ["bart", "t5"] {
            let response = try postJSON(server.base + "/v1/attention", ["model": model, "text": "hello world"])
            XCTAssertEqual(response.status, 200, response.text)
            let object = response.object
            let target = object["target_tokens"] as? [String] ?? [], inputs = object["decoder_input_tokens"] as? [String] ?? []
            let decoder = weights(object, "decoder_self")
            XCTAssertFalse(decoder.isEmpty, model)
            XCTAssertEqual(inputs.count, target.count)
            for layer in decoder { for head in layer {
                XCTAssertEqual(head.count, target.count)
                for (i, row) in head.enumerated() {
                    XCTAssertEqual(row.count, inputs.count)
                    for j in (i + 1)..<max(i + 1, row.count) { XCTAssertEqual(row[j], 0, "\(model): above the diagonal") }
                    XCTAssertGreaterThan(row[0...i].reduce(0, +), 0.9999)
                }
            } }
            assertRowsSumToOne(weights(object, "encoder_self"), model)
            assertRowsSumToOne(weights(object, "cross"), model)
        }
        let missing = try postJSON(server.base + "/v1/attention", ["model": "nope", "text": "x"])
        XCTAssertEqual(missing.status, 404)
        XCTAssertNotNil(missing.object["error"] as? String)
        let empty = try postJSON(server.base + "/v1/attention", ["model": "bart"])
        XCTAssertEqual(empty.status, 400)
        XCTAssertTrue((empty.object["error"] as? String ?? "").contains("text"), empty.text)
        XCTAssertEqual(server.stop(), 0)
    }

    func testWhisperCrossAttentionOverAudioFramesWithWordTimes() throws {
        let whisper = repositoryRoot.appendingPathComponent("models/whisper-tiny.en").path
        let wav = URL(fileURLWithPath: "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0930.wav")
        guard FileManager.default.fileExists(atPath: whisper + "/model.bin"), FileManager.default.fileExists(atPath: wav.path) else {
            throw XCTSkip("Whisper tiny.en or the LibriVox clip not fetched: run scripts/fetch_whisper_models.sh and scripts/fetch_speech_data.sh")
        }
        let server = try ServerProcess(["--model", "speech=\(whisper)"])
        let audio = try Data(contentsOf: wav)
        let (body, type) = multipart([("model", "speech")], files: [("file", "clip.wav", audio)])
        let started = Date()
        let response = try http("POST", server.base + "/v1/attention", body: body, type: type)
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(response.status, 200, response.text)
        print("/v1/attention whisper-tiny.en (\(audio.count) byte WAV): \(response.body.count) bytes in \(String(format: "%.3f", seconds)) s")
        let object = response.object
        let frames = (object["source_tokens"] as? [String] ?? []).count
        let target = object["target_tokens"] as? [String] ?? []
        let cross = weights(object, "cross"), encoder = weights(object, "encoder_self"), decoder = weights(object, "decoder_self")
        XCTAssertEqual(cross.count, 4)
        XCTAssertEqual(cross.first?.count, 6)
        XCTAssertTrue(cross.allSatisfy { $0.allSatisfy { $0.count == target.count && $0.allSatisfy { $0.count == frames } } })
        XCTAssertGreaterThan(frames, 50)
        XCTAssertLessThan(frames, 1500)
        XCTAssertEqual(encoder.first?.count, 1)
        XCTAssertEqual(encoder.first?.first?.count, 150)
        assertRowsSumToOne(encoder, "whisper encoder (blocks)")
        XCTAssertEqual(decoder.count, 4)
        let words = object["words"] as? [[String: Any]] ?? []
        XCTAssertFalse(words.isEmpty)
        XCTAssertTrue(words.allSatisfy { ($0["start"] as? Double ?? -1) >= 0 && ($0["end"] as? Double ?? -1) >= ($0["start"] as? Double ?? 0) })
        // The same upload as base64 in JSON.
        let json = try postJSON(server.base + "/v1/attention", ["model": "speech", "audio_base64": audio.base64EncodedString()])
        XCTAssertEqual(json.object["text"] as? String, object["text"] as? String)
        XCTAssertEqual(server.stop(), 0)
    }

    // MARK: The page in a browser

    var chromium: String? {
        let candidates = [ProcessInfo.processInfo.environment["CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser"].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs headless Chromium on `url` with `arguments`; returns its standard output.
    func browse(_ url: String, _ arguments: [String]) throws -> String {
        guard let chromium else { throw XCTSkip("no Chromium: run scripts/install_browser.sh") }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("s2s-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try runCLI(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                 "--user-data-dir=\(profile.path)", "--virtual-time-budget=30000"] + arguments + [url],
                                executable: URL(fileURLWithPath: chromium))
        return result.stdout
    }

    /// The heatmap elements of a page: kind → (rows, cols).
    func heatmaps(_ dom: String) -> [String: (rows: Int, cols: Int)] {
        var found: [String: (Int, Int)] = [:]
        var rest = dom[...]
        while let open = rest.range(of: "<canvas") {
            let end = rest[open.upperBound...].firstIndex(of: ">") ?? rest.endIndex
            let tag = String(rest[open.lowerBound..<end])
            func attribute(_ name: String) -> String? {
                guard let r = tag.range(of: "\(name)=\"") else { return nil }
                return String(tag[r.upperBound...].prefix { $0 != "\"" })
            }
            if let kind = attribute("data-attention") {
                found[kind] = (Int(attribute("data-rows") ?? "") ?? -1, Int(attribute("data-cols") ?? "") ?? -1)
            }
            rest = rest[end...]
        }
        return found
    }

    func testExplorerPageDrawsTheThreeKindsInChromium() throws {
        guard chromium != nil else { throw XCTSkip("no Chromium: run scripts/install_browser.sh") }
        var arguments = ["--model", "fixture=\(ServeTests.marian)"]
        let firefox = try? firefoxModel()
        if let firefox { arguments += ["--model", "en-pt=\(firefox)"] }
        let server = try ServerProcess(arguments)
        let page = try http("GET", server.base + "/")
        XCTAssertEqual(page.headers["content-type"], "text/html; charset=utf-8")
        XCTAssertFalse(page.text.contains("http://") || page.text.contains("https://"), "the page fetches nothing from elsewhere")
        for (model, text) in [("fixture", "hello world")] + (firefox == nil ? [] : [("en-pt", Self.sentence)]) {
            let api = try postJSON(server.base + "/v1/attention", ["model": model, "text": text]).object
            let s = (api["source_tokens"] as? [String] ?? []).count, t = (api["target_tokens"] as? [String] ?? []).count
            let query = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let url = "\(server.base)/?model=\(model)&text=\(query)"
            let dom = try browse(url, ["--dump-dom"])
            let maps = heatmaps(dom)
            XCTAssertEqual(Set(maps.keys), ["encoder-self", "decoder-self", "cross"], "\(model): \(dom.suffix(2000))")
            XCTAssertEqual(maps["encoder-self"].map { [$0.rows, $0.cols] }, [s, s], model)
            XCTAssertEqual(maps["cross"].map { [$0.rows, $0.cols] }, [t, s], model)
            let decoderShape = model == "en-pt" ? [0, 0] : [t, t]
            XCTAssertEqual(maps["decoder-self"].map { [$0.rows, $0.cols] }, decoderShape, model)
            XCTAssertTrue(dom.contains(api["text"] as? String ?? "<no text>"), "\(model): the translation is shown")
            // A picture to look at: SEQ2SEQ_SCREENSHOT_DIR keeps it.
            let directory = ProcessInfo.processInfo.environment["SEQ2SEQ_SCREENSHOT_DIR"] ?? NSTemporaryDirectory()
            let png = URL(fileURLWithPath: directory).appendingPathComponent("attention-\(model).png")
            _ = try browse(url, ["--screenshot=\(png.path)", "--window-size=1500,1100", "--hide-scrollbars"])
            let size = (try? FileManager.default.attributesOfItem(atPath: png.path)[.size] as? Int) ?? 0
            XCTAssertGreaterThan(size, 10_000, "screenshot \(png.path)")
            print("screenshot of \(model): \(png.path)")
        }
        XCTAssertEqual(server.stop(), 0)
    }

    /// The page's speech path driven as a person drives it: Chromium (through Selenium and
    /// chromedriver, scripts/browser_upload.py) chooses the Whisper model, picks a WAV in the
    /// file input, presses Transcribe — the text shown equals `seq2seq transcribe` of the file —
    /// then "Explore attention": the three heatmap kinds, cross-attention over the audio frames.
    func testPageUploadTranscribesInChromium() throws {
        let python = URL(fileURLWithPath: "/usr/bin/env")
        guard chromium != nil, FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"),
              try runCLI(["python3", "-c", "import selenium"], executable: python).status == 0 else {
            throw XCTSkip("no Chromium, chromedriver or selenium: run scripts/install_browser.sh")
        }
        let whisper = repositoryRoot.appendingPathComponent("models/whisper-tiny.en").path
        let wav = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0930.wav"
        guard FileManager.default.fileExists(atPath: whisper + "/model.bin"), FileManager.default.fileExists(atPath: wav) else {
            throw XCTSkip("Whisper tiny.en or the LibriVox clip not fetched: run scripts/fetch_whisper_models.sh and scripts/fetch_speech_data.sh")
        }
        let cli = try runCLI(["transcribe", "--model", whisper, "--quiet", "--format", "json", wav])
        XCTAssertEqual(cli.status, 0, cli.stderr)
        let cliText = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])["text"] as? String
        let server = try ServerProcess(["--model", "fixture=\(ServeTests.marian)", "--model", "speech=\(whisper)"])
        let directory = ProcessInfo.processInfo.environment["SEQ2SEQ_SCREENSHOT_DIR"] ?? NSTemporaryDirectory()
        let png = URL(fileURLWithPath: directory).appendingPathComponent("upload-speech.png").path
        let script = repositoryRoot.appendingPathComponent("scripts/browser_upload.py").path
        let r = try runCLI(["python3", script, "--url", server.base, "--model", "speech", "--file", wav, "--screenshot", png],
                           executable: python)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let page = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout + r.stderr)
        XCTAssertEqual((page["text"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines),
                       cliText?.trimmingCharacters(in: .whitespacesAndNewlines), "the page shows what the CLI writes")
        let maps = page["heatmaps"] as? [String: [Int]] ?? [:]
        XCTAssertEqual(Set(maps.keys), ["encoder-self", "decoder-self", "cross"], r.stdout)
        let cross = maps["cross"] ?? [], decoder = maps["decoder-self"] ?? []
        XCTAssertGreaterThan(cross.last ?? 0, 50, "cross-attention over the audio frames")
        XCTAssertEqual(decoder.first, decoder.last, "decoder self-attention is square")
        XCTAssertEqual(cross.first, decoder.first, "one row per generated token")
        print("screenshot of the upload: \(png)")
        XCTAssertEqual(server.stop(), 0)
    }
}
