// swift-tools-version: 6.1
import PackageDescription

/// The per-query path (response building, the server handlers) is single-threaded per event loop
/// by construction (LoopState is loop-bound), so release builds drop the dynamic exclusivity
/// checks there; debug builds (and so the tests) keep them. The library products others may
/// depend on (DNSWire, DNSZone, GeoIP, FormJoin) carry no such flags.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

// Linux only: the servers and the join client call Glibc and Linux socket options directly
// (recvmmsg, SO_ATTACH_REUSEPORT_CBPF, IP_PMTUDISC_OMIT, sched_setattr via CFormSocket's
// linux/filter.h). No Apple platform is declared because none would build.
let package = Package(
    name: "formation-anycast",
    products: [
        .library(name: "NetAddress", targets: ["NetAddress"]),
        .library(name: "DNSWire", targets: ["DNSWire"]),
        .library(name: "DNSZone", targets: ["DNSZone"]),
        .library(name: "DNSSEC", targets: ["DNSSEC"]),
        .library(name: "FormAuthority", targets: ["FormAuthority"]),
        .library(name: "FormConfig", targets: ["FormConfig"]),
        .library(name: "FormStore", targets: ["FormStore"]),
        .library(name: "FormPKI", targets: ["FormPKI"]),
        .library(name: "FormControl", targets: ["FormControl"]),
        .library(name: "GeoIP", targets: ["GeoIP"]),
        .library(name: "FormJoin", targets: ["FormJoin"]),
        // FormJoin's C ABI (Sources/FormJoinC/include/formjoin.h) as a shared library, for formnet (Rust).
        .library(name: "FormJoinC", type: .dynamic, targets: ["FormJoinC"]),
        // The fuzzed entry points, for the libFuzzer executables in Fuzz/ (scripts/fuzz).
        .library(name: "FormFuzz", targets: ["FormFuzz"]),
        .executable(name: "form-dns", targets: ["form-dns"]),
        .executable(name: "form-join", targets: ["form-join"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Layer 0: addresses, networks, endpoints, their text and sockaddr forms. No dependencies.
        .target(name: "NetAddress"),
        // Layer 1: the DNS wire codec. Value types, bounds-checked reads, no I/O.
        .target(
            name: "DNSWire",
            dependencies: ["NetAddress", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // libmaxminddb from Debian, linked as a system library.
        .systemLibrary(
            name: "CMaxMindDB",
            pkgConfig: "libmaxminddb",
            providers: [.apt(["libmaxminddb-dev"])]
        ),
        // Layer 2: client location — MaxMind DB reading (libmaxminddb) and writing, network maps, distances.
        .target(name: "GeoIP", dependencies: ["CMaxMindDB", "DNSWire", "NetAddress"]),
        // Layer 1b: DNSSEC's cryptography — canonical RRsets, zone keys, RRSIGs made and checked, DS.
        .target(
            name: "DNSSEC",
            dependencies: ["DNSWire", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Layer 2a: zones — RFC 1035 master files parsed into an in-memory zone model.
        .target(name: "DNSZone", dependencies: ["DNSWire"]),
        // Layer 2b: the authority engine — pure query -> response logic, precomputed answers, health.
        .target(
            name: "FormAuthority",
            dependencies: [
                "DNSWire", "DNSSEC", "DNSZone", "GeoIP", "NetAddress", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: hotPath
        ),
        // Layer 2c: configuration — documents, the declarative schema, loading files into the engine.
        .target(
            name: "FormConfig",
            dependencies: [
                "DNSWire", "DNSSEC", "DNSZone", "GeoIP", "FormAuthority", "FormPKI", "NetAddress",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // A small CA for the management API's TLS (form-dns pki), and certificate checks.
        .target(
            name: "FormPKI",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // Layer 2d: what survives a restart — config versions, the audit chain, overrides, health states.
        .target(
            name: "FormStore",
            dependencies: [
                "FormAuthority", "FormConfig",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Layer 2f: changing the configuration while serving — edits, versions, approvals.
        .target(
            name: "FormControl",
            dependencies: [
                "DNSWire", "DNSZone", "FormAuthority", "FormConfig", "FormStore", "GeoIP",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // recvmmsg/sendmmsg (GNU extensions the Glibc module does not export).
        .target(name: "CFormSocket"),
        // Layer 3: UDP/TCP servers, thin shells around the engine.
        .target(
            name: "FormDNSServer",
            dependencies: [
                "FormAuthority", "FormConfig", "FormControl", "FormStore", "DNSWire", "DNSZone", "GeoIP", "NetAddress",
                "CFormSocket",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The API's OpenAPI document, compiled in (served at /v1/openapi.json; Docs/openapi.json is a copy),
            // and the dashboard's files (served at /dashboard/).
            resources: [
                .embedInCode("API/openapi.json"), .embedInCode("Dashboard/index.html"),
                .embedInCode("Dashboard/dashboard.js"), .embedInCode("Dashboard/dashboard.css"),
                .embedInCode("Dashboard/world.json"),
            ],
            swiftSettings: hotPath
        ),
        // Layer 2e: the join client — own stub resolver, probing, fallback, peer set for formnet.
        .target(
            name: "FormJoin",
            dependencies: [
                "DNSWire", "DNSSEC", "NetAddress", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                // DNS over TLS and HTTPS (Encrypted/): NIO's TLS and HTTP/2, on its shared event loops.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        // The C ABI over FormJoin: C strings and callbacks in, the peer-set JSON out.
        .target(name: "FormJoinC", dependencies: ["FormJoin"], exclude: ["include"]),
        .target(
            name: "FormFuzz",
            dependencies: [
                "DNSWire", "DNSZone", "FormAuthority", "FormConfig", "GeoIP", "FormJoin", "NetAddress",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "form-join",
            dependencies: [
                "FormJoin", "DNSWire", "NetAddress", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // A fake entry node for the demo and tests: formnet ping and HTTP health with injected latency.
        .executableTarget(
            name: "fake-entry-node",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Layer 4: the CLI.
        .executableTarget(
            name: "form-dns",
            dependencies: [
                "FormDNSServer", "FormAuthority", "FormConfig", "FormControl", "FormStore", "FormPKI", "DNSZone", "DNSWire",
                "DNSSEC", "FormJoin",
                "GeoIP",
                "NetAddress",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "DNSWireTests",
            dependencies: [
                "DNSWire", "NetAddress",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "NetAddressTests", dependencies: ["NetAddress"]),
        .testTarget(
            name: "DNSSECTests",
            dependencies: ["DNSSEC", "DNSWire", "TestFixtures", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(name: "DNSZoneTests", dependencies: ["DNSZone", "DNSWire"]),
        // Test-only: where the fixtures and MaxMind's public test databases are, for the test targets.
        .target(name: "TestFixtures", path: "Tests/TestFixtures"),
        .testTarget(name: "FormFuzzTests", dependencies: ["FormFuzz", "TestFixtures"]),
        .testTarget(name: "GeoIPTests", dependencies: ["GeoIP", "DNSWire", "NetAddress", "TestFixtures"]),
        .testTarget(
            name: "FormJoinTests",
            dependencies: [
                "FormJoin", "DNSWire", "NetAddress", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "FormAuthorityTests",
            dependencies: [
                "DNSSEC",
                "FormAuthority", "DNSZone", "DNSWire", "GeoIP", "NetAddress", "TestFixtures",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "FormConfigTests",
            dependencies: ["FormConfig", "FormAuthority", "DNSSEC", "DNSZone", "DNSWire", "GeoIP", "NetAddress", "TestFixtures"]
        ),
        .testTarget(
            name: "FormStoreTests",
            dependencies: [
                "FormStore", "FormAuthority", "FormConfig", "TestFixtures", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(name: "FormPKITests", dependencies: ["FormPKI"]),
        .testTarget(
            name: "FormControlTests",
            dependencies: ["FormControl", "FormConfig", "FormStore", "FormAuthority", "DNSWire", "TestFixtures",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "FormDNSServerTests",
            dependencies: [
                "FormDNSServer", "FormAuthority", "FormConfig", "FormStore", "NetAddress", "TestFixtures",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "DNSWire", "NetAddress", "TestFixtures", "form-dns", "form-join", "fake-entry-node",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)
