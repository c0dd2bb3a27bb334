import SwitchboardModel
import Testing

@Suite("PostgreSQL URLs")
struct PostgresURLTests {
    @Test("TCP and Unix-socket forms, libpq's defaults, and the password never in the description")
    func forms() throws {
        let tcp = try PostgresURL.parse("postgres://hub:s%40cret@db.example:6432/switchboard?sslmode=verify-full&sslrootcert=/etc/ca.pem").get()
        #expect(tcp.host == "db.example" && tcp.port == 6432 && tcp.user == "hub" && tcp.password == "s@cret" && tcp.database == "switchboard")
        #expect(tcp.tls == .verifyFull && tcp.rootCertificate == "/etc/ca.pem")
        #expect(!tcp.description.contains("s@cret") && tcp.description.contains("[redacted]"))
        let socket = try PostgresURL.parse("postgresql:///queue?host=/run/postgresql&user=switchboard").get()
        #expect(socket.socketPath == "/run/postgresql/.s.PGSQL.5432" && socket.host == nil && socket.database == "queue" && socket.tls == .disable)
        let defaults = try PostgresURL.parse("postgres://db.example").get()
        #expect(defaults.port == 5432 && defaults.user == "postgres" && defaults.database == "postgres" && defaults.tls == .prefer)
    }

    @Test("a URL that cannot be used gets one sentence naming what is wrong")
    func problems() {
        #expect(PostgresURL.problem("mysql://db/x")?.hasPrefix("must start with postgres://") == true)
        #expect(PostgresURL.problem("postgres://db/x?sslmode=always")?.contains("sslmode=always; use one of disable, prefer, require, verify-ca, verify-full") == true)
        #expect(PostgresURL.problem("postgres://db/x?pool=5")?.hasPrefix("has the parameter 'pool', which the hub does not use") == true)
        #expect(PostgresURL.problem("postgres://db:99999/x")?.contains("port") == true)
        #expect(PostgresURL.problem("postgres://db/x") == nil)
    }
}
