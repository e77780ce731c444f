// Text from a results file made safe inside a Markdown table cell: no column break, no HTML,
// no line break, no terminal control sequence.
import Foundation

public enum MarkdownText {
    /// `|` as `\|`; `&`, `<`, `>` as entities (Markdown renders inline HTML); `\` doubled so it
    /// cannot escape what follows; line ends as `\n` and other control characters as `\u{..}`.
    public static func cell(_ text: String) -> String {
        var out = ""
        for scalar in text.replacingOccurrences(of: "\r\n", with: "\n").unicodeScalars {
            switch scalar {
            case "|": out += "\\|"
            case "\\": out += "\\\\"
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\t": out += " "
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if ChildRunner.isControl(scalar) {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
