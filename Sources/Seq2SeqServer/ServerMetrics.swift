// Prometheus metrics of the server (swift-prometheus): requests by route and status, latency
// histograms by route, each model's queue depth, batch sizes and generated tokens.
import Foundation
import Hummingbird
import Prometheus

/// The server's metrics, written at `GET /metrics` in Prometheus's text format.
final class ServerMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    private static let latencyBuckets: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
        .map { .nanoseconds(Int64($0 * 1e9)) }
    private static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128]

    /// Counts a finished request and records its latency.
    func request(route: String, method: String, status: Int, seconds: Double) {
        registry.makeCounter(descriptor: Self.name("http_requests", "total", "HTTP requests answered, by route, method and status."),
                             labels: [("route", route), ("method", method), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: Self.name("http_request_duration", "seconds", "Time from request to response head, by route."),
                                       labels: [("route", route)], buckets: Self.latencyBuckets)
            .record(.nanoseconds(Int64(seconds * 1e9)))
    }

    /// Sets a model's queue depth.
    func queueDepth(model: String, _ depth: Int) {
        registry.makeGauge(descriptor: Self.name("queue_depth", "", "Requests waiting for the model."), labels: [("model", model)])
            .set(Double(depth))
    }

    /// Records the inputs decoded together in one batch.
    func batch(model: String, size: Int) {
        registry.makeValueHistogram(descriptor: Self.name("batch_size", "", "Inputs decoded together in one batch."),
                                    labels: [("model", model)], buckets: Self.batchBuckets).record(Double(size))
    }

    /// Counts generated tokens and the decoding time they took (tokens/s = rate of the first
    /// over rate of the second).
    func generated(model: String, tokens: Int, seconds: Double) {
        registry.makeCounter(descriptor: Self.name("generated_tokens", "total", "Tokens generated (or transcribed)."),
                             labels: [("model", model)]).increment(by: Int64(tokens))
        registry.makeGauge(descriptor: Self.name("tokens_per_second", "", "Generated tokens per second of the last batch."),
                           labels: [("model", model)])
            .set(seconds > 0 ? Double(tokens) / seconds : 0)
    }

    /// `seq2seq_<metric>[_<unit>]` (an empty unit is left out), with its help text.
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "seq2seq", metricName: metric, unitName: unit, helpText: help)
    }

    /// The text exposition format.
    func exposition() -> String { registry.emitToString() }
}

/// Times every request and counts it by route (a fixed set of names, so a client cannot
/// grow the metrics with made-up paths) and status.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics
    let routes: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now()
        let route = routes.contains(request.uri.path) ? request.uri.path : "other"
        let response = try await next(request, context)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        metrics.request(route: route, method: request.method.rawValue, status: response.status.code, seconds: seconds)
        return response
    }
}
