/// An attribute definition as in RFC 7643 §7.
public struct SCIMAttribute: Sendable, Hashable {
    public enum DataType: String, Sendable, Hashable, CaseIterable {
        case string, boolean, decimal, integer, dateTime, reference, complex, binary
    }

    public enum Mutability: String, Sendable, Hashable, CaseIterable {
        case readOnly, readWrite, immutable, writeOnly
    }

    public enum Returned: String, Sendable, Hashable, CaseIterable {
        case always, never, `default`, request
    }

    public enum Uniqueness: String, Sendable, Hashable, CaseIterable {
        case none, server, global
    }

    public var name: String
    public var type: DataType
    public var multiValued: Bool
    public var required: Bool
    public var caseExact: Bool
    public var mutability: Mutability
    public var returned: Returned
    public var uniqueness: Uniqueness
    public var subAttributes: [SCIMAttribute]
    public var canonicalValues: [String]
    public var referenceTypes: [String]
    public var description: String

    /// Defaults follow RFC 7643 §2.2.
    public init(
        name: String,
        type: DataType = .string,
        multiValued: Bool = false,
        required: Bool = false,
        caseExact: Bool = false,
        mutability: Mutability = .readWrite,
        returned: Returned = .default,
        uniqueness: Uniqueness = .none,
        subAttributes: [SCIMAttribute] = [],
        canonicalValues: [String] = [],
        referenceTypes: [String] = [],
        description: String = ""
    ) {
        self.name = name
        self.type = type
        self.multiValued = multiValued
        self.required = required
        self.caseExact = caseExact
        self.mutability = mutability
        self.returned = returned
        self.uniqueness = uniqueness
        self.subAttributes = subAttributes
        self.canonicalValues = canonicalValues
        self.referenceTypes = referenceTypes
        self.description = description
    }

    /// The sub-attribute named `name`, ignoring letter case.
    public func subAttribute(named name: String) -> SCIMAttribute? {
        subAttributes.first { $0.name.caseInsensitiveEquals(name) }
    }

    public var isComplex: Bool { type == .complex }
}
