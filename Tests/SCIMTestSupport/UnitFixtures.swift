import Foundation
import SCIMCore

/// What unit tests share: the checkout's folders and the bundled SCIM schemas, found from this file's location.
public enum UnitFixtures {
    /// The repository root (this file is in Tests/SCIMTestSupport).
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardizedFileURL

    /// The bundled schemas (`schema/scim`), loaded once; a failure fails every test that uses it.
    public static let registry: SchemaRegistry = {
        do {
            return try SchemaRegistry.load(directory: repository.appendingPathComponent("schema/scim"))
        } catch {
            fatalError("cannot load schema/scim: \(error)")
        }
    }()

    public static var user: ResolvedResourceType { registry.resourceType(named: "User")! }
    public static var group: ResolvedResourceType { registry.resourceType(named: "Group")! }

    /// The bundled mapping file.
    public static var bundledMapping: URL { repository.appendingPathComponent("Config/mapping/bundled.yaml") }
}
