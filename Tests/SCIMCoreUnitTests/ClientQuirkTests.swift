import Testing
import SCIMCore

/// What real identity providers send (README: "Connecting identity providers"), one test per habit.
@Suite("Microsoft Entra ID")
struct EntraTests {
    @Test("booleans as \"True\"/\"False\" strings")
    func stringBooleans() throws {
        let out = try ResourceValidator(type: userType).validate(
            json(
                #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","active":"True","emails":[{"value":"a","primary":"False"}]}"#
            ))
        #expect(out["active"] == true)
        #expect(out["emails"]?[0]?["primary"] == false)
    }

    @Test("PascalCase PATCH ops", arguments: ["Replace", "Add", "Remove"])
    func pascalCaseOps(op: String) throws {
        let body = json(
            #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":""# + op
                + #"","path":"members","value":[{"value":"u"}]}]}"#)
        #expect(try PatchRequest(json: body).operations[0].op.rawValue == op.lowercased())
    }

    @Test("member removal keeps its value list")
    func memberRemoval() throws {
        let body = json(
            #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"u1"}]}]}"#
        )
        #expect(try PatchRequest(json: body).operations[0].value == [["value": "u1"]])
    }

    @Test("manager as a bare id")
    func bareManager() throws {
        let out = try ResourceValidator(type: userType).validate(
            json(
                """
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u",
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m-1"}}
                """))
        #expect(out[enterpriseURN]?["manager"] == ["value": "m-1"])
    }

    @Test(
        "lookup filters",
        arguments: [
            (#"userName eq "bjensen@example.com""#, true),
            (#"externalId eq "701984""#, true),
            (#"emails[type eq "work"].value eq "bjensen@example.com""#, true),
        ])
    func lookups(filter: String, matches: Bool) throws {
        #expect(try SCIMFilter.parse(filter).resolved(against: userType).matches(bjensen, type: userType) == matches)
    }
}

@Suite("Okta")
struct OktaTests {
    @Test("userName filters match ignoring case")
    func userNameCase() throws {
        let filter = try SCIMFilter.parse(#"userName eq "BJensen@Example.com""#).resolved(against: userType)
        #expect(filter.matches(bjensen, type: userType))
    }

    @Test("list counters are JSON numbers")
    func counters() throws {
        let request = try SearchRequest(query: ["filter": #"userName eq "x""#, "startIndex": "1", "count": "100"])
        let list = ListResponse(resources: [], totalResults: 0, startIndex: request.startIndex)
        #expect(list.json["totalResults"] == .integer(0))
        #expect(list.json["startIndex"] == .integer(1))
        #expect(list.json["itemsPerPage"] == .integer(0))
    }

    @Test("group push removes one member by filter")
    func memberFilterRemove() throws {
        let body = json(
            #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"00u1\"]"}]}"#)
        let path = try #require(try PatchRequest(json: body).operations[0].path).resolved(against: groupType)
        #expect(path.valueFilter == .compare(AttributePath(attribute: "value"), .eq, "00u1"))
    }
}
