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

    func libreTranslate(_ request: Request) async throws -> Response {
        let fields = try await fields(request)
        guard let (texts, wasArray) = try fields.texts("q") else { throw ServerError.badRequest("missing \"q\" (the text to translate)") }
        let source = try fields.string("source") ?? "auto"
        let target = try fields.requiredString("target")
        let format = try fields.string("format") ?? "text"
        guard format == "text" else { throw ServerError.badRequest("format \"\(format)\" is not supported; send \"text\"") }
        if let n = try fields.int("alternatives"), n > 0 { throw ServerError.badRequest("alternatives are not supported; send 0") }
        try checkLengths(texts)
        let (served, options, detected) = try route(source: source, target: target)
        let results = try await translate(texts, with: served, request: options)
        let detection = detected.map { JSONObject(["confidence": 100.0, "language": $0]) }
        if wasArray {
            return jsonResponse(JSONObject(["translatedText": results.map(\.text),
                                            "detectedLanguage": detection.map { d in texts.map { _ in d } }]))
        }
        return jsonResponse(JSONObject(["translatedText": results.first?.text ?? "", "detectedLanguage": detection]))
    }
}
