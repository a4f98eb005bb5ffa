/// An RFC 4514 distinguished name: a sequence of RDNs, each a set of one or more `type=value` pairs.
///
/// Parsing accepts every escape form (`\,`, `\2C`, `#` hex-encoded BER values are kept as raw bytes); rendering
/// escapes what RFC 4514 §2.4 requires, so any byte string can round-trip as an attribute value.
public struct DistinguishedName: Sendable, Hashable, CustomStringConvertible {
    public struct AttributeValueAssertion: Sendable, Hashable {
        public let type: String
        public let value: [UInt8]

        public init(type: String, value: [UInt8]) {
            self.type = type
            self.value = value
        }

        public init(_ type: String, _ value: String) {
            self.init(type: type, value: Array(value.utf8))
        }

        public var stringValue: String { String(decoding: value, as: UTF8.self) }
    }

    public struct RDN: Sendable, Hashable, CustomStringConvertible {
        public let assertions: [AttributeValueAssertion]

        public init(_ assertions: [AttributeValueAssertion]) {
            precondition(!assertions.isEmpty, "an RDN has at least one attribute value assertion")
            self.assertions = assertions
        }

        public init(_ type: String, _ value: String) {
            self.init([AttributeValueAssertion(type, value)])
        }

        public var description: String {
            assertions.map { "\($0.type)=\(DistinguishedName.escape($0.value))" }.joined(separator: "+")
        }
    }

    public let rdns: [RDN]

    public init(rdns: [RDN]) { self.rdns = rdns }

    /// Parses a string DN; throws `DNParseError` on malformed input.
    public init(_ string: String) throws(DNParseError) {
        var parser = DNParser(Array(string.utf8))
        self.rdns = try parser.parse()
    }

    public var description: String { rdns.map(\.description).joined(separator: ",") }

    /// The parent DN (nil for a single-RDN name or the empty DN).
    public var parent: DistinguishedName? {
        rdns.count > 1 ? DistinguishedName(rdns: Array(rdns.dropFirst())) : nil
    }

    public var rdn: RDN? { rdns.first }

    /// A child of this DN with the given RDN.
    public func child(_ rdn: RDN) -> DistinguishedName { DistinguishedName(rdns: [rdn] + rdns) }

    /// True when `self` is `other` or lies below it. Types compare case-insensitively, values exactly after
    /// ASCII case folding (adequate for the case-ignore naming attributes used in practice).
    public func isDescendant(of other: DistinguishedName) -> Bool {
        guard rdns.count >= other.rdns.count else { return false }
        return zip(rdns.suffix(other.rdns.count), other.rdns).allSatisfy { $0.normalizedKey == $1.normalizedKey }
    }

    /// A comparison key: lower-cased types and values, assertions sorted.
    public var normalized: String { rdns.map(\.normalizedKey).joined(separator: ",") }

