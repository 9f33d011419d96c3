// Help of every command: each option says what it does, with one default at most
// (ArgumentParser appends "(default: …)" itself, so a help text that says "(default on)"
// too printed two).
import Foundation
import XCTest

final class HelpCLITests: XCTestCase {
    private let commands = ["generate", "score", "translate", "summarize", "tokenize", "inspect", "transcribe", "evaluate",
                            "train", "download", "convert"]

    /// The option entries of a help text without a description: ArgumentParser writes the
    /// description from column 26, on the option's line or on the next.
    private func undescribedOptions(_ help: String) -> [String] {
        let lines = help.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: "OPTIONS:") else { return ["no OPTIONS section"] }
        return (start + 1..<lines.count).compactMap { i in
            let line = lines[i]
            guard line.hasPrefix("  -") else { return nil }
            let sameLine = line.count > 26 && line.prefix(26).hasSuffix(" ") && !line.dropFirst(26).trimmingCharacters(in: .whitespaces).isEmpty
            let nextLine = i + 1 < lines.count && lines[i + 1].hasPrefix(String(repeating: " ", count: 26))
            return sameLine || nextLine ? nil : line
        }
    }

    func testEveryOptionOfEveryCommandIsDescribedWithOneDefaultAtMost() throws {
        for command in commands {
            let result = try runCLI([command, "--help"])
            XCTAssertEqual(result.status, 0, "\(command): \(result.stderr)")
            XCTAssertEqual(undescribedOptions(result.stdout), [], command)
            let unwrapped = result.stdout.replacingOccurrences(of: "\n                          ", with: " ")
            for line in unwrapped.components(separatedBy: "\n") where line.components(separatedBy: "(default").count > 2 {
                XCTFail("\(command): two defaults in '\(line)'")
            }
        }
    }

    /// Options with a fixed set of values list them in their help, and the parser refuses any
    /// other value as bad usage naming the option.
    func testChoiceOptionsListTheirValuesAndRefuseOthers() throws {
        let choices = [("transcribe", "--task", "transcribe, translate"), ("transcribe", "--format", "txt, json, srt, vtt, all"),
                       ("train", "--preset", "auto, tiny, small, base"), ("train", "--schedule", "inverse-sqrt, cosine"),
                       ("train", "--activation", "relu, gelu, swish, gelu_new"), ("train", "--tokenizer", "bpe, char"),
                       ("evaluate", "--metric", "bleu, chrf, chrf++, ter, wer"), ("convert", "--quantize", "float32, float16, bfloat16, int8"),
                       ("generate", "--compute-type", "float32, int8")]
        for (command, option, values) in choices {
            let help = try runCLI([command, "--help"]).stdout.replacingOccurrences(of: "\n                          ", with: " ")
            XCTAssertTrue(help.contains("values: \(values)"), "\(command) \(option): \(help)")
            let refused = try runCLI([command, option, "nonsense"])
            XCTAssertEqual(refused.status, 2, "\(command) \(option): \(refused.stderr)")
            XCTAssertTrue(refused.stderr.contains(option) && refused.stderr.contains("nonsense"), refused.stderr)
        }
    }
}
