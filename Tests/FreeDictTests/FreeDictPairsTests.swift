// FreeDict German→English extraction: the cleaning rules on single lines, the synthetic
// fixture end to end, the seeded split, and — when Debian's dict-freedict-deu-eng is
// installed — the real dictionary.
import Foundation
import FreeDict
import Seq2SeqTraining
import XCTest

final class FreeDictPairsTests: XCTestCase {
    func testSentenceRule() {
        for sentence in ["Das Auto kam ins Schleudern.", "Ach komm!", "Ah ja?", "… aber dalli!", "2008 war kein gutes Jahr.",
                         "„Villa“ war nicht ganz richtig.", "Er sagte: „Komm her!“", "red' keinen Unsinn!"] {
            XCTAssertTrue(FreeDictExtractor.isSentence(sentence), sentence)
        }
        for phrase in ["abgesehen von etw.", "Abkömmling von jdm.", "neben jdn./etw.", "Kurzauftritt in einem Film o. ä.",
                       "angenommen werden als ...", "analog zu etw.", "Haus", "Spucken!", "jdn. in die Enge treiben",
                       "Wenn es Ihnen keine Umstände macht …"] {
            XCTAssertFalse(FreeDictExtractor.isSentence(phrase), phrase)
        }
        XCTAssertTrue(FreeDictExtractor.isSentence("jdn. in die Enge treiben", minimumPhraseWords: 3))
        XCTAssertFalse(FreeDictExtractor.isSentence("in Scharen", minimumPhraseWords: 3))
    }

    func testEnglishCleaning() {
        let sentence: [(String, String)] = [
            ("Get out!, Get out of here!, Get out of town! [Am.]", "Get out!"),
            (" [Schw.]  [jur.] This shall be without prejudice to Article 5.", "This shall be without prejudice to Article 5."),
            ("When the teacher was done with that, she looked out into the class. [Br.]",
             "When the teacher was done with that, she looked out into the class."),
            ("Keep cool., Keep in a cool place.", "Keep cool."),
            ("Oh yes! <int>, Oh right! <int>", "Oh yes!"),
            ("Age, sex, location?a/s/l?,  /ˈɑː ˈɛs ˈɛl/", "Age, sex, location?"),
            ("Errors and omissions excepted/excluded.E&OE", "Errors and omissions excepted/excluded."),
            ("In 776 B.C.", "In 776 B.C."),
            ("There is no parking between 9 a.m. and 6 p.m.", "There is no parking between 9 a.m. and 6 p.m."),
            ("…, more than I care to mention.", "…, more than I care to mention."),
            ("We assure you of our continued assistance:, Assuring you of our continued support.",
             "We assure you of our continued assistance:"),
            ("Stay in the house (alone); Stay home.", "Stay in the house (alone)"),
        ]
        for (line, expected) in sentence {
            XCTAssertEqual(FreeDictExtractor.englishAlternatives(line, sentence: true).first, expected, line)
        }
        XCTAssertEqual(FreeDictExtractor.englishAlternatives("randomize <v>, randomise data <v>", sentence: false),
                       ["randomize", "randomise data"])
        XCTAssertEqual(FreeDictExtractor.englishAlternatives(" [comp.] smiley <n>, smily <n>:-)", sentence: false), ["smiley", "smily"])
        XCTAssertEqual(FreeDictExtractor.englishAlternatives(" [jur.] section <n>s.,  /ˈɛs/", sentence: false), ["section"])
        XCTAssertEqual(FreeDictExtractor.englishAlternatives("the aesthetic [Br.] , esthetic of sth.", sentence: false),
                       ["the aesthetic", "esthetic of sth."])
        XCTAssertEqual(FreeDictExtractor.englishAlternatives("clear (of doubt, suspicion) <adj>; free", sentence: false),
                       ["clear (of doubt, suspicion)", "free"])
        XCTAssertEqual(FreeDictExtractor.englishAlternatives("1. first sense, second", sentence: false), ["first sense", "second"])
        XCTAssertEqual(FreeDictExtractor.englishAlternatives(" [Br.] <n>", sentence: false), [])
    }

    func testEntryParsing() throws {
        let entry = try XCTUnwrap(FreeDictEntry(text: "Daten verteilen / zuordnen /dˈɑːtən tsˈuːɔɾdnən/ <v>\n"
            + "randomize <v>\n      \"Daten neu verteilen.\"  - Redistribute data.\n   Synonym: {x}\n"))
        XCTAssertEqual(entry.headword, "Daten verteilen / zuordnen")
        XCTAssertEqual(entry.translation, "randomize <v>")
        XCTAssertEqual(entry.examples, [TextPair(source: "Daten neu verteilen.", target: "Redistribute data.")])
        XCTAssertEqual(FreeDictEntry(text: "Smiley /(en)smˈaɪli(de)/ (:-)) <masc, n, sg>\nsmiley\n")?.headword, "Smiley")
        XCTAssertEqual(FreeDictEntry(text: "… aber das will nicht viel heißen. / aber das muss nichts heißen /ˌɑːbɜ das/\nx\n")?.headword,
                       "… aber das will nicht viel heißen. / aber das muss nichts heißen")
        XCTAssertEqual(FreeDictEntry(text: "Haus <n>\nhouse\n")?.headword, "Haus")
        XCTAssertEqual(FreeDictEntry(text: "Brautschau /b/\n\n   \"auf Brautschau gehen\"  - go looking for a wife\n")?.translation, "")
        XCTAssertNil(FreeDictEntry(text: "\nhouse\n"))
    }

