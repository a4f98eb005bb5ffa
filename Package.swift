// swift-tools-version: 6.2
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]
// Unsafe constructs are diagnosed (warnings) in every module but LDAPClient, the one module whose job is to hold
// the C surface (there each C object has one owner and pointers are lent only for a call; see README, Design).
let memorySafety: [SwiftSetting] = [.strictMemorySafety()]
// SCIMCore's imports are internal unless marked `public import`: nothing it depends on leaks into its API by accident.
let internalImports: [SwiftSetting] = [.enableUpcomingFeature("InternalImportsByDefault")]

let package = Package(
    name: "scim-gateway",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "scim-gateway", targets: ["SCIMGateway"]),
        .executable(name: "ldap-bench", targets: ["LDAPBench"]),
        .library(name: "LDAPClient", targets: ["LDAPClient"]),
        .library(name: "SCIMCore", targets: ["SCIMCore"]),
        // For the libFuzzer package in Tests/Fuzz only: the entry points it and the corpus replay test share.
        .library(name: "SCIMFuzzEntryPoints", targets: ["SCIMFuzzEntryPoints"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.1.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // libldap / liblber through pkg-config; the only C surface.
        .systemLibrary(
            name: "CLDAP",
            pkgConfig: "ldap",
            providers: [.apt(["libldap-dev", "libsasl2-dev"])]
        ),
        // Plain C for what Swift cannot call: variadic BER encoding/decoding, LDAP_OPT_ON/OFF.
        .target(
            name: "CLDAPShim",
            dependencies: ["CLDAP"],
            linkerSettings: [.linkedLibrary("ldap"), .linkedLibrary("lber")]
        ),
        .target(
            name: "LDAPClient",
            dependencies: [
                "CLDAP", "CLDAPShim",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "SCIMCore",
            dependencies: [
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),  // StoreContext: each storage call's logger
            ],
            swiftSettings: upcoming + memorySafety + internalImports
        ),
        .target(
            name: "SCIMLDAP",
            dependencies: [
                "LDAPClient", "SCIMCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),  // {SSHA} for ldap.passwordWrite: hash
            ],
            swiftSettings: upcoming + memorySafety
        ),
        .target(
            name: "SCIMServer",
            dependencies: [
                "SCIMCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: upcoming + memorySafety
        ),
        // The product's slapd launcher (`scim-gateway demo`, the schema directory lookup), which the tests use too:
        // renders schema/ldap into a config and runs Debian's slapd.
        .target(
            name: "SlapdLauncher",
            dependencies: [
                "LDAPClient",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming + memorySafety
        ),
        // Outbound provisioning: follows the directory's change feed and pushes users and groups to SCIM targets.
        .target(
            name: "SCIMProvisioning",
            dependencies: [
                "SCIMLDAP", "SCIMCore", "LDAPClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: upcoming
        ),
        // Config loading, CLI commands and lifecycle wiring; the executable only calls into it.
        .target(
            name: "SCIMApp",
            dependencies: [
                "SCIMServer", "SCIMLDAP", "SCIMProvisioning", "SlapdLauncher", "LDAPClient", "SCIMCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: upcoming + memorySafety
        ),
        .executableTarget(
            name: "SCIMGateway",
            dependencies: [
                "SCIMApp",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: upcoming + memorySafety
        ),
        // The raw-LDAP baseline of scripts/bench.sh.
        .executableTarget(name: "LDAPBench", dependencies: ["LDAPClient"], swiftSettings: upcoming),
        // Test support shared by the unit test targets: an in-memory ResourceStore, fixtures, a seeded generator.
        // Never linked into a product.
        .target(
            name: "SCIMTestSupport",
            dependencies: [
                "SCIMCore", .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/SCIMTestSupport",
            swiftSettings: upcoming
        ),
        // The tests' name for the launcher (a re-export of SlapdLauncher); linked by no product.
        .target(name: "SlapdHarness", dependencies: ["SlapdLauncher"], path: "Tests/SlapdHarness", swiftSettings: upcoming),
        // What the fuzz targets (Tests/Fuzz) drive; the corpus replay test runs the same entry points.
        .target(
            name: "SCIMFuzzEntryPoints",
            dependencies: ["SCIMCore"],
            path: "Tests/FuzzEntryPoints",
            swiftSettings: upcoming
        ),
        // Unit tests (`swift test --filter Unit`): no directory, no network, seconds.
        .testTarget(
            name: "SCIMCoreUnitTests",
            dependencies: [
                "SCIMCore", "SCIMTestSupport", "SCIMFuzzEntryPoints",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            exclude: ["FuzzCorpus"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "GatewayUnitTests",
            dependencies: [
                "SCIMServer", "SCIMLDAP", "LDAPClient", "SCIMCore", "SCIMTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "LDAPClientTests",
            dependencies: ["LDAPClient", "SlapdHarness", "SlapdLauncher"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "SCIMApp", "SCIMServer", "SCIMLDAP", "SCIMProvisioning", "SlapdHarness", "LDAPClient", "SCIMCore", "SCIMTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: upcoming
        ),
    ],
    swiftLanguageModes: [.v6]
)
