import Testing
import SCIMCore

@Suite("Projection (RFC 7644 §3.9, RFC 7643 §7 returned)")
struct ProjectionTests {
    static let always = ["schemas", "id", "meta"]

    static let attributeCases: [(String, [String])] = [
        ("userName", always + ["userName"]),
        ("USERNAME,displayName", always + ["userName", "displayName"]),
        ("name.givenName", always + ["name"]),
        ("emails.value", always + ["emails"]),
        ("password", always),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", always + [enterpriseURN]),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", always + [enterpriseURN]),
        ("id", always),
        ("nosuchattribute", always),
    ]

    @Test("attributes=… keeps what it names plus always-returned", arguments: attributeCases)
    func attributes(param: String, keys: [String]) {
        let out = Projection(attributes: param, excludedAttributes: nil).apply(to: bjensen, type: userType)
        #expect(Set(out.memberNames ?? []) == Set(keys))
    }

    @Test(
        "excludedAttributes=… drops what it names but never the always-returned ones",
        arguments: [
            ("emails", ["emails", "password"]),
            ("emails,phoneNumbers", ["emails", "phoneNumbers", "password"]),
            ("id,meta,schemas", ["password"]),
            ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", [enterpriseURN, "password"]),
        ])
    func excluded(param: String, missing: [String]) {
        let out = Projection(attributes: nil, excludedAttributes: param).apply(to: bjensen, type: userType)
        let all = Set(bjensen.memberNames!)
        #expect(Set(out.memberNames!) == all.subtracting(missing))
    }

    @Test("no parameters: everything but returned=never")
    func defaults() {
        let out = Projection.all.apply(to: bjensen, type: userType)
        #expect(out["password"] == nil)
        #expect(out["userName"] != nil)
        #expect(out.memberNames!.count == bjensen.memberNames!.count - 1)
    }

    @Test("sub-attribute selection")
    func subAttributes() {
        let out = Projection(attributes: ["name.givenName", "emails.value"]).apply(to: bjensen, type: userType)
        #expect(out["name"] == ["givenName": "Barbara"])
        #expect(out["emails"] == [["value": "bjensen@example.com"], ["value": "babs@jensen.org"]])
    }

    @Test("sub-attribute exclusion")
    func subExclusion() {
        let out = Projection(excludedAttributes: ["emails.type,name.formatted"]).apply(to: bjensen, type: userType)
        #expect(out["emails"]?[0] == ["value": "bjensen@example.com", "primary": true])
        #expect(out["name"]?["formatted"] == nil)
        #expect(out["name"]?["givenName"] == "Barbara")
    }

    @Test("extension attribute selection")
    func extensionAttributes() {
        let out = Projection(attributes: ["\(enterpriseURN):manager.value"]).apply(to: bjensen, type: userType)
        #expect(out[enterpriseURN] == ["manager": ["value": "26118915-6090-4610-87e4-49d8ca9f808d"]])
        let excluded = Projection(excludedAttributes: ["\(enterpriseURN):department"]).apply(to: bjensen, type: userType)
        #expect(excluded[enterpriseURN]?["department"] == nil)
        #expect(excluded[enterpriseURN]?["employeeNumber"] == "701984")
    }

    @Test("Entra: GET /Groups/{id}?excludedAttributes=members")
    func groupMembers() {
        let group = json(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g","displayName":"Admins","members":[{"value":"u"}]}"#)
        let out = Projection(excludedAttributes: ["members"]).apply(to: group, type: groupType)
        #expect(out == json(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g","displayName":"Admins"}"#))
    }

    @Test("validate names unknown attributes")
    func validate() {
        #expect(throws: SCIMError.invalidPath(#"Unknown attribute "bogus"."#)) {
            try Projection(attributes: ["userName, bogus"]).validate(against: userType)
        }
        #expect(throws: Never.self) { try Projection(attributes: ["userName", enterpriseURN]).validate(against: userType) }
    }
}

@Suite("Projection bounds")
struct ProjectionBoundTests {
    @Test func tooManyAttributesAreRefused() throws {
        let type = userType
        let many = Projection(attributes: [Array(repeating: "userName", count: Projection.maxEntries + 1).joined(separator: ",")])
        #expect(throws: SCIMError.self) { try many.validate(against: type) }
        let fine = Projection(attributes: [Array(repeating: "userName", count: 10).joined(separator: ",")])
        try fine.validate(against: type)
    }
}
