import Foundation
import LDAPClient
import SlapdHarness
import Testing

@Suite("TLS to the directory: ldaps://, StartTLS, certificate checks")
struct TLSTests {
    @Test(arguments: [SlapdOptions.ConfigStyle.cnConfig, .slapdConf])
    func ldapsAndStartTLSWithTheConfiguredCA(style: SlapdOptions.ConfigStyle) async throws {
        let slapd = try await TestDirectory.start(SlapdOptions(configStyle: style, tls: true))
        defer { slapd.stop() }
        let ldaps = try #require(slapd.ldapsURL)

        var viaLDAPS = slapd.serviceConfiguration()
        viaLDAPS.uris = [ldaps]
        viaLDAPS.tls = .init(caFile: slapd.caFile, requireCertificate: .demand)
        let secure = try await LDAPConnection.connect(viaLDAPS)
        #expect(try await secure.whoAmI().lowercased() == "dn:\(slapd.serviceDN)".lowercased())

        var viaStartTLS = slapd.serviceConfiguration()
        viaStartTLS.tls = .init(startTLS: true, caFile: slapd.caFile, requireCertificate: .demand)
        let upgraded = try await LDAPConnection.connect(viaStartTLS)
        #expect(try await upgraded.whoAmI().lowercased() == "dn:\(slapd.serviceDN)".lowercased())
    }

    @Test func untrustedCertificateIsRefusedUnlessChecksAreOff() async throws {
        let slapd = try await TestDirectory.start(SlapdOptions(tls: true))
        defer { slapd.stop() }
        var untrusted = slapd.serviceConfiguration()
        untrusted.uris = [try #require(slapd.ldapsURL)]
        untrusted.tls = .init(caFile: nil, requireCertificate: .demand)
        await #expect(throws: LDAPError.self) { _ = try await LDAPConnection.connect(untrusted) }

        var startTLS = slapd.serviceConfiguration()
        startTLS.tls = .init(startTLS: true, caFile: nil, requireCertificate: .demand)
        await #expect(throws: LDAPError.self) { _ = try await LDAPConnection.connect(startTLS) }

        untrusted.tls = .init(caFile: nil, requireCertificate: .never)
        let unchecked = try await LDAPConnection.connect(untrusted)
        #expect(try await unchecked.whoAmI().lowercased() == "dn:\(slapd.serviceDN)".lowercased())
    }
}

@Suite("SASL EXTERNAL with a TLS client certificate")
struct ClientCertificateTests {
    @Test func certificateSubjectBecomesTheIdentity() async throws {
        let slapd = try await TestDirectory.start(SlapdOptions(tls: true))
        defer { slapd.stop() }
        let client = try slapd.makeClientCertificate(commonName: "scim-client")
        let configuration = LDAPConfiguration(
            uris: [try #require(slapd.ldapsURL)], bind: .saslExternal,
            tls: .init(caFile: slapd.caFile, certFile: client.cert, keyFile: client.key, requireCertificate: .demand),
            poolSize: 1)
        let connection = try await LDAPConnection.connect(configuration)
        #expect(try await connection.whoAmI().lowercased() == "dn:cn=scim-client")
    }
}
