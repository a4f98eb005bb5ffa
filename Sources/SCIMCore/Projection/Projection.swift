/// The `attributes` / `excludedAttributes` parameters (RFC 7644 §3.9) combined with each
/// attribute's `returned` characteristic (RFC 7643 §7).
///
/// `schemas`, `id` and `meta` are always returned; `returned: never` attributes (password)
/// never are; `returned: request` ones only when named in `attributes`. Entries may be
/// sub-attributes (`name.givenName`, `emails.value`), URN-qualified
/// (`urn:…:enterprise:2.0:User:department`) or a whole extension URN.
public struct Projection: Sendable, Hashable {
    public var attributes: [String]
    public var excludedAttributes: [String]

    /// Each element may itself be a comma-separated list, as in the query parameters.
    public init(attributes: [String] = [], excludedAttributes: [String] = []) {
        self.attributes = Self.splitList(attributes)
        self.excludedAttributes = Self.splitList(excludedAttributes)
    }

    /// From the raw query parameter values (nil when absent).
    public init(attributes: String?, excludedAttributes: String?) {
        self.init(attributes: attributes.map { [$0] } ?? [], excludedAttributes: excludedAttributes.map { [$0] } ?? [])
    }

    public static let all = Projection()

    /// Bound on the attributes one request may name (there are fewer than 100 in the core schemas).
    public static let maxEntries = 200

    public var isEmpty: Bool { attributes.isEmpty && excludedAttributes.isEmpty }

    /// Checks every entry names an attribute of `type` (400 `invalidPath` naming it). Optional:
    /// `apply` ignores entries it cannot resolve.
    public func validate(against type: ResolvedResourceType) throws(SCIMError) {
        guard attributes.count + excludedAttributes.count <= Self.maxEntries else {
            throw SCIMError.tooMany("attributes and excludedAttributes name at most \(Self.maxEntries) attributes.")
        }
        for entry in attributes + excludedAttributes {
            if Self.selector(entry, type: type) == nil {
                throw SCIMError.invalidPath("Unknown attribute \"\(entry.prefix(200))\".")
            }
        }
    }

    static func splitList(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces() }
            .filter { !$0.isEmpty }
    }

    /// What an entry selects, after resolution: a top-level attribute of a schema (nil
    /// `attribute` = the whole extension object) and possibly one sub-attribute.
    struct Selector: Hashable {
        var extensionURN: String?
        var attribute: String?
        var subAttribute: String?
    }

    static func selector(_ entry: String, type: ResolvedResourceType) -> Selector? {
        if let ext = type.extensionSchema(urn: entry) {
            return Selector(extensionURN: ext.id, attribute: nil, subAttribute: nil)
        }
        guard let parsed = try? AttributePath(parsing: entry), let path = try? parsed.resolved(against: type) else {
            return nil
        }
        return Selector(extensionURN: path.schemaURN, attribute: path.attribute, subAttribute: path.subAttribute)
    }
}
