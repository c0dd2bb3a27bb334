import AsyncHTTPClient
import DataverseEmulatorCore
import Foundation
import NIOSSL
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// `switchboard emulate dataverse` as a process: the real binary, real HTTPS, real clients.
@Suite("switchboard emulate dataverse, the process")
struct EmulatorProcessTests {
    /// The emulator binary serving HTTPS with a generated CA in a folder of its own.
    final class RunningEmulator: Sendable {
        let binary: RunningBinary
        let folder: TemporaryDirectory
        var port: Int { binary.port }
        var caPath: String { folder.url.appendingPathComponent("tls/ca.pem").path }

        init() async throws {
            folder = try TemporaryDirectory()
            binary = try await RunningBinary(
                ["emulate", "dataverse", "--self-signed", folder.url.appendingPathComponent("tls").path, "--port", "0"],
                listeningLine: "listening at")
        }

        func terminate() async -> Int32 {
            let status = await binary.terminate()
            folder.remove()
            return status
        }
    }

    @Test("--print-schema prints the default schema as a file that loads back to the same tables")
    func printSchema() async throws {
        let result = try await Binary.run(["emulate", "dataverse", "--print-schema"])
        #expect(result.status == 0)
        let schema = try SchemaReader.read(result.output, file: "printed.yaml")
        #expect(schema.tables == DefaultSchema.schema.tables)
    }

    @Test("--self-signed keeps the CA and the server certificate already in the folder, so a client that trusts ca.pem goes on trusting")
    func keepsAuthority() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let tls = folder.url.appendingPathComponent("tls")
        func start() async throws -> RunningBinary {
            try await RunningBinary(["emulate", "dataverse", "--self-signed", tls.path, "--port", "0"], listeningLine: "listening at")
        }
        let first = try await start()
        #expect(await first.terminate() == 0)
        let authority = try String(contentsOf: tls.appendingPathComponent("ca.pem"), encoding: .utf8)
        let certificate = try String(contentsOf: tls.appendingPathComponent("cert.pem"), encoding: .utf8)
        #expect(first.printed.contains("wrote \(tls.path)/ca.pem"), "\(first.printed)")
        let second = try await start()
        #expect(second.printed.contains("kept \(tls.path)/ca.pem"), "\(second.printed)")
        // A client trusting the first run's ca.pem reaches the second over HTTPS.
        var configuration = HTTPClient.Configuration()
        var trust = TLSConfiguration.makeClientConfiguration()
        trust.trustRoots = .file(tls.appendingPathComponent("ca.pem").path)
        configuration.tlsConfiguration = trust
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let answer = try await client.execute(HTTPClientRequest(url: "https://127.0.0.1:\(second.port)/api/data/v9.2/"), timeout: .seconds(10))
            #expect(answer.status.code == 401, "the emulator answered over TLS the client trusts")
        } catch {
            Issue.record("a client trusting the first run's ca.pem could not reach the second: \(error)")
        }
        try await client.shutdown()
        #expect(await second.terminate() == 0)
        #expect(try String(contentsOf: tls.appendingPathComponent("ca.pem"), encoding: .utf8) == authority)
        #expect(try String(contentsOf: tls.appendingPathComponent("cert.pem"), encoding: .utf8) == certificate)
        // Without the server certificate, the same authority signs a new one.
        try FileManager.default.removeItem(at: tls.appendingPathComponent("cert.pem"))
        let third = try await start()
        #expect(third.printed.contains("kept \(tls.path)/ca.pem (clients that trust it go on trusting); wrote a new"), "\(third.printed)")
        #expect(await third.terminate() == 0)
        #expect(try String(contentsOf: tls.appendingPathComponent("ca.pem"), encoding: .utf8) == authority)
        let mode = try FileManager.default.attributesOfItem(atPath: tls.appendingPathComponent("ca-key.pem").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("bad options get one sentence and exit 1")
    func badOptions() async throws {
        let latency = try await Binary.run(["emulate", "dataverse", "--latency", "fast"])
        #expect(latency.status == 1)
        #expect(latency.error == "--latency fast: write a time such as 5ms, or a range such as 2ms..20ms\n")
        let client = try await Binary.run(["emulate", "dataverse", "--client", "no-secret"])
        #expect(client.error == "--client no-secret: write it as CLIENT_ID:SECRET\n")
        let tls = try await Binary.run(["emulate", "dataverse", "--tls-cert", "a.pem"])
        #expect(tls.error == "give --tls-cert and --tls-key together, or --self-signed FOLDER, not both\n")
    }

    static let pythonSDKAvailable =
        (try? Binary.runToolSynchronously("/usr/bin/env", ["python3", "-c", "import PowerPlatform.Dataverse, azure.identity"], timeout: .seconds(30)))?.status == 0

    @Test(
        "Microsoft's Python Dataverse SDK with azure-identity works against it unchanged but for the URL, authority and CA",
        .enabled(if: pythonSDKAvailable, "needs pip install PowerPlatform-Dataverse-Client azure-identity (.ci/run installs them)"))
    func pythonSDK() async throws {
        let emulator = try await RunningEmulator()
        let script = Repository.root
            .appendingPathComponent("Benchmarks/clients/python_sdk_check.py")
        let checked = try await Binary.runTool("/usr/bin/env", ["python3", script.path, String(emulator.port), emulator.caPath], timeout: .seconds(120))
        #expect(checked.status == 0, "\(checked.output)\(checked.error)")
        #expect(checked.output.contains("python SDK check passed"), "\(checked.output)\(checked.error)")
        #expect(await emulator.terminate() == 0)
    }
}
