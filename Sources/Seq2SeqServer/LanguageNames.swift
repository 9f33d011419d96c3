// Language codes as LibreTranslate and OpenAI's audio API name them: ISO 639-1 codes with
// English names; the models' own codes (mBART's `en_XX`, NLLB's `eng_Latn`, opus-mt's `>>por<<`
// ISO 639-3 codes, Whisper's `en`) are mapped onto them.

enum LanguageNames {
    /// (ISO 639-1, ISO 639-3, English name).
    private static let table: [(String, String, String)] = [
        ("af", "afr", "Afrikaans"), ("am", "amh", "Amharic"), ("ar", "ara", "Arabic"), ("az", "aze", "Azerbaijani"),
        ("be", "bel", "Belarusian"), ("bg", "bul", "Bulgarian"), ("bn", "ben", "Bengali"), ("bs", "bos", "Bosnian"),
        ("ca", "cat", "Catalan"), ("cs", "ces", "Czech"), ("cy", "cym", "Welsh"), ("da", "dan", "Danish"),
        ("de", "deu", "German"), ("el", "ell", "Greek"), ("en", "eng", "English"), ("eo", "epo", "Esperanto"),
        ("es", "spa", "Spanish"), ("et", "est", "Estonian"), ("eu", "eus", "Basque"), ("fa", "fas", "Persian"),
        ("fi", "fin", "Finnish"), ("fr", "fra", "French"), ("ga", "gle", "Irish"), ("gl", "glg", "Galician"),
        ("gu", "guj", "Gujarati"), ("he", "heb", "Hebrew"), ("hi", "hin", "Hindi"), ("hr", "hrv", "Croatian"),
        ("hu", "hun", "Hungarian"), ("hy", "hye", "Armenian"), ("id", "ind", "Indonesian"), ("is", "isl", "Icelandic"),
        ("it", "ita", "Italian"), ("ja", "jpn", "Japanese"), ("ka", "kat", "Georgian"), ("kk", "kaz", "Kazakh"),
        ("km", "khm", "Khmer"), ("kn", "kan", "Kannada"), ("ko", "kor", "Korean"), ("lt", "lit", "Lithuanian"),
        ("lv", "lav", "Latvian"), ("mk", "mkd", "Macedonian"), ("ml", "mal", "Malayalam"), ("mn", "mon", "Mongolian"),
        ("mr", "mar", "Marathi"), ("ms", "msa", "Malay"), ("mt", "mlt", "Maltese"), ("my", "mya", "Burmese"),
        ("nb", "nob", "Norwegian Bokmål"), ("ne", "nep", "Nepali"), ("nl", "nld", "Dutch"), ("no", "nor", "Norwegian"),
        ("pa", "pan", "Punjabi"), ("pl", "pol", "Polish"), ("ps", "pus", "Pashto"), ("pt", "por", "Portuguese"),
        ("ro", "ron", "Romanian"), ("ru", "rus", "Russian"), ("si", "sin", "Sinhala"), ("sk", "slk", "Slovak"),
        ("sl", "slv", "Slovenian"), ("sq", "sqi", "Albanian"), ("sr", "srp", "Serbian"), ("sv", "swe", "Swedish"),
        ("sw", "swa", "Swahili"), ("ta", "tam", "Tamil"), ("te", "tel", "Telugu"), ("th", "tha", "Thai"),
        ("tl", "tgl", "Tagalog"), ("tr", "tur", "Turkish"), ("uk", "ukr", "Ukrainian"), ("ur", "urd", "Urdu"),
        ("uz", "uzb", "Uzbek"), ("vi", "vie", "Vietnamese"), ("xh", "xho", "Xhosa"), ("yi", "yid", "Yiddish"),
        ("zh", "zho", "Chinese"), ("zu", "zul", "Zulu"),
    ]
    private static let byCode: [String: (String, String)] = {
        var map: [String: (String, String)] = [:]
        for (two, three, name) in table {
            map[two] = (two, name)
            map[three] = (two, name)
        }
        return map
    }()

    /// The ISO 639-1 code of a model's code: `en_XX`, `eng_Latn`, `eng` and `en` all give `en`;
    /// an unknown code is returned lowercased as it is.
    static func iso(_ code: String) -> String {
        let base = code.split(whereSeparator: { $0 == "_" || $0 == "-" }).first.map { $0.lowercased() } ?? code.lowercased()
        return byCode[base]?.0 ?? base
    }

    /// The English name of a code ("Portuguese"), or the code itself.
    static func name(_ code: String) -> String { byCode[iso(code)]?.1 ?? code }
}
