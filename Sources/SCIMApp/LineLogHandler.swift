import Logging

/// How one log event is written as a line (no newline), given the metadata merged for it.
public protocol LogLineFormat: Sendable {
    static func line(_ event: LogEvent, label: String, metadata: Logger.Metadata) -> String
}

/// Writes each event as one line in `Format` through `write`. The metadata is the logger's, the metadata
/// provider's and the call's, later ones winning, and it is only merged and rendered when a line is written.
public struct LineLogHandler<Format: LogLineFormat>: LogHandler {
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
        write(Format.line(event, label: label, metadata: merged))
    }
}
