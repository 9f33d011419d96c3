// The HTTP server behind `seq2seq serve`, as a library an application can embed: the models
// load once, every route shares them, each model's requests are batched by its worker, and
// SIGTERM/SIGINT stop accepting connections, let the requests in flight finish, and return.
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Seq2Seq

/// An HTTP server for a set of models: LibreTranslate's API (`POST /translate`,
/// `GET /languages`), OpenAI's audio API (`POST /v1/audio/transcriptions`,
/// `/v1/audio/translations`, `GET /v1/models`), the native API (`POST /v1/translate`,
/// `/v1/generate`, `/v1/score`, `/v1/attention`), `GET /health`, `GET /metrics` and the
/// attention explorer page at `/`.
///
///     var options = ServerOptions()
///     options.models = [ServedModelSpec(name: "en-pt", path: "models/firefox/enpt")]
///     let server = try Seq2SeqServer(options: options)
///     try await server.run()          // until SIGTERM or SIGINT
public final class Seq2SeqServer: @unchecked Sendable {
    /// The settings the server started with.
    public let options: ServerOptions
    /// Model names, in the order given.
    public let modelNames: [String]
    let models: [String: ServedModel]
    let metrics = ServerMetrics()

    /// The routes, for the metrics' fixed route label.
    static let routes: Set<String> = ["/", "/health", "/metrics", "/languages", "/translate", "/v1/models",
                                      "/v1/audio/transcriptions", "/v1/audio/translations", "/v1/translate",
                                      "/v1/generate", "/v1/score", "/v1/attention"]

    /// Loads every model of `options`. Throws `ServerError` for a bad name or a repeated one,
    /// and the loaders' errors (prefixed with the model's name) for a folder that cannot load.
    public init(options: ServerOptions) throws {
        self.options = options
        var models: [String: ServedModel] = [:]
        for spec in options.models {
            guard !spec.name.isEmpty, spec.name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw ServerError.badRequest("model name \"\(spec.name)\": use letters, digits, '-', '_' and '.'")
            }
            guard models[spec.name] == nil else { throw ServerError.badRequest("model name \"\(spec.name)\" given twice") }
            models[spec.name] = try ServedModel(spec, options: options, metrics: metrics)
        }
        self.models = models
        modelNames = options.models.map(\.name)
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, finishes the requests in flight
    /// and returns. `onListening` gets the port bound (useful with port 0).
    public func run(onListening: (@Sendable (Int) -> Void)? = nil) async throws {
        var logger = Logger(label: "seq2seq.serve")
        logger.logLevel = .warning
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "seq2seq"),
            onServerRunning: { channel in onListening?(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// Answers one request in this process, through the same routes and middleware as a
    /// request on the socket (an application embedding the server, the fuzz target of request
    /// bodies): the response's status code and body.
    public func respond(method: String = "POST", path: String, contentType: String? = nil, body: [UInt8] = []) async throws -> (status: Int, body: [UInt8]) {
        var headers = HTTPFields()
        if let contentType { headers[.contentType] = contentType }
        headers[.contentLength] = String(body.count)
        let request = Request(head: HTTPRequest(method: HTTPRequest.Method(method) ?? .post, scheme: "http", authority: "localhost",
                                                path: path, headerFields: headers),
                              body: RequestBody(buffer: ByteBuffer(bytes: body)))
        let context = BasicRequestContext(source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: inProcessLogger))
        let response = try await makeRouter().buildResponder().respond(to: request, context: context)
        let collected = CollectedBody()
        try await response.body.write(collected)
        return (Int(response.status.code), collected.bytes.withLockedValue { $0 })
    }

    private let inProcessLogger: Logger = {
        var logger = Logger(label: "seq2seq.serve.in-process")
        logger.logLevel = .critical
        return logger
    }()

    /// Every route, with the JSON error and metrics middleware.
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(MetricsMiddleware(metrics: metrics, routes: Self.routes))
        router.middlewares.add(JSONErrorMiddleware())
        router.get("/") { _, _ in textResponse(WebPage.html, type: "text/html; charset=utf-8") }
        router.get("/health") { _, _ in self.health() }
        router.get("/metrics") { _, _ in textResponse(self.metrics.exposition(), type: "text/plain; version=0.0.4; charset=utf-8") }
        addLibreTranslateRoutes(router)
        addOpenAIRoutes(router)
        addNativeRoutes(router)
        return router
    }

    private func health() -> Response {
        jsonResponse(JSONObject(["status": "ok", "models": modelNames.map { name in
            JSONObject(["name": name, "task": models[name]!.task.rawValue, "queue": models[name]!.worker.depth])
        }]))
    }

    // MARK: Shared by the routes

    /// Reads a request's fields and checks its API key (header, `api_key` field or query).
    func fields(_ request: Request) async throws -> RequestFields {
        let fields = try await RequestFields.read(request, limit: options.maxBodyBytes)
        try authorize(request, fields: fields)
        return fields
    }

    /// 401 unless the request carries the server's API key (when it has one).
    func authorize(_ request: Request, fields: RequestFields? = nil) throws {
        guard let key = options.apiKey else { return }
        if let header = request.headers[.authorization], header == "Bearer \(key)" { return }
        if let given = try? fields?.string("api_key"), given == key { return }
        if let given = request.uri.queryParameters.get("api_key"), given == key { return }
        var failure = ServerError(.unauthorized, "missing or wrong API key (Authorization: Bearer KEY, or api_key)")
        failure.headers = [("WWW-Authenticate", "Bearer")]
        throw failure
    }

    /// The model called `name`, or 404 naming the ones there are.
    func model(_ name: String) throws -> ServedModel {
        guard let model = models[name] else {
            throw ServerError.notFound("no model \"\(name)\" (this server has: \(modelNames.joined(separator: ", ")))")
        }
        return model
    }

    /// A text model called `name`: 404 when there is none, 400 for a speech model.
    func textModel(_ name: String) throws -> ServedModel {
        let served = try model(name)
        guard served.translator != nil else { throw ServerError.badRequest("model \"\(name)\" is a speech model; use /v1/audio/transcriptions") }
        return served
    }

    /// 400 when a text is longer than the limit.
    func checkLengths(_ texts: [String]) throws {
        guard texts.count <= options.maxInputsPerRequest else {
            throw ServerError.badRequest("\(texts.count) inputs in one request; at most \(options.maxInputsPerRequest) (--max-inputs)")
        }
        for text in texts where text.count > options.maxInputCharacters {
            throw ServerError.badRequest("a text of \(text.count) characters exceeds the limit of \(options.maxInputCharacters) (--max-input-chars)")
        }
    }

    /// Translates `texts` through the model's batcher: equal options decode together with
    /// other requests'.
    func translate(_ texts: [String], with served: ServedModel, request: TranslateRequest) async throws -> [Translation] {
        if texts.isEmpty { return [] }
        let translator = served.translator!
        let tokens = texts.reduce(0) { $0 + ((try? translator.tokenizer.encodeSource($1).count) ?? $1.utf8.count) }
        let job = ModelJob(key: BatchKey(parts: ["translate", AnyHashable(request)]), inputs: texts, tokens: tokens)
        return try await served.worker.submit(job, timeout: options.requestTimeout).map { $0 as! Translation }
    }
}

/// A response body gathered in memory (`Seq2SeqServer.respond`).
private struct CollectedBody: ResponseBodyWriter {
    let bytes = NIOLockedValueBox<[UInt8]>([])

    func write(_ buffer: ByteBuffer) async throws {
        bytes.withLockedValue { $0 += buffer.readableBytesView }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
