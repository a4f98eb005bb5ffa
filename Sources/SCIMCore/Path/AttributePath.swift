/// An attribute path (RFC 7644 §3.10 and the PATCH `path` grammar of §3.5.2):
/// `[schemaURN ":"] attribute ["[" valueFilter "]"] ["." subAttribute]`.
///
/// Names are kept as written until `resolved(against:)` replaces them with the schema's
/// spelling. `schemaURN` is nil for core-schema and common attributes once resolved.
/// Paths inside a value filter are relative to the filtered attribute (`type` in
/// `emails[type eq "work"]` means `emails.type`).
public struct AttributePath: Sendable, Hashable {
    public var schemaURN: String?
    public var attribute: String
    public var subAttribute: String?
    /// Only PATCH paths carry a value filter; in filters it is the `.valuePath` case.
    public var valueFilter: SCIMFilter?

    public init(schemaURN: String? = nil, attribute: String, subAttribute: String? = nil, valueFilter: SCIMFilter? = nil) {
        self.schemaURN = schemaURN
        self.attribute = attribute
        self.subAttribute = subAttribute
        self.valueFilter = valueFilter
    }

    /// Parses a plain `attrPath` (no value filter), as in `attributes=` or `sortBy=`.
    /// Malformed text is reported with `errorType` (default `invalidPath`).
    public init(parsing text: String, errorType: SCIMErrorType = .invalidPath) throws(SCIMError) {
        self = try Self.split(Substring(text), errorType: errorType)
    }

    /// Parses a PATCH operation `path`: an attribute path, optionally with a value filter
    /// and a sub-attribute after it (`emails[type eq "work"].value`). Errors inside the
    /// filter are `invalidFilter`, other errors `invalidPath`.
    public static func parsePatchPath(_ text: String, limits: FilterLimits = .default) throws(SCIMError) -> AttributePath {
        var parser = try FilterParser(text: text, limits: limits, errorType: .invalidPath)
        return try parser.parsePatchPath()
    }

    /// Splits `[urn:…:]name[.sub]`. The URN is everything before the last colon.
    static func split(_ text: Substring, errorType: SCIMErrorType) throws(SCIMError) -> AttributePath {
        func bad(_ why: String) -> SCIMError {
            SCIMError(status: 400, scimType: errorType, detail: "Invalid attribute path \"\(text.prefix(200))\": \(why).")
        }
        var urn: String?
        var rest = text
        if text.lowercased().hasPrefix("urn:") {
            guard let colon = text.lastIndex(of: ":") else { throw bad("missing attribute name") }
            urn = String(text[..<colon])
            rest = text[text.index(after: colon)...]
            guard urn!.count > 4 else { throw bad("empty schema URN") }
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw bad("too many levels") }
        guard isAttributeName(parts[0]) else { throw bad("not an attribute name") }
        var path = AttributePath(schemaURN: urn, attribute: String(parts[0]))
        if parts.count == 2 {
            guard isAttributeName(parts[1]) else { throw bad("not a sub-attribute name") }
            path.subAttribute = String(parts[1])
        }
        return path
    }

    /// ATTRNAME = ALPHA *(ALPHA / DIGIT / "-" / "_"), plus `$ref`.
    static func isAttributeName(_ s: Substring) -> Bool {
        if s.caseInsensitiveEquals("$ref") { return true }
        guard let first = s.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return s.unicodeScalars.allSatisfy { c in
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "_")
        }
    }

    /// The same path without value filter or sub-attribute.
    public var topLevel: AttributePath { AttributePath(schemaURN: schemaURN, attribute: attribute) }
}

extension AttributePath: CustomStringConvertible {
    public var description: String {
        var s = schemaURN.map { $0 + ":" } ?? ""
        s += attribute
        if let valueFilter { s += "[" + valueFilter.description + "]" }
        if let subAttribute { s += "." + subAttribute }
        return s
    }
}
