/// PUT may not change an immutable attribute that already has a value (RFC 7643 §2.2, RFC 7644 §3.5.1): it may set
/// one that is unassigned, and it may repeat the current value.
public enum ImmutableCheck {
    /// The immutable top-level attributes of a type (core and extensions): (schema URN or nil for core, name).
    public static func attributes(of type: ResolvedResourceType) -> [(urn: String?, name: String)] {
        var out: [(String?, String)] = []
        for attribute in type.coreSchema.attributes where attribute.mutability == .immutable { out.append((nil, attribute.name)) }
        for ext in type.extensions {
            for attribute in ext.schema.attributes where attribute.mutability == .immutable { out.append((ext.schema.id, attribute.name)) }
        }
        return out
    }

    /// Throws 400 mutability when `replacement` changes an immutable attribute `current` has.
    public static func verify(current: JSONValue, replacement: JSONValue, type: ResolvedResourceType) throws(SCIMError) {
        for (urn, name) in attributes(of: type) {
            let old = (urn.map { current[$0] } ?? current)?[name]
            guard let old, !old.isNull else { continue }
            let new = (urn.map { replacement[$0] } ?? replacement)?[name]
            if new != old {
                throw SCIMError.mutability("\(name) is immutable and already set.")
            }
        }
    }
}
