import Testing
import SCIMCore

@Suite("Resource validation")
struct ResourceValidatorTests {
    let users = ResourceValidator(type: userType, maxValuesPerAttribute: 3)
    let groups = ResourceValidator(type: groupType)

    @Test("canonical output: names, order, readOnly dropped, nulls dropped")
    func canonical() throws {
        let out = try users.validate(
            json(
                """
                {"USERNAME":"bjensen","id":"ignored","meta":{"created":"x"},"groups":[{"value":"g"}],
                 "Name":{"GIVENNAME":"Barbara","familyName":null},"title":null,"emails":[],
                 "schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"e1","active":"False",
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"DEPARTMENT":"Ops","manager":{"value":"m","displayName":"x"}}}
                """))
        #expect(
            out.jsonString() == """
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],\
                "externalId":"e1","userName":"bjensen","name":{"givenName":"Barbara"},"active":false,\
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Ops","manager":{"value":"m"}}}
                """)
    }

    @Test("RFC 7643 §8.2 full user is accepted")
    func fullUser() throws {
        let out = try users.validate(bjensen)
        #expect(out["userName"] == "bjensen@example.com")
        #expect(out["password"] == "t1meMa$heen")  // writeOnly is input
        #expect(out["id"] == nil)
        #expect(out["groups"] == nil)
    }

    @Test(
        "wrong types are invalidValue naming the attribute",
        arguments: [
            (#""userName":42"#, "userName"),
            (#""userName":"u","displayName":{"a":1}"#, "displayName"),
            (#""userName":"u","active":"yes""#, "active"),
            (#""userName":"u","active":1"#, "active"),
            (#""userName":"u","name":"Barbara""#, "name"),
            (#""userName":"u","name":{"givenName":7}"#, "name.givenName"),
            (#""userName":"u","emails":[{"value":"a","primary":"maybe"}]"#, "emails.primary"),
            (#""userName":"u","emails":[[{"value":"a"}]]"#, "emails"),
            (#""userName":"u","title":["a"]"#, "title"),
            (#""userName":"u","x509Certificates":[{"value":"%%%"}]"#, "x509Certificates.value"),
            (#""userName":"u","emails":[{"value":"a","primary":true},{"value":"b","primary":true}]"#, "primary"),
            (#""userName":"u","emails":[{"value":"a"},{"value":"b"},{"value":"c"},{"value":"d"}]"#, "more than 3"),
            (#""userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x""#, enterpriseURN),
            (#""userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":1}"#, "\(enterpriseURN):department"),
            (#""displayName":"no user name""#, "\"userName\" is required"),
            (#""userName":null"#, "\"userName\" is required"),
        ])
    func wrongTypes(members: String, fragment: String) {
        let body = #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"# + members + "}"
        do {
            _ = try users.validate(json(body))
            Issue.record("accepted \(body)")
        } catch {
            #expect(error.scimType == .invalidValue)
            #expect(error.detail.contains(fragment), "\(error.detail)")
        }
    }

    @Test(
        "bad structure is invalidSyntax",
        arguments: [
            (#"{"userName":"u"}"#, "schemas"),
            (#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"userName":"u"}"#, "not part of User"),
            (#"{"schemas":["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"u"}"#, "must contain"),
            (#"{"schemas":[1],"userName":"u"}"#, "strings"),
            (#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","shoeSize":44}"#, "shoeSize"),
            (#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","UserName":"v"}"#, "more than once"),
            (
                #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"shoe":1}}"#,
                "shoe"
            ),
            ("[1]", "JSON object"),
        ])
    func badStructure(body: String, fragment: String) {
        do {
            _ = try users.validate(json(body))
            Issue.record("accepted \(body)")
        } catch {
            #expect(error.scimType == .invalidSyntax)
            #expect(error.detail.contains(fragment), "\(error.detail)")
        }
    }

    @Test("unknown attributes may be ignored instead")
    func ignoreUnknown() throws {
        let lenient = ResourceValidator(type: userType, unknownAttributes: .ignore)
        let out = try lenient.validate(json(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","shoeSize":44}"#))
        #expect(out["shoeSize"] == nil)
    }

    @Test("an extension object adds its URN to schemas")
    func extensionAddsSchema() throws {
        let out = try users.validate(
            json(
                """
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u",
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1"}}
                """))
        #expect(out["schemas"] == [.string(SCIMURN.user), .string(enterpriseURN)])
    }

    @Test("groups: members keep value and type; display is readOnly; unknown sub-attributes are ignored")
    func group() throws {
        let out = try groups.validate(
            json(
                """
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Admins",
                 "members":[{"value":"u1","display":"A","type":"User"},{"value":"u2","displayName":"B"}]}
                """))
        #expect(out["members"] == [["value": "u1", "type": "User"], ["value": "u2"]])
        #expect(throws: SCIMError.self) {
            _ = try groups.validate(json(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]}"#))
        }
    }

    @Test("dateTime, integer and decimal checks")
    func scalarTypes() throws {
        let schema = SCIMSchema(
            id: "urn:test:Thing", name: "Thing",
            attributes: [
                SCIMAttribute(name: "when", type: .dateTime),
                SCIMAttribute(name: "n", type: .integer),
                SCIMAttribute(name: "d", type: .decimal),
            ])
        let type = ResolvedResourceType(
            resourceType: SCIMResourceType(id: "Thing", name: "Thing", endpoint: "/Things", schema: schema.id),
            coreSchema: schema, extensions: []
        )
        let validator = ResourceValidator(type: type)
        let out = try validator.validate(json(#"{"schemas":["urn:test:Thing"],"when":"2015-09-15T12:00:00.5+02:00","n":3.0,"d":2}"#))
        #expect(out["n"] == .integer(3))
        #expect(out["d"] == .number(2))
        for bad in [#""when":"yesterday""#, #""when":"2021-02-30T00:00:00Z""#, #""n":1.5"#, #""d":"2""#] {
            #expect(throws: SCIMError.self) { _ = try validator.validate(json(#"{"schemas":["urn:test:Thing"],"# + bad + "}")) }
        }
    }

    @Test("a required extension is asked of clients only when they can write something in it")
    func requiredExtensions() throws {
        let computed = SCIMSchema(
            id: "urn:test:Computed", name: "Computed",
            attributes: [
                SCIMAttribute(name: "state", type: .string, required: true, mutability: .readOnly)
            ])
        let written = SCIMSchema(
            id: "urn:test:Written", name: "Written",
            attributes: [
                SCIMAttribute(name: "code", type: .string)
            ])
        let core = SCIMSchema(id: "urn:test:Thing", name: "Thing", attributes: [SCIMAttribute(name: "n", type: .integer)])
        func validator(_ ext: SCIMSchema) -> ResourceValidator {
            ResourceValidator(
                type: ResolvedResourceType(
                    resourceType: SCIMResourceType(id: "Thing", name: "Thing", endpoint: "/Things", schema: core.id),
                    coreSchema: core, extensions: [.init(schema: ext, required: true)]))
        }
        // Server-computed: absent is fine, and a value sent for it is ignored (RFC 7643 §7, readOnly).
        let plain = try validator(computed).validate(json(#"{"schemas":["urn:test:Thing"],"n":1}"#))
        #expect(plain.jsonString() == #"{"schemas":["urn:test:Thing"],"n":1}"#)
        let sent = try validator(computed).validate(
            json(
                #"{"schemas":["urn:test:Thing","urn:test:Computed"],"n":1,"urn:test:Computed":{"state":"forged"}}"#))
        #expect(sent["urn:test:Computed"] == nil)
        // Client-written: still required.
        do {
            _ = try validator(written).validate(json(#"{"schemas":["urn:test:Thing"],"n":1}"#))
            Issue.record("accepted a resource without its required extension")
        } catch {
            #expect(error.scimType == .invalidValue)
            #expect(error.detail.contains("urn:test:Written"), "\(error.detail)")
        }
        _ = try validator(written).validate(json(#"{"schemas":["urn:test:Thing"],"n":1,"urn:test:Written":{"code":"x"}}"#))
    }
}
