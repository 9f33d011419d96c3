import Seq2SeqTokenizers
import XCTest

final class TokenizerErrorTests: XCTestCase {
    func testErrorNamesTheFileInOneLine() {
        let e = TokenizerError("tok/tokenizer.json", "unknown pre-tokenizer type \"Foo\"")
        XCTAssertEqual(e.description, "tok/tokenizer.json: unknown pre-tokenizer type \"Foo\"")
    }
}
