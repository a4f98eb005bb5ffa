import Testing
import SCIMCore

@Suite("List, search and PATCH messages (RFC 7644 §3.4, §3.5.2)")
struct MessageTests {
    @Test("ListResponse counters are JSON integers")
    func listResponse() {
        let list = ListResponse(resources: [["id": "a"]], totalResults: 10, startIndex: 3)
        #expect(
            list.json.jsonString()
                == #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":10,"startIndex":3,"itemsPerPage":1,"Resources":[{"id":"a"}]}"#
        )
    }

    @Test(
        "search request from a body",
        arguments: [
            (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"startIndex":5,"count":10}"#, 5, 10 as Int?),
            (#"{"startIndex":"5","count":"10"}"#, 5, 10),
            (#"{"startIndex":0,"count":-4}"#, 1, 0),
            (#"{"startIndex":-9}"#, 1, nil),
            (#"{"count":2.0}"#, 1, 2),
            (#"{"startIndex":"99999999999999999999999"}"#, Int.max, nil),
            ("{}", 1, nil),
        ])
    func searchNumbers(body: String, startIndex: Int, count: Int?) throws {
        let request = try SearchRequest(json: json(body))
        #expect(request.startIndex == startIndex)
        #expect(request.count == count)
    }

    @Test("search request fields")
    func searchFields() throws {
        let request = try SearchRequest(
            json: json(
                """
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                 "attributes":["displayName","userName"],"excludedAttributes":"emails",
                 "filter":"displayName sw \\"smith\\"","sortBy":"name.familyName","sortOrder":"Descending"}
                """))
        #expect(request.projection.attributes == ["displayName", "userName"])
        #expect(request.projection.excludedAttributes == ["emails"])
        #expect(request.filter?.description == #"displayName sw "smith""#)
        #expect(request.sortBy?.description == "name.familyName")
        #expect(request.sortOrder == .descending)
    }

    @Test("search request from the query string (Okta)")
    func searchQuery() throws {
        let request = try SearchRequest(query: ["filter": #"userName eq "x""#, "startIndex": "1", "count": "100", "ATTRIBUTES": "userName,id"])
        #expect(request.filter == .compare(AttributePath(attribute: "userName"), .eq, "x"))
        #expect(request.startIndex == 1)
        #expect(request.count == 100)
        #expect(request.projection.attributes == ["userName", "id"])
        #expect(try SearchRequest(query: ["filter": " "]).filter == nil)
    }

    @Test(
        "bad search requests",
        arguments: [
            (#"{"schemas":["urn:wrong"]}"#, SCIMErrorType.invalidSyntax),
            (#"{"count":"ten"}"#, .invalidValue),
            (#"{"count":1.5}"#, .invalidValue),
            (#"{"startIndex":true}"#, .invalidValue),
            (#"{"sortOrder":"up"}"#, .invalidValue),
            (#"{"filter":"userName eq"}"#, .invalidFilter),
            (#"{"filter":42}"#, .invalidValue),
            (#"{"sortBy":"a.b.c"}"#, .invalidValue),
            ("[]", .invalidSyntax),
        ])
    func badSearch(body: String, type: SCIMErrorType) {
        #expect { _ = try SearchRequest(json: json(body)) } throws: { ($0 as? SCIMError)?.scimType == type }
    }

    @Test("search resolution checks filter and sortBy")
    func searchResolve() throws {
        let request = try SearchRequest(query: ["filter": #"USERNAME eq "x""#, "sortBy": "NAME.familyname"]).resolved(against: userType)
        #expect(request.filter?.description == #"userName eq "x""#)
        #expect(request.sortBy?.description == "name.familyName")
        #expect(throws: SCIMError.self) { try SearchRequest(query: ["sortBy": "bogus"]).resolved(against: userType) }
    }

    @Test(
        "PATCH operations",
        arguments: [
            (#"{"op":"add","path":"members","value":[{"value":"2819c223"}]}"#, PatchRequest.Op.add, "members" as String?),
            (#"{"op":"Replace","value":{"active":false}}"#, .replace, nil),
            (#"{"op":"REMOVE","path":"members[value eq \"2819c223\"]"}"#, .remove, #"members[value eq "2819c223"]"#),
            (#"{"op":"replace","path":"emails[type eq \"work\"].value","value":"a@b.c"}"#, .replace, #"emails[type eq "work"].value"#),
            (#"{"op":"Remove","path":"members","value":[{"value":"u1"}]}"#, .remove, "members"),
            (#"{"op":"replace","path":"","value":{"displayName":"x"}}"#, .replace, nil),
        ])
    func patchOperations(operation: String, op: PatchRequest.Op, path: String?) throws {
        let body = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":["# + operation + "]}"
        let request = try PatchRequest(json: json(body))
        #expect(request.operations.count == 1)
        #expect(request.operations[0].op == op)
        #expect(request.operations[0].path?.description == path)
    }

    @Test(
        "bad PATCH requests",
        arguments: [
            (#"{"Operations":[{"op":"add","path":"title","value":"x"}]}"#, SCIMErrorType.invalidSyntax),
            (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}"#, .invalidSyntax),
            (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}"#, .invalidSyntax),
            (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"move","path":"a"}]}"#, .invalidSyntax),
            (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"path":"a"}]}"#, .invalidSyntax),
            (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":["add"]}"#, .invalidSyntax),
            (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove"}]}"#, .noTarget),
            (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"title"}]}"#, .invalidValue),
            (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","value":"x"}]}"#, .invalidValue),
            (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"a..b","value":1}]}"#, .invalidPath),
            (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":7,"value":1}]}"#, .invalidPath),
            (
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[type eq]"}]}"#,
                .invalidFilter
            ),
        ])
    func badPatch(body: String, type: SCIMErrorType) {
        #expect { _ = try PatchRequest(json: json(body)) } throws: { ($0 as? SCIMError)?.scimType == type }
    }

    @Test("PATCH operation count is bounded")
    func patchLimit() {
        let ops = Array(repeating: #"{"op":"add","path":"title","value":"x"}"#, count: 3).joined(separator: ",")
        let body = json(#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":["# + ops + "]}")
        #expect(throws: SCIMError.self) { _ = try PatchRequest(json: body, maxOperations: 2) }
        #expect(throws: Never.self) { _ = try PatchRequest(json: body, maxOperations: 3) }
    }
}
