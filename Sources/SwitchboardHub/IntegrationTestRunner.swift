import SwitchboardEngine
import SwitchboardModel

/// `switchboard test`: runs the tests written inside integration files through the same steps and
/// request rendering the hub uses, with no network.
public enum IntegrationTestRunner {
    public struct Result: Sendable {
        public var integration: String
        public var name: String
        public var location: SourceLocation
        /// Nil when the test passed; otherwise what differed, one line per difference.
        public var failure: String?
    }

    public static func run(_ workspace: Workspace) -> [Result] {
        workspace.integrations.flatMap { integration in
            let route = Route(integration: integration)
            let target = Target(
                runtime: workspace.registry.runtime(integration.target.kind), connection: workspace.connection(of: integration.target.system))
            return integration.tests.map { test in
                Result(integration: integration.id, name: test.name, location: test.location, failure: check(test, route: route, target: target))
            }
        }
    }

    /// How the target kind would send a delivery.
    struct Target {
        var runtime: (any ConnectorRuntime)?
        var connection: Connection?

        func preview(_ delivery: Delivery) throws(StepError) -> OutboundRequest {
            guard let runtime else { throw StepError("the hub cannot deliver to this system's kind") }
            return try runtime.preview(delivery, connection: connection)
        }
    }

    /// What the hub would do with a test's input: the request it would send, or why it would drop it.
    enum Preview {
        case request(OutboundRequest)
        case filtered(reason: String)
    }

    /// The report: a line per test, then `N passed, N failed`.
    public static func report(_ results: [Result]) -> String {
        var lines: [String] = []
        for result in results {
            if let failure = result.failure {
                lines.append("FAIL \(result.integration): \(result.name) (\(result.location))")
                lines.append(contentsOf: failure.split(separator: "\n").map { "     \($0)" })
            } else {
                lines.append("ok   \(result.integration): \(result.name)")
            }
        }
        let failed = results.filter { $0.failure != nil }.count
        lines.append("\(results.count - failed) passed, \(failed) failed")
        return lines.joined(separator: "\n")
    }

    static func check(_ test: IntegrationTestCase, route: Route, target: Target) -> String? {
        let preview: Preview
        do {
            switch try route.run(test.input) {
            case .filtered(let reason): preview = .filtered(reason: reason)
            case .deliver(let delivery): preview = .request(try target.preview(delivery))
            }
        } catch {
            return "the steps failed: \(error.message)"
        }
        switch (test.expectation, preview) {
        case (.filtered, .filtered):
            return nil
        case (.filtered, .request(let request)):
            return "expected the message to be filtered, but it would be sent as \(request.method) \(request.path)"
        case (.request, .filtered(let reason)):
            return "expected a request, but the message was filtered (\(reason))"
        case (.request(let method, let path, let headers, let body), .request(let request)):
            var differences: [String] = []
            if let method, method != request.method { differences.append("method: expected \(method), got \(request.method)") }
            if let path, path != request.path { differences.append("path: expected \(path), got \(request.path)") }
            for (name, value) in headers.sorted(by: { $0.key < $1.key }) where request.header(name) != value {
                differences.append("header \(name): expected \(value), got \(request.header(name) ?? "nothing")")
            }
            if let body {
                let actual = request.body.isEmpty ? JSONValue.null : ((try? JSONValue(json: request.body)) ?? .null)
                if !Condition.same(body, actual) {
                    differences.append("body: expected \(body.jsonString)")
                    differences.append("      got      \(actual.jsonString)")
                }
            }
            return differences.isEmpty ? nil : differences.joined(separator: "\n")
        }
    }
}
