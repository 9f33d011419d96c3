// `seq2seq serve`: the HTTP server (Seq2SeqServer) for the models named on the command line.
import ArgumentParser
import Foundation
import Seq2Seq
import Seq2SeqServer

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve models over HTTP: LibreTranslate's and OpenAI's audio APIs, the native API and the attention explorer page.",
        discussion: """
        Each --model is NAME=FOLDER (a Hub id works as FOLDER); a model named SRC-TGT serves that \
        language pair on LibreTranslate's /translate. Models load once and are shared; concurrent \
        requests to one model are decoded together. SIGTERM or SIGINT stops accepting connections, \
        finishes the requests in flight and exits 0.
        """)

    @Option(name: .long, help: ArgumentHelp("A model to serve, NAME=FOLDER (repeat for more).", valueName: "name=folder"))
    var model: [String] = []
    @Option(name: .long, help: "Address to bind (loopback by default).") var host = "127.0.0.1"
    @Option(name: .long, help: "TCP port (0: any free port, printed at start).") var port = 8080
    @Option(name: .long, help: "Required API key (Authorization: Bearer KEY, or LibreTranslate's api_key).") var apiKey: String?
    @Option(name: .long, help: "Largest request body in bytes (larger: 413).") var maxBodyBytes = 32 << 20
    @Option(name: .long, help: "Requests waiting per model (more: 503 with Retry-After).") var maxQueue = 256
    @Option(name: .long, help: "Seconds a request may take, queueing included (longer: 504).") var requestTimeout: Double = 300
    @Option(name: .long, help: "Characters in one input text (longer: 400).") var maxInputChars = 10_000
    @Option(name: .long, help: "Inputs in one request (more: 400).") var maxInputs = 128
    @Option(name: .long, help: "Milliseconds the batcher waits for more requests to decode together.") var batchWindowMs: Double = 5
    @Option(name: .long, help: "Most inputs decoded together.") var batchSize = 32
    @Option(name: .long, help: "Most source tokens decoded together.") var batchTokens = 4096
    @Option(name: .long, help: "Threads to use (default: all cores).") var threads: Int?
    @Option(name: .long, help: "How weight matrices are kept and multiplied: float32, or int8 (quantized per output row at load).") var computeType: ComputeType = .float32

    func validate() throws {
        if model.isEmpty { throw ValidationError("give at least one --model NAME=FOLDER") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be in 0...65535") }
        for (value, flag) in [(maxBodyBytes, "--max-body-bytes"), (maxQueue, "--max-queue"), (maxInputChars, "--max-input-chars"),
                              (maxInputs, "--max-inputs"), (batchSize, "--batch-size"), (batchTokens, "--batch-tokens")] where value < 1 {
            throw ValidationError("\(flag) must be at least 1")
        }
        if !(requestTimeout > 0) { throw ValidationError("--request-timeout must be positive") }
        if !(batchWindowMs >= 0) { throw ValidationError("--batch-window-ms must not be negative") }
        try validateThreads(threads)
    }

    func run() throws {
        if let threads { ThreadPool.configure(threads: threads) }
        var options = ServerOptions()
        options.host = host
        options.port = port
        options.apiKey = apiKey
        options.maxBodyBytes = maxBodyBytes
        options.maxQueuedRequests = maxQueue
        options.requestTimeout = requestTimeout
        options.maxInputCharacters = maxInputChars
        options.maxInputsPerRequest = maxInputs
        options.batchWindow = batchWindowMs / 1000
        options.maxBatchSize = batchSize
        options.maxBatchTokens = batchTokens
        options.computeType = computeType
        options.models = try model.map { argument in
            var spec = ServedModelSpec(argument: argument)
            spec.path = try modelFolder(spec.path).path
            return spec
        }
        let server: Seq2SeqServer
        do {
            server = try Seq2SeqServer(options: options)
        } catch let error as ServerError {
            throw Failure.usage(error.description)
        }
        let host = self.host
        let outcome = ServeOutcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await server.run { port in
                    FileHandle.standardError.write(Data("seq2seq: serving \(server.modelNames.joined(separator: ", ")) on http://\(host):\(port)\n".utf8))
                }
            } catch {
                outcome.error = error
            }
            done.signal()
        }
        done.wait()
        if let error = outcome.error { throw Failure(message: "serve: \(error)", code: 1) }
    }
}

private final class ServeOutcome: @unchecked Sendable {
    var error: Error?
}