    /// RFC 4514 §2.4 escaping of one attribute value. Valid UTF-8 stays readable; bytes that are not valid UTF-8
    /// are hex-escaped so the DN string always holds the exact value.
    public static func escape(_ value: [UInt8]) -> String {
        let readable = String(validating: value, as: UTF8.self) != nil
        var out: [UInt8] = []
        out.reserveCapacity(value.count + 8)
        for (index, byte) in value.enumerated() {
            let edge = index == 0 || index == value.count - 1
            switch byte {
            case 0x22, 0x2B, 0x2C, 0x3B, 0x3C, 0x3E, 0x5C, 0x3D:  // " + , ; < > \ =
                out += [0x5C, byte]
            case 0x20 where edge, 0x23 where index == 0:  // leading/trailing space, leading #
                out += [0x5C, byte]
            case 0x00...0x1F, 0x7F:
                out += [0x5C] + Array(LDAPFilter.hex(byte).utf8)
            case 0x80...0xFF where !readable:
                out += [0x5C] + Array(LDAPFilter.hex(byte).utf8)
            default:
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func escape(_ value: String) -> String { escape(Array(value.utf8)) }
}

extension DistinguishedName.RDN {
    var normalizedKey: String {
        assertions.map { "\($0.type.lowercased())=\(String(decoding: $0.value, as: UTF8.self).lowercased())" }
            .sorted().joined(separator: "+")
    }
}

public struct DNParseError: Error, Sendable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid DN at byte \(offset): \(reason)" }
}

private struct DNParser {
    let bytes: [UInt8]
    var pos = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func parse() throws(DNParseError) -> [DistinguishedName.RDN] {
        if bytes.allSatisfy({ $0 == 0x20 }) { return [] }
        var rdns: [DistinguishedName.RDN] = []
        while true {
            var avas: [DistinguishedName.AttributeValueAssertion] = []
            while true {
                avas.append(try parseAVA())
                if pos < bytes.count, bytes[pos] == 0x2B { pos += 1; continue }  // '+'
                break
            }
            rdns.append(DistinguishedName.RDN(avas))
            if pos == bytes.count { return rdns }
            guard bytes[pos] == 0x2C || bytes[pos] == 0x3B else { throw fail("expected ','") }
            pos += 1
        }
    }

    func fail(_ reason: String) -> DNParseError { DNParseError(offset: pos, reason: reason) }

    mutating func skipSpaces() { while pos < bytes.count, bytes[pos] == 0x20 { pos += 1 } }

    mutating func parseAVA() throws(DNParseError) -> DistinguishedName.AttributeValueAssertion {
        skipSpaces()
        let start = pos
        while pos < bytes.count, Self.isTypeChar(bytes[pos]) { pos += 1 }
        guard pos > start else { throw fail("expected an attribute type") }
        let type = String(decoding: bytes[start..<pos], as: UTF8.self)
        skipSpaces()
        guard pos < bytes.count, bytes[pos] == 0x3D else { throw fail("expected '='") }
        pos += 1
        skipSpaces()
        if pos < bytes.count, bytes[pos] == 0x23 { return .init(type: type, value: try parseHexString()) }
        return .init(type: type, value: try parseString())
    }

    static func isTypeChar(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x2E
    }

    mutating func parseHexString() throws(DNParseError) -> [UInt8] {
        pos += 1  // '#'
        var out: [UInt8] = []
        while pos + 1 < bytes.count, let hi = Self.hexValue(bytes[pos]), let lo = Self.hexValue(bytes[pos + 1]) {
            out.append(hi << 4 | lo)
            pos += 2
        }
        guard !out.isEmpty else { throw fail("empty hex string") }
        skipSpaces()
        return out
    }

    mutating func parseString() throws(DNParseError) -> [UInt8] {
        var out: [UInt8] = []
        var trailingUnescapedSpaces = 0
        while pos < bytes.count {
            let b = bytes[pos]
            if b == 0x2C || b == 0x3B || b == 0x2B { break }
            if b == 0x5C {
                pos += 1
                guard pos < bytes.count else { throw fail("dangling escape") }
                if pos + 1 < bytes.count, let hi = Self.hexValue(bytes[pos]), let lo = Self.hexValue(bytes[pos + 1]) {
                    out.append(hi << 4 | lo)
                    pos += 2
                } else if Self.isEscapable(bytes[pos]) {
                    out.append(bytes[pos])
                    pos += 1
                } else {
                    throw fail("invalid escape")
                }
                trailingUnescapedSpaces = 0
                continue
            }
            if b == 0x22 || b == 0x3C || b == 0x3E || b == 0x00 { throw fail("character must be escaped") }
            out.append(b)
            trailingUnescapedSpaces = b == 0x20 ? trailingUnescapedSpaces + 1 : 0
            pos += 1
        }
        out.removeLast(trailingUnescapedSpaces)
        return out
    }

    static func isEscapable(_ b: UInt8) -> Bool {
        [0x20, 0x22, 0x23, 0x2B, 0x2C, 0x3B, 0x3C, 0x3D, 0x3E, 0x5C].contains(b)
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }
}
