// A request's fields, whatever the body's encoding: JSON objects (the native API, LibreTranslate
// clients that send JSON), URL-encoded forms (LibreTranslate's own page and many of its
// clients) and multipart forms with files (the OpenAI audio API). Every malformed body is a
// 400 that names the problem.
import Foundation
import Hummingbird
import MultipartKit
import NIOCore

/// The fields of one request.
struct RequestFields {
    /// Values by name: JSON values, or strings (an array for a repeated form field).
    var values: [String: Any] = [:]
    /// Uploaded files by field name.
    var files: [String: (filename: String?, bytes: [UInt8])] = [:]

    /// Reads the body (at most `limit` bytes, else 413) and parses it by its content type.
    static func read(_ request: Request, limit: Int) async throws -> RequestFields {
        let body = try await readBody(request, limit: limit)
        let type = request.headers[.contentType]?.lowercased() ?? ""
        if type.hasPrefix("multipart/form-data") { return try multipart(body, contentType: request.headers[.contentType] ?? "") }
        if type.hasPrefix("application/x-www-form-urlencoded") { return form(body) }
        if body.isEmpty { return RequestFields() }
        return try json(body)
    }

    /// The body's bytes; 413 past `limit` (told by Content-Length before anything is read).
    static func readBody(_ request: Request, limit: Int) async throws -> [UInt8] {
        let tooLarge = ServerError(.contentTooLarge, "request body larger than \(limit) bytes (--max-body-bytes)")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw tooLarge }
        var bytes: [UInt8] = []
        for try await var buffer in request.body {
            if bytes.count + buffer.readableBytes > limit { throw tooLarge }
            bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
        return bytes
    }

