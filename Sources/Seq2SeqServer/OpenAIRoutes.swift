// OpenAI's audio API, as the `openai` package's client sends it: multipart forms to
// `POST /v1/audio/transcriptions` and `/v1/audio/translations` (`file`, `model`, `language`,
// `prompt`, `temperature`, `response_format` json|text|srt|vtt|verbose_json,
// `timestamp_granularities[]` word|segment), and `GET /v1/models`.
import Foundation
import Hummingbird
import Seq2Seq
import Seq2SeqAudio

extension Seq2SeqServer {
    func addOpenAIRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/v1/models") { request, _ in
            try self.authorize(request)
            return jsonResponse(JSONObject(["object": "list", "data": self.modelNames.map { name in
                JSONObject(["id": name, "object": "model", "created": 0, "owned_by": "seq2seq", "task": self.models[name]!.task.rawValue])
            }]))
        }
        router.post("/v1/audio/transcriptions") { request, _ in try await self.audio(request, task: .transcribe) }
        router.post("/v1/audio/translations") { request, _ in try await self.audio(request, task: .translate) }
    }

    /// The speech model a request names; OpenAI's own name (`whisper-1`) or none picks the
    /// server's only speech model.
    func speechModel(_ name: String?) throws -> ServedModel {
        if let name, let served = models[name] {
            guard served.transcriber != nil else { throw ServerError.badRequest("model \"\(name)\" is a text model; use /translate or /v1/translate") }
            return served
        }
        let speech = modelNames.filter { models[$0]!.transcriber != nil }
        if speech.count == 1 && (name == nil || name == "whisper-1") { return models[speech[0]]! }
        if let name { return try model(name) }  // 404 naming the models
        throw ServerError.badRequest("missing \"model\" (this server's speech models: \(speech.joined(separator: ", ")))")
    }

    /// 16 kHz mono samples of an uploaded audio file (WAV, FLAC, Ogg, Opus, MP3); 400 naming the
    /// upload when it cannot be decoded.
    func samples(_ fields: RequestFields) throws -> [Float] {
        guard let file = fields.files["file"] else { throw ServerError.badRequest("missing \"file\" (the audio, as a multipart upload)") }
        let name = file.filename ?? "file"
        do {
            let (samples, rate) = try AudioDecoder.decode(data: Data(file.bytes), path: name)
            return Resampler(from: rate, to: WhisperFeatureExtractor.sampleRate).resample(samples)
        } catch let error as AudioFileError {
            throw ServerError.badRequest(error.description)
        }
    }

    func audio(_ request: Request, task: WhisperTask) async throws -> Response {
        let fields = try await fields(request)
        let served = try speechModel(try fields.string("model"))
        let format = try fields.string("response_format") ?? "json"
        guard ["json", "text", "srt", "vtt", "verbose_json"].contains(format) else {
            throw ServerError.badRequest("response_format must be json, text, srt, vtt or verbose_json")
        }
        let granularities = try fields.strings("timestamp_granularities")
        if let bad = granularities.first(where: { $0 != "word" && $0 != "segment" }) {
            throw ServerError.badRequest("timestamp_granularities: \"\(bad)\" is not word or segment")
        }
        var options = TranscriptionOptions()
        options.task = task
        if task == .transcribe, let language = try fields.string("language"), !language.isEmpty { options.language = LanguageNames.iso(language) }
        if let prompt = try fields.string("prompt"), !prompt.isEmpty { options.initialPrompt = prompt }
        if let t = try fields.double("temperature") {
            guard t >= 0 && t <= 1 else { throw ServerError.badRequest("temperature must be between 0 and 1") }
            if t > 0 { options.temperatures = [Float(t)] }  // 0: the fallback ladder, as OpenAI's API does
        }
        options.wordTimestamps = granularities.contains("word")
        let audio = try samples(fields)
        // Concurrent requests with the same options are transcribed together (ServedModel.run).
        let job = ModelJob(key: BatchKey(parts: ["transcribe", AnyHashable(options)]), inputs: [audio], tokens: 0)
        let result = try await served.worker.submit(job, timeout: self.options.requestTimeout)[0] as! Transcription
        switch format {
        case "text": return textResponse(result.text.trimmingCharacters(in: .whitespaces) + "\n")
        case "srt": return textResponse(TranscriptFormat.srt.render(result), type: "application/x-subrip; charset=utf-8")
        case "vtt": return textResponse(TranscriptFormat.vtt.render(result), type: "text/vtt; charset=utf-8")
        case "verbose_json": return jsonResponse(verbose(result, task: task, segments: granularities.isEmpty || granularities.contains("segment")))
        default: return jsonResponse(JSONObject(["text": result.text.trimmingCharacters(in: .whitespaces)]))
        }
    }

    /// OpenAI's `verbose_json`: language by name, segments with faster-whisper's fields, and
    /// the words at the top level when asked for.
    private func verbose(_ t: Transcription, task: WhisperTask, segments: Bool) -> JSONObject {
        func rounded(_ x: Double, _ digits: Double = 1000) -> Double { (x * digits).rounded() / digits }
        var object = JSONObject(["task": task.rawValue, "language": LanguageNames.name(t.language).lowercased(),
                                 "duration": rounded(t.duration), "text": t.text.trimmingCharacters(in: .whitespaces)])
        if segments {
            object.append("segments", t.segments.map { s in
                JSONObject(["id": s.id, "seek": s.seek, "start": rounded(s.start), "end": rounded(s.end), "text": s.text,
                            "tokens": s.tokens, "temperature": Double(s.temperature), "avg_logprob": Double(s.averageLogProb),
                            "compression_ratio": Double(s.compressionRatio), "no_speech_prob": Double(s.noSpeechProb)])
            })
        }
        if let words = Optional(t.segments.flatMap { $0.words ?? [] }), t.segments.contains(where: { $0.words != nil }) {
            object.append("words", words.map { w in JSONObject(["word": w.word, "start": rounded(w.start), "end": rounded(w.end)]) })
        }
        return object
    }
}
