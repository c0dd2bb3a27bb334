import ArgumentParser
import EmulatorSecurity
import FinanceOperationsEmulator
import FinanceOperationsEmulatorCore
import Foundation
import Logging
import SwitchboardHub
import SwitchboardValues

struct EmulateFinanceOperations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finance-operations",
        abstract: "Serve a local Finance & Operations OData service at /data/.",
        discussion: """
            Clients get a token from /{tenant}/oauth2/v2.0/token (client credentials, scope https://HOST:PORT/.default)
            and call /data/ with it; a client must be registered (--client) to be served. Without --tls-cert/--tls-key
            or --self-signed it serves plain HTTP. See docs/finance-operations-emulator.md.
            """)

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 8443
    @OptionGroup var tls: EmulatorTLSOptions
    @Option(help: "An entity schema (YAML) instead of the default entities.", completion: .file()) var schema: String?
    @Flag(help: "Print the default entity schema and exit.") var printSchema = false
    @Option(help: "Tenant in the token endpoint's path.") var tenant = "switchboard"
    @Option(
        name: .customLong("client"),
        help: "A registered application as CLIENT_ID:SECRET or CLIENT_ID:SECRET:COMPANY (its user's default company, usmf unless given); repeat for several. Default switchboard-app:switchboard-secret:usmf."
    )
    var clients: [String] = []
    @Option(name: .customLong("unregistered-client"), help: "A client that gets tokens but is not registered, as CLIENT_ID:SECRET; its requests are refused with 401.")
    var unregistered: [String] = []
    @Option(help: "Largest page a read returns (the service's maximum is 10,000).") var pageSize = 10_000
    @Option(help: "A registered client's throttling priority as CLIENT_ID=low|medium|high; repeat for several. Medium unless given.")
    var priority: [String] = []
    @Option(help: "Operations per --window the environment carries; low priority is throttled at half, medium at three quarters, high at all of it.")
    var capacity = 3_000
    @Option(help: "The window throttling counts the load over.") var window = "60s"
    @Flag(help: "Turn priority-based throttling off.") var noThrottling = false
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel = "notice"

    func run() async throws {
        if printSchema {
            print(DefaultEntities.yaml)
            return
        }
        var applications: [FinanceOperationsEmulatorConfiguration.Application] = []
        for text in clients.isEmpty ? ["switchboard-app:switchboard-secret:usmf"] : clients {
            let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty, parts.count == 2 || !parts[2].isEmpty else {
                fail("--client \(text): write it as CLIENT_ID:SECRET or CLIENT_ID:SECRET:COMPANY")
            }
            applications.append(.init(credentials: ApplicationUser(clientID: parts[0], clientSecret: parts[1]), company: parts.count == 3 ? parts[2] : "usmf"))
        }
        for text in priority {
            let pair = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, let level = ResourceThrottle.Priority(rawValue: pair[1].lowercased()) else {
                fail("--priority \(text): write it as CLIENT_ID=low, CLIENT_ID=medium or CLIENT_ID=high")
            }
            guard let index = applications.firstIndex(where: { $0.credentials.clientID == pair[0] }) else {
                fail("--priority \(text): \(pair[0]) is not a registered --client")
            }
            applications[index].priority = level
        }
        var configuration = FinanceOperationsEmulatorConfiguration(applications: applications)
        guard capacity >= 1 else { fail("--capacity \(capacity): give at least 1 operation") }
        guard let windowLength = Duration.parse(window), windowLength > .zero else { fail("--window \(window): write a duration such as 60s or 5m") }
        configuration.throttling.enabled = !noThrottling
        configuration.throttling.capacity = capacity
        configuration.throttling.windowMillis = windowLength.milliseconds
        configuration.unregistered = unregistered.map { text in
            guard let user = ApplicationUser(credentials: text) else { fail("--unregistered-client \(text): write it as CLIENT_ID:SECRET") }
            return user
        }
        configuration.host = host
        configuration.port = port
        configuration.tenant = tenant
        guard (1...10_000).contains(pageSize) else { fail("--page-size \(pageSize): give 1 to 10,000") }
        configuration.pageSize = pageSize
        if let schema {
            do { configuration.schema = try EntitySchemaReader.read(contentsOf: URL(fileURLWithPath: schema)) } catch { fail("\(error)") }
        }
        if let (certificate, key) = try tls.files() {
            configuration.tls = .init(certificatePath: certificate, keyPath: key)
        }
        guard let level = Logger.Level(rawValue: logLevel) else {
            fail("--log-level \(logLevel) is not a level (trace, debug, info, notice, warning, error, critical)")
        }
        let emulator: FinanceOperationsEmulator
        let sender = EmulatorWebhookSender()
        do { emulator = try FinanceOperationsEmulator(configuration: configuration, webhookSender: sender) } catch {
            fail("the emulator could not start: \(error)")
        }
        let scheme = configuration.tls == nil ? "http" : "https"
        let settings = configuration
        do {
            try await emulator.run(logger: makeLogger(level: level)) { port in
                say("Finance and Operations emulator listening at \(scheme)://\(settings.host):\(port)/data/")
                say(
                    "token endpoint: \(scheme)://\(settings.host):\(port)/\(settings.tenant)/oauth2/v2.0/token (scope \(scheme)://\(settings.host):\(port)/.default)"
                )
                let throttling = settings.throttling
                say(
                    throttling.enabled
                        ? "priority-based throttling: \(throttling.capacity) operations per \(throttling.windowMillis / 1000) s; low priority throttled at \(Int(throttling.capacity / 2)), medium at \(throttling.capacity * 3 / 4)"
                        : "priority-based throttling is off")
            }
        } catch let error as ListenFailure {
            try? await sender.shutdown()
            fail(error.description)
        }
        try? await sender.shutdown()
    }
}