    func testFixtureExtraction() throws {
        let dictionary = try DictdDictionary(path: dictdFixture)
        let pairs = FreeDictExtractor.extract(from: dictionary)
        XCTAssertEqual(pairs.sentences, [
            TextPair(source: "Das Auto ist so gut wie nichts wert.", target: "The car is worth diddly-squat."),
            TextPair(source: "Ach komm!", target: "Get out!"),
            TextPair(source: "Auf Regen folgt Sonnenschein.", target: "Every cloud has a silver lining."),
            TextPair(source: "Danke im Voraus!", target: "Thanks in advance!"),
            TextPair(source: "Wir versichern Ihnen unsere weitere Unterstützung.", target: "We assure you of our continued assistance:"),
        ])
        XCTAssertEqual(pairs.words, [
            TextPair(source: "Haus", target: "house"), TextPair(source: "abgesehen von etw.", target: "except sth."),
            TextPair(source: "Dollar-Zeichen", target: "dollar sign"), TextPair(source: "Daten verteilen / zuordnen", target: "randomize"),
        ])
        XCTAssertEqual([pairs.entryCount, pairs.sentenceEntryCount, pairs.untranslatedCount, pairs.duplicateSentenceCount,
                        pairs.examplePairCount, pairs.invalidEntryCount], [11, 6, 1, 1, 0, 0])

        let withExamples = FreeDictExtractor.extract(from: dictionary, options: FreeDictExtractionOptions(includeExamples: true))
        XCTAssertEqual(withExamples.sentences.first, TextPair(source: "Ich komm nicht viel aus dem Haus.",
                                                              target: "I don't get out of the house much."))
        XCTAssertEqual(withExamples.sentences.count, 6)
        XCTAssertEqual(withExamples.examplePairCount, 1)
        let phrases = FreeDictExtractor.extract(from: dictionary, options: FreeDictExtractionOptions(minimumPhraseWords: 3))
        XCTAssertEqual(phrases.sentences.count, 7)   // + "abgesehen von etw.", "Daten verteilen / zuordnen"
    }

    func testHeldOutSplitIsSeededAndDisjoint() {
        let pairs = (0 ..< 100).map { TextPair(source: "s\($0)", target: "t\($0)") }
        let split = HeldOutSplit(pairs: pairs, testCount: 10, validCount: 15, seed: 1)
        XCTAssertEqual([split.train.count, split.valid.count, split.test.count], [75, 15, 10])
        XCTAssertEqual(Set(split.train + split.valid + split.test), Set(pairs))
        XCTAssertEqual(split.test, split.test.sorted { Int($0.source.dropFirst())! < Int($1.source.dropFirst())! })
        let again = HeldOutSplit(pairs: pairs, testCount: 10, validCount: 15, seed: 1)
        XCTAssertEqual([again.train, again.valid, again.test], [split.train, split.valid, split.test])
        XCTAssertNotEqual(HeldOutSplit(pairs: pairs, testCount: 10, validCount: 15, seed: 2).test, split.test)
        let small = HeldOutSplit(pairs: Array(pairs.prefix(12)), testCount: 10, validCount: 15, seed: 1)
        XCTAssertEqual([small.train.count, small.valid.count, small.test.count], [0, 2, 10])
    }

    func testRealFreeDictGermanEnglish() throws {
        let path = "/usr/share/dictd/freedict-deu-eng"
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path + ".index"),
                          "dict-freedict-deu-eng is not installed (scripts/fetch_freedict.sh installs it)")
        let pairs = FreeDictExtractor.extract(from: try DictdDictionary(path: path))
        XCTAssertGreaterThanOrEqual(pairs.sentences.count, 8000)
        XCTAssertGreaterThanOrEqual(pairs.words.count, 100_000)
        for pair in pairs.sentences + pairs.words {
            XCTAssertFalse(pair.source.isEmpty || pair.target.isEmpty, "\(pair)")
            XCTAssertFalse((pair.source + pair.target).contains { $0 == "\t" || $0.isNewline }, "\(pair)")
        }
        XCTAssertEqual(Set(pairs.sentences.map(\.source)).count, pairs.sentences.count)
        XCTAssertTrue(pairs.sentences.contains(TextPair(source: "Das Auto ist so gut wie nichts wert.", target: "The car is worth diddly-squat.")))
        let split = HeldOutSplit(pairs: pairs.sentences, testCount: 500, validCount: 500, seed: 1)
        XCTAssertEqual([split.valid.count, split.test.count], [500, 500])
        XCTAssertTrue(Set(split.test.map(\.source)).isDisjoint(with: split.train.map(\.source)))
    }
}
