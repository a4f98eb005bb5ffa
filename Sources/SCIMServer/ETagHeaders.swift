import Foundation
import HTTPTypes
import Logging
import OrderedCollections

/// Conditional request headers (RFC 7232 with RFC 7644 §3.14's weak comparison).
enum ETagHeaders {
    /// The versions listed in an If-Match / If-None-Match header; `["*"]` for a wildcard.
    static func versions(_ header: String?) -> [String]? {
        guard let header, !header.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return header.split(separator: ",").map { item in
            var tag = item.trimmingCharacters(in: .whitespaces)
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            if tag.hasPrefix("\""), tag.hasSuffix("\""), tag.count >= 2 { tag = String(tag.dropFirst().dropLast()) }
            return tag
        }
    }
}
