extension AttributePath {
    /// Replaces names with the schema's spelling and checks that they exist.
    ///
    /// Unknown attributes are reported with `errorType` (`invalidPath` for PATCH paths and
    /// projections, `invalidFilter` for filters), naming the attribute. A URN equal to the
    /// core schema is dropped; extension URNs take the registry's spelling. A value filter
    /// is resolved relative to this attribute.
    public func resolved(against type: ResolvedResourceType, errorType: SCIMErrorType = .invalidPath) throws(SCIMError) -> AttributePath {
        func unknown(_ name: String) -> SCIMError {
            SCIMError(status: 400, scimType: errorType, detail: "Unknown attribute \"\(name.prefix(200))\".")
        }
        if let urn = schemaURN, type.schema(urn: urn) == nil {
            throw SCIMError(status: 400, scimType: errorType, detail: "Unknown schema \"\(urn.prefix(200))\".")
        }
        guard let (definition, extensionURN) = type.attribute(named: attribute, schemaURN: schemaURN) else {
            throw unknown(schemaURN.map { $0 + ":" + attribute } ?? attribute)
        }
        var out = AttributePath(schemaURN: extensionURN, attribute: definition.name)
        if let valueFilter {
            out.valueFilter = try valueFilter.resolved(relativeTo: definition, in: type, errorType: errorType)
        }
        if let sub = subAttribute {
            guard let subDefinition = definition.subAttribute(named: sub) else {
                throw unknown(out.description + "." + sub)
            }
            out.subAttribute = subDefinition.name
        }
        return out
    }

    /// Resolves a path written inside a value filter, against the sub-attributes of `parent`.
    func resolvedRelative(to parent: SCIMAttribute, errorType: SCIMErrorType) throws(SCIMError) -> AttributePath {
        guard schemaURN == nil, subAttribute == nil, valueFilter == nil,
            let definition = parent.subAttribute(named: attribute)
        else {
            throw SCIMError(
                status: 400, scimType: errorType,
                detail: "Unknown attribute \"\(parent.name).\(description.prefix(200))\"."
            )
        }
        return AttributePath(attribute: definition.name)
    }
}
