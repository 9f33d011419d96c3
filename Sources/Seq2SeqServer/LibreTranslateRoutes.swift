// LibreTranslate's API, as its clients send it: `POST /translate` with JSON or a URL-encoded
// form (`q` a text or an array of texts, `source` a code or "auto", `target`, `format`,
// `api_key`) answering `{"translatedText": …}` in the shape `q` had, and `GET /languages`.
// A model named `SRC-TGT` serves that pair; multilingual models (mBART, opus-mt's `>>xx<<`,
// T5's tasks) serve every pair of their codes.
import Foundation
import Hummingbird
import Seq2Seq

extension Seq2SeqServer {
    func addLibreTranslateRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/languages") { request, _ in
            try self.authorize(request)
            return jsonResponse(self.languages())
        }
        router.post("/translate") { request, _ in try await self.libreTranslate(request) }
    }

    /// `[{"code","name","targets":[…]}]`, sources in ISO order.
    func languages() -> [Any] {
        var targets: [String: Set<String>] = [:]
        for name in modelNames {
            for pair in models[name]!.pairs where pair.source != "auto" { targets[pair.source, default: []].insert(pair.target) }
        }
        return targets.keys.sorted().map { code in
            JSONObject(["code": code, "name": LanguageNames.name(code), "targets": targets[code]!.sorted()])
        }
    }

    /// The model for `source` → `target` (ISO codes; `source` may be "auto" when only one source
    /// language reaches `target`), the codes to pass it, and the source chosen for "auto".
    func route(source: String, target: String) throws -> (ServedModel, TranslateRequest, detected: String?) {
        let target = LanguageNames.iso(target)
        var source = source.lowercased()
        var detected: String?
        if source == "auto" {
            let sources = Set(modelNames.flatMap { name in models[name]!.pairs.filter { $0.target == target }.map(\.source) })
                .subtracting(["auto"])
            guard sources.count == 1, let only = sources.first else {
                throw ServerError.badRequest(sources.isEmpty
                    ? "no model translates into \"\(target)\" (GET /languages lists the pairs)"
                    : "source \"auto\": this server has no language detector and translates into \"\(target)\" from \(sources.sorted().joined(separator: ", ")); give source")
            }
            source = only
            detected = only
        } else {
            source = LanguageNames.iso(source)
        }
        for name in modelNames {
            guard let pair = models[name]!.pairs.first(where: { ($0.source == source || $0.source == "auto") && $0.target == target }) else { continue }
            return (models[name]!, TranslateRequest(sourceLanguage: pair.modelSource, targetLanguage: pair.modelTarget), detected)
        }
        throw ServerError.badRequest("no model translates \"\(source)\" into \"\(target)\" (GET /languages lists the pairs)")
    }

    /// The most alternatives a request may ask for (each widens the beam by one).
    static let maxAlternatives = 16

    func libreTranslate(_ request: Request) async throws -> Response {
        let fields = try await fields(request)
        guard let (texts, wasArray) = try fields.texts("q") else { throw ServerError.badRequest("missing \"q\" (the text to translate)") }
        let source = try fields.string("source") ?? "auto"
        let target = try fields.requiredString("target")
        let format = try fields.string("format") ?? "text"
        guard format == "text" || format == "html" else { throw ServerError.badRequest("format \"\(format)\" is not one of text, html") }
        let alternatives = try fields.int("alternatives") ?? 0
        guard (0...Self.maxAlternatives).contains(alternatives) else {
            throw ServerError.badRequest("alternatives must be 0...\(Self.maxAlternatives)")
        }
        try checkLengths(texts)
        var (served, options, detected) = try route(source: source, target: target)
        let translated: [String], others: [[String]]
        if format == "html" {
            // Every text node of every fragment in one batch; no alternatives (as LibreTranslate).
            let documents = texts.map(HTMLText.init)
            var results = try await translate(documents.flatMap(\.texts), with: served, request: options).map(\.text)[...]
            translated = documents.map { document in
                defer { results = results.dropFirst(document.texts.count) }
                return document.rebuilt(with: Array(results.prefix(document.texts.count)))
            }
            others = texts.map { _ in [] }
        } else {
            options.alternatives = alternatives
            let results = try await translate(texts, with: served, request: options)
            (translated, others) = (results.map(\.text), results.map(\.alternatives))
        }
        let detection = detected.map { JSONObject(["confidence": 100.0, "language": $0]) }
        var response: JSONObject
        if wasArray {
            response = JSONObject(["translatedText": translated, "detectedLanguage": detection.map { d in texts.map { _ in d } }])
            if alternatives > 0 { response.append("alternatives", others) }
        } else {
            response = JSONObject(["translatedText": translated.first ?? "", "detectedLanguage": detection])
            if alternatives > 0 { response.append("alternatives", others.first ?? []) }
        }
        return jsonResponse(response)
    }
}
