// LibreTranslate's `format: "html"`: an HTML fragment cut into its markup and the text between
// it, so that only the text is translated and the markup comes back unchanged (as
// LibreTranslate's translatehtml does with the parsed tree's text nodes). Tags, comments and
// declarations are kept verbatim; the contents of `script`, `style`, `code` and `pre` elements
// and of elements marked `translate="no"` or `class="notranslate"` are not translated. Text
// is unescaped (the common named entities and numeric references) before translation and
// escaped again after.
import Foundation

/// An HTML fragment as markup and translatable text.
struct HTMLText {
    private enum Part {
        case markup(String)
        /// Text to translate (unescaped), with the white space around it kept.
        case text(leading: String, body: String, trailing: String)
    }

    private var parts: [Part] = []

    /// Elements whose contents are never translated.
    private static let untranslated: Set<String> = ["script", "style", "code", "pre", "textarea"]

    /// The texts to translate, in document order.
    var texts: [String] {
        parts.compactMap { if case .text(_, let body, _) = $0 { return body } else { return nil } }
    }

    init(_ html: String) {
        let s = Array(html.unicodeScalars)
        var i = 0, text = ""
        // The element being skipped (its name) and how deep in nested elements of that name.
        var skipping: (name: String, depth: Int)?
        func flushText() {
            guard !text.isEmpty else { return }
            if skipping != nil { parts.append(.markup(text)) } else { appendText(text) }
            text = ""
        }
        while i < s.count {
            guard s[i] == "<", i + 1 < s.count, s[i + 1] == "/" || s[i + 1] == "!" || s[i + 1] == "?" || s[i + 1].properties.isAlphabetic else {
                text.unicodeScalars.append(s[i])
                i += 1
                continue
            }
            flushText()
            let end: Int
            if s[i + 1] == "!", i + 3 < s.count, s[i + 2] == "-", s[i + 3] == "-" {
                end = Self.find(["-", "-", ">"], in: s, from: i + 4).map { $0 + 3 } ?? s.count
            } else {
                end = Self.tagEnd(s, from: i + 1)
            }
            let tag = String(String.UnicodeScalarView(s[i..<end]))
            parts.append(.markup(tag))
            i = end
            guard let (name, closing, selfClosing) = Self.tagName(tag) else { continue }
            if var skip = skipping {
                if name == skip.name { skip.depth += closing ? -1 : (selfClosing ? 0 : 1) }
                skipping = skip.depth > 0 ? skip : nil
            } else if !closing && !selfClosing && (Self.untranslated.contains(name) || Self.marksNoTranslation(tag)) {
                if Self.untranslated.contains(name) && (name == "script" || name == "style") {
                    // Raw text: everything up to the closing tag, whatever it looks like.
                    let close = Self.find(Array("</\(name)".unicodeScalars), in: s, from: i, caseInsensitive: true) ?? s.count
                    if close > i { parts.append(.markup(String(String.UnicodeScalarView(s[i..<close])))) }
                    i = close
                } else {
                    skipping = (name, 1)
                }
            }
        }
        flushText()
    }

    /// The fragment with each text replaced by `translations` (in `texts` order), escaped.
    func rebuilt(with translations: [String]) -> String {
        var out = "", k = 0
        for part in parts {
            switch part {
            case .markup(let markup): out += markup
            case .text(let leading, _, let trailing):
                out += leading + Self.escape(k < translations.count ? translations[k] : "") + trailing
                k += 1
            }
        }
        return out
    }

    private mutating func appendText(_ raw: String) {
        let leading = String(raw.prefix { $0.isWhitespace })
        let rest = raw.dropFirst(leading.count)
        let trailing = String(rest.reversed().prefix { $0.isWhitespace }.reversed())
        let body = Self.unescape(String(rest.dropLast(trailing.count)))
        if body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            parts.append(.markup(raw))
        } else {
            parts.append(.text(leading: leading, body: body, trailing: trailing))
        }
    }

    /// The index just past the `>` ending the tag that starts before `from` (quotes respected).
    private static func tagEnd(_ s: [Unicode.Scalar], from start: Int) -> Int {
        var quote: Unicode.Scalar?
        var i = start
        while i < s.count {
            let c = s[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == ">" {
                return i + 1
            }
            i += 1
        }
        return s.count
    }

    /// The first index of `needle` in `s` at or after `from`.
    private static func find(_ needle: [Unicode.Scalar], in s: [Unicode.Scalar], from: Int, caseInsensitive: Bool = false) -> Int? {
        guard needle.count <= s.count else { return nil }
        let fold = { (c: Unicode.Scalar) in caseInsensitive ? Unicode.Scalar(String(c).lowercased()) ?? c : c }
        var i = from
        while i + needle.count <= s.count {
            if (0..<needle.count).allSatisfy({ fold(s[i + $0]) == fold(needle[$0]) }) { return i }
            i += 1
        }
        return nil
    }

    /// The lowercased element name of a tag, whether it closes (`</p>`) or closes itself (`<br/>`);
    /// nil for comments and declarations.
    private static func tagName(_ tag: String) -> (String, closing: Bool, selfClosing: Bool)? {
        var body = tag.dropFirst()
        let closing = body.first == "/"
        if closing { body = body.dropFirst() }
        let name = body.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == ":" }.lowercased()
        guard !name.isEmpty else { return nil }
        return (name, closing, tag.hasSuffix("/>") || voidElements.contains(name))
    }

    /// Elements that have no closing tag.
    private static let voidElements: Set<String> = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                                                    "source", "track", "wbr"]

    /// Whether an opening tag says its contents are not to be translated.
    private static func marksNoTranslation(_ tag: String) -> Bool {
        let lower = tag.lowercased().replacingOccurrences(of: "'", with: "\"")
        if lower.contains("translate=\"no\"") { return true }
        guard let range = lower.range(of: "class=\"") else { return false }
        return lower[range.upperBound...].prefix { $0 != "\"" }.split(separator: " ").contains("notranslate")
    }

    private static let entities: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}"]

    /// `text` with character references replaced by their characters (unknown ones kept).
    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = "", rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semicolon = after.prefix(12).firstIndex(of: ";") {
                let name = after[..<semicolon]
                var value: String?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    value = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
                } else if name.hasPrefix("#") {
                    value = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String($0) }
                } else {
                    value = entities[String(name)]
                }
                if let value {
                    out += value
                    rest = after[after.index(after: semicolon)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        return out + rest
    }

    /// `text` with `&`, `<` and `>` escaped (and no-break spaces as `&nbsp;`).
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\u{A0}": out += "&nbsp;"
            default: out.append(c)
            }
        }
        return out
    }
}
