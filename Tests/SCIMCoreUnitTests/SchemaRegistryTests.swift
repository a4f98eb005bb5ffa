import Foundation
import Testing
import SCIMCore

@Suite("Schemas and resource types (RFC 7643 §6, §7, §8.7)")
struct SchemaRegistryTests {
    struct Expectation: Sendable, CustomStringConvertible {
        var schema: String
        var path: String
        var type: SCIMAttribute.DataType
        var multiValued = false
        var required = false
        var caseExact = false
        var mutability = SCIMAttribute.Mutability.readWrite
        var returned = SCIMAttribute.Returned.default
        var uniqueness = SCIMAttribute.Uniqueness.none
        var description: String { path }
    }

    static let user = SCIMURN.user
    static let group = SCIMURN.group

    @Test(
        "RFC 7643 §8.7.1 characteristics",
        arguments: [
            Expectation(schema: user, path: "userName", type: .string, required: true, uniqueness: .server),
            Expectation(schema: user, path: "name", type: .complex),
            Expectation(schema: user, path: "name.givenName", type: .string),
            Expectation(schema: user, path: "profileUrl", type: .reference),
            Expectation(schema: user, path: "active", type: .boolean),
            Expectation(schema: user, path: "password", type: .string, mutability: .writeOnly, returned: .never),
            Expectation(schema: user, path: "emails", type: .complex, multiValued: true),
            Expectation(schema: user, path: "emails.primary", type: .boolean),
            Expectation(schema: user, path: "photos.value", type: .reference),
            Expectation(schema: user, path: "addresses.postalCode", type: .string),
            Expectation(schema: user, path: "groups", type: .complex, multiValued: true, mutability: .readOnly),
            Expectation(schema: user, path: "groups.$ref", type: .reference, mutability: .readOnly),
            Expectation(schema: user, path: "x509Certificates.value", type: .binary),
            Expectation(schema: group, path: "displayName", type: .string, required: true),
            Expectation(schema: group, path: "members", type: .complex, multiValued: true),
            Expectation(schema: group, path: "members.value", type: .string, mutability: .immutable),
            Expectation(schema: enterpriseURN, path: "manager", type: .complex),
            Expectation(schema: enterpriseURN, path: "manager.displayName", type: .string, mutability: .readOnly),
            Expectation(schema: enterpriseURN, path: "employeeNumber", type: .string),
        ])
    func characteristics(e: Expectation) throws {
        let schema = try #require(registry.schema(id: e.schema))
        let parts = e.path.split(separator: ".").map(String.init)
        var attribute = try #require(schema.attribute(named: parts[0]))
        if parts.count == 2 { attribute = try #require(attribute.subAttribute(named: parts[1])) }
        #expect(attribute.type == e.type)
        #expect(attribute.multiValued == e.multiValued)
        #expect(attribute.required == e.required)
        #expect(attribute.caseExact == e.caseExact || e.type == .reference || e.type == .binary)
        #expect(attribute.mutability == e.mutability)
        #expect(attribute.returned == e.returned)
        #expect(attribute.uniqueness == e.uniqueness)
    }

    @Test(
        "every RFC attribute is present",
        arguments: [
            (
                SCIMURN.user,
                [
                    "userName", "name", "displayName", "nickName", "profileUrl", "title", "userType", "preferredLanguage",
                    "locale", "timezone", "active", "password", "emails", "phoneNumbers", "ims", "photos", "addresses",
                    "groups", "entitlements", "roles", "x509Certificates",
                ]
            ),
            (SCIMURN.group, ["displayName", "members"]),
            (enterpriseURN, ["employeeNumber", "costCenter", "organization", "division", "department", "manager"]),
        ])
    func attributeNames(schemaID: String, names: [String]) throws {
        let schema = try #require(registry.schema(id: schemaID))
        #expect(schema.attributes.map(\.name) == names)
    }

    @Test(
        "sub-attributes of complex attributes",
        arguments: [
            (SCIMURN.user, "name", ["formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"]),
            (SCIMURN.user, "emails", ["value", "display", "type", "primary"]),
            (SCIMURN.user, "addresses", ["formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary"]),
            (SCIMURN.user, "groups", ["value", "$ref", "display", "type"]),
            (SCIMURN.group, "members", ["value", "$ref", "display", "type"]),
            (enterpriseURN, "manager", ["value", "$ref", "displayName"]),
        ])
    func subAttributes(schemaID: String, attribute: String, names: [String]) throws {
        let a = try #require(registry.schema(id: schemaID)?.attribute(named: attribute))
        #expect(a.subAttributes.map(\.name) == names)
    }

    @Test("canonical values of emails.type and phoneNumbers.type")
    func canonicalValues() throws {
        let user = try #require(registry.schema(id: SCIMURN.user))
        #expect(user.attribute(named: "emails")?.subAttribute(named: "type")?.canonicalValues == ["work", "home", "other"])
        #expect(
            user.attribute(named: "phoneNumbers")?.subAttribute(named: "type")?.canonicalValues
                == ["work", "home", "mobile", "fax", "pager", "other"])
    }

