// Resolves Hub model ids to snapshot folders in the Hugging Face cache, downloading what is missing
// as huggingface_hub's `snapshot_download` does (_snapshot_download.py, file_download.py):
// GET {endpoint}/api/models/{repo}/revision/{rev} for the commit and the file list, then for each
// file HEAD {endpoint}/{repo}/resolve/{commit}/{file} for X-Repo-Commit, ETag / X-Linked-Etag and
// X-Linked-Size (LFS files answer with a redirect to the CDN), and GET of the location into
// blobs/ETAG.incomplete, continued with a Range header after an interruption.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// How far one file's transfer has come.
public struct HubTransferProgress: Sendable {
    /// The file's path in the repository.
    public let file: String
    /// Bytes of the file on disk so far (including those of an earlier, interrupted run).
    public let received: Int64
    /// The file's size, when the server told it.
    public let total: Int64?
    /// Bytes that were already on disk when this transfer started (a resumed transfer).
    public let resumedFrom: Int64
    /// True on the last report for the file.
    public let finished: Bool
}

/// Finds Hub models in the Hugging Face cache and downloads them into it.
///
/// ```swift
/// let store = HubModelStore()
/// let folder = try store.snapshot(for: try HubModelID(parsing: "Helsinki-NLP/opus-mt-en-de"))
/// ```
public final class HubModelStore {
    /// The cache, endpoint, offline switch and token in use.
    public let configuration: HubConfiguration
    /// Called as transfers start, advance and finish (not for files already cached).
    public var progress: ((HubTransferProgress) -> Void)?
    /// Called with one-line remarks, such as falling back to the cache when the Hub is unreachable.
    public var notice: ((String) -> Void)?
    private let http: HTTPClient
    /// How many times a transfer that made progress before breaking off is continued in one run.
    private let maximumAttempts = 5

    /// A store with `configuration` (by default, from the environment).
    public init(configuration: HubConfiguration = HubConfiguration()) {
        self.configuration = configuration
        http = HTTPClient(timeout: configuration.timeout)
    }

    /// The local snapshot folder of `id`. Offline, from the cache only; online, the revision is
    /// resolved on the Hub and missing files downloaded, falling back to the cache when the Hub
    /// cannot be reached.
    public func snapshot(for id: HubModelID) throws -> URL {
        let cache = HubCacheRepository(cacheDirectory: configuration.cacheDirectory, repository: id.repository)
        let revision = id.resolvedRevision
        if configuration.offline {
            if let cached = cache.cachedSnapshot(revision: revision) { return cached }
            throw HubError(.notFound, id.description,
                           "not in the Hugging Face cache at \(configuration.cacheDirectory.path), and HF_HUB_OFFLINE forbids downloading it")
        }
        let info: RepositoryInfo
        do {
            info = try repositoryInfo(id)
        } catch let failure as APIFailure {
            if failure.mayUseCache, let cached = cache.cachedSnapshot(revision: revision) {
                notice?("\(failure.error.description); using the cached snapshot \(cached.path)")
                return cached
            }
            throw failure.error
        }
        return try download(id, info: info, into: cache)
    }

    // MARK: - The file list

    /// What `api/models/{repo}/revision/{rev}` says: the commit and the repository's files.
    struct RepositoryInfo {
        let commit: String
        let files: [String]
    }

    /// A failed API call, and whether a cached snapshot may stand in (everything but a revision
    /// the Hub says does not exist).
    struct APIFailure: Error {
        let error: HubError
        let mayUseCache: Bool
    }

