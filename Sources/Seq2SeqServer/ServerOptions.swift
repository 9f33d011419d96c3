// What `seq2seq serve` is told: where to listen, which models to load under which names, and
// the limits that keep one client from taking the server down.
import Seq2Seq

/// A model the server loads at start: `name` is what requests call it (`en-pt` serves the
/// LibreTranslate pair en→pt), `path` its folder.
public struct ServedModelSpec: Sendable, Equatable {
    /// The name requests use.
    public var name: String
    /// The model folder.
    public var path: String

    /// A model called `name`, loaded from `path`.
    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    /// Parses `NAME=PATH`; a bare `PATH` is named after its last path component.
    public init(argument: String) {
        if let eq = argument.firstIndex(of: "="), eq != argument.startIndex {
            name = String(argument[..<eq])
            path = String(argument[argument.index(after: eq)...])
        } else {
            path = argument
            name = argument.split(separator: "/").last.map(String.init) ?? argument
        }
    }
}

/// Settings of a `Seq2SeqServer`.
public struct ServerOptions: Sendable {
    /// Address to bind (loopback by default: put a reverse proxy in front to serve others).
    public var host = "127.0.0.1"
    /// TCP port (0: any free port; the server reports the one it got).
    public var port = 8080
    /// The models, loaded once at start and shared by every request.
    public var models: [ServedModelSpec] = []
    /// Largest request body; larger ones get 413.
    public var maxBodyBytes = 32 << 20
    /// Requests waiting for one model; more get 503 with `Retry-After`.
    public var maxQueuedRequests = 256
    /// Seconds a request may take, queueing included; longer ones get 504.
    public var requestTimeout: Double = 300
    /// Characters in one input text; longer texts get 400 (LibreTranslate's `char_limit`).
    public var maxInputCharacters = 10_000
    /// Texts (or id sequences) in one request.
    public var maxInputsPerRequest = 128
    /// Seconds the batcher waits after a request arrives for others to decode with it.
    public var batchWindow: Double = 0.005
    /// Most inputs decoded together.
    public var maxBatchSize = 32
    /// Most source tokens decoded together (padding excluded).
    public var maxBatchTokens = 4096
    /// Required in `Authorization: Bearer …` (or LibreTranslate's `api_key` field) when set.
    public var apiKey: String?
    /// How the models' weight matrices are kept and multiplied.
    public var computeType: ComputeType = .float32

    /// The defaults: loopback port 8080, no models.
    public init() {}
}
