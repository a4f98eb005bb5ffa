import Foundation
import Logging

/// The `text` log format: `2026-12-04T16:39:04+0000 info scim-gateway: key=value … [Module] message`, the layout
/// of swift-log's `StreamLogHandler`, one `write(2)` per line.
///
/// Unlike `StreamLogHandler`, which renders its whole metadata again each time one key is set, the metadata is only
/// rendered when a line is written. Every request sets two or three keys on its logger (Hummingbird's request id,
/// ours, the client) and most requests log nothing at the default level, so rendering on set cost the gateway
/// about 5 % of its CPU per GET.
public struct TextLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    let label: String
    let write: @Sendable (String) -> Void

    public init(label: String, metadataProvider: Logger.MetadataProvider?, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        write(
            Self.line(
                time: Self.timestamp(), level: event.level, label: label, source: event.source,
                message: event.message.description, metadata: merged))
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
