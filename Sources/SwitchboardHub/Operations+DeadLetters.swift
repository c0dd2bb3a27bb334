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
}
