import Foundation
import Logging

/// One JSON object per line: `time` (RFC 3339, UTC, milliseconds), `level`, `label`, `message`, `metadata` (the
/// logger's, the metadata provider's and the call's, later ones winning), for log shippers that parse lines.
public typealias JSONLogHandler = LineLogHandler<JSONLogLines>

/// The `json` log line (see `JSONLogHandler`).
public enum JSONLogLines: LogLineFormat {
    public static func line(_ event: LogEvent, label: String, metadata: Logger.Metadata) -> String {
        line(time: Date(), level: event.level, label: label, message: event.message.description, metadata: metadata)
    }

    /// The line for one event (no newline); metadata keys sorted, values as JSON strings, arrays and objects.
    static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var out =
            #"{"time":"# + quoted(timestamp(time)) + #","level":"# + quoted(level.rawValue) + #","label":"#
            + quoted(label) + #","message":"# + quoted(message) + #","metadata":"#
        append(.dictionary(metadata), to: &out)
        out += "}"
        return out
    }

    static func append(_ value: Logger.Metadata.Value, to out: inout String) {
        switch value {
        case .string(let text): out += quoted(text)
        case .stringConvertible(let convertible): out += quoted(convertible.description)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                append(value, to: &out)
            }
            out += "]"
        case .dictionary(let values):
            out += "{"
            for (index, key) in values.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                out += quoted(key) + ":"
                append(values[key]!, to: &out)
            }
            out += "}"
        }
    }

    /// A JSON string literal (RFC 8259 §7): quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))
    }
}
