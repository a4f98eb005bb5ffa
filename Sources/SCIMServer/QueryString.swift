import Hummingbird

/// Query parameters decoded the way clients encode them: `application/x-www-form-urlencoded`, where `+` is a
/// space and `%XX` a byte (Python's requests and httpx send `filter=userName+eq+%22bjensen%22`). Hummingbird's
/// `queryParameters` percent-decodes values only and keeps `+`, so every SCIM parameter is read through here.
/// A literal plus sign arrives as `%2B`.
public enum QueryString {
    /// Name/value pairs in order; a later duplicate wins in `dictionary`.
    public static func parameters(_ rawQuery: String?) -> [(name: String, value: String)] {
        guard let rawQuery, !rawQuery.isEmpty else { return [] }
        return rawQuery.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            guard let equals = pair.firstIndex(of: "=") else { return (decode(pair), "") }
            return (decode(pair[..<equals]), decode(pair[pair.index(after: equals)...]))
        }
    }

    public static func dictionary(_ rawQuery: String?) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in parameters(rawQuery) { out[name] = value }
        return out
    }

    /// One component: `+` → space, `%XX` → that byte; a `%` not followed by two hex digits stays as it is.
    public static func decode(_ component: Substring) -> String {
        // Most names and many values need no decoding at all.
        if !component.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) { return String(component) }
        let bytes = Array(component.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Request {
    /// The request's query parameters, form-decoded (see `QueryString`).
    var scimQuery: [String: String] { QueryString.dictionary(uri.query) }
}
