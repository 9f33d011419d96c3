// Options and helpers shared by the subcommands.
import ArgumentParser
import Foundation
import Seq2Seq
import Seq2SeqTraining

/// `--model` and `--threads`, shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Model folder (Hugging Face, CTranslate2 (Whisper), Marian (Firefox Translations) or written by seq2seq train), or a Hugging Face Hub id OWNER/NAME[@REVISION].")
    var model: String

    @Option(name: .long, help: "Threads to use (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("compute-type"), help: "How weight matrices are kept and multiplied: float32, or int8 (quantized per output row at load, activations per row, int32 sums; faster decoding, a quarter of the weight memory).")
    var computeType: ComputeType = .float32

    func validate() throws { try validateThreads(threads) }

    /// The model folder: `--model` itself, or a Hub id's snapshot folder (DownloadCommand.swift).
    func folder() throws -> URL { try modelFolder(model) }

    /// The model folder's tokenizer, if it has one.
    func loadTokenizer() throws -> ModelTokenizer? { try ModelTokenizer.load(directory: folder()) }

    /// Sets the thread pool and loads the model.
    func load() throws -> Seq2SeqModel {
        if let threads { ThreadPool.configure(threads: threads) }
        return try Seq2SeqModel(directory: folder(), computeType: computeType)
    }
}

/// Refuses a `--threads` value outside 1...`ThreadPool.maximumThreads` (bad usage).
func validateThreads(_ threads: Int?) throws {
    if let threads, !(1...ThreadPool.maximumThreads).contains(threads) {
        throw ValidationError("--threads must be in 1...\(ThreadPool.maximumThreads)")
    }
}

/// Parses "13 7 42 1" (spaces or commas) into ids; `what` names the flag in errors.
func parseIds(_ text: String, what: String) throws -> [Int] {
    let ids = try text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).map { piece in
        guard let id = Int(piece) else { throw Failure.badInput("\(what): '\(piece)' is not a token id") }
        return id
    }
    if ids.isEmpty { throw Failure.badInput("\(what): no token ids") }
    return ids
}

/// Throws bad input naming `what` when an id lies outside `0..<vocabulary`.
func checkIds(_ rows: [[Int]], vocabulary: Int, what: String) throws {
    for (n, row) in rows.enumerated() {
        if let bad = row.first(where: { $0 < 0 || $0 >= vocabulary }) {
            let place = rows.count > 1 ? " (line \(n + 1))" : ""
            throw Failure.badInput("\(what)\(place): id \(bad) is outside the model's vocabulary of \(vocabulary) tokens")
        }
    }
}

/// Reads standard input as lines of UTF-8 text; invalid UTF-8 is bad input.
func readStandardInputLines() throws -> [String] {
    try textLines(FileHandle.standardInput.readDataToEndOfFile(), origin: "standard input")
}

/// Reads a file as lines of UTF-8 text; a missing, unreadable, empty or non-UTF-8 file is bad
/// input naming it.
func readTextFileLines(_ path: String) throws -> [String] {
    if path == "-" {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        if data.isEmpty { throw Failure.badInput("standard input: empty") }
        return try textLines(data, origin: "standard input")
    }
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw Failure.badInput("\(path): no such file") }
    if isFolder.boolValue { throw Failure.badInput("\(path): is a folder, not a text file") }
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw Failure.badInput("\(path): cannot read (\(error.localizedDescription))")
    }
    if data.isEmpty { throw Failure.badInput("\(path): empty file") }
    return try textLines(data, origin: path)
}

/// The lines of UTF-8 `data`: split on "\n" only (a final one ends the last line), a "\r"
/// before it dropped, every code point kept as it is. Invalid UTF-8 is bad input naming
/// `origin` and the line.
func textLines(_ data: Data, origin: String) throws -> [String] {
    var lines: [String] = [], current = String.UnicodeScalarView()
    func endLine() {
        if current.last == "\r" { current.removeLast() }
        lines.append(String(current))
        current = String.UnicodeScalarView()
    }
    var decoder = UTF8(), bytes = data.makeIterator()
    decoding: while true {
        switch decoder.decode(&bytes) {
        case .scalarValue(let scalar) where scalar == "\n": endLine()
        case .scalarValue(let scalar): current.append(scalar)
        case .emptyInput: break decoding
        case .error: throw Failure.badInput("\(origin): not valid UTF-8 (line \(lines.count + 1))")
        }
    }
    if !current.isEmpty { endLine() }
    return lines
}

/// A JSON number for a float that keeps its shortest decimal form.
func jsonNumber(_ value: Float) -> Any {
    value.isFinite ? Double("\(value)")! : (value < 0 ? -Double.greatestFiniteMagnitude : Double.greatestFiniteMagnitude)
}

/// The exit code and message for an error thrown by the library: what a `Seq2SeqError` says,
/// else exit 1 with the error as it prints.
func describe(_ error: Error) -> (String, Int32) {
    if let e = error as? Seq2SeqError { return (e.description, e.exitStatus) }
    return ("\(error)", 1)
}

extension ComputeType: ExpressibleByArgument {}
