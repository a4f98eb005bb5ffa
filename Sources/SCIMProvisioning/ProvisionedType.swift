import LDAPClient
import SCIMCore

/// One resource type as a target receives it.
public struct ProvisionedType: Sendable {
    public var name: String
    /// `/Users`, `/Groups`.
    public var endpoint: String
    public var resolved: ResolvedResourceType
    public var attributes: AttributeFilter
    /// Lower-case names (`urn:…:name` for extension attributes) of what we send: removed on the target when we
    /// no longer have a value.
    public var managed: Set<String>
    /// The target's own selection, ANDed with the mapping's.
    public var selection: LDAPFilter?
    public var hasMembers: Bool

    public init(resolved: ResolvedResourceType, settings: TargetSettings) {
        let name = resolved.resourceType.name
        self.name = name
        let endpoint = resolved.resourceType.endpoint
        self.endpoint = endpoint.hasPrefix("/") ? endpoint : "/" + endpoint
        self.resolved = resolved
        let filter = AttributeFilter(allowed: settings.attributes?[name], excluded: settings.excludedAttributes)
        self.attributes = filter
        self.selection = settings.selection[name]
        var managed = Set<String>()
        for attribute in resolved.coreSchema.attributes where attribute.mutability != .readOnly && filter.sends(attribute.name) {
            managed.insert(attribute.name.lowercased())
        }
        for ext in resolved.extensions {
            for attribute in ext.schema.attributes where attribute.mutability != .readOnly && filter.sends("\(ext.schema.id):\(attribute.name)") {
                managed.insert("\(ext.schema.id):\(attribute.name)".lowercased())
            }
        }
        managed.subtract(["password", "externalid", "members", "groups"])
        self.managed = managed
        self.hasMembers = resolved.coreSchema.attributes.contains { $0.name.caseInsensitiveEquals("members") }
    }
}
