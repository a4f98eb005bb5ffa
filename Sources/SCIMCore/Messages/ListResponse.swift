import OrderedCollections

/// A list response (RFC 7644 §3.4.2). Counters are always encoded as JSON integers.
public struct ListResponse: Sendable, Hashable {
    public var resources: [JSONValue]
    public var totalResults: Int
    public var startIndex: Int
    public var itemsPerPage: Int

    /// `totalResults` defaults to the number of resources, `itemsPerPage` likewise.
    public init(resources: [JSONValue], totalResults: Int? = nil, startIndex: Int = 1, itemsPerPage: Int? = nil) {
        self.resources = resources
        self.totalResults = totalResults ?? resources.count
        self.startIndex = startIndex
        self.itemsPerPage = itemsPerPage ?? resources.count
    }

    public var json: JSONValue {
        var o = OrderedDictionary<String, JSONValue>()
        o["schemas"] = [.string(SCIMURN.listResponse)]
        o["totalResults"] = .integer(Int64(totalResults))
        o["startIndex"] = .integer(Int64(startIndex))
        o["itemsPerPage"] = .integer(Int64(itemsPerPage))
        o["Resources"] = .array(resources)
        return .object(o)
    }
}
