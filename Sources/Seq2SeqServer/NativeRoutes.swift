// The native API: every option of the command line's `translate`, `generate` and `score`, as
// JSON; `"stream": true` sends tokens as server-sent events while they are chosen; and
// `POST /v1/attention`, the attention maps the explorer page draws.
import Foundation
import Hummingbird
import Seq2Seq

extension Seq2SeqServer {
    func addNativeRoutes(_ router: Router<BasicRequestContext>) {
        router.post("/v1/translate") { request, _ in try await self.nativeTranslate(request) }
        router.post("/v1/generate") { request, _ in try await self.generate(request) }
        router.post("/v1/score") { request, _ in try await self.score(request) }
        router.post("/v1/attention") { request, _ in try await self.attention(request) }
    }

    /// `{"model","text","source_lang","target_lang","beam_size"}` for a text model, or a
    /// multipart upload (`model`, `file`: a WAV) or `{"model","audio_base64"}` for a speech
    /// model → `AttentionMaps.json`: `source_tokens`, `target_tokens`, `encoder_self`
    /// [L][H][S][S], `decoder_self` [L][H][T][T], `cross` [L][H][T][S] (speech: with the words' times).
    func attention(_ request: Request) async throws -> Response {
        var fields = try await fields(request)
        let served = try model(try fields.requiredString("model"))
        let timeout = options.requestTimeout
        if let transcriber = served.transcriber {
            if fields.files["file"] == nil, let encoded = try fields.string("audio_base64") {
                guard let bytes = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
                    throw ServerError.badRequest("\"audio_base64\" is not base64")
                }
                fields.files["file"] = (filename: Optional("audio_base64"), bytes: [UInt8](bytes))
            }
            let audio = try samples(fields)
            let maps = try await served.solo(timeout: timeout) { try transcriber.attention(samples: audio) }
            return jsonBytesResponse(maps.json(model: served.name))
        }
        guard let text = try fields.string("text"), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ServerError.badRequest("missing \"text\" (one sentence)")
        }
        try checkLengths([text])
        var settings = TranslateRequest()
        settings.beamSize = try positive(fields, "beam_size")
        settings.sourceLanguage = try fields.string("source_lang")
        settings.targetLanguage = try fields.string("target_lang")
        let translator = served.translator!
        let translation = settings.options(for: translator, batchSize: 1)
        let maps = try await served.solo(timeout: timeout) { try translator.attention(text, options: translation) }
        return jsonBytesResponse(maps.json(model: served.name))
    }

    /// `{"model","text": "…"|[…], "source_lang","target_lang","beam_size","max_length",
    /// "summarize","shortlist","stream"}` → `{"model","translations":[{"text","ids","score"}]}`.
    func nativeTranslate(_ request: Request) async throws -> Response {
        let fields = try await fields(request)
        let served = try textModel(try fields.requiredString("model"))
        guard let (texts, _) = try fields.texts("text") else { throw ServerError.badRequest("missing \"text\"") }
        try checkLengths(texts)
        var options = TranslateRequest()
        options.beamSize = try positive(fields, "beam_size")
        options.maxLength = try positive(fields, "max_length")
        options.sourceLanguage = try fields.string("source_lang")
        options.targetLanguage = try fields.string("target_lang")
        options.summarize = try fields.bool("summarize") ?? false
        options.shortlist = try fields.bool("shortlist") ?? true
        if try fields.bool("stream") == true {
            guard texts.count == 1 else { throw ServerError.badRequest("\"stream\": true takes one text") }
            return try stream(served) { onToken in
                var translation = options.options(for: served.translator!, batchSize: 1)
                translation.onToken = { _, token in onToken(token) }
                let result = try served.translator!.run(texts, options: translation)[0]
                return (result.text, result.ids, result.score)
            }
        }
        let results = try await translate(texts, with: served, request: options)
        return jsonResponse(JSONObject(["model": served.name, "translations": results.map { r in
            JSONObject(["text": r.text, "ids": r.ids, "score": r.score])
        }]))
    }

    /// `{"model", "text"|"input_ids", "decoder_prefix_ids", "num_beams", "num_return_sequences",
    /// "length_penalty", "early_stopping", "max_new_tokens", "min_new_tokens",
    /// "no_repeat_ngram_size", "repetition_penalty", "do_sample", "temperature", "top_k",
    /// "top_p", "seed", "stream"}` → `{"model","results":[{"sequences":[{"ids","text","score"}]}]}`.
    func generate(_ request: Request) async throws -> Response {
        let fields = try await fields(request)
        let served = try textModel(try fields.requiredString("model"))
        guard let model = served.translator?.model else {
            throw ServerError.badRequest("model \"\(served.name)\" is a Firefox Translations model: use /v1/translate (it has no token-level API)")
        }
        var config = model.generationDefaults
        if let v = try positive(fields, "num_beams") { config.numBeams = v }
        if let v = try positive(fields, "num_return_sequences") { config.numReturnSequences = v }
        if let v = try fields.double("length_penalty") { config.lengthPenalty = Float(v) }
        if let v = try fields.bool("early_stopping") { config.earlyStopping = v ? .always : .heuristic }
        if let v = try positive(fields, "max_new_tokens") { config.maxNewTokens = v }
        if let v = try fields.int("min_new_tokens") { config.minNewTokens = v }
        if let v = try fields.int("no_repeat_ngram_size") { config.noRepeatNgramSize = v }
        if let v = try fields.double("repetition_penalty") { config.repetitionPenalty = Float(v) }
        if let v = try fields.bool("do_sample") { config.doSample = v }
        if let v = try fields.double("temperature") { config.temperature = Float(v) }
        if let v = try fields.int("top_k") { config.topK = v }
        if let v = try fields.double("top_p") { config.topP = Float(v) }
        if let v = try fields.int("seed") { config.seed = UInt64(truncatingIfNeeded: v) }
        let prefix = try fields.idSequences("decoder_prefix_ids")?.sequences.first ?? []
        let sources: [[Int]]
        if let ids = try fields.idSequences("input_ids") {
            sources = ids.sequences
        } else if let (texts, _) = try fields.texts("text") {
            try checkLengths(texts)
            guard let tokenizer = model.tokenizer else { throw ServerError.badRequest("model \"\(served.name)\" has no tokenizer: send \"input_ids\"") }
            sources = try texts.map { try tokenizer.encodeSource($0) }
        } else {
            throw ServerError.badRequest("missing \"text\" or \"input_ids\"")
        }
        guard sources.count <= options.maxInputsPerRequest else {
            throw ServerError.badRequest("\(sources.count) inputs in one request; at most \(options.maxInputsPerRequest) (--max-inputs)")
        }
        try checkIds(sources, vocabulary: model.network.sourceVocabularySize, what: "input_ids")
        try checkIds([prefix], vocabulary: model.network.targetVocabularySize, what: "decoder_prefix_ids")
        if sources.contains(where: \.isEmpty) { throw ServerError.badRequest("input_ids: an empty sequence") }
        let tokenizer = model.tokenizer?.target
        if try fields.bool("stream") == true {
            guard sources.count == 1 else { throw ServerError.badRequest("\"stream\": true takes one input") }
            let options = config
            return try stream(served) { onToken in
                let best = try model.generate(sources: sources, options: options, decoderPrefix: prefix, batchSize: 1,
                                              onToken: { _, token in onToken(token) })[0][0]
                return (tokenizer?.decode(best.ids, skipSpecialTokens: true) ?? "", best.ids, best.score)
            }
        }
        let job = ModelJob(key: BatchKey(parts: ["generate", AnyHashable(GenerateRequest(config: config, prefix: prefix))]),
                           inputs: sources, tokens: sources.reduce(0) { $0 + $1.count })
        let results = try await served.worker.submit(job, timeout: options.requestTimeout).map { $0 as! [Hypothesis] }
        return jsonResponse(JSONObject(["model": served.name, "results": results.map { hypotheses in
            JSONObject(["sequences": hypotheses.map { h in
                JSONObject(["ids": h.ids, "text": tokenizer?.decode(h.ids, skipSpecialTokens: true), "score": h.score])
            }])
        }]))
    }

    /// `{"model", "source"|"source_ids", "target"|"target_ids"}` →
    /// `{"token_log_probs","log_prob","ids"}`, as `seq2seq score --json` prints it.
    func score(_ request: Request) async throws -> Response {
        let fields = try await fields(request)
        let served = try textModel(try fields.requiredString("model"))
        guard let model = served.translator?.model else {
            throw ServerError.badRequest("model \"\(served.name)\" is a Firefox Translations model: it has no scoring API")
        }
        let tokenizer = { () throws -> ModelTokenizer in
            guard let t = model.tokenizer else { throw ServerError.badRequest("model \"\(served.name)\" has no tokenizer: send source_ids and target_ids") }
            return t
        }
        let source: [Int], target: [Int]
        if let ids = try fields.idSequences("source_ids")?.sequences.first { source = ids } else {
            let text = try fields.requiredString("source")
            try checkLengths([text])
            source = try tokenizer().encodeSource(text)
        }
        if let ids = try fields.idSequences("target_ids")?.sequences.first { target = ids } else {
            let text = try fields.requiredString("target")
            try checkLengths([text])
            target = try tokenizer().target.encode(text, addSpecialTokens: true)
        }
        try checkIds([source], vocabulary: model.network.sourceVocabularySize, what: "source")
        try checkIds([target], vocabulary: model.network.targetVocabularySize, what: "target")
        let scores = try await served.solo(timeout: options.requestTimeout) { try model.score(source: source, target: target) }
        return jsonResponse(JSONObject(["token_log_probs": scores.tokenLogProbs, "log_prob": scores.logProb, "ids": scores.ids]))
    }

    // MARK: Helpers

    /// An optional field that must be at least 1.
    private func positive(_ fields: RequestFields, _ key: String) throws -> Int? {
        guard let v = try fields.int(key) else { return nil }
        guard v >= 1 else { throw ServerError.badRequest("\"\(key)\" must be at least 1") }
        return v
    }

    /// 400 naming `what` when an id is outside the vocabulary.
    private func checkIds(_ rows: [[Int]], vocabulary: Int, what: String) throws {
        for row in rows {
            if let bad = row.first(where: { $0 < 0 || $0 >= vocabulary }) {
                throw ServerError.badRequest("\(what): id \(bad) is outside the model's vocabulary of \(vocabulary) tokens")
            }
        }
    }

    /// Server-sent events for one input decoded alone on the model's thread: a
    /// `{"token","text"}` event per chosen token (`text` the new characters), then
    /// `{"text","ids","score","finish_reason":"stop"}` and `[DONE]`. An error after the
    /// stream has started arrives as an `{"error"}` event.
    private func stream(_ served: ServedModel,
                        _ work: @escaping (_ onToken: @escaping @Sendable (Int) -> Void) throws -> (String, [Int], Float?)) throws -> Response {
        let (events, sink) = AsyncStream.makeStream(of: String.self)
        let tokenizer = served.translator?.tokenizer.target
        let timeout = options.requestTimeout
        Task {
            do {
                let state = StreamState()
                let result = try await served.solo(timeout: timeout) {
                    try work { token in
                        let delta = state.add(token, tokenizer: tokenizer)
                        sink.yield(Self.event(JSONObject(["token": token, "text": delta])))
                    }
                }
                sink.yield(Self.event(JSONObject(["text": result.0, "ids": result.1, "score": result.2, "finish_reason": "stop"])))
                sink.yield("data: [DONE]\n\n")
            } catch {
                sink.yield(Self.event(JSONObject(["error": ServerError.from(error).description])))
            }
            sink.finish()
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                        body: ResponseBody { writer in
                            for await event in events { try await writer.write(ByteBuffer(string: event)) }
                            try await writer.finish(nil)
                        })
    }

    private static func event(_ object: JSONObject) -> String { "data: " + String(decoding: object.utf8, as: UTF8.self) + "\n\n" }
}

/// The ids streamed so far and the text they decode to, to send only new characters.
private final class StreamState: @unchecked Sendable {
    private var ids: [Int] = []
    private var text = ""

    /// Adds `token`; returns the characters its decoding adds (empty while a character is incomplete).
    func add(_ token: Int, tokenizer: Tokenizer?) -> String {
        ids.append(token)
        guard let tokenizer else { return "" }
        let now = tokenizer.decode(ids, skipSpecialTokens: true)
        guard now.hasPrefix(text), !now.hasSuffix("\u{FFFD}") else { return "" }
        let delta = String(now.dropFirst(text.count))
        text = now
        return delta
    }
}
