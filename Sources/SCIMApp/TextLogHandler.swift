import Foundation
import Logging

/// The `text` log format: `2026-12-04T16:39:04+0000 info scim-gateway: key=value … [Module] message`, the layout
/// of swift-log's `StreamLogHandler`, one `write(2)` per line.
///
/// Unlike `StreamLogHandler`, which renders its whole metadata again each time one key is set, the metadata is only
/// rendered when a line is written (`LineLogHandler`). Every request sets two or three keys on its logger
/// (Hummingbird's request id, ours, the client) and most requests log nothing at the default level: rendering on
/// set was about 5 % of the gateway's CPU per GET in the profile.
public typealias TextLogHandler = LineLogHandler<TextLogLines>

/// The `text` log line (see `TextLogHandler`).
public enum TextLogLines: LogLineFormat {
    public static func line(_ event: LogEvent, label: String, metadata: Logger.Metadata) -> String {
        line(
            time: timestamp(), level: event.level, label: label, source: event.source, message: event.message.description,
            metadata: metadata)
    }

    /// The line for one event (no newline): metadata as `key=value`, keys sorted.
    static func line(time: String, level: Logger.Level, label: String, source: String, message: String, metadata: Logger.Metadata)
        -> String
    {
        var out = time + " " + level.rawValue + " " + label + ":"
        for key in metadata.keys.sorted() { out += " " + key + "=" + metadata[key]!.description }
        return out + " [" + source + "] " + message
    }

    /// Local time to the second with the zone offset, as `StreamLogHandler` writes it.
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [Int8](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