    static func json(_ body: [UInt8]) throws -> RequestFields {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        } catch {
            throw ServerError.badRequest("request body is not valid JSON (\(Self.reason(error)))")
        }
        guard let object = value as? [String: Any] else { throw ServerError.badRequest("request body must be a JSON object") }
        return RequestFields(values: object)
    }

    private static func reason(_ error: Error) -> String {
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
        return text.split(separator: "\n").first.map(String.init) ?? text
    }

    static func form(_ body: [UInt8]) -> RequestFields {
        var fields = RequestFields()
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in (String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)) }
            fields.add(decode(parts[0]), decode(parts.count > 1 ? parts[1] : ""))
        }
        return fields
    }

    static func multipart(_ body: [UInt8], contentType: String) throws -> RequestFields {
        guard let boundary = parameter("boundary", of: contentType) else {
            throw ServerError.badRequest("multipart/form-data without a boundary")
        }
        try checkPartHeaderNames(body, boundary: Array("--\(boundary)".utf8))
        var fields = RequestFields()
        let parser = MultipartParser(boundary: boundary)
        var headers: [String: String] = [:], content: [UInt8] = []
        parser.onHeader = { name, value in headers[name.lowercased()] = value }
        parser.onBody = { buffer in content += buffer.readBytes(length: buffer.readableBytes) ?? [] }
        var unnamed = false
        parser.onPartComplete = {
            let disposition = headers["content-disposition"] ?? ""
            if let name = parameter("name", of: disposition) {
                if let filename = parameter("filename", of: disposition) {
                    fields.files[name] = (filename, content)
                } else {
                    fields.add(name, String(decoding: content, as: UTF8.self))
                }
            } else {
                unnamed = true
            }
            headers = [:]
            content = []
        }
        do {
            try parser.execute(body)
        } catch {
            throw ServerError.badRequest("malformed multipart/form-data body (\(error))")
        }
        if unnamed { throw ServerError.badRequest("a multipart part has no name in its Content-Disposition") }
        return fields
    }

    /// Refuses a part header whose name holds a byte past ASCII. MultipartKit 4.7 looks such a
    /// byte up in a 128-entry table and traps — one request would end the server (found by the
    /// `http-body` fuzz target). After every `--boundary`, the header lines are read as its
    /// parser reads them (a line ends at CR LF, a name at `:`, the headers at an empty line);
    /// header values may be UTF-8 (filenames are).
    static func checkPartHeaderNames(_ body: [UInt8], boundary: [UInt8]) throws {
        let (cr, lf, colon) = (UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: ":"))
        var i = 0
        while i + boundary.count <= body.count {
            guard body[i] == boundary[0], body[i..<(i + boundary.count)].elementsEqual(boundary) else { i += 1; continue }
            var j = i + boundary.count
            if j + 1 < body.count && body[j] == cr && body[j + 1] == lf { j += 2 }
            var inName = true, nameLength = 0
            scan: while j < body.count {
                let byte = body[j]
                j += 1
                if inName {
                    switch byte {
                    case cr where nameLength == 0: break scan  // the empty line: the headers end
                    case colon where nameLength > 0: inName = false
                    case _ where byte >= 0x80:
                        throw ServerError.badRequest("malformed multipart/form-data body (a part header name holds a byte past ASCII)")
                    default: nameLength += 1
                    }
                } else if byte == cr {
                    if j < body.count && body[j] == lf { j += 1 }
                    (inName, nameLength) = (true, 0)
                }
            }
            i = j
        }
    }

    /// `key=value` or `key="value"` from a header like `form-data; name="file"; filename="a.wav"`.
    static func parameter(_ key: String, of header: String) -> String? {
        for item in header.split(separator: ";").dropFirst() {
            let kv = item.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            var value = kv[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    /// Adds a form value; a repeated name (or one ending in `[]`) becomes an array.
    mutating func add(_ name: String, _ value: String) {
        let key = name.hasSuffix("[]") ? String(name.dropLast(2)) : name
        switch values[key] {
        case nil: values[key] = name.hasSuffix("[]") ? [value] as [Any] : value
        case let list as [Any]: values[key] = list + [value]
        case let one?: values[key] = [one, value] as [Any]
        }
    }

    // MARK: Typed access; a value of the wrong type is a 400 naming the field.

    func has(_ key: String) -> Bool { values[key] != nil && !(values[key] is NSNull) }

    func string(_ key: String) throws -> String? {
        switch values[key] {
        case nil, is NSNull: return nil
        case let s as String: return s
        default: throw ServerError.badRequest("\"\(key)\" must be a string")
        }
    }

    func requiredString(_ key: String) throws -> String {
        guard let s = try string(key), !s.isEmpty else { throw ServerError.badRequest("missing \"\(key)\"") }
        return s
    }

    func int(_ key: String) throws -> Int? {
        switch values[key] {
        case nil, is NSNull: return nil
        case let s as String:
            guard let i = Int(s.trimmingCharacters(in: .whitespaces)) else { throw ServerError.badRequest("\"\(key)\" must be an integer") }
            return i
        case let n as NSNumber where !n.isBoolean && n.doubleValue == n.doubleValue.rounded() && abs(n.doubleValue) < 1e15:
            return n.intValue
        default: throw ServerError.badRequest("\"\(key)\" must be an integer")
        }
    }

    func double(_ key: String) throws -> Double? {
        switch values[key] {
        case nil, is NSNull: return nil
        case let s as String:
            guard let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite else {
                throw ServerError.badRequest("\"\(key)\" must be a number")
            }
            return d
        case let n as NSNumber where !n.isBoolean && n.doubleValue.isFinite: return n.doubleValue
        default: throw ServerError.badRequest("\"\(key)\" must be a number")
        }
    }

    func bool(_ key: String) throws -> Bool? {
        switch values[key] {
        case nil, is NSNull: return nil
        case let b as Bool: return b
        case let s as String:
            switch s.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off", "": return false
            default: throw ServerError.badRequest("\"\(key)\" must be true or false")
            }
        case let n as NSNumber: return n.boolValue
        default: throw ServerError.badRequest("\"\(key)\" must be true or false")
        }
    }

    /// A string or an array of strings; `wasArray` tells which, so the answer has the same shape.
    func texts(_ key: String) throws -> (texts: [String], wasArray: Bool)? {
        switch values[key] {
        case nil, is NSNull: return nil
        case let s as String: return ([s], false)
        case let list as [Any]:
            return (try list.map { item in
                guard let s = item as? String else { throw ServerError.badRequest("\"\(key)\" must be a string or an array of strings") }
                return s
            }, true)
        default: throw ServerError.badRequest("\"\(key)\" must be a string or an array of strings")
        }
    }

    /// Strings of a repeated field (`timestamp_granularities[]`), or of a JSON array.
    func strings(_ key: String) throws -> [String] {
        try texts(key)?.texts ?? []
    }

    /// `[1,2,3]` or `[[1,2],[3]]` (one or several sequences) or "1 2 3".
    func idSequences(_ key: String) throws -> (sequences: [[Int]], wasNested: Bool)? {
        func ids(_ list: [Any]) throws -> [Int] {
            try list.map { item in
                guard let n = item as? NSNumber, !n.isBoolean, n.doubleValue == n.doubleValue.rounded(), abs(n.doubleValue) < 1e9 else {
                    throw ServerError.badRequest("\"\(key)\" must hold integer token ids")
                }
                return n.intValue
            }
        }
        switch values[key] {
        case nil, is NSNull: return nil
        case let s as String:
            let parts = s.split(whereSeparator: { $0 == " " || $0 == "," })
            return ([try parts.map { p in
                guard let i = Int(p) else { throw ServerError.badRequest("\"\(key)\": '\(p)' is not a token id") }
                return i
            }], false)
        case let list as [Any]:
            if list.allSatisfy({ $0 is [Any] }) { return (try list.map { try ids($0 as! [Any]) }, true) }
            return ([try ids(list)], false)
        default: throw ServerError.badRequest("\"\(key)\" must be an array of token ids")
        }
    }
}

extension NSNumber {
    /// Whether JSON gave `true`/`false` (on Linux `0 is Bool` holds for any NSNumber; the
    /// type code tells them apart).
    var isBoolean: Bool { objCType.pointee == CChar(UInt8(ascii: "c")) }
}
