/// One directory entry: its DN and attributes. Values are raw bytes (binary-safe).
public struct LDAPEntry: Sendable, Hashable {
    public struct Attribute: Sendable, Hashable {
        /// The attribute description as the server returned it, options included (`scimEmail;x-scim-type-work`).
        public let description: String
        public let values: [[UInt8]]

        public init(description: String, values: [[UInt8]]) {
            self.description = description
            self.values = values
        }

        /// The attribute type without options.
        public var type: String {
            if let semi = description.firstIndex(of: ";") { return String(description[..<semi]) }
            return description
        }

        /// Options in lower case (`x-scim-type-work`), in the order the server sent them.
        public var options: [String] {
            description.split(separator: ";").dropFirst().map { $0.lowercased() }
        }
    }

    public let dn: String
    public let attributes: [Attribute]

    public init(dn: String, attributes: [Attribute]) {
        self.dn = dn
        self.attributes = attributes
    }

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
        strings(description).first
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        utf8.count == other.utf8.count && lowercased() == other.lowercased()
    }
}
