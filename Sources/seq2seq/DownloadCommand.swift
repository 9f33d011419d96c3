// `seq2seq download OWNER/NAME[@REVISION]`, and `--model` given as a Hub model id: both resolve
// through the Hugging Face cache (Seq2SeqHub), downloading what is missing, with progress on
// standard error.
import ArgumentParser
import Foundation
import Seq2SeqHub

struct DownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Fetch a model from the Hugging Face Hub into its cache and print the snapshot folder.",
        discussion: """
            The cache is huggingface_hub's ($HF_HUB_CACHE, else $HF_HOME/hub, else \
            ~/.cache/huggingface/hub); HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE are honoured. Only the \
            files a model folder needs are fetched.
            """)

    @Argument(help: "A Hub model id: OWNER/NAME or OWNER/NAME@REVISION (branch, tag or commit).") var model: String

    func validate() throws {
        do { _ = try HubModelID(parsing: model) } catch let error as HubError { throw ValidationError(error.description) }
    }

    func run() throws {
        print(try hubSnapshot(try HubModelID(parsing: model)).path)
    }
}

/// The folder a `--model` argument names: the path itself when it exists or does not look like a
/// Hub id, else the id's snapshot folder in the Hugging Face cache (downloaded when missing).
func modelFolder(_ argument: String) throws -> URL {
    if FileManager.default.fileExists(atPath: argument) || !HubModelID.looksLikeID(argument) {
        return URL(fileURLWithPath: argument)
    }
    let id: HubModelID
    do { id = try HubModelID(parsing: argument) } catch let error as HubError {
        throw Failure.badInput("\(argument): no such model folder, and not a Hub model id (\(error.problem))")
    }
    return try hubSnapshot(id)
}

/// Snapshot folders already resolved in this process (a command may ask twice).
private var resolvedSnapshots: [HubModelID: URL] = [:]

/// The snapshot folder of `id`, with progress on standard error; Hub errors become failures with
/// exit codes (docs/cli.md): 2 a malformed id, 3 a model that is not there or arrived corrupt,
/// 1 the Hub unreachable or refusing, or the cache not writable.
func hubSnapshot(_ id: HubModelID) throws -> URL {
    if let known = resolvedSnapshots[id] { return known }
    let store = HubModelStore()
    let display = TransferDisplay(model: id.description)
    store.progress = { display.show($0) }
    store.notice = { FileHandle.standardError.write(Data("seq2seq: \($0)\n".utf8)) }
    do {
        let folder = try store.snapshot(for: id)
        resolvedSnapshots[id] = folder
        return folder
    } catch let error as HubError {
        display.end()
        let code: Int32
        switch error.kind {
        case .invalidID: code = 2
        case .notFound, .unusableRepository, .corruptData: code = 3
        default: code = 1
        }
        throw Failure(message: error.description, code: code)
    }
}

/// Download progress on standard error: a redrawn bar when it is a terminal, else one line per file.
private final class TransferDisplay {
    let model: String
    let isTerminal = isatty(STDERR_FILENO) == 1
    private var current: String?
    private var lastDraw = Date.distantPast
    private var started = Date()
    private var barOpen = false

    init(model: String) { self.model = model }

    func show(_ p: HubTransferProgress) {
        if current != p.file {
            current = p.file
            started = Date()
            if !isTerminal {
                let size = p.total.map { " (\(bytes($0))\(p.resumedFrom > 0 ? ", resuming at \(bytes(p.resumedFrom))" : ""))" } ?? ""
                write("seq2seq: downloading \(model) \(p.file)\(size)\n")
            }
        }
        guard isTerminal else { return }
        let now = Date()
        guard p.finished || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let rate = Double(p.received - p.resumedFrom) / max(now.timeIntervalSince(started), 0.001)
        var line = "\r\u{1B}[K\(p.file) "
        if let total = p.total, total > 0 {
            let fraction = min(1, Double(p.received) / Double(total))
            let filled = Int(fraction * 24)
            line += "\(String(format: "%3.0f", fraction * 100))% [\(String(repeating: "#", count: filled))\(String(repeating: " ", count: 24 - filled))] \(bytes(p.received))/\(bytes(total))"
        } else {
            line += bytes(p.received)
        }
        line += " \(bytes(Int64(rate)))/s"
        write(line)
        barOpen = true
        if p.finished { end() }
    }

    /// Ends a bar left open (before an error line, or after a file).
    func end() {
        if barOpen { write("\n") }
        barOpen = false
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    private func bytes(_ n: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(n), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }
}
