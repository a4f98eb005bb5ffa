import Foundation
import LDAPClient
import SCIMLDAP
import SCIMProvisioning

extension GatewayConfig {
    /// `provisioning:` — the SCIM services the directory is pushed to.
    public struct Provisioning: Sendable, Codable {
        /// Where the state lives (bundled LDAP schema v3); default `ou=provisioning,<suffix>`.
        public var stateBaseDN: String?
        /// An instance that stops renewing loses the target to another instance after this long.
        public var leaseSeconds: Double?
        public var targets: [Target] = []

        public init() {}
    }

    public struct Target: Sendable, Codable {
        public var name: String
        public var url: String
        /// A static bearer token, better from a file (`tokenFile`, e.g. /run/secrets/nextcloud).
        public var token: String?
        public var tokenFile: String?
        public var oauth2: OAuth2?
        public var caFile: String?
        public var resourceTypes: [String]?
        /// Per resource type, an LDAP filter entries must also match (e.g. `(memberOf=cn=cloud,ou=groups,…)`).
        public var selection: [String: String]?
        /// `delete` (default), `deactivate` or `unmanage`.
        public var onRemove: String?
        /// `patch` (default) or `put`.
        public var update: String?
        /// Per resource type, the attributes sent (default: all the gateway renders).
        public var attributes: [String: [String]]?
        /// Never sent (default: password, x509Certificates, groups, the password-state extension).
        public var excludeAttributes: [String]?
        public var concurrency: Int?
        public var requestsPerSecond: Double?
        /// A full reconciliation this often (default 3600; 0: only at start and on demand).
        public var reconcileSeconds: Double?
        public var timeoutSeconds: Double?
        /// Creates of a reconciliation in `/Bulk` requests when the target offers Bulk (default true).
        public var bulk: Bool?

        public init(name: String, url: String) {
            self.name = name
            self.url = url
        }
    }

    public struct OAuth2: Sendable, Codable {
        public var tokenURL: String
        public var clientID: String
        public var clientSecret: String?
        public var clientSecretFile: String?
        public var scope: String?
    }

    public var provisioningStateBaseDN: String { provisioning?.stateBaseDN ?? "ou=provisioning,\(ldap.suffix)" }

    /// The targets as the engine takes them; throws `ConfigError` naming the first bad key.
    public func targetSettings() throws -> [TargetSettings] {
        var names = Set<String>()
        return try (provisioning?.targets ?? []).enumerated().map { index, target in
            let label = "provisioning.targets[\(index)]"
            guard TargetSettings.isValidName(target.name) else {
                throw ConfigError("\(label).name must be 1-64 letters, digits, '-', '_' or '.'")
            }
            guard names.insert(target.name.lowercased()).inserted else { throw ConfigError("\(label).name \(target.name) is used twice") }
            guard let url = URL(string: target.url), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw ConfigError("\(label).url must be an http(s) URL")
            }
            let authentication: TargetSettings.Authentication
            if let oauth = target.oauth2 {
                var secret = oauth.clientSecret
                if let file = oauth.clientSecretFile {
                    do { secret = try Self.readSecret(file) } catch { throw ConfigError("\(label).oauth2.clientSecretFile: cannot read \(file)") }
                }
                guard let secret, !secret.isEmpty else { throw ConfigError("\(label).oauth2 needs clientSecret or clientSecretFile") }
                authentication = .clientCredentials(tokenURL: oauth.tokenURL, clientID: oauth.clientID, clientSecret: secret, scope: oauth.scope)
            } else if let file = target.tokenFile {
                do { authentication = .bearer(try Self.readSecret(file)) } catch { throw ConfigError("\(label).tokenFile: cannot read \(file)") }
            } else if let token = target.token, !token.isEmpty {
                authentication = .bearer(token)
            } else {
                authentication = .none
            }
            var selection: [String: LDAPFilter] = [:]
            for (type, text) in target.selection ?? [:] {
                guard let filter = LDAPResourceStore.parseFilter(text) else {
                    throw ConfigError("\(label).selection.\(type): not a filter the gateway reads ((attr=value) terms joined with &)")
                }
                selection[type] = filter
            }
            guard let removal = TargetSettings.Removal(rawValue: target.onRemove ?? "delete") else {
                throw ConfigError("\(label).onRemove must be delete, deactivate or unmanage")
            }
            guard let update = TargetSettings.UpdateMethod(rawValue: target.update ?? "patch") else {
                throw ConfigError("\(label).update must be patch or put")
            }
            if let concurrency = target.concurrency, !(1...64).contains(concurrency) {
                throw ConfigError("\(label).concurrency must be 1-64")
            }
            if let rate = target.requestsPerSecond, rate <= 0 { throw ConfigError("\(label).requestsPerSecond must be positive") }
            let reconcile = target.reconcileSeconds ?? 3600
            return TargetSettings(
                name: target.name, baseURL: target.url, authentication: authentication, caFile: target.caFile,
                resourceTypes: target.resourceTypes ?? ["User", "Group"], selection: selection, removal: removal, update: update,
                attributes: target.attributes, excludedAttributes: target.excludeAttributes ?? TargetSettings.defaultExcluded,
                concurrency: target.concurrency ?? 4, requestsPerSecond: target.requestsPerSecond,
                reconcileInterval: reconcile > 0 ? .milliseconds(Int64(reconcile * 1000)) : nil,
                requestTimeout: .milliseconds(Int64((target.timeoutSeconds ?? 30) * 1000)), bulk: target.bulk ?? true)
        }
    }
}
