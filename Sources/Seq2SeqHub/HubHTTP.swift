// Synchronous HTTP over FoundationNetworking's URLSession for the command-line tool: redirects are
// never followed behind our back (the Hub's 302 to its CDN carries the file's metadata, and the
// token must not follow it off the Hub), bodies go to memory or straight into a file.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP response.
struct HTTPResponse {
    /// The URL that answered.
    let url: URL
    let status: Int
    /// Header values by lowercased name.
    let headers: [String: String]
    /// The body, when it was collected in memory.
    var body = Data()

    func header(_ name: String) -> String? { headers[name.lowercased()] }
    var isRedirect: Bool { [301, 302, 303, 307, 308].contains(status) && header("Location") != nil }
    /// The redirect target, resolved against `url`.
    var location: URL? { header("Location").flatMap { URL(string: $0, relativeTo: url)?.absoluteURL } }
}

/// A transport failure (no HTTP response, or a body cut short), with the bytes that did arrive.
struct TransportError: Error {
    let url: URL
    let underlying: Error
    let bytesReceived: Int64
    var reason: String {
        let ns = underlying as NSError
        return ns.localizedDescription.isEmpty ? "\(underlying)" : ns.localizedDescription
    }
}

/// Sends requests one at a time and waits for them.
final class HTTPClient {
    let timeout: Double
    let userAgent = "seq2seq; hf_hub-compatible"

    init(timeout: Double) { self.timeout = timeout }

    /// Sends `request` without following redirects. The body goes to `sink` when given and the
    /// status is 200 or 206 (return false from it to abort), else into memory up to `memoryLimit`.
    func send(_ request: URLRequest, memoryLimit: Int = 64 << 20, sink: ((Data) -> Bool)? = nil,
              onResponse: ((HTTPResponse) -> Void)? = nil) throws -> HTTPResponse {
        var request = request
        request.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        let exchange = Exchange(memoryLimit: memoryLimit, sink: sink, onResponse: onResponse)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: exchange, delegateQueue: queue)
        session.dataTask(with: request).resume()
        exchange.finished.wait()
        session.finishTasksAndInvalidate()
        let url = request.url ?? URL(fileURLWithPath: "/")
        if let failure = exchange.failure { throw failure }
        guard let response = exchange.response else {
            throw TransportError(url: url, underlying: exchange.error ?? URLError(.badServerResponse), bytesReceived: exchange.received)
        }
        if let error = exchange.error { throw TransportError(url: url, underlying: error, bytesReceived: exchange.received) }
        var result = response
        result.body = exchange.body
        return result
    }
}

/// The delegate of one request: records the response, routes the body, reports completion.
private final class Exchange: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let finished = DispatchSemaphore(value: 0)
    let memoryLimit: Int
    let sink: ((Data) -> Bool)?
    let onResponse: ((HTTPResponse) -> Void)?
    var response: HTTPResponse?
    var body = Data()
    var received: Int64 = 0
    var error: Error?
    /// A failure of our own (body too large, the sink refused), which wins over the transport's.
    var failure: Error?
    private var toSink = false

    init(memoryLimit: Int, sink: ((Data) -> Bool)?, onResponse: ((HTTPResponse) -> Void)?) {
        self.memoryLimit = memoryLimit
        self.sink = sink
        self.onResponse = onResponse
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse, let url = http.url ?? dataTask.originalRequest?.url else {
            failure = URLError(.badServerResponse)
            completionHandler(.cancel)
            return
        }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        let recorded = HTTPResponse(url: url, status: http.statusCode, headers: headers)
        self.response = recorded
        toSink = sink != nil && (http.statusCode == 200 || http.statusCode == 206)
        onResponse?(recorded)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        if toSink, let sink {
            if sink(data) { received += Int64(data.count) } else {
                failure = SinkRefused()
                dataTask.cancel()
            }
        } else if body.count + data.count > memoryLimit {
            failure = BodyTooLarge(limit: memoryLimit)
            dataTask.cancel()
        } else {
            body.append(data)
            received += Int64(data.count)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        self.error = error
        finished.signal()
    }
}

/// The body sink refused data (it could not write, or more arrived than expected).
struct SinkRefused: Error {}

/// A response body in memory outgrew its limit.
struct BodyTooLarge: Error { let limit: Int }

/// `scheme://host:port` of a URL, with the scheme's default port, for same-origin checks.
func origin(_ url: URL) -> String {
    let scheme = url.scheme?.lowercased() ?? ""
    let port = url.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : 0)
    return "\(scheme)://\(url.host?.lowercased() ?? ""):\(port)"
}
