// swift-tools-version: 6.1
// libFuzzer executables, one per FuzzTarget, built by scripts/fuzz with
// -sanitize=fuzzer,address -parse-as-library (libFuzzer supplies main). Not part of the main build.
import PackageDescription

let targets = [
    "dns-message", "response", "zone-file", "config", "mmdb", "stub-reply", "bootstrap-list",
]

let package = Package(
    name: "FormFuzzing",
    dependencies: [.package(name: "formation-anycast", path: "..")],
    targets: [.target(name: "FuzzDriver")]
        + targets.map { name in
            .executableTarget(
                name: "fuzz-\(name)",
                dependencies: ["FuzzDriver", .product(name: "FormFuzz", package: "formation-anycast")],
                path: "Sources/fuzz-\(name)")
        }
)
