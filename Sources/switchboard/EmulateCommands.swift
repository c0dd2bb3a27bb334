import ArgumentParser
import DataverseEmulator
import DataverseEmulatorCore
import DataverseEmulatorState
import Foundation
import Logging
import SwitchboardHub
import SwitchboardModel
import SwitchboardSQLite

struct Emulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a local emulator of a Microsoft service for development and load tests.",
        subcommands: [EmulateDataverse.self, EmulateFinanceOperations.self])
}

/// How an emulator serves HTTPS: `--tls-cert` and `--tls-key`, or `--self-signed FOLDER`; neither
/// for plain HTTP.
struct EmulatorTLSOptions: ParsableArguments {
    @Option(help: "PEM certificate chain to serve HTTPS with.", completion: .file()) var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert.", completion: .file()) var tlsKey: String?
    @Option(
        help:
            "Serve HTTPS with a local CA and a server certificate in this folder (ca.pem, ca-key.pem, cert.pem, key.pem), kept across restarts while valid, made when missing; clients trust ca.pem.",
        completion: .directory) var selfSigned: String?

    /// The certificate and key to serve with: the files given, or those of a local authority in
    /// the `--self-signed` folder (kept across restarts while valid, made when missing); nil for
    /// plain HTTP.
    func files() throws -> (certificate: String, key: String)? {
        switch (tlsCert, tlsKey, selfSigned) {
        case (let certificate?, let key?, nil):
            return (certificate, key)
        case (nil, nil, let folder?):
            let (files, outcome) = try SelfSignedCertificate.prepare(in: URL(fileURLWithPath: folder).standardizedFileURL)
            switch outcome {
            case .keptBoth: say("kept \(files.authority.path) (clients that trust it go on trusting) and the server certificate beside it")
            case .keptAuthority:
                say("kept \(files.authority.path) (clients that trust it go on trusting); wrote a new \(files.certificate.path) and \(files.key.path)")
            case .wroteNew: say("wrote \(files.authority.path) (trust it in the client), \(files.certificate.path) and \(files.key.path)")
            }
            return (files.certificate.path, files.key.path)
        case (nil, nil, nil):
            return nil
        default:
            fail("give --tls-cert and --tls-key together, or --self-signed FOLDER, not both")
        }
    }
}

