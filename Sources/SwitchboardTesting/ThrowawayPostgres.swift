import Foundation

/// A PostgreSQL cluster of the test process's own: `initdb` into a temporary folder, started on a
/// Unix socket in that folder (no TCP port, so it meets nothing else on the machine), stopped
/// and removed when the process exits. One per process, started by the first test that asks;
/// each test takes a database of its own (`database()`).
///
/// Run as root (CI), the server runs as the `postgres` user, since `initdb` refuses root. The
/// binaries are Debian's (`/usr/lib/postgresql/N/bin`, the newest), else those on `PATH`;
/// `scripts/test` installs the `postgresql` package when neither is there.
public enum ThrowawayPostgres {
    /// Why the cluster cannot be started, in one sentence.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    public struct Cluster: Sendable {
        /// The folder holding the data directory, the log and the socket.
        public var directory: String
        public var bin: String
        public var port = 5432

        /// `postgres:///DATABASE?host=DIRECTORY&port=5432&user=postgres`.
        public func url(database: String) -> String { "postgres:///\(database)?host=\(directory)&port=\(port)&user=postgres" }

        /// Runs one of the cluster's programs (as the server's user when root), returning its output; throws with its output when it fails.
        @discardableResult
        public func run(_ program: String, _ arguments: [String]) async throws -> String {
            let path = bin + "/" + program
            return try await blocking { try ThrowawayPostgres.run(path, arguments) }
        }

        /// Runs SQL with psql against `database`; returns what psql printed (unaligned, tuples only).
        @discardableResult
        public func sql(_ text: String, database: String = "postgres") async throws -> String {
            try await run("psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory, "-p", "\(port)", "-U", "postgres", "-d", database, "-c", text])
        }

        /// A new, empty database; returns its URL.
        public func database() async throws -> String {
            let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
            try await run("createdb", ["-h", directory, "-p", "\(port)", "-U", "postgres", name])
            return url(database: name)
        }

        /// Stops the server at once and removes its folder. Blocks its thread while `pg_ctl` runs
        /// (it is meant for a `defer` at the end of a test).
        public func stop() {
            _ = try? ThrowawayPostgres.run(bin + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "stop"])
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// `pg_ctl restart -m immediate`: the server stops as if it crashed, then starts again.
        public func restartImmediately() async throws {
            try await run("pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "-l", directory + "/server.log", "restart"])
        }
    }

    /// The process's cluster, started on first use.
    public static func cluster() async throws -> Cluster {
        try await started.value
    }

    /// A new, empty database in the process's cluster; returns its URL.
    public static func database() async throws -> String { try await cluster().database() }

    /// Started once; every caller awaits the same start, without holding a thread meanwhile.
    private static let started = Task {
        let cluster = try await blocking { try start() }
        stopCommand = (cluster.bin, cluster.directory)
        atexit {
            guard let (bin, directory) = ThrowawayPostgres.stopCommand else { return }
            _ = try? ThrowawayPostgres.run(bin + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "stop"])
            try? FileManager.default.removeItem(atPath: directory)
        }
        return cluster
    }

    /// A cluster of the caller's own, for a test that restarts or stops its server (the shared
    /// one serves other tests meanwhile); `stop()` it when done.
    public static func dedicated() async throws -> Cluster { try await blocking { try start() } }

    nonisolated(unsafe) private static var stopCommand: (bin: String, directory: String)?

    private static func start() throws -> Cluster {
        guard let bin = binaries() else {
            throw Unavailable(description: "PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or on PATH); scripts/test installs Debian's postgresql package")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-pg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 { try run("/bin/chown", ["postgres:postgres", directory]) }
        let cluster = Cluster(directory: directory, bin: bin)
        try run(bin + "/initdb", ["-D", directory + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        let options = "-k \(directory) -c listen_addresses='' -c max_connections=300 -c shared_buffers=128MB"
        try run(bin + "/pg_ctl", ["-D", directory + "/data", "-l", directory + "/server.log", "-w", "-o", options, "start"])
        return cluster
    }

    /// The newest Debian PostgreSQL's bin folder, else the folder of `initdb` on PATH.
    static func binaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        if let newest = versions.last, FileManager.default.isExecutableFile(atPath: "\(root)/\(newest)/bin/initdb") { return "\(root)/\(newest)/bin" }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(folder)/initdb") {
            return String(folder)
        }
        return nil
    }

    /// Runs a program (as `postgres` when this process is root), returning its output; throws
    /// with the output when it exits non-zero.
    ///
    /// posix_spawn and waitpid rather than Foundation's `Process`, whose `waitUntilExit` was seen
    /// never to return for `runuser` under the test runner; the child gets standard input,
    /// output and error only (every other descriptor is closed). Output goes to a file, not a pipe:
    /// `pg_ctl start` leaves the server running, and a server that held a pipe's end open would
    /// keep a reader waiting for ever.
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
    /// module does not import; nil without it.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private static let closeFrom: CloseFrom? = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: CloseFrom.self)
    }

    /// Without `closeFrom`: marks every descriptor above standard error close-on-exec.
    private static func closeOnExec() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            guard let fd = Int32(name), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let command = getuid() == 0 && !program.hasPrefix("/bin/") ? ["/usr/sbin/runuser", "-u", "postgres", "--", program] + arguments : [program] + arguments
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-pg-output-\(UUID().uuidString)").path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of this process goes with it: `pg_ctl start` leaves a server running for
        // the rest of the tests, and a pipe's end or a socket it inherited from another test
        // would stay open for as long (a reader waiting for that pipe's end would wait for ever).
        if let closeFrom = Self.closeFrom {
            _ = closeFrom(&actions, 3)
        } else {
            Self.closeOnExec()
        }
        var arguments = command.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, &arguments, environ)
        guard spawned == 0 else { throw Unavailable(description: "cannot start \(command[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw Unavailable(description: "\((program as NSString).lastPathComponent) failed (\(exited ? "exit \(code)" : "signal \(status & 0x7f)")): \(text)")
        }
        return text
    }
}
