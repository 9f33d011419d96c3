// The fuzz targets' inputs replayed through `seq2seq-fuzz` in the normal (unsanitized) build:
// the committed seeds (Fuzz/seeds), each target's fixture seeds, and every input a fuzz campaign
// found crashing (Fuzz/regressions/TARGET, one file per crash, fixed since). Each must end in an
// accepted parse or a thrown error — never a crash — and every target must be listed.
import Foundation
import XCTest

final class FuzzReplayTests: XCTestCase {
    private let fuzzer = binary.deletingLastPathComponent().appendingPathComponent("seq2seq-fuzz")
    private let fuzzFolder = fixtures.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    func testEveryTargetReplaysItsSeedsAndRegressionsWithoutCrashing() throws {
        let listed = try runCLI(["--list"], executable: fuzzer)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let targets = listed.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
        XCTAssertGreaterThanOrEqual(targets.count, 13, listed.stdout)
        let seeds = try runCLI(["--seeds"], executable: fuzzer)
        var replayed = 0
        for target in targets {
            var inputs = seeds.stdout.split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(separator: "\t").map(String.init)
                return fields[0] == target ? fields[1] : nil
            }
            for folder in ["seeds", "regressions"] {
                let url = fuzzFolder.appendingPathComponent("\(folder)/\(target)")
                if FileManager.default.fileExists(atPath: url.path) { inputs.append(url.path) }
            }
            guard !inputs.isEmpty else { continue }
            let result = try runCLI([target] + inputs, executable: fuzzer)
            XCTAssertEqual(result.status, 0, "\(target): \(result.stderr)")
            XCTAssertTrue(result.stdout.hasPrefix("\(target): replayed "), result.stdout)
            replayed += Int(result.stdout.split(separator: " ")[2]) ?? 0
        }
        XCTAssertGreaterThan(replayed, 25)
        let unknown = try runCLI(["no-such-target"], executable: fuzzer)
        XCTAssertEqual(unknown.status, 2)
    }
}
