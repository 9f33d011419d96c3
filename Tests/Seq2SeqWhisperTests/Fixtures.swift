// Helpers over the committed fixtures (Tests/Fixtures) and their reference.json files.
import Foundation

/// The folder of committed fixtures.
let fixturesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

func ints(_ value: Any?) -> [Int] { (value as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue ?? Int.min } }
func floats(_ value: Any?) -> [Float] { (value as? [Any] ?? []).map { ($0 as? NSNumber)?.floatValue ?? .nan } }
