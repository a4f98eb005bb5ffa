import Foundation

/// A directory the gateway did not set up: Debian's standard schemas only (core, cosine, nis, inetorgperson),
/// none of the bundled schema, overlays or limits unless asked for. The shape a directory admin brings.
///
/// The instance holds the suffix entry and a service account `cn=scim-gateway,<suffix>` with write access to
/// the whole database (write-only on `userPassword`) and slapd's default limits (500 entries per search) unless
/// `serviceLimits` says otherwise; everything else comes from the test's own LDIF.
public struct PlainDirectory: Sendable {
    public enum Overlay: Sendable, Hashable {
        /// Server-side sort and virtual list view.
        case sssvlv
        /// ppolicy with a default policy entry `cn=default,ou=policies,<suffix>` (the LDIF must add it);
        /// `hashCleartext` turns on `olcPPolicyHashCleartext`.
        case ppolicy(hashCleartext: Bool)
        /// memberOf maintained for groupOfNames/member.
        case memberof
    }

    public var overlays: Set<Overlay>
    /// The service account's `olcLimits` clause after `dn.exact=...`; nil leaves slapd's defaults.
    public var serviceLimits: String?
    /// Equality indexes (`olcDbIndex` values).
    public var indexes: [String]
    /// Extra `olcAccess` rules (without the `{n}` prefix) placed before the default ones, e.g. a subtree the
    /// service account may not read.
    public var extraAccess: [String]
    /// `olcPasswordHash` on the frontend (e.g. `{SSHA}`); nil leaves slapd's default.
    public var passwordHash: String?

    public init(
        overlays: Set<Overlay> = [], serviceLimits: String? = nil,
        indexes: [String] = ["objectClass eq", "entryUUID eq", "uid eq", "cn eq", "member eq", "memberUid eq"],
        extraAccess: [String] = [], passwordHash: String? = nil
    ) {
        self.overlays = overlays
        self.serviceLimits = serviceLimits
        self.indexes = indexes
        self.extraAccess = extraAccess
        self.passwordHash = passwordHash
    }

    /// The full cn=config LDIF for slapadd -n0.
    func configLDIF(suffix: String, rootPasswordHash: String, dataDirectory: String, noSync: Bool, peercredDN: String) -> String {
        let service = "cn=scim-gateway,\(suffix)"
        var modules = ["back_mdb"]
        if overlays.contains(.sssvlv) { modules.append("sssvlv") }
        if overlays.contains(where: { if case .ppolicy = $0 { true } else { false } }) { modules.append("ppolicy") }
        if overlays.contains(.memberof) { modules.append("memberof") }
        var lines: [String] = [
            "dn: cn=config", "objectClass: olcGlobal", "cn: config", "",
            "dn: cn=module{0},cn=config", "objectClass: olcModuleList", "cn: module{0}", "olcModulePath: /usr/lib/ldap",
        ]
        lines += modules.enumerated().map { "olcModuleLoad: {\($0.offset)}\($0.element)" }
        lines += ["", "dn: cn=schema,cn=config", "objectClass: olcSchemaConfig", "cn: schema", ""]
        for schema in ["core", "cosine", "nis", "inetorgperson"] {
            lines += ["include: file:///etc/ldap/schema/\(schema).ldif", ""]
        }
        lines += [
            "dn: olcDatabase={-1}frontend,cn=config", "objectClass: olcDatabaseConfig", "objectClass: olcFrontendConfig",
            "olcDatabase: {-1}frontend",
        ]
        if let passwordHash { lines.append("olcPasswordHash: \(passwordHash)") }
        lines += [
            "", "dn: olcDatabase={0}config,cn=config", "objectClass: olcDatabaseConfig", "olcDatabase: {0}config",
            "olcAccess: {0}to * by dn.exact=\"\(peercredDN)\" manage by * break", "",
        ]
        lines += [
            "dn: olcDatabase={1}mdb,cn=config", "objectClass: olcDatabaseConfig", "objectClass: olcMdbConfig",
            "olcDatabase: {1}mdb", "olcSuffix: \(suffix)", "olcRootDN: cn=admin,\(suffix)", "olcRootPW: \(rootPasswordHash)",
            "olcDbDirectory: \(dataDirectory)", "olcDbMaxSize: 1073741824", "olcDbNoSync: \(noSync ? "TRUE" : "FALSE")",
        ]
        lines += indexes.map { "olcDbIndex: \($0)" }
        if let serviceLimits { lines.append("olcLimits: {0}dn.exact=\"\(service)\" \(serviceLimits)") }
        let access =
            extraAccess + [
                "to * by dn.exact=\"\(peercredDN)\" manage by * break",
                "to attrs=userPassword by dn.exact=\"\(service)\" =w by self write by anonymous auth by * none",
                "to * by dn.exact=\"\(service)\" write by users read by * none",
            ]
        lines += access.enumerated().map { "olcAccess: {\($0.offset)}\($0.element)" }
        lines.append("")
        var index = 0
        if overlays.contains(.memberof) {
            lines += [
                "dn: olcOverlay={\(index)}memberof,olcDatabase={1}mdb,cn=config", "objectClass: olcOverlayConfig",
                "objectClass: olcMemberOf", "olcOverlay: {\(index)}memberof", "olcMemberOfRefInt: TRUE", "",
            ]
            index += 1
        }
        for overlay in overlays {
            guard case .ppolicy(let hashCleartext) = overlay else { continue }
            lines += [
                "dn: olcOverlay={\(index)}ppolicy,olcDatabase={1}mdb,cn=config", "objectClass: olcOverlayConfig",
                "objectClass: olcPPolicyConfig", "olcOverlay: {\(index)}ppolicy",
                "olcPPolicyDefault: cn=default,ou=policies,\(suffix)",
                "olcPPolicyHashCleartext: \(hashCleartext ? "TRUE" : "FALSE")", "olcPPolicyUseLockout: TRUE", "",
            ]
            index += 1
        }
        if overlays.contains(.sssvlv) {
            lines += [
                "dn: olcOverlay={\(index)}sssvlv,olcDatabase={1}mdb,cn=config", "objectClass: olcOverlayConfig",
                "objectClass: olcSssVlvConfig", "olcOverlay: {\(index)}sssvlv", "",
            ]
            index += 1
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The suffix entry and the service account, for slapadd.
    func initialLDIF(suffix: String, servicePasswordHash: String) -> String {
        let dc = suffix.split(separator: ",").first.flatMap { $0.split(separator: "=").last }.map(String.init) ?? "example"
        return """
            dn: \(suffix)
            objectClass: top
            objectClass: dcObject
            objectClass: organization
            dc: \(dc)
            o: \(dc)

            dn: cn=scim-gateway,\(suffix)
            objectClass: applicationProcess
            objectClass: simpleSecurityObject
            cn: scim-gateway
            userPassword: \(servicePasswordHash)

            """
    }
}
