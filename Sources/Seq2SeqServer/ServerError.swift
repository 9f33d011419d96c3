// Every failure a request can meet, as an HTTP status and one line of text; the error
// middleware writes it as `{"error": "…"}`.
import Foundation
import HTTPTypes
import Hummingbird
import Seq2Seq

/// A request that cannot be served, with the status to answer.
public struct ServerError: Error, CustomStringConvertible, LocalizedError, Sendable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// One line saying what went wrong.
    public let description: String
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: [(String, String)] = []

    /// The one-line message (`localizedDescription`).
    public var errorDescription: String? { description }

    /// An error answered with `status`.
    public init(_ status: HTTPResponse.Status, _ description: String) {
        self.status = status
        self.description = description
    }

    static func badRequest(_ message: String) -> ServerError { ServerError(.badRequest, message) }
    static func notFound(_ message: String) -> ServerError { ServerError(.notFound, message) }

    /// The status and message for any error a handler throws: library errors about the input
    /// are the client's (400), anything else the server's (500).
    static func from(_ error: Error) -> ServerError {
        switch error {
        case let e as ServerError: return e
        case let e as HTTPError where e.status == .notFound && e.body == nil:
            return .notFound("no such route (the API: GET /, /health, /metrics, /languages, /v1/models; POST /translate, /v1/translate, /v1/generate, /v1/score, /v1/attention, /v1/audio/transcriptions, /v1/audio/translations)")
        case let e as HTTPError:
            return ServerError(e.status, e.body ?? e.status.reasonPhrase)
        case let e as AudioFileError: return .badRequest(e.description)
        case let e as TokenizerError: return .badRequest(e.description)
        case let e as GenerationConfigError: return .badRequest(e.description)
        case let e as TranslationError: return .badRequest(e.description)
        case let e as TranscriptionError: return .badRequest(e.description)
        case let e as ModelError: return .badRequest(e.description)
        case let e as ModelFileError: return .badRequest(e.description)
        case is CancellationError: return ServerError(.init(code: 499, reasonPhrase: "Client Closed Request"), "request cancelled")
        default: return ServerError(.internalServerError, "\(error)")
        }
    }
}

/// Turns every thrown error into a JSON body `{"error": "…"}` with its status, so clients never
/// see an HTML page or a closed connection.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let failure = ServerError.from(error)
            var response = jsonResponse(JSONObject(["error": failure.description]), status: failure.status)
            for (name, value) in failure.headers {
                if let field = HTTPField.Name(name) { response.headers[field] = value }
            }
            return response
        }
    }
}

/// A response whose body is `object`'s JSON text.
func jsonResponse(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
    var bytes: [UInt8] = []
    JSONText.append(object, to: &bytes)
    return Response(status: status, headers: [.contentType: "application/json"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
}

/// A response whose body is JSON text already written.
func jsonBytesResponse(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
}

/// A plain-text (or other `type`) response.
func textResponse(_ text: String, type: String = "text/plain; charset=utf-8", status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
}
