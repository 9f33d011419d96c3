// The sentence splitter used for single-sentence translation models, and its use by
// `Translator` on the real Firefox model when it is fetched.
import Foundation
import Seq2Seq
import XCTest

final class SentenceSplitterTests: XCTestCase {
    func testSplitsOnSentenceEndsOnly() {
        let s = SentenceSplitter()
        XCTAssertEqual(s.split("The children played. Their mother called! Was it late? “Yes,” she said."),
                       ["The children played.", "Their mother called!", "Was it late?", "“Yes,” she said."])
        XCTAssertEqual(s.split("Dr. Smith met Mr. J. Brown at 5 p.m. today."), ["Dr. Smith met Mr. J. Brown at 5 p.m. today."])
        XCTAssertEqual(s.split("Version 2.5 is out. It costs 3.50 EUR."), ["Version 2.5 is out.", "It costs 3.50 EUR."])
        XCTAssertEqual(s.split("no capital. after the dot"), ["no capital. after the dot"])
        XCTAssertEqual(s.split("Ele disse: \"Olá.\" Depois saiu..."), ["Ele disse: \"Olá.\"", "Depois saiu..."])
        XCTAssertEqual(s.split("  one sentence without end  "), ["one sentence without end"])
        XCTAssertEqual(s.split(""), [""])
    }

    func testParagraphIsTranslatedSentenceBySentence() throws {
        let folder = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models/firefox/enpt")
        guard MarianNativeModel.isMarianFolder(folder) else { throw XCTSkip("Firefox models not fetched: run scripts/fetch_firefox_models.sh") }
        let translator = try Translator(directory: folder)
        let sentences = ["The children were playing in the garden.", "Their mother called them for dinner."]
        let alone = try translator.run(sentences)
        let together = try translator.run([sentences.joined(separator: " ")])
        XCTAssertEqual(together[0].text, alone.map(\.text).joined(separator: " "))
        XCTAssertEqual(together[0].ids, alone.flatMap(\.ids))
    }
}
