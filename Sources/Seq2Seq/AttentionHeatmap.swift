// Cross-attention as a picture: an SVG heatmap with the source tokens across the top and
// the generated tokens down the side, one cell per (generated, source) pair.
import Foundation

/// A cross-attention matrix with its token labels, drawable as SVG.
public struct AttentionHeatmap: Sendable, Equatable {
    /// Column labels: the source tokens.
    public var sourceTokens: [String]
    /// Row labels: the generated tokens.
    public var targetTokens: [String]
    /// Weights [targetTokens.count][sourceTokens.count], each row a distribution.
    public var weights: [[Float]]
    /// A caption drawn above the grid (model, layer, heads).
    public var title: String

    /// A heatmap; `weights` has one row per target token and one column per source token.
    public init(sourceTokens: [String], targetTokens: [String], weights: [[Float]], title: String = "") {
        precondition(weights.count == targetTokens.count && weights.allSatisfy { $0.count == sourceTokens.count },
                     "weights must be targetTokens × sourceTokens")
        self.sourceTokens = sourceTokens
        self.targetTokens = targetTokens
        self.weights = weights
        self.title = title
    }

    private static let cell = 28.0, fontSize = 13.0, characterWidth = 7.8

    /// The SVG document: darker cells carry more weight; each cell's exact value is in its
    /// `data-weight` attribute and its tooltip.
    public func svg() -> String {
        let c = Self.cell
        let labelWidth = min(260, max(40, Double(targetTokens.map(\.count).max() ?? 0) * Self.characterWidth + 16))
        let labelHeight = min(260, max(40, Double(sourceTokens.map(\.count).max() ?? 0) * Self.characterWidth * 0.75 + 24))
        let top = 34 + labelHeight, left = labelWidth
        let width = max(left + Double(sourceTokens.count) * c + 90, Double(title.count) * 8.5 + 16)
        let height = top + Double(targetTokens.count) * c + 20
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" \
            viewBox="0 0 \(f(width)) \(f(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" \
            font-size="\(f(Self.fontSize))">
            <rect width="100%" height="100%" fill="white"/>
            <text x="8" y="20" font-size="14" font-weight="bold">\(escape(title))</text>

            """
        for (j, token) in sourceTokens.enumerated() {
            let x = left + (Double(j) + 0.5) * c
            out += "<text transform=\"translate(\(f(x)),\(f(top - 6))) rotate(-55)\">\(escape(token))</text>\n"
        }
        for (i, token) in targetTokens.enumerated() {
            let y = top + (Double(i) + 0.5) * c + Self.fontSize * 0.35
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(y))\" text-anchor=\"end\">\(escape(token))</text>\n"
            for (j, w) in weights[i].enumerated() {
                let x = left + Double(j) * c, y0 = top + Double(i) * c
                out += "<rect x=\"\(f(x))\" y=\"\(f(y0))\" width=\"\(f(c))\" height=\"\(f(c))\" fill=\"\(color(w))\" "
                    + "stroke=\"#ddd\" stroke-width=\"0.5\" data-row=\"\(i)\" data-col=\"\(j)\" data-weight=\"\(w)\">"
                    + "<title>\(escape(targetTokens[i])) → \(escape(sourceTokens[j])): \(String(format: "%.4f", w))</title></rect>\n"
            }
        }
        out += legend(x: left + Double(sourceTokens.count) * c + 20, y: top)
        return out + "</svg>\n"
    }

    /// A vertical colour scale from 0 to 1.
    private func legend(x: Double, y: Double) -> String {
        var out = "<text x=\"\(f(x))\" y=\"\(f(y - 8))\">weight</text>\n"
        let steps = 10, h = 12.0
        for k in 0...steps {
            let w = Float(steps - k) / Float(steps)
            out += "<rect x=\"\(f(x))\" y=\"\(f(y + Double(k) * h))\" width=\"16\" height=\"\(f(h))\" fill=\"\(color(w))\"/>\n"
        }
        out += "<text x=\"\(f(x + 22))\" y=\"\(f(y + 10))\">1.0</text>\n"
        out += "<text x=\"\(f(x + 22))\" y=\"\(f(y + Double(steps + 1) * h))\">0.0</text>\n"
        return out
    }

    /// White (0) to deep blue (1).
    private func color(_ w: Float) -> String {
        let t = Double(max(0, min(1, w.isFinite ? w : 0)))
        let r = Int((1 - t) * 255 + t * 8), g = Int((1 - t) * 255 + t * 48), b = Int((1 - t) * 255 + t * 107)
        return String(format: "#%02x%02x%02x", r, g, b)
    }

    private func f(_ x: Double) -> String { String(format: "%.1f", x) }

    private func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Control characters are not allowed in XML 1.0: show them as U+XXXX.
                if ch.value < 0x20 || (ch.value >= 0x7F && ch.value < 0xA0) {
                    out += String(format: "U+%04X", ch.value)
                } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        return out
    }
}
