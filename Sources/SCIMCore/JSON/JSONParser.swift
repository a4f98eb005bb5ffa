public import Foundation
import OrderedCollections

extension JSONValue {
    /// Default bound on nesting of arrays and objects.
    public static let defaultMaxDepth = 32
    /// Default bound on document size in bytes (1 MiB).
    public static let defaultMaxBytes = 1 << 20

    /// Parses an RFC 8259 JSON text.
    ///
    /// Rejects with 400 `invalidSyntax`: malformed JSON, invalid UTF-8, duplicate member names,
    /// documents over `maxBytes`, or nesting of arrays/objects deeper than `maxDepth`.
    /// Recursion is bounded by `maxDepth`, so no input can exhaust the stack.
    public static func parse(
        _ data: Data,
        maxDepth: Int = defaultMaxDepth,
        maxBytes: Int = defaultMaxBytes
    ) throws(SCIMError) -> JSONValue {
        guard data.count <= maxBytes else {
            throw .badRequest(.invalidSyntax, "The request body exceeds \(maxBytes) bytes.")
        }
        var parser = JSONParser(bytes: [UInt8](data), maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// Convenience for tests and literals in code.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(SCIMError) -> JSONValue {
        try parse(Data(text.utf8), maxDepth: maxDepth, maxBytes: Int.max)
    }
}

/// Byte-level recursive-descent JSON parser. Depth is checked before every descent.
struct JSONParser {
    private let bytes: [UInt8]
    private let maxDepth: Int
    private var pos = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(SCIMError) -> JSONValue {
        // Tolerate a UTF-8 byte order mark.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard pos == bytes.count else { throw fail("unexpected data after the JSON value") }
        return value
    }

    private func fail(_ what: String) -> SCIMError {
        .badRequest(.invalidSyntax, "Malformed JSON at byte \(pos): \(what).")
    }

    private var current: UInt8? { pos < bytes.count ? bytes[pos] : nil }

    private mutating func skipWhitespace() {
        while let b = current, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { pos += 1 }
    }

    private mutating func expectLiteral(_ word: StaticString, _ value: JSONValue) throws(SCIMError) -> JSONValue {
        let count = word.utf8CodeUnitCount
        guard pos + count <= bytes.count else { throw fail("truncated literal") }
        for i in 0..<count where bytes[pos + i] != word.utf8Start[i] {
            throw fail("invalid literal")
        }
        pos += count
        return value
    }

    private mutating func parseValue(depth: Int) throws(SCIMError) -> JSONValue {
        guard let b = current else { throw fail("unexpected end of input") }
        switch b {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expectLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try expectLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try expectLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected character")
        }
    }

    private mutating func enter(_ depth: Int) throws(SCIMError) {
        guard depth <= maxDepth else {
            throw .badRequest(.invalidSyntax, "The JSON document is nested deeper than \(maxDepth) levels.")
        }
        pos += 1
        skipWhitespace()
    }

    private mutating func parseObject(depth: Int) throws(SCIMError) -> JSONValue {
        try enter(depth)
        var members = OrderedDictionary<String, JSONValue>()
        if current == UInt8(ascii: "}") { pos += 1; return .object(members) }
        while true {
            guard current == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw fail("expected ':'") }
            pos += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            guard members.updateValue(value, forKey: key) == nil else {
                throw .badRequest(.invalidSyntax, "Duplicate JSON member \"\(key.prefix(64))\".")
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): pos += 1; skipWhitespace()
            case UInt8(ascii: "}"): pos += 1; return .object(members)
            default: throw fail("expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(SCIMError) -> JSONValue {
        try enter(depth)
        var elements: [JSONValue] = []
        if current == UInt8(ascii: "]") { pos += 1; return .array(elements) }
        while true {
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): pos += 1; skipWhitespace()
            case UInt8(ascii: "]"): pos += 1; return .array(elements)
            default: throw fail("expected ',' or ']'")
            }
        }
    }

    private mutating func parseNumber() throws(SCIMError) -> JSONValue {
        let start = pos
        var integral = true
        if current == UInt8(ascii: "-") { pos += 1 }
        guard let first = current, isDigit(first) else { throw fail("invalid number") }
        if first == UInt8(ascii: "0") {
            pos += 1
        } else {
            while let d = current, isDigit(d) { pos += 1 }
        }
        if current == UInt8(ascii: ".") {
            integral = false
            pos += 1
            guard let d = current, isDigit(d) else { throw fail("invalid number") }
            while let d = current, isDigit(d) { pos += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integral = false
            pos += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { pos += 1 }
            guard let d = current, isDigit(d) else { throw fail("invalid number") }
            while let d = current, isDigit(d) { pos += 1 }
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        if integral, let i = Int64(text) { return .integer(i) }
        guard let d = Double(text), d.isFinite else { throw fail("number out of range") }
        return .number(d)
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private mutating func parseString() throws(SCIMError) -> String {
        pos += 1  // opening quote
        var buffer: [UInt8] = []
        while true {
            guard let b = current else { throw fail("unterminated string") }
            pos += 1
            switch b {
            case UInt8(ascii: "\""):
                guard let s = String(validating: buffer, as: UTF8.self) else { throw fail("invalid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                try parseEscape(into: &buffer)
            case 0..<0x20:
                throw fail("control character in string")
            default:
                buffer.append(b)
            }
        }
    }

    private mutating func parseEscape(into buffer: inout [UInt8]) throws(SCIMError) {
        guard let e = current else { throw fail("unterminated escape") }
        pos += 1
        switch e {
        case UInt8(ascii: "\""): buffer.append(0x22)
        case UInt8(ascii: "\\"): buffer.append(0x5C)
        case UInt8(ascii: "/"): buffer.append(0x2F)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var code = try parseHex4()
            if (0xD800...0xDBFF).contains(code) {
                guard current == UInt8(ascii: "\\"), pos + 1 < bytes.count, bytes[pos + 1] == UInt8(ascii: "u")
                else { throw fail("unpaired surrogate") }
                pos += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(code) {
                throw fail("unpaired surrogate")
            }
            guard let scalar = Unicode.Scalar(code) else { throw fail("invalid escape") }
            buffer.append(contentsOf: Array(String(Character(scalar)).utf8))
        default:
            throw fail("invalid escape")
        }
    }

    private mutating func parseHex4() throws(SCIMError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[pos]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            pos += 1
        }
        return value
    }
}
