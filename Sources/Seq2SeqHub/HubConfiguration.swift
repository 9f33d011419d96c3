// Where the cache is, which endpoint to ask, offline mode and the token, read from the environment
// the way huggingface_hub reads it (huggingface_hub/constants.py, utils/_auth.py).
import Foundation

/// Settings for reaching the Hub and its local cache.
public struct HubConfiguration: Sendable {
    /// The cache folder holding `models--OWNER--NAME` folders: `$HF_HUB_CACHE`, else
    /// `$HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else
    /// `~/.cache/huggingface/hub`.
    public var cacheDirectory: URL
    /// The Hub's base URL, no trailing slash: `$HF_ENDPOINT`, else `https://huggingface.co`.
    public var endpoint: String
    /// True when nothing may be downloaded (`HF_HUB_OFFLINE` or `TRANSFORMERS_OFFLINE` set to 1/ON/YES/TRUE).
    public var offline: Bool
    /// The access token sent as `Authorization: Bearer`: `$HF_TOKEN`, else `$HUGGING_FACE_HUB_TOKEN`,
    /// else the file `$HF_TOKEN_PATH` (default `$HF_HOME/token`); nil when none is set.
    public var token: String?
    /// Seconds without data after which a request is abandoned: `$HF_HUB_DOWNLOAD_TIMEOUT`, else 10.
    public var timeout: Double

    /// The settings the environment gives (the process's own by default).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let home = value("HOME") ?? NSHomeDirectory()
        func expand(_ path: String) -> String {
            if path == "~" { return home }
            if path.hasPrefix("~/") { return home + path.dropFirst() }
            return path
        }
        let cacheHome = value("XDG_CACHE_HOME").map(expand) ?? home + "/.cache"
        let hfHome = value("HF_HOME").map(expand) ?? cacheHome + "/huggingface"
        let cache = value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE")
        cacheDirectory = URL(fileURLWithPath: cache.map(expand) ?? hfHome + "/hub", isDirectory: true)
        var endpoint = value("HF_ENDPOINT") ?? "https://huggingface.co"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        let truthy: Set<String> = ["1", "ON", "YES", "TRUE"]
        offline = [value("HF_HUB_OFFLINE"), value("TRANSFORMERS_OFFLINE")].contains { $0.map { truthy.contains($0.uppercased()) } ?? false }
        let tokenPath = value("HF_TOKEN_PATH").map(expand) ?? hfHome + "/token"
        let fileToken = (try? String(contentsOfFile: tokenPath, encoding: .utf8))
        token = [value("HF_TOKEN"), value("HUGGING_FACE_HUB_TOKEN"), fileToken].lazy
            .compactMap { $0?.trimmingCharacters(in: .whitespacesAndNewlines) }.first { !$0.isEmpty }
        timeout = value("HF_HUB_DOWNLOAD_TIMEOUT").flatMap(Double.init).flatMap { $0 > 0 && $0.isFinite ? $0 : nil } ?? 10
    }
}