struct EmulateDataverse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataverse",
        abstract: "Serve a local Dataverse Web API at /api/data/v9.2/, with service protection limits.",
        discussion: """
            Clients get a token from /{tenant}/oauth2/v2.0/token (client credentials, scope https://HOST/.default)
            and call /api/data/v9.2/ with it. Without --tls-cert/--tls-key or --self-signed it serves plain HTTP.
            See docs/dataverse-emulator.md.
            """)

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 8443
    @OptionGroup var tls: EmulatorTLSOptions
    @Option(
        help:
            "Schema file (YAML) of the tables to serve; the default serves account, contact, lead, opportunity, product, salesorder, salesorderdetail.",
        completion: .file()) var schema: String?
    @Flag(help: "Print the default schema, to copy and extend, and exit.") var printSchema = false
    @Option(help: "Keep the records in this SQLite file across restarts; without it they live in memory.", completion: .file()) var state: String?
    @Option(help: "Tenant in the token endpoint's path.") var tenant = "switchboard"
    @Option(
        name: .customLong("client"), help: "An application user as CLIENT_ID:SECRET; repeat for several. Default switchboard-app:switchboard-secret.")
    var clients: [String] = []
    @Flag(help: "Switch every service protection limit off.") var noLimits = false
    @Option(help: "Requests per user in the window (Dataverse: 6000).") var maxRequests = 6_000
    @Option(help: "Combined execution time per user in the window (Dataverse: 20m).") var maxExecutionTime = "20m"
    @Option(help: "Concurrent requests per user (Dataverse: 52).") var maxConcurrent = 52
    @Option(help: "The sliding window of the limits (Dataverse: 5m).") var window = "5m"
    @Option(help: "Simulated execution time per operation: 5ms, or a uniform range such as 2ms..20ms.") var latency = "0"
    @Option(help: "The x-ms-dop-hint header: recommended degree of parallelism.") var dopHint = 4
    @Option(help: "Share of requests answered 500 or 503 (0 to 1), for resilience tests.") var failRate = 0.0
    @Option(help: "Share of requests delayed by --spike (0 to 1).") var spikeRate = 0.0
    @Option(help: "Length of a latency spike.") var spike = "2s"
    @Option(help: "Share of requests whose connection is closed without an answer (0 to 1).") var dropRate = 0.0
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "notice"

    func run() async throws {
        if printSchema {
            print(DefaultSchema.yaml)
            return
        }
        var configuration = EmulatorConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.tenant = tenant
        configuration.dopHint = dopHint
        if let schema {
            do { configuration.schema = try SchemaReader.read(contentsOf: URL(fileURLWithPath: schema)) } catch { fail("\(error)") }
        }
        if !clients.isEmpty {
            configuration.users = clients.map { credentials in
                guard let user = ApplicationUser(credentials: credentials) else { fail("--client \(credentials): write it as CLIENT_ID:SECRET") }
                return user
            }
        }
        guard let executionTime = Duration.parse(maxExecutionTime) else {
            fail("--max-execution-time \(maxExecutionTime): write a duration such as 20m or 90s")
        }
        guard let windowLength = Duration.parse(window), windowLength > .zero else { fail("--window \(window): write a duration such as 5m or 10s") }
        guard let latencyModel = LatencyModel(parsing: latency) else {
            fail(
                "--latency \(latency): write a time such as 5ms, or a range such as 2ms..20ms"
                    + (latency.contains(where: \.isNumber) ? " (at most an hour)" : ""))
        }
        configuration.limits = ServiceProtection.Limits(
            maxRequests: maxRequests, maxExecutionMillis: executionTime.milliseconds, maxConcurrent: maxConcurrent,
            windowMillis: windowLength.milliseconds, enabled: !noLimits)
        configuration.latency = latencyModel
        for (name, rate) in [("--fail-rate", failRate), ("--spike-rate", spikeRate), ("--drop-rate", dropRate)] where !(0...1).contains(rate) {
            fail("\(name) \(rate): write a share between 0 and 1, such as 0.05")
        }
        guard let spikeLength = Duration.parse(spike) else { fail("--spike \(spike): write a duration such as 2s or 500ms") }
        configuration.faults = FaultInjection(
            failureRate: failRate, spikeRate: spikeRate, spikeMillis: Double(spikeLength.milliseconds), dropRate: dropRate)
        if let (certificate, key) = try tls.files() {
            configuration.tls = .init(certificatePath: certificate, keyPath: key)
        }
        guard let level = Logger.Level(rawValue: logLevel) else {
            fail("--log-level \(logLevel) is not a level (trace, debug, info, notice, warning, error, critical)")
        }
        let logger = makeLogger(level: level)
        let emulator: DataverseEmulator
        let sender = EmulatorWebhookSender()
        do {
            let persistence = try state.map { try SQLiteEmulatorState(path: URL(fileURLWithPath: $0).standardizedFileURL.path) }
            emulator = try DataverseEmulator(configuration: configuration, webhookSender: sender, persistence: persistence)
        } catch {
            fail("the emulator could not start: \(error)")
        }
        do {
            try await runEmulator(emulator, settings: configuration, logger: logger)
        } catch let error as ListenFailure {
            try? await sender.shutdown()
            fail(error.description)
        }
        try? await sender.shutdown()
    }

    private func runEmulator(_ emulator: DataverseEmulator, settings: EmulatorConfiguration, logger: Logger) async throws {
        let scheme = settings.tls == nil ? "http" : "https"
        try await emulator.run(logger: logger) { port in
            say("Dataverse emulator listening at \(scheme)://\(settings.host):\(port)/api/data/v9.2/")
            say(
                "token endpoint: \(scheme)://\(settings.host):\(port)/\(settings.tenant)/oauth2/v2.0/token (scope \(scheme)://\(settings.host):\(port)/.default)"
            )
            let limits = settings.limits
            say(
                limits.enabled
                    ? "service protection limits per user: \(limits.maxRequests) requests and \(limits.maxExecutionMillis) ms of execution time per \(limits.windowMillis / 1000) s, \(limits.maxConcurrent) concurrent"
                    : "service protection limits are off")
        }
    }
}
