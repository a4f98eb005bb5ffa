/// The attribute options that carry a multi-valued SCIM attribute's `type`, `primary` and grouping
/// (`scimEmail;x-scim-type-work;x-scim-primary`).
///
/// Types are case-insensitive in SCIM (RFC 7643 `caseExact: false`), like LDAP options: they are stored in lower
/// case; every character outside `a-z0-9` is written as `-xx` (hex of its UTF-8 bytes) so any type fits an option.
struct TaggedValueOptions: Hashable, Sendable {
    var type: String?
    var primary: Bool
    /// The client sent `"primary": false` (kept so the value reads back exactly as written; absent means unsaid).
    var explicitlyNotPrimary = false
    /// Groups the parts of one value spread over several attributes (display, address sub-attributes).
    var index: Int?

    static let prefix = "x-scim-"
    /// A value stored without options: no type, not primary, no position.
    static let none = TaggedValueOptions(type: nil, primary: false, index: nil)

    var options: [String] {
        var out: [String] = []
        if let type { out.append(Self.prefix + "type-" + Self.encode(type)) }
        if primary { out.append(Self.prefix + "primary") }
        if explicitlyNotPrimary && !primary { out.append(Self.prefix + "notprimary") }
        if let index { out.append(Self.prefix + "n\(index)") }
        return out
    }

    func description(for attribute: String) -> String {
        ([attribute] + options).joined(separator: ";")
    }

    /// Reads the options of an attribute description; unknown options are ignored.
    init(options: [String]) {
        var type: String?
        var primary = false
        var notPrimary = false
        var index: Int?
        // Options usually come lower-cased already (`LDAPEntry.Attribute`); compared as bytes.
        for raw in options {
            let option = raw.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } ? raw.lowercased() : raw
            guard option.utf8.starts(with: Self.prefix.utf8) else { continue }
            let rest = option.utf8.dropFirst(Self.prefix.utf8.count)
            if rest.starts(with: "type-".utf8) {
                type = Self.decode(String(Substring(rest.dropFirst(5))))
            } else if rest.elementsEqual("primary".utf8) {
                primary = true
            } else if rest.elementsEqual("notprimary".utf8) {
                notPrimary = true
            } else if rest.first == UInt8(ascii: "n"), let number = Int(Substring(rest.dropFirst())) {
                index = number
            }
        }
        self.init(type: type, primary: primary, index: index)
        explicitlyNotPrimary = notPrimary && !primary
    }

    init(type: String?, primary: Bool, index: Int?) {
        self.type = type.map { $0.lowercased() }
        self.primary = primary
        self.index = index
    }

    static func encode(_ type: String) -> String {
        var out = ""
        for byte in type.lowercased().utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789abcdef".utf8)
                out += "-" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return out
    }

    static func decode(_ encoded: String) -> String {
        var bytes: [UInt8] = []
        let input = Array(encoded.utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "-"), index + 2 < input.count,
                let value = UInt8(String(decoding: input[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
