import Logging
import SwitchboardEngine
import SwitchboardHub
import SwitchboardModel

extension Hub {
    /// A hub for a test, in the test's process, on a free port: deliveries polled every 20 ms,
    /// only critical log lines, signals left to the test runner. Started; returns it with its
    /// task (await it after `shutdown()`) and the port it listens on.
    public static func startedForTest(_ workspace: Workspace, label: String) async throws -> (hub: Hub, task: Task<Void, any Error>, port: Int) {
        var dispatcher = DispatcherConfiguration()
        dispatcher.pollInterval = .milliseconds(20)
        var logger = Logger(label: label)
        logger.logLevel = .critical
        let hub = try Hub(workspace: workspace, options: HubOptions(port: 0, dispatcher: dispatcher, handleSignals: false), logger: logger)
        let task = Task { try await hub.run() }
        return (hub, task, try await hub.listeningPort())
    }
}
