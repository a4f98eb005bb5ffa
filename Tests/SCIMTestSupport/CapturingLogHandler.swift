public import Logging
import Synchronization

/// What tests log, kept: every line with its level, message and metadata (the handler's own merged with the
/// event's). There is no metadata provider, so what a line carries came with its logger.
public final class LogCapture: Sendable {
    public struct Line: Sendable {
        public let level: Logger.Level
        public let message: String
        public let metadata: Logger.Metadata

        /// One line of text, for "does any line mention X" checks.
        public var text: String { "\(level) \(message) \(metadata)" }
    }

    private let captured = Mutex<[Line]>([])

    public init() {}

    public var lines: [Line] { captured.withLock { $0 } }
    /// Every line as text, one per line.
    public var text: String { lines.map(\.text).joined(separator: "\n") }

    /// A logger whose lines (at every level) land here.
    public func logger(label: String) -> Logger {
        var logger = Logger(label: label) { _ in CapturingLogHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: Line) { captured.withLock { $0.append(line) } }
}

/// The log handler behind `LogCapture.logger(label:)`.
public struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(capture: LogCapture) {
        self.capture = capture
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        capture.append(LogCapture.Line(level: event.level, message: "\(event.message)", metadata: merged))
    }
}
