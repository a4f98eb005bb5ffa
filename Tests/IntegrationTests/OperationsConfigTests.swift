import Foundation
import LDAPClient
import SCIMApp
import Testing

/// The keys of running several instances and stopping them: the drain timeout and the read barrier.
@Suite("Config: drain timeout and read-your-writes")
struct OperationsConfigTests {
    static func config(uris: [String], readYourWrites: Bool? = nil) -> GatewayConfig {
        var config = GatewayConfig()
        config.ldap.uris = uris
        config.ldap.suffix = "dc=corp,dc=example"
        config.ldap.bindDN = "cn=scim-gateway,dc=corp,dc=example"
        config.ldap.bindPassword = "pw"
        config.ldap.readYourWrites = readYourWrites
        return config
    }

    @Test func theExampleSetsBothKeys() throws {
        let (config, _) = try GatewayConfig.load(path: ConfigTests.example, environment: ["SCIM_GATEWAY_LDAP_BIND_PASSWORD": "pw"])
        #expect(config.server.drainTimeoutSeconds == 30)
        #expect(config.ldap.readYourWrites == true)
        #expect(try config.drainTimeout() == .seconds(30))
    }

    @Test func theDrainTimeoutMustBePositiveAndBounded() throws {
        var config = GatewayConfig()
        for bad in [0, -1, 3601, .infinity, .nan] as [Double] {
            config.server.drainTimeoutSeconds = bad
            #expect(throws: ConfigError.self) { try config.drainTimeout() }
        }
        config.server.drainTimeoutSeconds = 2.5
        #expect(try config.drainTimeout() == .milliseconds(2500))
        let (fromEnvironment, _) = try GatewayConfig.load(
            path: ConfigTests.example,
            environment: [
                "SCIM_GATEWAY_LDAP_BIND_PASSWORD": "pw", "SCIM_GATEWAY_SERVER_DRAIN_TIMEOUT_SECONDS": "12",
            ])
        #expect(fromEnvironment.server.drainTimeoutSeconds == 12)
        #expect(throws: ConfigError.self) {
            try GatewayConfig.load(
                path: ConfigTests.example,
                environment: [
                    "SCIM_GATEWAY_LDAP_BIND_PASSWORD": "pw", "SCIM_GATEWAY_SERVER_DRAIN_TIMEOUT_SECONDS": "soon",
                ])
        }
    }

    @Test func theBarrierIsOnByDefaultWithSeveralURIsOnTheSuffix() throws {
        let barrier = try Self.config(uris: ["ldap://a", "ldap://b"]).ldapConfiguration().readBarrier
        #expect(barrier?.base == "dc=corp,dc=example")
        #expect(barrier?.timeout == .seconds(2))
    }

    @Test func theBarrierIsOffWithOneURIOrWhenTurnedOff() throws {
        #expect(try Self.config(uris: ["ldap://a"]).ldapConfiguration().readBarrier == nil)
        #expect(try Self.config(uris: ["ldap://a"], readYourWrites: true).ldapConfiguration().readBarrier == nil)
        #expect(try Self.config(uris: ["ldap://a", "ldap://b"], readYourWrites: false).ldapConfiguration().readBarrier == nil)
        let (off, _) = try GatewayConfig.load(
            path: ConfigTests.example,
            environment: [
                "SCIM_GATEWAY_LDAP_BIND_PASSWORD": "pw", "SCIM_GATEWAY_LDAP_READ_YOUR_WRITES": "false",
            ])
        #expect(try off.ldapConfiguration().readBarrier == nil)
    }

    @Test func theBarrierNeverWaitsLongerThanTheOperationTimeout() throws {
        var config = Self.config(uris: ["ldap://a", "ldap://b"])
        config.ldap.operationTimeoutSeconds = 0.5
        #expect(try config.ldapConfiguration().readBarrier?.timeout == .milliseconds(500))
    }
}
