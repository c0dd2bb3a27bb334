import NIOCore
import PostgresNIO
import SwitchboardEngine

extension PostgresConnection {
    /// Runs `body`, failing as soon as the connection closes under it rather than when the
    /// operation's deadline ends.
    ///
    /// PostgresNIO 1.33.2 hands a statement to its channel without a promise
    /// (`channel.write(_, promise: nil)` in `PostgresConnection.query`). On a channel that has
    /// closed already (the database restarted and the pool has not noticed yet), the write fails
    /// silently and the statement's answer never comes: the caller waited for the whole 15 s
    /// deadline, and a `ROLLBACK` sent after a failure waited for ever, holding its pool lease.
    /// Racing the body against `closeFuture` turns that wait into an error at once. The
    /// abandoned body stays parked, one small task per connection lost this way.
    func whileOpen<T: Sendable>(address: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = OneShot<Result<T, any Error>>()
        let work = Task {
            do { outcome.send(.success(try await body())) } catch { outcome.send(.failure(error)) }
        }
        closeFuture.whenComplete { _ in
            outcome.send(.failure(PostgresStoreError("the PostgreSQL store \(address): the connection closed under a statement")))
        }
        let result = await outcome.receive()
        if case .failure = result { work.cancel() }
        return try result.get()
    }
}
