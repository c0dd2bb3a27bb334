import Foundation
import SwitchboardEngine
import SwitchboardModel

/// `switchboard dlq replay|discard`.
extension Operations {
    public func replay(_ filter: MessageFilter, ids: [String]?, actor: String) async throws -> String {
        let replayed = try await store.replay(matching: filter, ids: ids, now: clock.now(), actor: actor)
        return "replayed \(replayed.count) dead message\(replayed.count == 1 ? "" : "s")" + replayed.map { "\n  \($0)" }.joined()
    }

    public func discard(_ filter: MessageFilter, ids: [String]?, actor: String, reason: String?) async throws -> String {
        let discarded = try await store.discard(matching: filter, ids: ids, now: clock.now(), actor: actor, reason: reason)
        return "discarded \(discarded.count) dead message\(discarded.count == 1 ? "" : "s")" + discarded.map { "\n  \($0)" }.joined()
    }

    /// `messages redeliver`: what was delivered to `system` since `since` goes out again, for a
    /// target that restored a backup taken before it. The integrations that deliver to it come
    /// from the workspace; `integration` narrows them to one.
    public func redeliver(
        to system: String, in workspace: Workspace, integration: String?, since: Int64, actor: String, dryRun: Bool
    ) async throws -> String {
        guard workspace.landscape.system(system) != nil else {
            throw OperationError("no system '\(system)' in switchboard.yaml; systems: \(workspace.landscape.systems.map(\.id).joined(separator: ", "))")
        }
        var integrations = workspace.integrations.filter { $0.target.system == system }.map(\.id)
        if let integration {
            guard integrations.contains(integration) else {
                throw OperationError("integration '\(integration)' does not deliver to \(system); those that do: \(integrations.joined(separator: ", "))")
            }
            integrations = [integration]
        }
        let ids = try await store.redeliver(integrations: integrations, since: since, now: clock.now(), actor: actor, dryRun: dryRun)
        let plural = ids.count == 1 ? "" : "s"
        if dryRun { return "would redeliver \(ids.count) message\(plural) delivered to \(system) since \(Operations.time(since))" }
        return "redelivered \(ids.count) message\(plural) delivered to \(system) since \(Operations.time(since))" + ids.map { "\n  \($0)" }.joined()
    }
}
