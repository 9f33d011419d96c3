// The `seq2seq` command: parses, runs, and maps every failure to one line and an exit code
// (0 success, 1 runtime failure, 2 bad usage, 3 bad input data) as docs/cli.md says.
import ArgumentParser
import Foundation
import Seq2Seq

@main
struct Seq2SeqCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seq2seq",
        abstract: "Encoder-decoder Transformers: translate, summarize, transcribe, generate, score, evaluate and train.",
        version: Seq2SeqVersion.string,
        subcommands: [GenerateCommand.self, ScoreCommand.self, TranslateCommand.self, SummarizeCommand.self,
                      TokenizeCommand.self, InspectCommand.self, ConvertCommand.self, TranscribeCommand.self, EvaluateCommand.self, TrainCommand.self,
                      DownloadCommand.self, ServeCommand.self])

    static func main() {
        if let bad = firstArgumentNotUTF8() {
            fail("argument \(bad) is not valid UTF-8 (its bytes would be replaced silently)", code: 3)
        }
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                terminate(0)
            }
            FileHandle.standardError.write(Data("seq2seq: \(message(for: error))\n".utf8))
            terminate(2)
        }
        do {
            var runnable = command
            try runnable.run()
            terminate(0)
        } catch let failure as Failure {
            fail(failure.message, code: failure.code)
        } catch let error as CleanExit {
            _ = error
            terminate(0)
        } catch let error as ExitCode {
            terminate(error.rawValue)
        } catch {
            // `--help` and `help` come back as a command whose run throws the help request.
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                terminate(0)
            }
            let (message, code) = describe(error)
            fail(message, code: code)
        }
    }

    /// The position of the first argument whose bytes are not UTF-8: Swift's
    /// `CommandLine.arguments` repairs them into U+FFFD, which would change the input unseen.
    static func firstArgumentNotUTF8() -> Int? {
        (1..<Int(CommandLine.argc)).first { i in
            guard let raw = CommandLine.unsafeArgv[i] else { return false }
            let bytes = UnsafeRawBufferPointer(start: raw, count: strlen(raw))
            return String(validating: bytes, as: UTF8.self) == nil
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("seq2seq: \(message)\n".utf8))
        terminate(code)
    }
}

/// Ends the process with `code` (outside the command type, whose `exit` would shadow it).
private func terminate(_ code: Int32) -> Never { exit(code) }

/// A failure the commands raise themselves, with its exit code.
struct Failure: Error {
    let message: String
    let code: Int32
    static func usage(_ message: String) -> Failure { Failure(message: message, code: 2) }
    static func badInput(_ message: String) -> Failure { Failure(message: message, code: 3) }
}
