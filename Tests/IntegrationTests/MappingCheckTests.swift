import Foundation
import LDAPClient
import SCIMApp
import SCIMLDAP
import SlapdHarness
import Testing

/// The mapping is checked against the live directory's subschema before anything is served.
@Suite("Mapping checked against the directory schema")
struct MappingCheckTests {
    @Test func shippedMappingsFitAndBrokenOnesAreNamed() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.gateway.verifyMapping(wait: .seconds(2))
        let schema = try await DirectorySchemaRules.load(from: harness.gateway.pool)
        for file in ["bundled.yaml", "classic.yaml"] {
            let mapping = try Mapping.load(
                GatewayHarness.repository.appendingPathComponent("Config/mapping/\(file)"),
                suffix: harness.slapd.suffix)
            #expect(MappingSchemaCheck.problems(mapping, schema: schema) == [], "\(file)")
        }
        let broken = try Mapping.parse(
            """
            version: 1
            resourceTypes:
              User:
                baseDN: ou=people,dc=example,dc=org
                scope: one
                objectClasses: [top, person, organizationalPerson, inetOrgPerzon]
                rdnAttribute: uid
                attributes:
                  - { scim: userName, ldap: uid, kind: string }
                  - { scim: name.givenName, ldap: givenNme, kind: string }
                  - { scim: nickName, ldap: scimNickName, kind: string }
            """, suffix: harness.slapd.suffix)
        let problems = MappingSchemaCheck.problems(broken, schema: schema)
        #expect(problems.contains("User.objectClasses: the directory has no object class inetOrgPerzon"))
        #expect(problems.contains("User.attributes[name.givenName]: the directory has no attribute type givenNme"))
        // scimNickName exists but only scimUser allows it; uid is not allowed by person either.
        #expect(problems.contains { $0.hasPrefix("User.attributes[nickName]: scimNickName is not allowed") })
        // person requires sn and cn: nothing provides them.
        #expect(problems.contains("User.objectClasses: the directory requires sn, which no mapped or derived attribute provides"))
    }

    @Test func startUpRefusesAMappingThatDoesNotFit() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mapping-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bundled = try String(contentsOf: GatewayHarness.repository.appendingPathComponent("Config/mapping/bundled.yaml"), encoding: .utf8)
        let file = folder.appendingPathComponent("typo.yaml")
        try bundled.replacingOccurrences(of: "ldap: scimNickName", with: "ldap: scimNickname2")
            .write(to: file, atomically: true, encoding: .utf8)
        var config = harness.gateway.config
        config.mapping = file.path
        let gateway = try GatewayApplication.build(config: config, configDirectory: folder, logger: harness.gateway.logger)
        defer { gateway.pool.shutdown() }
        do {
            try await gateway.verifyMapping(wait: .seconds(2))
            Issue.record("a mapping naming an unknown attribute was accepted")
        } catch let error as ConfigError {
            #expect(error.description.contains("User.attributes[nickName]: the directory has no attribute type scimNickname2"))
        }
    }
}
