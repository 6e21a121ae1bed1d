// swift-tools-version: 6.1
// Micro benchmarks (ordo-one/benchmark) for the form-dns hot path, kept in their own package so the
// main build and CI do not compile the benchmark framework.
//   cd Benchmarks && swift package benchmark            (all)
//   cd Benchmarks && swift package benchmark --filter "static.*"
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder, which is whatever the clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "formation-anycast-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "HotPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DNSWire", package: root),
                .product(name: "DNSZone", package: root),
                .product(name: "FormAuthority", package: root),
                .product(name: "FormConfig", package: root),
                .product(name: "GeoIP", package: root),
                .product(name: "NetAddress", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/HotPath",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "StubResolver",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DNSWire", package: root),
                .product(name: "FormJoin", package: root),
                .product(name: "NetAddress", package: root),
            ],
            path: "Benchmarks/StubResolver",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
