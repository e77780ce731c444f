// Escaping of untrusted text (workload names, params, errors) for HTML and SVG.

/// Text made safe to place in HTML or SVG element content and in quoted attribute values.
public enum HTMLText {
    /// Replaces the five characters that can end an element or an attribute, and drops
    /// the control characters that XML forbids (SVG inside HTML is parsed as foreign
    /// content, and an inline SVG saved alone must still be well-formed XML).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F
                    || (0xFFFE...0xFFFF).contains(scalar.value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
