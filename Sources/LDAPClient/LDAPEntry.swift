/// One directory entry: its DN and attributes. Values are raw bytes (binary-safe).
public struct LDAPEntry: Sendable, Hashable {
    public struct Attribute: Sendable, Hashable {
        /// The attribute description as the server returned it, options included (`scimEmail;x-scim-type-work`).
        public let description: String
        public let values: [[UInt8]]
        /// The attribute type without options (computed once: every lookup compares it).
        public let type: String
        /// Options in lower case (`x-scim-type-work`), in the order the server sent them.
        public let options: [String]

        /// The lower-cased type of a description (`scimEmail;x-scim-type-work` → `scimemail`).
        static func typeKey(of description: String) -> String {
            let type = description.utf8.firstIndex(of: UInt8(ascii: ";")).map { description[..<$0] } ?? Substring(description)
            return type.lowercased()
        }

        public init(description: String, values: [[UInt8]]) {
            self.description = description
            self.values = values
            if let semi = description.utf8.firstIndex(of: UInt8(ascii: ";")) {
                type = String(description[..<semi])
                options = description[semi...].split(separator: ";").map { $0.lowercased() }
            } else {
                type = description
                options = []
            }
        }
    }

    public let dn: String
    public let attributes: [Attribute]
    /// One bit per attribute type present (`typeBit`): a reader can tell at once that none of the types it
    /// handles is here, without comparing names.
    public let typeBits: UInt64

    public init(dn: String, attributes: [Attribute]) {
        self.dn = dn
        self.attributes = attributes
        typeBits = attributes.reduce(0) { $0 | Self.typeBit($1.type) }
    }

    /// The bit of an attribute type (case-insensitive, options ignored by the caller): FNV-1a over the
    /// ASCII-lower-cased bytes, folded to one of 64 bits. Equal types always share a bit; others may too.
    public static func typeBit(_ type: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in type.utf8 {
            if byte == UInt8(ascii: ";") { break }  // a description's options are not part of its type
            let folded = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            hash = (hash ^ UInt64(folded)) &* 0x100_0000_01b3
        }
        return 1 << (hash % 64)
    }

    /// True when the entry may hold an attribute of one of the types whose bits are in `mask` (false: surely not).
    public func mayHold(_ mask: UInt64) -> Bool { typeBits & mask != 0 }

    /// Values of the attribute with exactly this description (case-insensitive, options included).
    public func values(_ description: String) -> [[UInt8]] {
        attributes.first { $0.description.caseInsensitiveEquals(description) }?.values ?? []
    }

    /// Every attribute of this type, with any options (`mail`, `mail;lang-en`).
    public func attributes(ofType type: String) -> [Attribute] {
        attributes.filter { $0.type.caseInsensitiveEquals(type) }
    }

    /// Values of `description` decoded as UTF-8 (invalid sequences repaired).
    public func strings(_ description: String) -> [String] {
        values(description).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The first value of `description` as a string.
    public func string(_ description: String) -> String? {
        values(description).first.map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Names LDAP spells in ASCII (attribute descriptions, object classes), compared byte by byte with A-Z folded.
public enum ASCIINames {
    /// True or false when ASCII decides; nil when the two differ in a byte beyond ASCII (only full case folding,
    /// or the server, can tell then).
    public static func equal(_ left: Span<UInt8>, _ right: Span<UInt8>) -> Bool? {
        guard left.count == right.count else { return false }
        for index in 0..<left.count {
            let a = left[index]
            let b = right[index]
            if a == b { continue }
            guard a < 0x80, b < 0x80 else { return nil }
            let folded = a | 0x20
            if folded != b | 0x20 || folded < 0x61 || folded > 0x7A { return false }
        }
        return true
    }
}

extension String {
    /// Attribute descriptions are ASCII: compared byte by byte, folding A-Z, without allocating. Most look-ups
    /// in an entry meet names of another length, told apart before either string's bytes are reached.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return ASCIINames.equal(utf8.span, other.utf8.span) ?? (lowercased() == other.lowercased())
    }
}
