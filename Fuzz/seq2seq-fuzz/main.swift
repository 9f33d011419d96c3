// seq2seq-fuzz: the parsers of outside data under libFuzzer, or their inputs replayed.
//
//     seq2seq-fuzz --list
//     seq2seq-fuzz TARGET [libFuzzer options] [CORPUS_DIR …]   # built by scripts/fuzz.sh: fuzzes
//     seq2seq-fuzz TARGET FILE_OR_DIR …                        # any build: replays the inputs
//
// libFuzzer is not a build dependency: scripts/fuzz.sh builds this product with AddressSanitizer,
// coverage instrumentation and the toolchain's libFuzzer without its `main`
// (libclang_rt.fuzzer_no_main), and `LLVMFuzzerRunDriver` is looked up at run time. In a normal
// build it is absent and the inputs are replayed, so the regression inputs (Fuzz/regressions)
// run in the test suite without sanitizers.
import Foundation

typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
typealias FuzzDriver = @convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                                       FuzzCallback) -> Int32

/// The target chosen on the command line (read by the C callback, which cannot capture).
nonisolated(unsafe) var selected: FuzzTarget!

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("seq2seq-fuzz: \(message)\n".utf8))
    exit(2)
}

let arguments = CommandLine.arguments
if arguments.count < 2 || arguments[1] == "--help" || arguments[1] == "-h" {
    print("usage: seq2seq-fuzz --list | TARGET [libFuzzer options] [CORPUS …] | TARGET FILE_OR_DIR …")
    exit(arguments.count < 2 ? 2 : 0)
}
if arguments[1] == "--list" {
    for target in targets { print("\(target.name)\t\(target.summary)") }
    exit(0)
}
if arguments[1] == "--seeds" {  // the fixture files of each target's starting corpus
    for target in targets { for seed in target.seeds { print("\(target.name)\t\(fixtures.appendingPathComponent(seed).path)") } }
    exit(0)
}
guard let target = targets.first(where: { $0.name == arguments[1] }) else {
    fail("unknown target \"\(arguments[1])\" (\(targets.map(\.name).joined(separator: ", ")))")
}
selected = target
defer { try? FileManager.default.removeItem(at: scratch) }

if let symbol = dlsym(dlopen(nil, RTLD_NOW), "LLVMFuzzerRunDriver") {
    let driver = unsafeBitCast(symbol, to: FuzzDriver.self)
    // libFuzzer sees the program name and the options after TARGET.
    var cArguments: [UnsafeMutablePointer<CChar>?] = ([arguments[0]] + arguments.dropFirst(2)).map { strdup($0) } + [nil]
    var argc = Int32(arguments.count - 1)
    let status = cArguments.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var argv = buffer.baseAddress!
        return driver(&argc, &argv) { data, size in
            let input = size == 0 ? Data() : Data(bytes: data!, count: size)
            _ = try? selected.run(input)
            return 0
        }
    }
    try? FileManager.default.removeItem(at: scratch)
    exit(status)
}

// Replay: every file named, and every file under every folder named.
var files: [URL] = []
for path in arguments.dropFirst(2) {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { fail("\(path): no such file or folder") }
    if isFolder.boolValue {
        let enumerator = FileManager.default.enumerator(at: URL(fileURLWithPath: path), includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true { files.append(url) }
        }
    } else {
        files.append(URL(fileURLWithPath: path))
    }
}
var accepted = 0, rejected = 0
for url in files.sorted(by: { $0.path < $1.path }) {
    do {
        try target.run(try Data(contentsOf: url))
        accepted += 1
    } catch {
        rejected += 1
        if ProcessInfo.processInfo.environment["SEQ2SEQ_FUZZ_VERBOSE"] != nil { print("\(url.lastPathComponent): \(error)") }
    }
}
print("\(target.name): replayed \(files.count) inputs, \(accepted) accepted, \(rejected) rejected with an error")
