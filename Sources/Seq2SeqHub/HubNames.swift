// What names from the Hub and from its HTTP answers may look like before they become paths or URLs
// (huggingface_hub: file_download.py `_normalize_etag`, `REGEX_COMMIT_HASH`, `REGEX_SHA256`).
import Foundation

/// Checks and encodings for names that come from the Hub.
public enum HubNames {
    /// An ETag as huggingface_hub's `_normalize_etag` leaves it: no `W/` prefix, no quotes.
    public static func normalizedETag(_ tag: String) -> String {
        var text = Substring(tag.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        return String(text).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// Whether an ETag can name a file in `blobs/`: letters, digits, '-', '_' and '.', not leading.
    public static func isSafeETag(_ etag: String) -> Bool {
        guard let first = etag.unicodeScalars.first, first != ".", etag.utf8.count <= 128 else { return false }
        return etag.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
    }

    /// Whether a repository path is safe to place under a snapshot folder (relative, no `..`).
    public static func isSafeRepositoryPath(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return !path.isEmpty && !path.contains("\\") && !path.unicodeScalars.contains { $0.value < 0x20 }
            && !parts.contains { $0.isEmpty || $0 == "." || $0 == ".." }
    }

    /// `text` percent-encoded as Python's `urllib.parse.quote` does (unreserved characters kept, and
    /// `/` when `keepSlash`).
    public static func percentEncoded(_ text: String, keepSlash: Bool) -> String {
        var allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        if keepSlash { allowed.insert("/") }
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Whether `text` is a full 40-digit lowercase hexadecimal commit hash.
    public static func isCommitHash(_ text: String) -> Bool { text.utf8.count == 40 && text.utf8.allSatisfy(isLowerHexDigit) }

    /// Whether `text` is a 64-digit lowercase hexadecimal SHA-256 (an LFS object id).
    public static func isSHA256(_ text: String) -> Bool { text.utf8.count == 64 && text.utf8.allSatisfy(isLowerHexDigit) }

    private static func isLowerHexDigit(_ c: UInt8) -> Bool { (48...57).contains(c) || (97...102).contains(c) }
}
