import Foundation
import LDAPClient
@testable import SCIMLDAP
import Testing

/// The start-up decision of how passwords are written (never in clear text), the gateway's own {SSHA}, and the
/// undo of a modify whose password the directory then refuses — without a directory.
@Suite("Password writes: decision, {SSHA}, undo")
struct PasswordWriteUnitTests {
    static let exopOnly = PasswordWriteEvidence(supportsPasswordModify: true)
    static let nothing = PasswordWriteEvidence()
    static let hashingConfig = PasswordWriteEvidence(supportsPasswordModify: true, configReadable: true, ppolicyHashesCleartext: true)
    static let plainConfig = PasswordWriteEvidence(supportsPasswordModify: true, configReadable: true)

    @Test func autoPrefersProvenHashingThenPasswordModify() throws {
        #expect(try PasswordWriteDecision.decide(.auto, attribute: "userPassword", evidence: Self.hashingConfig) == .modify)
        #expect(try PasswordWriteDecision.decide(.auto, attribute: "userPassword", evidence: Self.exopOnly) == .exop)
        #expect(try PasswordWriteDecision.decide(.auto, attribute: "userPassword", evidence: Self.plainConfig) == .exop)
    }

    @Test func autoRefusesWhenNothingIsProven() {
        for (attribute, evidence, reason) in [
            ("userPassword", Self.nothing, "no Password Modify"),
            ("scimSecret", Self.exopOnly, "scimSecret"),
            (
                "userPassword",
                PasswordWriteEvidence(
                    supportsPasswordModify: true, configReadable: true, ppolicyHashesCleartext: true,
                    directoryHashIsCleartext: true), "{CLEARTEXT}"
            ),
        ] {
            var text = ""
            do {
                _ = try PasswordWriteDecision.decide(.auto, attribute: attribute, evidence: evidence)
            } catch {
                text = error.description
            }
            // The message says why and names every option.
            #expect(text.contains(reason) && text.contains("`modify`") && text.contains("`exop`") && text.contains("`hash`"), "\(text)")
        }
    }

    @Test func explicitSettingsAreCheckedAgainstWhatTheDirectoryShows() throws {
        #expect(try PasswordWriteDecision.decide(.fixed(.hash), attribute: "scimSecret", evidence: Self.nothing) == .hash)
        // modify: the administrator vouches, unless the readable config shows no hashing.
        #expect(try PasswordWriteDecision.decide(.fixed(.modify), attribute: "userPassword", evidence: Self.exopOnly) == .modify)
        #expect(throws: PasswordWriteRefusal.self) {
            try PasswordWriteDecision.decide(.fixed(.modify), attribute: "userPassword", evidence: Self.plainConfig)
        }
        #expect(try PasswordWriteDecision.decide(.fixed(.exop), attribute: "userPassword", evidence: Self.exopOnly) == .exop)
        #expect(throws: PasswordWriteRefusal.self) {
            try PasswordWriteDecision.decide(.fixed(.exop), attribute: "userPassword", evidence: Self.nothing)
        }
        #expect(throws: PasswordWriteRefusal.self) {
            try PasswordWriteDecision.decide(.fixed(.exop), attribute: "scimSecret", evidence: Self.exopOnly)
        }
        #expect(PasswordWriteSetting("AUTO") == .auto)
        #expect(PasswordWriteSetting("exop") == .fixed(.exop))
        #expect(PasswordWriteSetting("cleartext") == nil)
    }

    @Test func saltedSHAMatchesSlapdsFormat() {
        // base64(SHA-1("secret" ‖ salt) ‖ salt), computed independently (Python's hashlib).
        let known = SaltedSHA.hash("secret", salt: Array("salt1234".utf8))
        #expect(known == "{SSHA}Wcm1xEisNjqp921ALcHfuQ7avFdzYWx0MTIzNA==")
        #expect(SaltedSHA.verify("secret", against: known))
        #expect(!SaltedSHA.verify("Secret", against: known))
        let first = SaltedSHA.hash("Correct-Horse-42")
        let second = SaltedSHA.hash("Correct-Horse-42")
        #expect(first != second)  // a fresh salt each time
        #expect(SaltedSHA.verify("Correct-Horse-42", against: first) && SaltedSHA.verify("Correct-Horse-42", against: second))
        #expect(!first.contains("Correct-Horse-42"))
    }

    @Test func passwordIsHashedOrHeldBackNeverSentAsIs() {
        let mods: [LDAPModification] = [.replace("displayName", ["New"]), .replace("userPassword", ["Long-Enough-7"])]
        let held = PasswordWrites.applying(.exop, passwordType: "userpassword", to: mods)
        #expect(held.modifications == [.replace("displayName", ["New"])])
        #expect(held.pending?.value.value == "Long-Enough-7")
        let hashed = PasswordWrites.applying(.hash, passwordType: "userpassword", to: mods)
        #expect(hashed.pending == nil)
        let value = String(decoding: hashed.modifications[1].values[0], as: UTF8.self)
        #expect(SaltedSHA.verify("Long-Enough-7", against: value))
        #expect(PasswordWrites.applying(.modify, passwordType: "userpassword", to: mods).modifications == mods)
    }

    @Test func undoRestoresEveryTouchedDescription() {
        let current = LDAPEntry(
            dn: "uid=a,ou=people,dc=example,dc=org",
            attributes: [
                .init(description: "objectClass", values: [Array("inetOrgPerson".utf8)]),
                .init(description: "displayName", values: [Array("Old".utf8)]),
                .init(description: "scimEmail;x-scim-type-work", values: [Array("a@example.org".utf8)]),
            ])
        let forward: [LDAPModification] = [
            .add("objectClass", ["scimUser"]), .replace("displayName", ["New"]), .add("title", ["Boss"]),
            .delete("scimEmail;x-scim-type-work", ["a@example.org"]), .add("SCIMEMAIL;X-SCIM-TYPE-WORK", ["b@example.org"]),
        ]
        #expect(
            ModificationUndo.inverse(of: forward, current: current) == [
                .replace("objectClass", ["inetOrgPerson"]), .replace("displayName", ["Old"]), .replace("title", []),
                .replace("scimEmail;x-scim-type-work", ["a@example.org"]),
            ])
    }
}
