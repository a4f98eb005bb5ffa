/// Query parameters of a list request, from the URL (RFC 7644 §3.4.2) or from a
/// `POST /.search` body (§3.4.3).
public struct SearchRequest: Sendable, Hashable {
    public enum SortOrder: String, Sendable, Hashable, CaseIterable {
        case ascending, descending
    }

    /// Parsed but not yet resolved against a resource type; see `resolved(against:)`.
    public var filter: SCIMFilter?
    public var projection: Projection
    public var sortBy: AttributePath?
    public var sortOrder: SortOrder?
    /// 1-based; values below 1 are read as 1 (§3.4.2.4).
    public var startIndex: Int
    /// Nil when the client gave none (the server picks); negative values are read as 0.
    public var count: Int?

    public init(
        filter: SCIMFilter? = nil, projection: Projection = .all, sortBy: AttributePath? = nil,
        sortOrder: SortOrder? = nil, startIndex: Int = 1, count: Int? = nil
    ) {
        self.filter = filter
        self.projection = projection
        self.sortBy = sortBy
        self.sortOrder = sortOrder
        self.startIndex = max(1, startIndex)
        self.count = count.map { max(0, $0) }
    }

    /// From URL query parameters; names are matched ignoring case.
    public init(query: [String: String], filterLimits: FilterLimits = .default) throws(SCIMError) {
        func param(_ name: String) -> String? {
            query[name] ?? query.first { $0.key.caseInsensitiveEquals(name) }?.value
        }
        try self.init(
            filter: param("filter"),
            attributes: param("attributes").map { [$0] } ?? [],
            excludedAttributes: param("excludedAttributes").map { [$0] } ?? [],
            sortBy: param("sortBy"),
            sortOrder: param("sortOrder"),
            startIndex: try param("startIndex").map { s throws(SCIMError) in try Self.integer(.string(s), "startIndex") },
            count: try param("count").map { s throws(SCIMError) in try Self.integer(.string(s), "count") },
            filterLimits: filterLimits
        )
    }

    /// From a `POST /.search` body. Numbers may be JSON numbers or numeric strings.
    public init(json: JSONValue, filterLimits: FilterLimits = .default) throws(SCIMError) {
        guard case .object = json else { throw SCIMError.invalidSyntax("The search request must be a JSON object.") }
        if let schemas = json["schemas"] {
            guard let list = schemas.arrayValue, list.contains(where: { $0.stringValue?.caseInsensitiveEquals(SCIMURN.searchRequest) == true })
            else { throw SCIMError.invalidSyntax("\"schemas\" must contain \"\(SCIMURN.searchRequest)\".") }
        }
        func string(_ key: String) throws(SCIMError) -> String? {
            guard let v = json[key], !v.isNull else { return nil }
            guard let s = v.stringValue else { throw SCIMError.invalidValue("\"\(key)\" must be a string.") }
            return s
        }
        func list(_ key: String) throws(SCIMError) -> [String] {
            guard let v = json[key], !v.isNull else { return [] }
            if let s = v.stringValue { return [s] }
            guard let a = v.arrayValue else { throw SCIMError.invalidValue("\"\(key)\" must be an array of strings.") }
            var out: [String] = []
            for e in a {
                guard let s = e.stringValue else { throw SCIMError.invalidValue("\"\(key)\" must be an array of strings.") }
                out.append(s)
            }
            return out
        }
        func number(_ key: String) throws(SCIMError) -> Int? {
            guard let v = json[key], !v.isNull else { return nil }
            return try Self.integer(v, key)
        }
        try self.init(
            filter: try string("filter"),
            attributes: try list("attributes"),
            excludedAttributes: try list("excludedAttributes"),
            sortBy: try string("sortBy"),
            sortOrder: try string("sortOrder"),
            startIndex: try number("startIndex"),
            count: try number("count"),
            filterLimits: filterLimits
        )
    }

    private init(
        filter: String?, attributes: [String], excludedAttributes: [String], sortBy: String?, sortOrder: String?,
        startIndex: Int?, count: Int?, filterLimits: FilterLimits
    ) throws(SCIMError) {
        var parsedFilter: SCIMFilter?
        if let filter, !filter.trimmingSpaces().isEmpty {
            parsedFilter = try SCIMFilter.parse(filter, limits: filterLimits)
        }
        var parsedSortBy: AttributePath?
        if let sortBy, !sortBy.trimmingSpaces().isEmpty {
            parsedSortBy = try AttributePath(parsing: sortBy.trimmingSpaces(), errorType: .invalidValue)
        }
        var parsedOrder: SortOrder?
        if let sortOrder, !sortOrder.isEmpty {
            guard let order = SortOrder(rawValue: sortOrder.lowercased()) else {
                throw SCIMError.invalidValue("\"sortOrder\" must be \"ascending\" or \"descending\".")
            }
            parsedOrder = order
        }
        self.init(
            filter: parsedFilter,
            projection: Projection(attributes: attributes, excludedAttributes: excludedAttributes),
            sortBy: parsedSortBy,
            sortOrder: parsedOrder,
            startIndex: startIndex ?? 1,
            count: count
        )
    }

    /// An integer from a JSON number or a numeric string; out-of-range values saturate.
    static func integer(_ value: JSONValue, _ name: String) throws(SCIMError) -> Int {
        switch value {
        case .integer(let i): return Int(clamping: i)
        case .number(let d) where d.isFinite && d.rounded() == d:
            return d >= Double(Int.max) ? Int.max : d <= Double(Int.min) ? Int.min : Int(d)
        case .string(let s):
            let t = s.trimmingSpaces()
            if let i = Int(t) { return i }
            let digits = t.first == "-" || t.first == "+" ? t.dropFirst() : Substring(t)
            if !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                return t.first == "-" ? Int.min : Int.max  // too many digits: saturate
            }
        default: break
        }
        throw SCIMError.invalidValue("\"\(name)\" must be an integer.")
    }

    /// Resolves the filter and `sortBy` against `type` (unknown attributes: 400
    /// `invalidFilter` / `invalidValue`).
    public func resolved(against type: ResolvedResourceType) throws(SCIMError) -> SearchRequest {
        var copy = self
        copy.filter = try filter?.resolved(against: type)
        copy.sortBy = try sortBy?.resolved(against: type, errorType: .invalidValue)
        return copy
    }
}
