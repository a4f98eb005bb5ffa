import Foundation
import SCIMCore

/// The repository's `schema/scim` directory, found from this file's location.
let schemaDirectory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent()  // SCIMCoreUnitTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // repository root
    .appendingPathComponent("schema/scim")

/// Loaded once; a failure here fails every test that uses it.
let registry: SchemaRegistry = {
    do {
        return try SchemaRegistry.load(directory: schemaDirectory)
    } catch {
        fatalError("cannot load \(schemaDirectory.path): \(error)")
    }
}()

var userType: ResolvedResourceType { registry.resourceType(named: "User")! }
var groupType: ResolvedResourceType { registry.resourceType(named: "Group")! }

/// Parses JSON test fixtures; malformed fixtures are test bugs.
func json(_ text: String) -> JSONValue {
    do {
        return try JSONValue.parse(text)
    } catch {
        fatalError("bad fixture: \(error.debugDescription)\n\(text)")
    }
}

let enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

/// RFC 7643 §8.2's full user, trimmed to what the tests use.
let bjensen = json(
    """
    {
      "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
      "id": "2819c223-7f76-453a-919d-413861904646",
      "externalId": "701984",
      "userName": "bjensen@example.com",
      "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara"},
      "displayName": "Babs Jensen",
      "title": "Tour Guide",
      "userType": "Employee",
      "active": true,
      "password": "t1meMa$heen",
      "emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": true},
        {"value": "babs@jensen.org", "type": "home"}
      ],
      "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
      "groups": [{"value": "e9e30dba-f08f-4109-8486-d5c6a331660a", "display": "Tour Guides"}],
      "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}],
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "employeeNumber": "701984",
        "department": "Tour Operations",
        "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
      },
      "meta": {
        "resourceType": "User",
        "created": "2010-01-23T04:56:22Z",
        "lastModified": "2011-05-13T04:42:34Z",
        "version": "W/\\"3694e05e9dff591\\"",
        "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"
      }
    }
    """)
