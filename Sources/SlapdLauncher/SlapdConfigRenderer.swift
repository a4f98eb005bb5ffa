import Foundation

/// Fills the placeholders of the bundled `schema/ldap/*.in` templates.
struct SlapdConfigRenderer {
    let schemaDirectory: URL
    let suffix: String
    let rootPasswordHash: String
    let servicePasswordHash: String
    let dataDirectory: String
    let uncheckedLimit: Int
    let noSync: Bool

    var values: [String: String] {
        let firstRDNValue = suffix.split(separator: ",").first.flatMap { $0.split(separator: "=").last }.map(String.init)
        return [
            "@SUFFIX@": suffix,
            "@SUFFIX_DC@": firstRDNValue ?? "example",
            "@ROOTPW_HASH@": rootPasswordHash,
            "@SERVICE_PASSWORD_HASH@": servicePasswordHash,
            "@DBDIR@": dataDirectory,
            "@UNCHECKED_LIMIT@": String(uncheckedLimit),
            "@MODULEPATH@": "/usr/lib/ldap",
            "@SCHEMADIR@": schemaDirectory.appendingPathComponent("ldap").path,
            "@PEERCRED_DN@": "gidNumber=\(getegid())+uidNumber=\(geteuid()),cn=peercred,cn=external,cn=auth",
            "@NOSYNC_BOOL@": noSync ? "TRUE" : "FALSE",
            "@NOSYNC@": noSync ? "dbnosync" : "",
            "@DB@": "{1}mdb",
        ]
    }

    func render(_ template: String) throws -> String {
        var text = try String(contentsOf: schemaDirectory.appendingPathComponent("ldap/\(template)"), encoding: .utf8)
        for (key, value) in values { text = text.replacingOccurrences(of: key, with: value) }
        if let leftover = text.range(of: #"@[A-Z_]+@"#, options: .regularExpression) {
            throw SlapdError("unknown placeholder \(text[leftover]) in schema/ldap/\(template)")
        }
        return text
    }
}
