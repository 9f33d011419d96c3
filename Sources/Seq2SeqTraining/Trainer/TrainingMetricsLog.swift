// `metrics.jsonl` (one JSON object per logged step or validation) and `loss.svg`, the plot of
// training and validation loss over the steps, redrawn at every checkpoint.
import Foundation
import Seq2Seq

/// The metrics of a run folder.
final class TrainingMetricsLog {
    let url: URL
    let plotURL: URL
    private var records: [[String: Any]] = []

    /// Opens `run/metrics.jsonl`, keeping the records up to `step` (a resumed run drops what
    /// the interrupted session logged after its last checkpoint).
    init(run: URL, keepingUpTo step: Int) throws {
        url = run.appendingPathComponent("metrics.jsonl")
        plotURL = run.appendingPathComponent("loss.svg")
        if let text = try? String(contentsOf: url, encoding: .utf8) {
            records = text.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            }.filter { ($0["step"] as? Int ?? .max) <= step }
        }
        try ModelFolder.writeAtomically(Data(records.map(Self.line).joined().utf8), to: url)
    }

    /// Appends one record (with at least "step").
    func append(_ record: [String: Any]) throws {
        records.append(record)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(Self.line(record).utf8))
    }

    private static func line(_ record: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Whether the last validation was the best so far, as a sentence for the end of the run.
    func validationTrend(bestStep: Int?) -> String? { ValidationTrend.sentence(records: records, bestStep: bestStep) }

    /// Writes `loss.svg`: training loss as a line and validation loss as dots over the steps;
    /// validation BLEU and exact match (0–100, right axis) as lines with dots.
    func plot() throws {
        func series(_ key: String) -> [(Double, Double)] {
            records.compactMap { r in
                guard let s = r["step"] as? Int, let v = r[key] as? Double, v.isFinite else { return nil }
                return (Double(s), v)
            }
        }
        let plot = LossPlot(train: series("loss"), valid: series("valid_loss"), bleu: series("valid_bleu"), exactMatch: series("valid_exact_match"))
        try ModelFolder.writeAtomically(Data(plot.svg.utf8), to: plotURL)
    }
}

/// A line chart of loss against step as a standalone SVG, with the validation scores (0–100)
/// on a right-hand axis.
struct LossPlot {
    var train: [(Double, Double)]
    var valid: [(Double, Double)]
    var bleu: [(Double, Double)] = []
    var exactMatch: [(Double, Double)] = []
    let width = 720.0, height = 400.0, left = 60.0, right = 50.0, top = 30.0, bottom = 45.0

    private var scored: Bool { !bleu.isEmpty || !exactMatch.isEmpty }

    var svg: String {
        let points = train + valid
        let maxStep = max((points + bleu + exactMatch).map(\.0).max() ?? 1, 1)
        var low = points.map(\.1).min() ?? 0, high = points.map(\.1).max() ?? 1
        if high - low < 1e-6 { (low, high) = (low - 0.5, high + 0.5) }
        let x = { (s: Double) in self.left + s / maxStep * (self.width - self.left - self.right) }
        let y = { (l: Double) in self.top + (high - l) / (high - low) * (self.height - self.top - self.bottom) }
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Int(width / 2))" y="18" text-anchor="middle" font-size="14">\(scored ? "Loss per target token and validation scores" : "Loss per target token")</text>

