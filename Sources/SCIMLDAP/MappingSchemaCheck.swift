import LDAPClient

/// Checks a mapping against the live directory's schema before the gateway serves anything, so a typo in an
/// attribute or object class stops start-up with a message naming the mapping entry instead of failing writes.
public enum MappingSchemaCheck {
    /// Every problem found, each naming the resource type and mapping entry; empty when the mapping fits.
    public static func problems(_ mapping: Mapping, schema: DirectorySchemaRules) -> [String] {
        var problems: [String] = []
        for (name, resource) in mapping.resourceTypes.sorted(by: { $0.key < $1.key }) {
            for objectClass in resource.objectClasses where schema.objectClasses[objectClass.lowercased()] == nil {
                problems.append("\(name).objectClasses: the directory has no object class \(objectClass)")
            }
            let (must, may) = schema.attributes(of: resource.objectClasses)
            func allowed(_ attribute: String) -> Bool {
                let type = String(attribute.split(separator: ";").first ?? "")
                if schema.rules(for: type)?.operational == true { return true }
                let names = schema.names(of: type)
                return !names.isDisjoint(with: must) || !names.isDisjoint(with: may) || type.lowercased() == "objectclass"
            }
            func check(_ attribute: String, _ entry: String, writes: Bool = true) {
                if !schema.knows(attribute) {
                    problems.append("\(name).\(entry): the directory has no attribute type \(attribute)")
                } else if writes, !allowed(attribute) {
                    problems.append(
                        "\(name).\(entry): \(attribute) is not allowed by objectClasses \(resource.objectClasses.joined(separator: ", "))")
                }
            }
            check(resource.rdnAttribute, "rdnAttribute")
            if let extra = resource.rdnCollision { check(extra, "rdnCollision") }
            if let membership = resource.membership { check(membership.attribute, "membership.attribute") }
            if let value = resource.membership?.value { check(value, "membership.value", writes: false) }
            for ldap in (resource.derived ?? [:]).keys.sorted() { check(ldap, "derived.\(ldap)") }
            for ldap in (resource.defaults ?? [:]).keys.sorted() { check(ldap, "defaults.\(ldap)") }
            for ldap in (resource.allocate ?? [:]).keys.sorted() { check(ldap, "allocate.\(ldap)") }
            for attribute in resource.attributes {
                // `groups` is read from an operational attribute maintained by the directory.
                for ldap in attribute.ldapAttributes { check(ldap, "attributes[\(attribute.scim)]", writes: attribute.kind.name != .groups) }
            }
            if resource.passwordPolicy != nil {
                // The state is computed from ppolicy's operational attributes: without the overlay there is none.
                for ldap in PasswordStateAttributes.read { check(ldap, "passwordPolicy", writes: false) }
            }
            // What the object classes require must come from somewhere, or every create fails.
            var provided: Set<String> = ["objectclass", resource.rdnAttribute.lowercased()]
            for attribute in resource.attributes { for ldap in attribute.ldapAttributes { provided.formUnion(schema.names(of: ldap)) } }
            for ldap in (resource.derived ?? [:]).keys { provided.formUnion(schema.names(of: ldap)) }
            for ldap in (resource.defaults ?? [:]).keys { provided.formUnion(schema.names(of: ldap)) }
            for ldap in (resource.allocate ?? [:]).keys { provided.formUnion(schema.names(of: ldap)) }
            if let membership = resource.membership { provided.formUnion(schema.names(of: membership.attribute)) }
            provided = provided.reduce(into: provided) { $0.formUnion(schema.names(of: $1)) }
            for required in must.sorted() where !schema.names(of: required).contains(where: provided.contains) {
                problems.append("\(name).objectClasses: the directory requires \(required), which no mapped or derived attribute provides")
            }
        }
        return problems
    }
}

extension LDAPResourceStore {
    /// Reads the directory's schema and checks the mapping against it; throws a `MappingError` listing every
    /// problem.
    public func verifyMapping() async throws {
        let schema = try await DirectorySchemaRules.load(from: pool)
        var problems = MappingSchemaCheck.problems(mapping, schema: schema)
        for (name, resource) in mapping.resourceTypes.sorted(by: { $0.key < $1.key }) {
            for (ldap, allocation) in (resource.allocate ?? [:]).sorted(by: { $0.key < $1.key }) {
                let attribute = allocation.attribute ?? ldap
                let counter = try? await pool.search(base: allocation.counter, scope: .base, attributes: [attribute])
                if counter?.entries.first?.string(attribute).flatMap({ Int($0) }) == nil {
                    problems.append(
                        "\(name).allocate.\(ldap): the counter entry \(allocation.counter) is missing, unreadable, or holds no number in \(attribute)"
                    )
                }
            }
        }
        guard problems.isEmpty else {
            throw MappingError("the mapping does not fit the directory's schema:\n  " + problems.joined(separator: "\n  "))
        }
    }
}