    private func repositoryInfo(_ id: HubModelID) throws -> RepositoryInfo {
        let address = "\(configuration.endpoint)/api/models/\(id.repository)/revision/\(HubNames.percentEncoded(id.resolvedRevision, keepSlash: false))"
        guard let url = URL(string: address) else { throw APIFailure(error: HubError(.invalidID, address, "not a valid URL"), mayUseCache: true) }
        let response: HTTPResponse
        do {
            response = try http.send(hubRequest(url, method: "GET"))
        } catch {
            throw APIFailure(error: networkError(error, url: url), mayUseCache: true)
        }
        guard response.status == 200 else {
            let error = statusError(response, id: id)
            throw APIFailure(error: error, mayUseCache: response.header("X-Error-Code") != "RevisionNotFound")
        }
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
              let commit = object["sha"] as? String, let siblings = object["siblings"] as? [Any] else {
            throw APIFailure(error: HubError(.corruptData, address, "not a Hub model description (no 'sha' and 'siblings')"), mayUseCache: false)
        }
        guard HubNames.isCommitHash(commit) else {
            throw APIFailure(error: HubError(.corruptData, address, "'sha' is not a 40-digit commit hash"), mayUseCache: false)
        }
        var files: [String] = []
        for sibling in siblings {
            guard let name = (sibling as? [String: Any])?["rfilename"] as? String else {
                throw APIFailure(error: HubError(.corruptData, address, "a sibling without 'rfilename'"), mayUseCache: false)
            }
            guard HubNames.isSafeRepositoryPath(name) else {
                throw APIFailure(error: HubError(.corruptData, address, "unsafe file name '\(name)'"), mayUseCache: false)
            }
            files.append(name)
        }
        return RepositoryInfo(commit: commit, files: files)
    }

    // MARK: - Downloading a snapshot

    private func download(_ id: HubModelID, info: RepositoryInfo, into cache: HubCacheRepository) throws -> URL {
        let wanted = HubModelFiles.select(from: info.files)
        guard HubModelFiles.holdsWeights(wanted) else {
            let shown = info.files.prefix(12).joined(separator: ", ") + (info.files.count > 12 ? ", …" : "")
            throw HubError(.unusableRepository, "\(id) (commit \(info.commit))",
                           "no weights this tool reads (*.safetensors, CTranslate2 model.bin, Marian model*.bin); the repository has: \(shown.isEmpty ? "no files" : shown)")
        }
        var links: [(file: String, etag: String)] = []
        for file in wanted where !cache.hasFile(file, commit: info.commit) {
            let metadata = try fileMetadata(id, commit: info.commit, file: file)
            let blob = cache.blob(metadata.etag)
            if !FileManager.default.fileExists(atPath: blob.path) {
                try cache.withLock(etag: metadata.etag) {
                    if !FileManager.default.fileExists(atPath: blob.path) { try fetch(metadata, file: file, to: blob, cache: cache) }
                }
            }
            links.append((file, metadata.etag))
        }
        try cache.createFolder(cache.snapshot(info.commit))
        for link in links { try cache.link(link.file, commit: info.commit, etag: link.etag) }
        for file in HubModelFiles.optionalNames where !info.files.contains(file) { cache.markAbsent(file, commit: info.commit) }
        try cache.writeRef(id.resolvedRevision, commit: info.commit)
        return cache.snapshot(info.commit)
    }

    /// What HEAD on a resolve URL tells about a file.
    struct FileMetadata {
        /// The blob name: the LFS sha256 for LFS files, else the git blob id.
        let etag: String
        let size: Int64?
        /// Where to GET the bytes (the CDN for LFS files).
        let location: URL
        /// The resolve URL, for messages.
        let resolveURL: URL
    }

    private func fileMetadata(_ id: HubModelID, commit: String, file: String) throws -> FileMetadata {
        let address = "\(configuration.endpoint)/\(id.repository)/resolve/\(commit)/\(HubNames.percentEncoded(file, keepSlash: true))"
        guard let resolveURL = URL(string: address) else { throw HubError(.corruptData, address, "not a valid URL") }
        var url = resolveURL
        var response: HTTPResponse
        var hops = 0
        while true {
            var request = hubRequest(url, method: "HEAD")
            request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
            do { response = try http.send(request) } catch { throw networkError(error, url: url) }
            // Redirects within the Hub (a renamed repository) are followed; one to another host (the
            // CDN) carries the metadata itself.
            guard response.isRedirect, let next = response.location, origin(next) == origin(url), hops < 10 else { break }
            url = next
            hops += 1
        }
        guard (200..<400).contains(response.status) else { throw statusError(response, id: id, file: file) }
        guard let served = response.header("X-Repo-Commit") else {
            throw HubError(.corruptData, address, "no X-Repo-Commit header: HF_ENDPOINT does not seem to be a Hugging Face Hub")
        }
        guard served == commit else { throw HubError(.corruptData, address, "served commit \(served), not \(commit)") }
        guard let rawTag = response.header("X-Linked-Etag") ?? response.header("ETag") else {
            throw HubError(.corruptData, address, "no ETag header")
        }
        let etag = HubNames.normalizedETag(rawTag)
        guard HubNames.isSafeETag(etag) else { throw HubError(.corruptData, address, "unusable ETag '\(rawTag)'") }
        let sizeText = response.header("X-Linked-Size") ?? (response.isRedirect ? nil : response.header("Content-Length"))
        let size = sizeText.flatMap { Int64($0) }.flatMap { $0 >= 0 ? $0 : nil }
        let location = response.isRedirect ? (response.location ?? url) : url
        return FileMetadata(etag: etag, size: size, location: location, resolveURL: resolveURL)
    }

