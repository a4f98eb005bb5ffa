extension SCIMFilter {
    /// Checks every attribute against the resource type and rewrites names to the schema's
    /// spelling. Unknown attributes are 400 `invalidFilter` naming the attribute.
    ///
    /// Also: a comparison on a complex attribute with a `value` sub-attribute compares that
    /// sub-attribute (`emails co "x"` → `emails.value co "x"`); any other comparison on a
    /// complex attribute, and `gt`/`ge`/`lt`/`le` on booleans or binaries, are rejected as
    /// RFC 7644 §3.4.2.2 requires.
    public func resolved(against type: ResolvedResourceType) throws(SCIMError) -> SCIMFilter {
        try resolved(in: type, parent: nil, errorType: .invalidFilter)
    }

    /// Resolves a value filter relative to `parent` (the attribute in front of `[`).
    func resolved(relativeTo parent: SCIMAttribute, in type: ResolvedResourceType, errorType: SCIMErrorType) throws(SCIMError) -> SCIMFilter {
        guard parent.isComplex else {
            throw SCIMError(status: 400, scimType: errorType, detail: "\"\(parent.name)\" is not a complex attribute.")
        }
        return try resolved(in: type, parent: parent, errorType: errorType)
    }

    private func resolved(in type: ResolvedResourceType, parent: SCIMAttribute?, errorType: SCIMErrorType) throws(SCIMError) -> SCIMFilter {
        func path(_ p: AttributePath) throws(SCIMError) -> (AttributePath, SCIMAttribute) {
            if let parent {
                let r = try p.resolvedRelative(to: parent, errorType: .invalidFilter)
                return (r, parent.subAttribute(named: r.attribute)!)
            }
            let r = try p.resolved(against: type, errorType: .invalidFilter)
            return (r, type.definition(of: r)!)
        }
        switch self {
        case .present(let p):
            return .present(try path(p).0)
        case let .compare(p, op, value):
            var (resolvedPath, definition) = try path(p)
            if definition.isComplex {
                guard resolvedPath.subAttribute == nil, let valueSub = definition.subAttribute(named: "value") else {
                    throw SCIMError.invalidFilter("Cannot compare the complex attribute \"\(resolvedPath)\"; name a sub-attribute.")
                }
                resolvedPath.subAttribute = valueSub.name
                definition = valueSub
            }
            if [.gt, .ge, .lt, .le].contains(op), definition.type == .boolean || definition.type == .binary {
                throw SCIMError.invalidFilter("\"\(op.rawValue)\" cannot be used with the \(definition.type.rawValue) attribute \"\(resolvedPath)\".")
            }
            return .compare(resolvedPath, op, value)
        case let .and(l, r):
            return .and(
                try l.resolved(in: type, parent: parent, errorType: errorType), try r.resolved(in: type, parent: parent, errorType: errorType))
        case let .or(l, r):
            return .or(try l.resolved(in: type, parent: parent, errorType: errorType), try r.resolved(in: type, parent: parent, errorType: errorType))
        case .not(let f):
            return .not(try f.resolved(in: type, parent: parent, errorType: errorType))
        case let .valuePath(p, f):
            let (resolvedPath, definition) = try path(p)
            return .valuePath(resolvedPath, try f.resolved(relativeTo: definition, in: type, errorType: .invalidFilter))
        }
    }
}
