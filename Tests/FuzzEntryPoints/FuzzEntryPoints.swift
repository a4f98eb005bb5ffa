import Foundation
import SCIMCore

/// The parsers that take untrusted input, driven with arbitrary bytes: by the libFuzzer targets in Tests/Fuzz and
/// by the unit test that replays their committed corpus. Each call must return (never trap, never hang) whatever
/// the bytes; errors are the expected outcome for most inputs.
public enum FuzzEntryPoints {
    public enum Target: String, CaseIterable, Sendable {
        case filter, path, body
    }

    /// A User type and a sample user to resolve, evaluate and patch against.
    public struct Fixture: Sendable {
        public let user: ResolvedResourceType
        public let sample: JSONValue

        public init(schemaDirectory: URL) throws {
            let registry = try SchemaRegistry.load(directory: schemaDirectory)
            guard let user = registry.resourceType(named: "User") else { throw SchemaLoadError("no User resource type") }
            self.user = user
            sample = try JSONValue.parse(
                Data(
                    #"""
                    {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"2819c223-7f76-453a-919d-413861904646",
                     "userName":"bjensen","name":{"givenName":"Barbara","familyName":"Jensen"},"active":true,
                     "emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],
                     "meta":{"created":"2011-08-01T18:29:49.793Z","lastModified":"2011-08-01T18:29:49.793Z"}}
                    """#.utf8), maxDepth: 16, maxBytes: 4096)
        }
    }

    public static func run(_ target: Target, _ bytes: [UInt8], fixture: Fixture) {
        switch target {
        case .filter: filter(bytes, fixture: fixture)
        case .path: path(bytes, fixture: fixture)
        case .body: body(bytes, fixture: fixture)
        }
    }

    /// A `filter=` query parameter: parse, resolve against User, evaluate against a sample.
    public static func filter(_ bytes: [UInt8], fixture: Fixture) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let parsed = try? SCIMFilter.parse(text), let resolved = try? parsed.resolved(against: fixture.user) else { return }
        _ = resolved.matches(fixture.sample, type: fixture.user)
        _ = resolved.description
    }

    /// A PATCH path, attributes= list entry or sortBy: parse both ways, resolve against User.
    public static func path(_ bytes: [UInt8], fixture: Fixture) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let path = try? AttributePath.parsePatchPath(text) { _ = try? path.resolved(against: fixture.user) }
        if let path = try? AttributePath(parsing: text) { _ = try? path.resolved(against: fixture.user) }
    }

    /// A request body: JSON, then read as a User, a PATCH request (applied to the sample), a search and a bulk
    /// operation list.
    public static func body(_ bytes: [UInt8], fixture: Fixture) {
        guard let json = try? JSONValue.parse(Data(bytes), maxDepth: 64, maxBytes: 1 << 20) else { return }
        _ = json.jsonString()
        _ = try? ResourceValidator(type: fixture.user).validate(json)
        if let patch = try? PatchRequest(json: json) {
            _ = try? PatchApplier(type: fixture.user).apply(patch, to: fixture.sample)
            _ = try? PatchApplier(type: fixture.user, strictNoTarget: true).apply(patch, to: fixture.sample)
        }
        if let search = try? SearchRequest(json: json) { _ = try? search.resolved(against: fixture.user) }
    }
}
