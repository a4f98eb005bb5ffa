import Foundation
import Logging
import SCIMServer

/// How log lines are written: `text` (see `TextLogHandler`) or `json` (one object per line, see
/// `JSONLogHandler`). Every logger carries `RequestLogMetadata.provider`, so lines logged while a request runs
/// name its `request.id`, whichever module logs them.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json

    public init(parsing text: String) throws {
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            throw ConfigError("logFormat must be text or json, not \(text)")
        }
        self = format
    }

    /// The gateway's logger, written to standard error.
    public func makeLogger(label: String = "scim-gateway", level: String) -> Logger {
        var logger = Logger(label: label) { label in
            switch self {
            case .text: TextLogHandler(label: label, metadataProvider: RequestLogMetadata.provider, write: Self.standardError)
            case .json: JSONLogHandler(label: label, metadataProvider: RequestLogMetadata.provider, write: Self.standardError)
            }
        }
        logger.logLevel = Logger.Level(rawValue: level.lowercased()) ?? .info
        return logger
    }

    /// Writes each line with one `write(2)`, so lines from several threads never interleave.
    static let standardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { _ = Foundation.write(2, $0.baseAddress, $0.count) }
    }

    /// The demo's logger: `SCIM_GATEWAY_LOG_LEVEL` and `SCIM_GATEWAY_LOG_FORMAT` (text or json).
    static func makeLogger(environment: [String: String]) throws -> Logger {
        try LogFormat(parsing: environment["SCIM_GATEWAY_LOG_FORMAT"] ?? "text")
            .makeLogger(level: environment["SCIM_GATEWAY_LOG_LEVEL"] ?? "info")
    }
}
