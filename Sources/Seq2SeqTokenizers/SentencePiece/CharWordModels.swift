// SentencePiece's two trivial segmenters: CHAR (one piece per character) and WORD (one
// piece per "▁"-started word). Modelled on github.com/google/sentencepiece src/char_model.cc,
// src/word_model.cc and SplitIntoWords in src/model_interface.cc; written anew here.

extension SentencePieceVocabulary {
    /// One piece per character (user-defined symbols whole).
    func charSegments(_ text: UnsafeBufferPointer<UInt8>) -> [Segment] {
        var segments: [Segment] = []
        var start = 0
        while start < text.count {
            let end = start + nextSymbol(text, start).length
            segments.append(Segment(start: start, end: end, id: id(of: text, start..<end)))
            start = end
        }
        return segments
    }

    /// One piece per word; a word starts at the text's start and at every "▁".
    func wordSegments(_ text: UnsafeBufferPointer<UInt8>) -> [Segment] {
        var segments: [Segment] = []
        var wordStart = 0
        var i = 0
        while i < text.count {
            let n = min(utf8Length(text[i]), text.count - i)
            let isSpace = n == 3 && text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81
            if isSpace, i > wordStart {
                segments.append(Segment(start: wordStart, end: i, id: id(of: text, wordStart..<i)))
                wordStart = i
            }
            i += n
        }
        if i > wordStart { segments.append(Segment(start: wordStart, end: i, id: id(of: text, wordStart..<i))) }
        return segments
    }
}
