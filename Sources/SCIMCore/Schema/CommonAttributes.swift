/// The attributes every resource carries (RFC 7643 §3.1). They belong to no schema, so
/// they are defined here rather than in `schema/scim/*.json`.
public enum CommonAttributes {
    public static let id = SCIMAttribute(
        name: "id", caseExact: true, mutability: .readOnly, returned: .always, uniqueness: .server,
        description: "A unique identifier for a SCIM resource as defined by the service provider."
    )

    public static let externalId = SCIMAttribute(
        name: "externalId", caseExact: true,
        description: "A String that is an identifier for the resource as defined by the provisioning client."
    )

    public static let meta = SCIMAttribute(
        name: "meta", type: .complex, mutability: .readOnly, returned: .always,
        subAttributes: [
            SCIMAttribute(name: "resourceType", caseExact: true, mutability: .readOnly),
            SCIMAttribute(name: "created", type: .dateTime, mutability: .readOnly),
            SCIMAttribute(name: "lastModified", type: .dateTime, mutability: .readOnly),
            SCIMAttribute(name: "location", type: .reference, caseExact: true, mutability: .readOnly, referenceTypes: ["uri"]),
            SCIMAttribute(name: "version", caseExact: true, mutability: .readOnly),
        ],
        description: "Resource metadata."
    )

    /// `schemas` is not an attribute of any schema either; it is always returned.
    public static let schemas = SCIMAttribute(
        name: "schemas", type: .reference, multiValued: true, required: true, caseExact: true,
        returned: .always, referenceTypes: ["uri"]
    )

    public static let all: [SCIMAttribute] = [schemas, id, externalId, meta]

    public static func attribute(named name: String) -> SCIMAttribute? {
        all.first { $0.name.caseInsensitiveEquals(name) }
    }
}
