/// An RFC 4515 search filter, built from values that are always escaped when rendered.
///
/// Attribute descriptions are checked (letters, digits, `-`, `;`, `.`, and an optional `:rule` in extensible matches);
/// values are arbitrary bytes.
public indirect enum LDAPFilter: Sendable, Hashable, CustomStringConvertible {
    case and([LDAPFilter])
    case or([LDAPFilter])
    case not(LDAPFilter)
    case equal(String, [UInt8])
    case greaterOrEqual(String, [UInt8])
    case lessOrEqual(String, [UInt8])
    case approx(String, [UInt8])
    case present(String)
    /// `initial*any*any*final`; every part optional.
    case substrings(String, initial: [UInt8]?, any: [[UInt8]], final: [UInt8]?)
    /// `attr:rule:=value` (extensible match, no dn attributes).
    case extensible(String, rule: String, [UInt8])
    /// `(&)` absolute true and `(|)` absolute false (RFC 4526).
    public static let alwaysTrue = LDAPFilter.and([])
    public static let alwaysFalse = LDAPFilter.or([])

    public static func equal(_ attribute: String, _ value: String) -> LDAPFilter { .equal(attribute, Array(value.utf8)) }
    public static func greaterOrEqual(_ attribute: String, _ value: String) -> LDAPFilter {
        .greaterOrEqual(attribute, Array(value.utf8))
    }
    public static func lessOrEqual(_ attribute: String, _ value: String) -> LDAPFilter {
        .lessOrEqual(attribute, Array(value.utf8))
    }
    public static func substrings(_ attribute: String, initial: String? = nil, any: [String] = [], final: String? = nil)
        -> LDAPFilter
    {
        .substrings(
            attribute, initial: initial.map { Array($0.utf8) }, any: any.map { Array($0.utf8) },
            final: final.map { Array($0.utf8) })
    }

    /// The filter as an RFC 4515 string.
    public var description: String {
        var out = ""
        render(into: &out)
        return out
    }

    private func render(into out: inout String) {
        switch self {
        case .and(let parts):
            out += "(&"
            for part in parts { part.render(into: &out) }
            out += ")"
        case .or(let parts):
            out += "(|"
            for part in parts { part.render(into: &out) }
            out += ")"
        case .not(let inner):
            out += "(!"
            inner.render(into: &out)
            out += ")"
        case .equal(let attr, let value): simple(attr, "=", value, &out)
        case .greaterOrEqual(let attr, let value): simple(attr, ">=", value, &out)
        case .lessOrEqual(let attr, let value): simple(attr, "<=", value, &out)
        case .approx(let attr, let value): simple(attr, "~=", value, &out)
        case .present(let attr):
            out += "(\(Self.checkedAttribute(attr))=*)"
        case .substrings(let attr, let initial, let any, let final):
            out += "(\(Self.checkedAttribute(attr))="
            if let initial { out += Self.escape(initial) }
            out += "*"
            for part in any where !part.isEmpty { out += Self.escape(part) + "*" }
            if let final { out += Self.escape(final) }
            out += ")"
        case .extensible(let attr, let rule, let value):
            out += "(\(Self.checkedAttribute(attr)):\(Self.checkedAttribute(rule)):=\(Self.escape(value)))"
        }
    }

    private func simple(_ attr: String, _ op: String, _ value: [UInt8], _ out: inout String) {
        out += "(\(Self.checkedAttribute(attr))\(op)\(Self.escape(value)))"
    }

    /// RFC 4515 §3 value escaping: `*`, `(`, `)`, `\`, NUL, and every non-ASCII or control byte as `\xx`.
    public static func escape(_ value: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.count)
        for byte in value {
            switch byte {
            case 0x2A, 0x28, 0x29, 0x5C, 0x00...0x1F, 0x7F...0xFF:
                out.append(UInt8(ascii: "\\"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            default:
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func escape(_ value: String) -> String { escape(Array(value.utf8)) }

    /// Attribute descriptions and matching rule names may hold only keychars, `;`, `.`: anything else would let a
    /// caller-supplied name change the filter's structure, so it is replaced by an attribute that cannot match.
    static func checkedAttribute(_ name: String) -> String {
        let ok =
            !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2D || byte == 0x3B || byte == 0x2E
            }
        return ok ? name : "x-invalid-attribute"
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func hex(_ byte: UInt8) -> String {
        String(decoding: [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]], as: UTF8.self)
    }
}
