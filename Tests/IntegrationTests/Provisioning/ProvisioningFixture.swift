import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import SCIMApp
import SCIMCore
import SCIMProvisioning
import SlapdHarness

/// A gateway on its own slapd, provisioning to python's scim2-server through a recording proxy.
struct ProvisioningFixture: Sendable {
    let harness: GatewayHarness
    let target: SCIMTargetServer
    let proxy: RecordingProxy

    static func start(
        onRemove: String = "delete", leaseSeconds: Double = 3,
        configure: @Sendable (inout GatewayConfig.Target) -> Void = { _ in }
    ) async throws -> ProvisioningFixture {
        let target = try await SCIMTargetServer.start()
        let proxy = try await RecordingProxy.start(upstream: target.url)
        let harness = try await GatewayHarness.start { config in
            var settings = GatewayConfig.Target(name: "cloud", url: proxy.url)
            settings.token = SCIMTargetServer.token
            settings.onRemove = onRemove
            settings.reconcileSeconds = 0
            configure(&settings)
            var provisioning = GatewayConfig.Provisioning()
            provisioning.targets = [settings]
            provisioning.leaseSeconds = leaseSeconds
            config.provisioning = provisioning
        }
        return ProvisioningFixture(harness: harness, target: target, proxy: proxy)
    }

    var engine: ProvisioningEngine { harness.gateway.provisioning[0] }

    /// A provisioner of this gateway under `holder`, running until the task is cancelled.
    func run(holder: String = "instance-a", crashes: Bool = false) -> Task<Void, Never> {
        var provisioner = harness.gateway.provisioners(holder: holder)[0]
        provisioner.releasesLease = !crashes
        return Task { await provisioner.run() }
    }

    func stop() {
        proxy.stop()
        target.stop()
        harness.stop()
    }

    /// The target's users/groups, read directly (not through the proxy).
    func eventually(_ endpoint: String, within seconds: Double = 15, _ condition: ([JSONValue]) -> Bool) async throws -> [JSONValue] {
        try await TargetProbe.eventually(target.url, endpoint, within: seconds, condition)
    }

    /// Through our own SCIM API (in-process router).
    func api<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        try await harness.application().test(.router) { client in try await body(client) }
    }

    /// A change made behind the gateway's back, as an admin with ldapmodify would.
    func adminModify(_ dn: String, _ modifications: [LDAPModification]) async throws {
        let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
        _ = try await admin.modify(dn: dn, modifications, controls: [])
    }

    func createUser(_ userName: String, extra: String = "") async throws -> String {
        let id = try await api { client in
            try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON(userName, extra: extra))
            ).json?["id"]?.stringValue
        }
        guard let id else { throw FixtureError("cannot create \(userName)") }
        return id
    }

    func dn(ofUser userName: String) async throws -> String {
        let found = try await harness.ldap().search(base: harness.slapd.peopleDN, filter: .equal("uid", Array(userName.utf8)), attributes: ["1.1"])
        guard let dn = found.entries.first?.dn else { throw FixtureError("no entry for \(userName)") }
        return dn
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func externalIDs(_ resources: [JSONValue]) -> [String] {
    resources.compactMap { $0["externalId"]?.stringValue }
}

func resource(_ resources: [JSONValue], externalId: String) -> JSONValue? {
    resources.first { $0["externalId"]?.stringValue == externalId }
}