        """
        for i in 0...4 {
            let value = low + (high - low) * Double(i) / 4, py = y(value)
            out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, py, width - right, py)
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n", left - 6, py + 4, value)
        }
        for i in 0...4 {
            let step = maxStep * Double(i) / 4, px = x(step)
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", px, height - bottom + 18, Int(step))
        }
        out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">step</text>\n", (left + width - right) / 2, height - 8)
        if !train.isEmpty {
            let path = train.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
        }
        for (s, l) in valid {
            out += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#d62728\"/>\n", x(s), y(l))
        }
        if scored {
            let score = { (v: Double) in self.top + (100 - min(max(v, 0), 100)) / 100 * (self.height - self.top - self.bottom) }
            for i in 0...4 {
                out += String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"#2ca02c\">%d</text>\n", width - right + 6, score(Double(i * 25)) + 4, i * 25)
            }
            for (series, color, dash) in [(bleu, "#2ca02c", ""), (exactMatch, "#9467bd", " stroke-dasharray=\"5,3\"")] where !series.isEmpty {
                let path = series.map { String(format: "%.1f,%.1f", x($0.0), score($0.1)) }.joined(separator: " ")
                out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\"\(dash) points=\"\(path)\"/>\n"
                for (s, v) in series {
                    out += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%@\"/>\n", x(s), score(v), color)
                }
            }
        }
        out += String(format: "<line x1=\"%.1f\" y1=\"42\" x2=\"%.1f\" y2=\"42\" stroke=\"#1f77b4\" stroke-width=\"2\"/>", width - 190, width - 170)
        out += String(format: "<text x=\"%.1f\" y=\"46\">training</text>", width - 165)
        out += String(format: "<circle cx=\"%.1f\" cy=\"60\" r=\"3.5\" fill=\"#d62728\"/>", width - 180)
        out += String(format: "<text x=\"%.1f\" y=\"64\">validation loss</text>\n", width - 165)
        if !bleu.isEmpty {
            out += String(format: "<line x1=\"%.1f\" y1=\"78\" x2=\"%.1f\" y2=\"78\" stroke=\"#2ca02c\" stroke-width=\"2\"/>", width - 190, width - 170)
            out += String(format: "<text x=\"%.1f\" y=\"82\">validation BLEU (right)</text>\n", width - 165)
        }
        if !exactMatch.isEmpty {
            out += String(format: "<line x1=\"%.1f\" y1=\"96\" x2=\"%.1f\" y2=\"96\" stroke=\"#9467bd\" stroke-width=\"2\" stroke-dasharray=\"5,3\"/>", width - 190, width - 170)
            out += String(format: "<text x=\"%.1f\" y=\"100\">exact match %% (right)</text>\n", width - 165)
        }
        return out + "</svg>\n"
    }
}

/// Whether validation was still improving when a run ended, said in one sentence: still
/// improving (with what improved: BLEU, else exact match, else the loss), stopped improving
/// (since which step), or at its ceiling (BLEU 100 and every output exact).
public enum ValidationTrend {
    /// The sentence for `records` (metrics.jsonl's, validations carry `valid_loss` and
    /// optionally `valid_bleu`, `valid_exact_match`) whose best validation was at `bestStep`.
    public static func sentence(records: [[String: Any]], bestStep: Int?) -> String? {
        let validations = records.filter { $0["valid_loss"] != nil }
        guard let last = validations.last, let lastStep = last["step"] as? Int else { return nil }
        let usesBLEU = last["valid_bleu"] != nil
        func value(_ record: [String: Any]) -> String {
            usesBLEU ? String(format: "BLEU %.2f", record["valid_bleu"] as? Double ?? 0)
                     : String(format: "loss %.4f", record["valid_loss"] as? Double ?? 0)
        }
        if bestStep == lastStep {
            let bleu = last["valid_bleu"] as? Double, exact = last["valid_exact_match"] as? Double
            if let bleu, bleu >= 99.995, exact == nil || exact! >= 100 {
                // Nothing left to gain on validation: the best model is chosen by the loss now.
                let first = validations.first { ($0["valid_bleu"] as? Double ?? 0) >= 99.995 && ($0["valid_exact_match"] as? Double ?? 100) >= 100 }
                return "validation reached BLEU 100.00\(exact == nil ? "" : " and 100% exact match") at step "
                    + "\(first?["step"] as? Int ?? lastStep): the task is learned (the validation loss still falls: "
                    + String(format: "%.4f at step %d)", last["valid_loss"] as? Double ?? 0, lastStep)
            }
            var change = ""
            if validations.count >= 2 {
                let previous = validations[validations.count - 2]
                var before = value(previous), after = value(last)
                // Same BLEU: the improvement is in exact match, or else in the loss (the tie-breaks).
                if before == after, let e0 = previous["valid_exact_match"] as? Double, let e1 = exact, e0 != e1 {
                    (before, after) = (String(format: "exact match %.1f%%", e0), String(format: "exact match %.1f%%", e1))
                } else if before == after {
                    (before, after) = (String(format: "loss %.4f", previous["valid_loss"] as? Double ?? 0),
                                       String(format: "loss %.4f", last["valid_loss"] as? Double ?? 0))
                }
                change = " (\(before) at step \(previous["step"] as? Int ?? 0) → \(after) at step \(lastStep))"
            }
            return "validation was still improving at the end\(change): more steps would likely help "
                + "(seq2seq train --resume --out RUN --max-steps N)"
        }
        let best = validations.first { ($0["step"] as? Int) == bestStep }
        let since = validations.filter { ($0["step"] as? Int ?? 0) > (bestStep ?? 0) }.count
        return "validation stopped improving: best \(best.map(value) ?? "?") at step \(bestStep ?? 0), "
            + "\(since) \(since == 1 ? "validation" : "validations") since without a better one"
    }

}