    /// Downloads a file into `blob` through `blob.incomplete`, continuing what an earlier run left,
    /// and checks its size and (for LFS files) its SHA-256 before moving it into place.
    private func fetch(_ metadata: FileMetadata, file: String, to blob: URL, cache: HubCacheRepository) throws {
        try cache.createFolder(blob.deletingLastPathComponent())
        let partial = URL(fileURLWithPath: blob.path + ".incomplete")
        if !FileManager.default.fileExists(atPath: partial.path) { _ = FileManager.default.createFile(atPath: partial.path, contents: nil) }
        guard let handle = try? FileHandle(forUpdating: partial) else { throw HubError(.cache, partial.path, "cannot open for writing") }
        defer { try? handle.close() }
        var attempt = 0
        while true {
            attempt += 1
            var offset = Int64((try? handle.seekToEnd()) ?? 0)
            if let size = metadata.size, offset == size { break }
            if let size = metadata.size, offset > size {
                // Left by another server or a bad transfer: start over.
                try? handle.truncate(atOffset: 0)
                offset = 0
            }
            do {
                try transfer(metadata, file: file, into: handle, offset: offset)
                break
            } catch let error as TransportError where error.bytesReceived > 0 && attempt < maximumAttempts {
                notice?("\(metadata.location.absoluteString): \(error.reason) after \(offset + error.bytesReceived) bytes; continuing")
                Thread.sleep(forTimeInterval: 0.5)
            } catch let error as TransportError {
                let have = (try? handle.seekToEnd()).map(Int64.init) ?? 0
                throw HubError(.network, metadata.location.absoluteString,
                               "\(error.reason) after \(have)\(metadata.size.map { " of \($0)" } ?? "") bytes; run again to resume")
            }
        }
        let length = Int64((try? handle.seekToEnd()) ?? 0)
        try handle.close()
        if let size = metadata.size, length != size {
            try? FileManager.default.removeItem(at: partial)
            throw HubError(.corruptData, metadata.location.absoluteString, "received \(length) bytes, expected \(size); the download was deleted")
        }
        if HubNames.isSHA256(metadata.etag) {
            let digest: String
            do { digest = try SHA256.hash(fileAt: partial).hex } catch {
                throw HubError(.cache, partial.path, "cannot read back (\(error.localizedDescription))")
            }
            guard digest == metadata.etag else {
                try? FileManager.default.removeItem(at: partial)
                throw HubError(.corruptData, metadata.resolveURL.absoluteString,
                               "SHA-256 mismatch (expected \(metadata.etag), got \(digest)); the download was deleted")
            }
        }
        try cache.replace(blob, with: partial)
    }

