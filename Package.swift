// swift-tools-version: 6.1
import PackageDescription

/// Switchboard: a durable, throttling-aware integration hub for Dynamics 365 landscapes.
///
/// Each heavy dependency is imported by one target per product (see ../shared/STYLE.md):
/// Yams by the shared value types, GRDB by the SQLite store (and, for the emulator alone, by its
/// state file), PostgresNIO by the PostgreSQL store, AsyncHTTPClient by the connectors, Hummingbird by the server (and the emulator's
/// server), OTel (the OpenTelemetry exporter) by the hub's wiring, ArgumentParser by the
/// command-line tool.
let package = Package(
    name: "switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .library(name: "SwitchboardModel", targets: ["SwitchboardModel"]),
        .library(name: "SwitchboardEngine", targets: ["SwitchboardEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // OTLP over HTTP only: the gRPC exporter's packages are left out.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // The JSON value type, paths, and YAML read with file:line:column positions: shared by the
        // model and the Dataverse emulator, which depends on nothing else of the hub.
        .target(
            name: "SwitchboardValues",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        // Workspace types and loading, the connector model and its registry.
        .target(name: "SwitchboardModel", dependencies: ["SwitchboardValues"]),
        // Message lifecycle, dispatcher, steps, retry, budgets, audit. Storage and connectors
        // only through protocols.
        .target(
            name: "SwitchboardEngine",
            dependencies: [
                "SwitchboardModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // The embedded store.
        .target(
            name: "SwitchboardSQLite",
            dependencies: [
                "SwitchboardEngine",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The store several nodes share: PostgreSQL through PostgresNIO.
        .target(
            name: "SwitchboardPostgres",
            dependencies: [
                "SwitchboardEngine",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Outbound connectors.
        .target(
            name: "SwitchboardConnectors",
            dependencies: [
                "SwitchboardEngine",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Inbound endpoints, health, metrics and the management API, over HTTP or HTTPS.
        .target(
            name: "SwitchboardServer",
            dependencies: [
                "SwitchboardEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // The Dataverse Web API's behaviour, without a server: schema, records, OData queries,
        // $batch, bulk messages, change tracking, tokens, service protection limits, webhooks.
        // What both emulators' servers share and that needs no server: the Entra-shaped token
        // issuer, application users, and the local certificate authority for HTTPS.
        .target(
            name: "EmulatorSecurity",
            dependencies: [
                "SwitchboardValues",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // OData `$batch` bodies (multipart/mixed) read and answered: both emulators'.
        .target(name: "ODataMultipart"),
        // OData `$filter` read in a service's dialect and evaluated over records: both emulators'.
        .target(name: "ODataFilter", dependencies: ["SwitchboardValues"]),
        .target(
            name: "DataverseEmulatorCore",
            dependencies: [
                "SwitchboardValues", "ODataFilter", "ODataMultipart", "EmulatorSecurity",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Finance & Operations' OData service emulated without a server: entities from a schema,
        // records per company, keys, query options, create, update, delete, errors in its shape.
        .target(name: "FinanceOperationsEmulatorCore", dependencies: ["SwitchboardValues", "ODataFilter", "ODataMultipart", "EmulatorSecurity"]),
        // Its HTTP and HTTPS server (`switchboard emulate finance-operations`): tokens and `/data`.
        .target(
            name: "FinanceOperationsEmulator",
            dependencies: [
                "FinanceOperationsEmulatorCore", "EmulatorSecurity", "SwitchboardValues",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // The emulator's HTTP and HTTPS server (`switchboard emulate dataverse`).
        // The emulator's state file (`--state`): records in SQLite, for the emulator alone.
        .target(
            name: "DataverseEmulatorState",
            dependencies: ["DataverseEmulatorCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "DataverseEmulator",
            dependencies: [
                "DataverseEmulatorCore", "SwitchboardValues",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // Wires a workspace into a running hub and implements each command's behaviour.
        .target(
            name: "SwitchboardHub",
            dependencies: [
                "SwitchboardModel", "SwitchboardEngine", "SwitchboardSQLite", "SwitchboardPostgres",
                "SwitchboardConnectors", "SwitchboardServer", "CMalloc", "DataverseEmulatorCore", "SwitchboardGovernance",
                .product(name: "OTel", package: "swift-otel"),
            ]
        ),
        // The strategy review (`check`) and capacity plan (`plan`) over the workspace model.
        .target(name: "SwitchboardGovernance", dependencies: ["SwitchboardModel"]),
        // The test kit: a manual clock, temporary folders, and the conformance suites every
        // store (MessageStoreConformance) and connector (ConnectorConformance) passes.
        .target(name: "SwitchboardTesting", dependencies: ["SwitchboardEngine", "SwitchboardModel"]),
        // The harnesses of the tests that need the whole hub, the emulator or the real binary: a
        // hub on loopback with a sink as its target, the emulator over HTTPS with a client that
        // trusts its CA, the binary run as a process. Kept apart from SwitchboardTesting so that
        // the engine's tests link nothing heavy.
        .target(
            name: "SwitchboardTestHarness",
            dependencies: [
                "SwitchboardTesting", "SwitchboardHub", "SwitchboardConnectors", "SwitchboardServer", "DataverseEmulator", "DataverseEmulatorCore",
                "FinanceOperationsEmulator", "FinanceOperationsEmulatorCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // glibc's malloc.h, which the Glibc module leaves out (MallocTuning).
        .target(name: "CMalloc"),
        // The command-line tool: parses arguments and calls SwitchboardHub.
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "SwitchboardHub", "SwitchboardConnectors", "DataverseEmulator", "DataverseEmulatorCore", "DataverseEmulatorState", "FinanceOperationsEmulator",
                "FinanceOperationsEmulatorCore", "EmulatorSecurity",
                "SwitchboardSQLite",
                "SwitchboardGovernance",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Release-build benchmark: ingest, end-to-end delivery, latency, memory.
        .executableTarget(
            name: "SwitchboardBenchmark",
            dependencies: [
                "SwitchboardHub", "SwitchboardServer", "SwitchboardEngine", "SwitchboardModel", "SwitchboardConnectors", "DataverseEmulator",
                "DataverseEmulatorCore", "SwitchboardSQLite", "FinanceOperationsEmulator", "FinanceOperationsEmulatorCore", "EmulatorSecurity",
                "SwitchboardTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Benchmarks/SwitchboardBenchmark"
        ),
        // libFuzzer targets for every parser that reads input (docs/fuzzing.md, scripts/fuzz). A
        // normal build makes a replay tool (`swift run SwitchboardFuzz json Fuzz/corpus/json`);
        // `--sanitize=fuzzer -Xswiftc -DSWITCHBOARD_FUZZING` makes the fuzzer. It links no
        // connector, store or server: only the parsers.
        .executableTarget(
            name: "SwitchboardFuzz",
            dependencies: ["SwitchboardValues", "SwitchboardModel", "SwitchboardEngine", "DataverseEmulatorCore", "ODataFilter", "ODataMultipart", "FinanceOperationsEmulatorCore"]
        ),
        // The engine's tests link no GRDB, Hummingbird or AsyncHTTPClient: the build proves the layering.
        .testTarget(
            name: "SwitchboardEngineTests",
            dependencies: ["SwitchboardEngine", "SwitchboardModel", "SwitchboardTesting"]
        ),
        .testTarget(
            name: "SwitchboardSQLiteTests",
            dependencies: [
                "SwitchboardSQLite", "SwitchboardEngine", "SwitchboardModel", "SwitchboardTesting", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The PostgreSQL store against a throwaway PostgreSQL cluster the tests start.
        .testTarget(
            name: "SwitchboardPostgresTests",
            dependencies: [
                "SwitchboardPostgres", "SwitchboardEngine", "SwitchboardModel", "SwitchboardTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "SwitchboardConnectorsTests",
            dependencies: [
                "switchboard", "SwitchboardConnectors", "SwitchboardEngine", "SwitchboardModel", "SwitchboardServer", "SwitchboardHub",
                "SwitchboardGovernance", "SwitchboardTesting", "SwitchboardTestHarness", "DataverseEmulatorCore",
                "FinanceOperationsEmulator", "FinanceOperationsEmulatorCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "FinanceOperationsEmulatorTests",
            dependencies: [
                "FinanceOperationsEmulatorCore", "FinanceOperationsEmulator", "EmulatorSecurity", "SwitchboardValues", "SwitchboardTesting",
                "SwitchboardTestHarness", "switchboard",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "DataverseEmulatorTests",
            dependencies: [
                "switchboard", "DataverseEmulator", "DataverseEmulatorCore", "DataverseEmulatorState", "SwitchboardTesting", "SwitchboardTestHarness",
                "SwitchboardHub",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "SwitchboardGovernanceTests",
            dependencies: [
                "switchboard", "SwitchboardGovernance", "SwitchboardModel", "SwitchboardConnectors", "SwitchboardTesting", "SwitchboardTestHarness",
            ]
        ),
        // The hub's HTTP surface: the management API, the dashboard, the listener's TLS and the
        // webhook door, each against a running hub.
        .testTarget(
            name: "SwitchboardServerTests",
            dependencies: [
                "SwitchboardModel", "SwitchboardEngine", "SwitchboardServer", "SwitchboardConnectors", "SwitchboardTesting",
                "SwitchboardTestHarness", "EmulatorSecurity",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The hub and the real binary end to end.
        .testTarget(
            name: "SwitchboardHubTests",
            dependencies: [
                // Built before the tests run: process tests start the real binary.
                "switchboard",
                "SwitchboardModel", "SwitchboardEngine", "SwitchboardSQLite", "SwitchboardConnectors", "SwitchboardServer", "SwitchboardHub",
                "SwitchboardGovernance", "SwitchboardTesting", "SwitchboardTestHarness", "DataverseEmulatorCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)
