import ArgumentParser
import Foundation
import LDAPClient
import Logging
import SCIMServer
import SlapdLauncher

/// `scim-gateway demo`: a throwaway slapd with the bundled schema and sample data, and the gateway on top.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway on a throwaway local slapd with sample data (needs Debian's slapd).")

    @Option(help: "HTTP port of the gateway on 127.0.0.1.") var port: Int = 8080
    @Option(name: .customLong("ldap-port"), help: "LDAP port of the throwaway slapd on 127.0.0.1.") var ldapPort: Int = 3389
    @Option(help: "Bearer token clients must send (default: random, printed).") var token: String?
    @Option(name: .customLong("ldap-admin-password"), help: "Password of cn=admin (default: random, printed).")
    var ldapAdminPassword: String?
    @Option(name: .customLong("service-password"), help: "Password of the gateway's service account (default: random).")
    var servicePassword: String?
    @Option(name: .customLong("data-dir"), help: "Keep the directory's data here (default: a temp dir removed on exit).")
    var dataDir: String?
    @Option(help: "Number of sample users (plus a few groups).") var users: Int = 20
    @Option(name: .customLong("pool-size"), help: "LDAP connections of the gateway.") var poolSize: Int = 8
    @Option(name: .customLong("provision-to"), help: "Also provision the demo's users and groups to this SCIM base URL.")
    var provisionTo: String?
    @Option(name: .customLong("provision-token"), help: "Bearer token for --provision-to.") var provisionToken: String?

    func validate() throws {
        guard (0...1_000_000).contains(users) else { throw ValidationError("--users must be between 0 and 1000000") }
        guard (1...65535).contains(port), (1...65535).contains(ldapPort) else { throw ValidationError("ports are 1-65535") }
    }

    func run() async throws {
        let logger = try LogFormat.makeLogger(environment: ProcessInfo.processInfo.environment)
        guard let schema = SchemaDirectory.locate() else {
            throw ValidationError("cannot find the bundled schema/ folder: run from the repository or set SCIM_GATEWAY_SCHEMA_DIR")
        }
        let token = token ?? SlapdOptions.randomPassword()
        let adminPassword = ldapAdminPassword ?? SlapdOptions.randomPassword()
        let suffix = "dc=example,dc=org"
        let fresh = dataDir.map { !FileManager.default.fileExists(atPath: "\($0)/.initialized") } ?? true
        var options = SlapdOptions(
            port: ldapPort, dataDirectory: dataDir.map { URL(fileURLWithPath: $0) }, suffix: suffix,
            adminPassword: adminPassword, servicePassword: servicePassword ?? SlapdOptions.randomPassword(),
            onlineLDIF: fresh
                ? SampleData.groupsLDIF(
                    userCount: users, peopleDN: "ou=people,\(suffix)",
                    groupsDN: "ou=groups,\(suffix)") : "")
        if fresh {
            let count = users
            options.offlineLDIFWriter = { try SampleData.writeUsersLDIF(count: count, peopleDN: "ou=people,\(suffix)", to: $0) }
        }
        let slapd: SlapdInstance
        do {
            slapd = try await SlapdInstance.start(options, schemaDirectory: schema, logger: logger)
        } catch let error as SlapdError {
            throw ValidationError(error.description)
        }
        defer { slapd.stop() }

        var config = GatewayConfig()
        config.server.port = port
        config.ldap.uris = [slapd.url]
        config.ldap.suffix = suffix
        config.ldap.bindDN = slapd.serviceDN
        config.ldap.bindPassword = options.servicePassword
        config.ldap.poolSize = max(1, min(poolSize, 64))
        config.mapping = schema.deletingLastPathComponent().appendingPathComponent("Config/mapping/bundled.yaml").path
        config.schemaDirectory = schema.path
        config.clients = [.init(name: "demo", tokenHash: BearerClient.hashString(of: token))]
        if let provisionTo {
            // The whole product: every change reaches the target within seconds; a full reconciliation every
            // minute repairs drift there (even a target that lost everything).
            var target = GatewayConfig.Target(name: "demo-target", url: provisionTo)
            target.token = provisionToken
            target.onRemove = "delete"
            target.reconcileSeconds = 60
            var provisioning = GatewayConfig.Provisioning()
            provisioning.targets = [target]
            provisioning.leaseSeconds = 6
            config.provisioning = provisioning
        }
        let app = try GatewayApplication.build(config: config, configDirectory: schema, logger: logger)
        print(
            """

            scim-gateway demo
              SCIM base URL : \(config.publicBaseURL)
              Bearer token  : \(token)
              LDAP URL      : \(slapd.url)
              LDAP admin DN : \(slapd.adminDN)
              LDAP password : \(adminPassword)
              Service DN    : \(slapd.serviceDN) (the gateway binds as this account)
              Metrics       : http://127.0.0.1:\(port)/metrics (Prometheus text format)
              Sample data   : \(fresh ? "\(users) users and a few groups" : "kept from \(dataDir ?? "")")
              Provisioning  : \(provisionTo.map { "to \($0) (initial sync, then every change; full reconciliation every minute)" } ?? "off (--provision-to URL --provision-token TOKEN)")

            Try: curl -H 'Authorization: Bearer \(token)' \(config.publicBaseURL)/ServiceProviderConfig
            Ctrl-C stops the gateway and slapd.

            """)
        fflush(nil)  // the banner must show even when stdout is a pipe
        try await app.run()
    }
}