    /// One GET of the file from `offset` on (a Range request when `offset` > 0), appended to `handle`.
    private func transfer(_ metadata: FileMetadata, file: String, into handle: FileHandle, offset: Int64) throws {
        var url = metadata.location
        var hops = 0
        var written = offset
        var total = metadata.size
        var writeError: Error?
        while true {
            var request = URLRequest(url: url)
            request.httpMethod = "GET"
            request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
            if origin(url) == endpointOrigin, let token = configuration.token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
            progress?(HubTransferProgress(file: file, received: offset, total: total, resumedFrom: offset, finished: false))
            let response = try http.send(request, sink: { [self] data in
                if let total, written + Int64(data.count) > total { writeError = SinkRefused(); return false }
                do { try handle.write(contentsOf: data) } catch { writeError = error; return false }
                written += Int64(data.count)
                progress?(HubTransferProgress(file: file, received: written, total: total, resumedFrom: offset, finished: false))
                return true
            }, onResponse: { response in
                // A server that ignores Range answers 200 with the whole file: start over.
                if response.status == 200 && offset > 0 {
                    try? handle.truncate(atOffset: 0)
                    written = 0
                }
                if total == nil, response.status == 200, let length = response.header("Content-Length").flatMap(Int64.init) { total = length }
            })
            if let writeError {
                if writeError is SinkRefused { throw HubError(.corruptData, url.absoluteString, "more bytes than the \(total ?? 0) announced") }
                throw HubError(.cache, file, "cannot write the download (\(writeError.localizedDescription))")
            }
            if response.isRedirect, let next = response.location, hops < 10 {
                url = next
                hops += 1
                continue
            }
            if response.status == 206 {
                guard response.header("Content-Range").map({ $0.hasPrefix("bytes \(offset)-") }) ?? false else {
                    throw HubError(.corruptData, url.absoluteString, "answered Range bytes=\(offset)- with Content-Range \(response.header("Content-Range") ?? "none")")
                }
            } else if response.status == 416, offset > 0, offset == total {
                // Nothing left to send: the file was complete.
            } else if response.status == 416 {
                try? handle.truncate(atOffset: 0)
                throw HubError(.corruptData, url.absoluteString, "refused Range bytes=\(offset)-; the partial download was deleted")
            } else if response.status != 200 {
                throw HubError(.network, url.absoluteString, "HTTP \(response.status)\(bodySummary(response))")
            }
            progress?(HubTransferProgress(file: file, received: written, total: total, resumedFrom: offset, finished: true))
            return
        }
    }

    // MARK: - Requests and errors

    private var endpointOrigin: String { URL(string: configuration.endpoint).map(origin) ?? "" }

    /// A request to the Hub itself, with the token when there is one.
    private func hubRequest(_ url: URL, method: String) -> URLRequest {
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token = configuration.token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        return request
    }

    private func networkError(_ error: Error, url: URL) -> HubError {
        if let hub = error as? HubError { return hub }
        if let transport = error as? TransportError { return HubError(.network, url.absoluteString, "cannot reach the Hub (\(transport.reason))") }
        if error is BodyTooLarge { return HubError(.corruptData, url.absoluteString, "answer larger than 64 MB") }
        return HubError(.network, url.absoluteString, "\(error)")
    }

    /// The error for an unsuccessful answer, read as huggingface_hub reads `X-Error-Code`.
    private func statusError(_ response: HTTPResponse, id: HubModelID, file: String? = nil) -> HubError {
        let subject = response.url.absoluteString
        let code = response.header("X-Error-Code"), status = response.status
        if code == "RepoNotFound" || (code == nil && status == 404 && file == nil) {
            return HubError(.notFound, subject, "no model \(id.repository) on \(configuration.endpoint) (a private or gated model needs HF_TOKEN)")
        }
        if code == "RevisionNotFound" { return HubError(.notFound, subject, "\(id.repository) has no revision '\(id.resolvedRevision)'") }
        if code == "EntryNotFound" || status == 404 { return HubError(.notFound, subject, "\(id.repository) has no file \(file ?? "")") }
        if code == "GatedRepo" {
            return HubError(.network, subject, "\(id.repository) is gated: accept its conditions on the Hub and set HF_TOKEN")
        }
        if status == 401 || status == 403 {
            return HubError(.network, subject, "HTTP \(status): access denied\(configuration.token == nil ? " (no HF_TOKEN set)" : " with this token")")
        }
        return HubError(.network, subject, "HTTP \(status)\(bodySummary(response))")
    }

    /// `: message` from a JSON error body (`{"error": "…"}`), or nothing.
    private func bodySummary(_ response: HTTPResponse) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
              let message = object["error"] as? String else { return "" }
        return ": " + message.split(separator: "\n").joined(separator: " ").prefix(200)
    }
}
