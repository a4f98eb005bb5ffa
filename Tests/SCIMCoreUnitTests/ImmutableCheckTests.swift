import SCIMCore
import Testing

@Suite("Immutable attributes on PUT (RFC 7644 §3.5.1)")
struct ImmutableCheckTests {
    /// A User type whose extension declares an immutable attribute, as an organisation's custom schema may.
    static let type: ResolvedResourceType = {
        var resolved = userType
        let schema = try! SCIMSchema(
            json: json(
                """
                {"id":"urn:example:params:scim:schemas:extension:badge:2.0:User","name":"Badge","attributes":[
                  {"name":"badgeNumber","type":"string","multiValued":false,"required":false,"caseExact":true,
                   "mutability":"immutable","returned":"default","uniqueness":"none"}]}
                """))
        resolved.extensions.append(.init(schema: schema, required: false))
        return resolved
    }()
    static let urn = "urn:example:params:scim:schemas:extension:badge:2.0:User"

    @Test(
        arguments: [
            (nil, "B-1", true),  // unassigned: may be set
            ("B-1", "B-1", true),  // repeating the value is fine
            ("B-1", "B-2", false),  // changing it is not
            ("B-1", nil, false),  // nor clearing it
        ] as [(String?, String?, Bool)])
    func immutableValues(current: String?, replacement: String?, allowed: Bool) throws {
        func resource(_ badge: String?) -> JSONValue {
            guard let badge else { return json(#"{"userName":"u"}"#) }
            return json(#"{"userName":"u","\#(Self.urn)":{"badgeNumber":"\#(badge)"}}"#)
        }
        #expect(ImmutableCheck.attributes(of: Self.type).map(\.name) == ["badgeNumber"])
        do {
            try ImmutableCheck.verify(current: resource(current), replacement: resource(replacement), type: Self.type)
            #expect(allowed)
        } catch {
            #expect(!allowed)
            #expect(error.scimType == .mutability)
        }
    }
}