    @Test("resource types resolve with their extensions")
    func resourceTypes() throws {
        #expect(registry.resourceTypes.map(\.name) == ["User", "Group"])
        let user = try #require(registry.resourceType(endpoint: "/users"))
        #expect(user.coreSchema.id == SCIMURN.user)
        #expect(user.extensions.map(\.schema.id) == [enterpriseURN])
        #expect(user.extensions.first?.required == false)
        #expect(registry.resourceType(endpoint: "Groups")?.resourceType.name == "Group")
        #expect(registry.resourceType(named: "nope") == nil)
        #expect(registry.schemas.map(\.id) == [SCIMURN.user, enterpriseURN, SCIMURN.group])
    }

    @Test("lookups ignore case")
    func caseInsensitive() {
        #expect(registry.schema(id: SCIMURN.user.uppercased())?.id == SCIMURN.user)
        #expect(registry.schema(id: SCIMURN.user)?.attribute(named: "USERNAME")?.name == "userName")
    }

    @Test("discovery documents carry meta.location from the base URL")
    func discovery() throws {
        let schemas = registry.schemasJSON(baseURL: "https://scim.example.com/v2/")
        #expect(schemas.count == 3)
        #expect(schemas[0]["meta"]?["location"] == .string("https://scim.example.com/v2/Schemas/\(SCIMURN.user)"))
        #expect(schemas[0]["meta"]?["resourceType"] == "Schema")
        #expect(schemas[0]["schemas"] == [.string(SCIMURN.schema)])
        let types = registry.resourceTypesJSON(baseURL: "https://scim.example.com/v2")
        #expect(types[0]["meta"]?["location"] == "https://scim.example.com/v2/ResourceTypes/User")
        #expect(types[0]["meta"]?["resourceType"] == "ResourceType")
        #expect(types[0]["schemaExtensions"] == [["schema": .string(enterpriseURN), "required": false]])
        #expect(registry.resourceTypeJSON(id: "Group", baseURL: "x")?["endpoint"] == "/Groups")
        #expect(registry.schemaJSON(id: "urn:nope", baseURL: "x") == nil)
    }

    @Test("served schema JSON reads back to the same model")
    func schemaRoundTrip() throws {
        for schema in registry.schemas {
            #expect(try SCIMSchema(json: schema.json()) == schema)
        }
    }

    @Test(
        "broken definitions are refused",
        arguments: [
            #"{"id":"urn:x","attributes":[{"name":"a","type":"nope"}]}"#,
            #"{"id":"urn:x","attributes":[{"name":"a","type":"complex"}]}"#,
            #"{"id":"urn:x","attributes":[{"type":"string"}]}"#,
            #"{"id":"urn:x","attributes":[{"name":"a","required":"yes"}]}"#,
            #"{"id":"urn:x","attributes":[{"name":"a"},{"name":"A"}]}"#,
            #"{"attributes":[]}"#,
        ])
    func broken(text: String) {
        #expect(throws: SchemaLoadError.self) { _ = try SCIMSchema(json: json(text)) }
    }

    @Test("a resource type naming an unknown schema is refused")
    func unknownSchema() {
        let type = SCIMResourceType(id: "T", name: "T", endpoint: "/T", schema: "urn:missing")
        #expect(throws: SchemaLoadError.self) { _ = try SchemaRegistry(schemas: [], resourceTypes: [type]) }
    }
}
