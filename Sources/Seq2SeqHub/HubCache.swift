// The cache layout huggingface_hub writes (file_download.py: `repo_folder_name`,
// `_cache_commit_hash_for_specific_revision`, `_create_symlink`, `try_to_load_from_cache`):
//
//   CACHE/models--OWNER--NAME/
//     refs/REVISION                  the commit hash a branch or tag pointed to (no newline)
//     blobs/ETAG                     file contents, named by the git blob sha1 or the LFS sha256
//     blobs/ETAG.incomplete          a transfer in progress (continued with a Range request)
//     snapshots/COMMIT/FILE          relative symlinks ../../blobs/ETAG
//     .no_exist/COMMIT/FILE          empty markers: FILE is not in the repository at COMMIT
//   CACHE/.locks/models--OWNER--NAME/ETAG.lock
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One model repository's folder in the Hugging Face cache.
public struct HubCacheRepository: Sendable {
    /// The cache folder (`HF_HUB_CACHE`).
    public let cacheDirectory: URL
    /// `OWNER/NAME`.
    public let repository: String

    /// The repository `repository` in the cache at `cacheDirectory`.
    public init(cacheDirectory: URL, repository: String) {
        self.cacheDirectory = cacheDirectory
        self.repository = repository
    }

    /// `models--OWNER--NAME`.
    public var folderName: String { (["models"] + repository.split(separator: "/").map(String.init)).joined(separator: "--") }
    /// `CACHE/models--OWNER--NAME`.
    public var folder: URL { cacheDirectory.appendingPathComponent(folderName, isDirectory: true) }
    /// `…/snapshots/COMMIT`.
    public func snapshot(_ commit: String) -> URL { folder.appendingPathComponent("snapshots/\(commit)", isDirectory: true) }
    /// `…/blobs/ETAG`.
    func blob(_ etag: String) -> URL { folder.appendingPathComponent("blobs/\(etag)") }
    /// `…/refs/REVISION`.
    func ref(_ revision: String) -> URL { folder.appendingPathComponent("refs/\(revision)") }

    /// The commit a revision names in the cache: itself when it is a full commit hash, else what
    /// `refs/REVISION` holds; nil when unknown.
    public func commit(for revision: String) -> String? {
        if HubNames.isCommitHash(revision) { return revision }
        guard let text = try? String(contentsOf: ref(revision), encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return HubNames.isCommitHash(commit) ? commit : nil
    }

    /// The snapshot folder of `revision` when the cache has one.
    public func cachedSnapshot(revision: String) -> URL? {
        guard let commit = commit(for: revision) else { return nil }
        var isFolder: ObjCBool = false
        let url = snapshot(commit)
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue ? url : nil
    }

    /// Whether `snapshots/COMMIT/FILE` exists and leads to a regular file.
    func hasFile(_ file: String, commit: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: snapshot(commit).appendingPathComponent(file).path, isDirectory: &isFolder)
            && !isFolder.boolValue
    }

    /// Records that `revision` points at `commit` (atomically, only when it changed); a commit hash
    /// needs no ref.
    public func writeRef(_ revision: String, commit: String) throws {
        guard revision != commit else { return }
        let url = ref(revision)
        if (try? String(contentsOf: url, encoding: .utf8)) == commit { return }
        try createFolder(url.deletingLastPathComponent())
        let temporary = url.deletingLastPathComponent().appendingPathComponent("\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp")
        try write(Data(commit.utf8), to: temporary)
        try replace(url, with: temporary)
    }

    /// Makes `snapshots/COMMIT/FILE` a relative symlink to `blobs/ETAG`, replacing what was there.
    public func link(_ file: String, commit: String, etag: String) throws {
        let pointer = snapshot(commit).appendingPathComponent(file)
        try createFolder(pointer.deletingLastPathComponent())
        let depth = file.split(separator: "/").count + 1
        let target = String(repeating: "../", count: depth) + "blobs/" + etag
        unlink(pointer.path)
        guard symlink(target, pointer.path) == 0 else {
            throw HubError(.cache, pointer.path, "cannot create the link to \(target) (\(String(cString: strerror(errno))))")
        }
    }

    /// Leaves the empty marker `.no_exist/COMMIT/FILE`: the repository has no FILE at COMMIT.
    public func markAbsent(_ file: String, commit: String) {
        let marker = folder.appendingPathComponent(".no_exist/\(commit)/\(file)")
        guard !FileManager.default.fileExists(atPath: marker.path) else { return }
        try? FileManager.default.createDirectory(at: marker.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: marker.path, contents: Data())
    }

    /// Whether `.no_exist/COMMIT/FILE` says the repository has no FILE at COMMIT.
    public func isMarkedAbsent(_ file: String, commit: String) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(".no_exist/\(commit)/\(file)").path)
    }

    /// Runs `body` holding the lock `.locks/models--OWNER--NAME/ETAG.lock` (the file huggingface_hub
    /// locks), so that two processes do not append to one `.incomplete` file.
    func withLock<T>(etag: String, _ body: () throws -> T) throws -> T {
        let url = cacheDirectory.appendingPathComponent(".locks/\(folderName)/\(etag).lock")
        try createFolder(url.deletingLastPathComponent())
        let fd = open(url.path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw HubError(.cache, url.path, "cannot open the lock file (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw HubError(.cache, url.path, "cannot lock (\(String(cString: strerror(errno))))") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    func createFolder(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw HubError(.cache, url.path, "cannot create the folder (\(error.localizedDescription))")
        }
    }

    func write(_ data: Data, to url: URL) throws {
        do { try data.write(to: url) } catch { throw HubError(.cache, url.path, "cannot write (\(error.localizedDescription))") }
    }

    /// Moves `source` onto `destination` atomically (rename(2)).
    func replace(_ destination: URL, with source: URL) throws {
        guard rename(source.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(source.path)
            throw HubError(.cache, destination.path, "cannot move \(source.lastPathComponent) into place (\(reason))")
        }
    }
}
