import Logging
import ServiceLifecycle
import SwitchboardModel

/// A source the hub reads by polling: each call returns what changed after a position, and the
/// position to go on from. Connectors implement it (Dataverse change tracking).
public protocol ChangeFeed: Sendable {
    /// One page of changes after `position`; nil reads from the start.
    func changes(after position: String?) async throws(ChangeFeedError) -> ChangePage
}

/// One page of a change feed.
public struct ChangePage: Sendable {
    /// One document per change, as steps see it.
    public var documents: [JSONValue]
    /// Where the next call goes on from.
    public var position: String
    /// False when more pages follow at once; true when the feed has nothing more for now.
    public var caughtUp: Bool
    /// Why the feed started again from its beginning (the source refused the saved position and
    /// the integration says to start again), in one sentence; nil when it went on as saved.
    public var restarted: String?

    public init(documents: [JSONValue], position: String, caughtUp: Bool, restarted: String? = nil) {
        self.documents = documents
        self.position = position
        self.caughtUp = caughtUp
        self.restarted = restarted
    }
}

/// Why a change feed could not be read, in one sentence; `retryAfterMillis` when the source said
/// how long to wait.
public struct ChangeFeedError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var retryAfterMillis: Int64?

    public init(_ message: String, retryAfterMillis: Int64? = nil) {
        self.message = message
        self.retryAfterMillis = retryAfterMillis
    }

    public var description: String { message }
}

/// Polls one integration's change feed and stores each change as a message.
///
/// Guarantees: the feed's position is saved in the same transaction as the messages read up to
/// it, so after a crash the hub reads on from the last saved position: no change is skipped and
/// none is stored twice. Pages that follow at once are read at once; once caught up it waits
/// `interval`, or as long as the source asked after an error. On graceful shutdown it stops
/// between pages.
public final class ChangePoller: Service, Sendable {
    private let route: Route
    private let feed: any ChangeFeed
    private let store: any MessageStore
    private let clock: any WallClock
    private let interval: Duration
    private let metrics: HubMetrics
    private let logger: Logger
    /// Told each poll's outcome, so the source's health is known.
    private let board: HealthBoard
    private let onAccepted: @Sendable () -> Void
    /// Which node polls: one at a time, the holder of the duty `poll:SOURCE`.
    private let duties: DutyGate

    public init(
        route: Route, feed: any ChangeFeed, store: any MessageStore, clock: any WallClock, interval: Duration,
        metrics: HubMetrics, logger: Logger, board: HealthBoard = HealthBoard(), duties: DutyGate? = nil,
        onAccepted: @escaping @Sendable () -> Void
    ) {
        self.duties = duties ?? .local(clock: clock)
        self.board = board
        self.route = route
        self.feed = feed
        self.store = store
        self.clock = clock
        self.interval = interval
        self.metrics = metrics
        self.logger = logger
        self.onAccepted = onAccepted
    }

    /// The checkpoint's name in the store.
    public var source: String { "changes:\(route.id)" }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                guard let wait = await self.pollOnce() else { continue }
                do { try await self.clock.sleep(until: self.clock.now() + wait) } catch { return }
            }
        }
    }

    /// Reads and stores one page; returns how long to wait before the next (nil: at once). Another
    /// node's turn: waits an interval and asks again.
    func pollOnce() async -> Int64? {
        guard await duties.holds("poll:" + source, ttl: max(interval * 3, .seconds(15))) else { return interval.milliseconds }
        do {
            let position = try await store.checkpoint(source: source)
            let page: ChangePage
            do {
                page = try await feed.changes(after: position)
            } catch {
                logger.warning("reading changes failed", metadata: ["sb.integration": "\(route.id)", "sb.error": "\(error.message)"])
                metrics.rejected(route.id, reason: "source_failed")
                board.sourceFailed(route.id, error.message, now: clock.now())
                return max(error.retryAfterMillis ?? 0, interval.milliseconds)
            }
            board.sourceSucceeded(route.id)
            let now = clock.now()
            if let restarted = page.restarted {
                logger.warning("change feed started again", metadata: ["sb.integration": "\(route.id)", "sb.reason": "\(restarted)"])
                board.sourceRestarted(route.id, restarted, now: now)
            }
            let messages = page.documents.map { document in
                NewMessage(
                    id: MessageID.make(now: now), integration: route.id, payload: document.serialized(),
                    orderingKey: route.policy.orderingKey.flatMap { $0.value(in: document) }.map(\.text),
                    idempotencyKey: nil, idempotencyWindowMillis: 0, receivedAt: now)
            }
            do {
                _ = try await store.enqueue(messages, checkpoint: SourceCheckpoint(source: source, position: page.position, previous: .some(position)))
            } catch is CheckpointMoved {
                logger.info("another node read these changes first", metadata: ["sb.integration": "\(route.id)"])
                return interval.milliseconds
            }
            if !messages.isEmpty {
                for _ in messages { metrics.received(route.id) }
                logger.info("read changes", metadata: ["sb.integration": "\(route.id)", "sb.count": "\(messages.count)"])
                onAccepted()
            }
            return page.caughtUp ? interval.milliseconds : nil
        } catch {
            logger.error(
                "storing changes failed; reading again from the last saved position",
                metadata: ["sb.integration": "\(route.id)", "sb.error": "\(error)"])
            return interval.milliseconds
        }
    }
}
