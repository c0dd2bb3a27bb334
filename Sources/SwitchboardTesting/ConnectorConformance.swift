import Foundation
import SwitchboardEngine
import SwitchboardModel
import Testing

/// A connector under test, pointed at a real target on loopback (a sink, an emulator) that
/// answers one way.
public protocol ConnectorFixture: Sendable {
    /// A connector whose target answers `answer` to every request, and deliveries for it
    /// (`delivery(n)` is the n-th, with a document of its own).
    func connector(answering answer: ConnectorConformance.Answer) async throws -> any Connector
    func delivery(_ number: Int) -> Delivery
    /// Values that must never appear in anything the connector reports (its credentials).
    var secrets: [String] { get }
    /// Stops what the fixture started.
    func tearDown() async
}

/// The behaviour every connector gives the engine, as checks (Benthos's `StreamTests` for
/// Switchboard): a success is delivered, a passing failure is retried, a refusal is permanent, no
/// answer in time is a timeout, a `Retry-After` is honoured, a batch gets one outcome per message
/// in order, and no credential appears in an outcome. Run one check per test:
/// `@Test(arguments: ConnectorConformance.Check.allCases)`.
public enum ConnectorConformance {
    /// How the target answers.
    public enum Answer: Sendable, Hashable {
        case success
        /// A passing failure (`503`).
        case unavailable
        /// A refusal that retrying cannot fix (`400`).
        case refused
        /// No answer for this long.
        case slow(Duration)
        /// `429` with `Retry-After` in seconds.
        case throttled(retryAfterSeconds: Int)
        /// Nothing listens at the target's address (`127.0.0.1:1`): every connection is refused.
        case closed
    }

    public enum Check: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case success = "a success is delivered"
        case retryable = "a passing failure is retried"
        case permanent = "a refusal goes to the dead letters"
        case timeout = "no answer within the timeout is retried"
        case retryAfter = "Retry-After sets the earliest next attempt"
        case batchResults = "a batch gets one outcome per message, in order"
        case noSecrets = "no credential appears in any outcome"
        case unreachable = "a target that refuses connections fails the attempt at once, naming its address"

        public var testDescription: String { rawValue }
    }

    static func text(_ outcome: TransportOutcome) -> String {
        switch outcome {
        case .response(let status, let retryAfter, let body), .transient(let status, let retryAfter, let body):
            "\(status) \(retryAfter ?? "") \(body)"
        case .refused(let status, let body): "\(status) refused \(body)"
        case .timeout: "timeout"
        case .connectionFailed(let reason), .unsendable(let reason): reason
        }
    }

    /// Runs one check against the fixture.
    public static func run(_ check: Check, on fixture: any ConnectorFixture) async throws {
        let now: Int64 = 1_700_000_000_000
        func outcome(_ answer: Answer, timeout: Duration = .seconds(10)) async throws -> TransportOutcome {
            let connector = try await fixture.connector(answering: answer)
            let result = await connector.send(fixture.delivery(1), timeout: timeout)
            try await connector.shutdown()
            return result
        }
        switch check {
        case .success:
            let result = try await outcome(.success)
            #expect(OutcomeClassifier.classify(result, now: now) == .delivered, "\(text(result))")
        case .retryable:
            let result = try await outcome(.unavailable)
            #expect(OutcomeClassifier.classify(result, now: now) == .retryable(notBefore: nil), "\(text(result))")
        case .permanent:
            let result = try await outcome(.refused)
            #expect(OutcomeClassifier.classify(result, now: now) == .permanent, "\(text(result))")
        case .timeout:
            let result = try await outcome(.slow(.seconds(3)), timeout: .milliseconds(300))
            #expect(result == .timeout, "\(text(result))")
            #expect(OutcomeClassifier.classify(result, now: now) == .retryable(notBefore: nil))
        case .retryAfter:
            let result = try await outcome(.throttled(retryAfterSeconds: 7))
            guard case .retryable(let notBefore?) = OutcomeClassifier.classify(result, now: now) else {
                Issue.record("expected a retry with a deadline, got \(text(result))")
                return
            }
            // The target says how long: a sink 7 s, a service the rest of its 7 s window, which
            // is less on a busy machine. The next attempt waits exactly what it said.
            var said: String?
            if case .response(_, let retryAfter, _) = result { said = retryAfter }
            if case .transient(_, let retryAfter, _) = result { said = retryAfter }
            let seconds = said.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
            #expect(seconds.map { (1...7).contains($0) } ?? false, "Retry-After \(said ?? "missing"): \(text(result))")
            #expect(notBefore == now + (seconds ?? 0) * 1_000, "\(text(result))")
        case .batchResults:
            let connector = try await fixture.connector(answering: .success)
            defer { Task { try? await connector.shutdown() } }
            guard connector.batching != nil else { return }
            let results = await connector.send(batch: (1...5).map(fixture.delivery), timeout: .seconds(30))
            #expect(results.count == 5)
            #expect(results.allSatisfy { OutcomeClassifier.classify($0, now: now) == .delivered }, "\(results.map(text))")
        case .unreachable:
            // Retrying the connection until the deadline, as the HTTP client does by default,
            // would end in `.timeout` after the whole 30 s.
            let result = try await outcome(.closed, timeout: .seconds(30))
            guard case .connectionFailed(let reason) = result else {
                Issue.record("expected a connection failure, got \(text(result))")
                return
            }
            #expect(reason.contains("connection refused by 127.0.0.1:1"), "\(reason)")
            #expect(!reason.contains("error set") && !reason.contains("NIO"), "\(reason)")
            #expect(OutcomeClassifier.classify(result, now: now) == .retryable(notBefore: nil))
        case .noSecrets:
            for answer: Answer in [.success, .unavailable, .refused, .throttled(retryAfterSeconds: 1), .closed] {
                let said = text(try await outcome(answer))
                for secret in fixture.secrets where !secret.isEmpty { #expect(!said.contains(secret), "the outcome of \(answer) holds a credential") }
            }
        }
    }
}
