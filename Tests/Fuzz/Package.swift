// swift-tools-version: 6.1
// libFuzzer targets for the protocol core (SCIMCore, driven through SCIMFuzzEntryPoints). Built on its own by scripts/fuzz.sh:
//   swift build -c release --package-path Tests/Fuzz --scratch-path .build-fuzz \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

let package = Package(
    name: "scim-gateway-fuzz",
    dependencies: [.package(name: "scim-gateway", path: "../..")],
    targets: [
        .executableTarget(
            name: "SCIMFuzz",
            dependencies: [
                .product(name: "SCIMCore", package: "scim-gateway"),
                .product(name: "SCIMFuzzEntryPoints", package: "scim-gateway"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    ],
    swiftLanguageModes: [.v6]
)
