import Foundation
import SwitchboardConnectors
import SwitchboardTesting
import Testing

@testable import SwitchboardHub
@testable import SwitchboardModel

@Suite("Loading a workspace")
struct WorkspaceLoadingTests {
    static let landscape = """
        version: 1
        goals:
          - { id: order-to-cash, title: Orders to cash }
        environments: [development, production]
        systems:
          - id: shop
            kind: http
            location: cloud
          - id: erp
            kind: http
            location: on-premises
            connections:
              development:
                base_url: http://127.0.0.1:9
                headers:
                  Authorization: "Bearer ${env:ERP_TOKEN}"
              production:
                base_url: https://erp.example.com
                headers:
                  Authorization: "Bearer ${env:PROD_TOKEN}"
            limits: { max_concurrent: 4, max_requests: 100, window: 1s }
        """

    static let integration = """
        id: orders
        title: Orders
        aligns_with: [order-to-cash]
        source:
          system: shop
          webhook:
            path: /hooks/orders
            auth: { kind: header, header: X-Key, secret: "${env:SHOP_KEY}" }
        target:
          system: erp
          http: { method: POST, path: "/orders/{$.id}" }
        delivery:
          max_attempts: 5
          backoff: { initial: 250ms, max: 10s, multiplier: 3 }
          ordering_key: $.customer
          idempotency_key: { path: $.id }
        """

    static let variables = ["ERP_TOKEN": "t0k3n", "SHOP_KEY": "k3y"]

    func load(_ files: [String: String], variables: [String: String] = Self.variables) throws -> Result<Workspace, WorkspaceError> {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (path, contents) in files { try directory.write(path, contents) }
        do {
            return .success(try Workspace.load(directory: directory.url, registry: .standard, variables: variables))
        } catch {
            return .failure(error)
        }
    }

    func diagnostics(_ files: [String: String], variables: [String: String] = Self.variables) throws -> [String] {
        switch try load(files, variables: variables) {
        case .success: return []
        case .failure(let error): return error.diagnostics.map(\.description)
        }
    }

    @Test("a valid workspace loads with its settings and resolved secrets")
    func validWorkspace() throws {
        let workspace = try load(["switchboard.yaml": Self.landscape, "integrations/orders.yaml": Self.integration]).get()
        #expect(workspace.environment == "development")
        let orders = try #require(workspace.integration("orders"))
        #expect(orders.delivery.maxAttempts == 5)
        #expect(orders.delivery.backoff.initial == .milliseconds(250))
        #expect(orders.delivery.backoff.multiplier == 3)
        #expect(orders.delivery.idempotencyKey == .path(JSONPath("$.id")!))
        #expect((workspace.connection(of: "erp")?.settings as? HTTPConnectionSettings)?.headers["Authorization"] == "Bearer t0k3n")
        #expect(workspace.landscape.system("erp")?.limits == SystemLimits(maxConcurrent: 4, maxRequests: 100, window: .seconds(1)))
        guard case .sharedKey(let header, let secret) = orders.source.webhook?.authentication else {
            Issue.record("expected shared-key authentication")
            return
        }
        #expect(header == "X-Key")
        #expect(secret.value == "k3y")
        #expect(secret.description == "${env:SHOP_KEY}")
    }

    @Test("the scaffolded workspace validates and its own tests pass")
    func scaffold() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try WorkspaceScaffold.write(to: directory.url)
        let workspace = try Workspace.load(directory: directory.url, registry: .standard, variables: [:])
        let results = IntegrationTestRunner.run(workspace)
        #expect(results.count == 2)
        #expect(results.allSatisfy { $0.failure == nil }, "\(results.compactMap(\.failure))")
        #expect(throws: WorkspaceScaffold.Refusal.self) { try WorkspaceScaffold.write(to: directory.url) }
    }

    @Test("every problem is reported at once, each with file, line and column")
    func manyProblems() throws {
        let broken = """
            id: orders
            source:
              system: crm
              webhook:
                path: /hooks/orders
                auth: { kind: header, secret: plain-text-secret }
            target:
              system: erp
              http: { path: "/orders" }
            delivery:
              max_attempts: many
              timeout: soon
            """
        let found = try diagnostics(["switchboard.yaml": Self.landscape, "integrations/orders.yaml": broken])
        #expect(found.contains("integrations/orders.yaml:1:1: title is required"))
        #expect(found.contains("integrations/orders.yaml:3:11: source.system 'crm' is not declared in switchboard.yaml"))
        #expect(
            found.contains { $0.hasPrefix("integrations/orders.yaml:6:35: source.webhook.auth.secret holds a secret written inline") }, "\(found)")
        #expect(found.contains("integrations/orders.yaml:11:17: delivery.max_attempts must be a whole number"))
        #expect(found.contains { $0.hasPrefix("integrations/orders.yaml:12:12: delivery.timeout must be a duration") })
        #expect(found.count == 5, "\(found)")
    }

    @Test("unresolved secret references name the reference")
    func unresolvedSecrets() throws {
        let withFileSecret = Self.integration.replacingOccurrences(of: "${env:SHOP_KEY}", with: "${file:secrets/missing}")
        let found = try diagnostics(["switchboard.yaml": Self.landscape, "integrations/orders.yaml": withFileSecret], variables: [:])
        #expect(
            found.contains(
                "switchboard.yaml:16:26: systems[1].connections.development.headers.Authorization refers to ${env:ERP_TOKEN}, which is not set"))
        #expect(found.contains("integrations/orders.yaml:8:50: source.webhook.auth.secret refers to ${file:secrets/missing}, which is not set"))
        // The production environment's reference is not resolved while developing.
        #expect(!found.contains { $0.contains("PROD_TOKEN") })
    }

    @Test("a secret written inline in a connection header is refused")
    func inlineHeaderSecret() throws {
        let inline = Self.landscape.replacingOccurrences(of: "\"Bearer ${env:ERP_TOKEN}\"", with: "Bearer abc123")
        let found = try diagnostics(["switchboard.yaml": inline, "integrations/orders.yaml": Self.integration])
        #expect(
            found.contains {
                $0.hasPrefix("switchboard.yaml:16:26: systems[1].connections.development.headers.Authorization holds a secret written inline")
            }, "\(found)")
    }

    @Test("duplicate ids, duplicate paths, unknown fields, unknown goals and bad YAML")
    func crossFileProblems() throws {
        let second = Self.integration.replacingOccurrences(of: "order-to-cash", with: "world-peace")
        let found = try diagnostics([
            "switchboard.yaml": Self.landscape,
            "integrations/a.yaml": Self.integration,
            "integrations/b.yaml": second + "\nretries: 3\n",
            "integrations/c.yaml": "id: [unclosed\n",
        ])
        #expect(found.contains("integrations/b.yaml:1:1: integration id 'orders' is already used by integrations/a.yaml"))
        #expect(found.contains("integrations/b.yaml:1:1: source.webhook.path '/hooks/orders' is already used by integrations/a.yaml"))
        #expect(found.contains("integrations/b.yaml:3:15: aligns_with names goal 'world-peace', which is not declared in switchboard.yaml"))
        #expect(found.contains { $0.hasPrefix("integrations/b.yaml:17:1: retries is not a known field here") })
        #expect(found.contains { $0.hasPrefix("integrations/c.yaml:2:1: the file is not valid YAML") })
    }

    @Test("a missing landscape file says how to start")
    func missingLandscape() throws {
        let found = try diagnostics([:])
        #expect(found == ["switchboard.yaml:1:1: switchboard.yaml cannot be read; `switchboard init DIR` writes a workspace to start from"])
    }

    @Test("a change-tracking source must read a Dataverse system, and an integration has one source")
    func changeSources() throws {
        let onHTTP = """
            id: changes
            title: Changes
            source: { system: shop, changes: { table: accounts } }
            target: { system: erp, http: { path: /x } }
            """
        let both = """
            id: both
            title: Both
            source: { system: shop, webhook: { path: /hooks/both, auth: { kind: none } }, changes: { table: accounts } }
            target: { system: erp, http: { path: /x } }
            """
        let found = try diagnostics(["switchboard.yaml": Self.landscape, "integrations/changes.yaml": onHTTP, "integrations/both.yaml": both])
        #expect(
            found.contains(
                "integrations/changes.yaml:3:34: source.changes reads a Dataverse table's changes, but system 'shop' is not of kind dataverse"),
            "\(found)")
        #expect(
            found.contains {
                $0.hasPrefix("integrations/both.yaml:3:") && $0.hasSuffix("source has both webhook and changes; an integration has one source")
            }, "\(found)")
    }

    @Test("a webhook path the hub serves itself (dashboard, API, health) is refused by validate, so it can never be shadowed")
    func reservedWebhookPaths() throws {
        let reserved = [
            "/", "/login", "/logout", "/logout/", "/audit", "/landscape", "/healthz", "/metrics", "/api", "/api/v1/reload", "/integrations",
            "/integrations/orders/pause", "/messages/x", "/dead-letters", "/dead-letters/replay",
        ]
        let allowed = ["/hooks/orders", "/loginhooks", "/api-orders", "/integrations-inbound", "/dead-letters-feed"]
        for (path, refused) in reserved.map({ ($0, true) }) + allowed.map({ ($0, false) }) {
            var fixture = WorkspaceFixture()
            fixture.systems = [
                WorkspaceFixture.system("shop", kind: "http"),
                WorkspaceFixture.system("erp", kind: "http", connection: ["base_url: http://127.0.0.1:9"]),
            ]
            fixture.integrations["orders"] = WorkspaceFixture.integration(
                "orders", source: WorkspaceFixture.webhook(system: "shop", path: path), target: #"{ system: erp, http: { path: /orders } }"#)
            let directory = try fixture.write()
            defer { directory.remove() }
            do {
                _ = try Workspace.load(directory: directory.url, registry: .standard)
                #expect(!refused, "\(path) was accepted")
            } catch {
                #expect(refused, "\(path): \(error.description)")
                if refused {
                    #expect(error.description.hasSuffix("source.webhook.path '\(path)' is reserved by the hub; use a path such as /hooks/orders"))
                }
            }
        }
    }

    @Test("a goal declared twice is reported at its second declaration, and aligns_with names only declared goals")
    func goals() throws {
        var fixture = WorkspaceFixture()
        fixture.systems = [
            WorkspaceFixture.system("shop", kind: "http"), WorkspaceFixture.system("erp", kind: "http", connection: ["base_url: http://127.0.0.1:9"]),
        ]
        fixture.landscapeExtra = """
            goals:
              - { id: order-to-cash, title: Orders to cash }
              - { id: service, title: Service }
              - { id: order-to-cash, title: Again }
            """
        fixture.integrations["orders"] =
            WorkspaceFixture.integration(
                "orders", source: WorkspaceFixture.webhook(system: "shop", path: "/hooks/orders"),
                target: #"{ system: erp, http: { path: /orders } }"#)
            + "aligns_with: [service, nowhere]\n"
        let directory = try fixture.write()
        defer { directory.remove() }
        do {
            _ = try Workspace.load(directory: directory.url, registry: .standard)
            Issue.record("the workspace was accepted")
        } catch {
            let lines = error.description.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.hasPrefix("switchboard.yaml:") && $0.hasSuffix("goal id 'order-to-cash' is declared twice") }, "\(lines)")
            #expect(lines.contains { $0.hasSuffix("aligns_with names goal 'nowhere', which is not declared in switchboard.yaml") }, "\(lines)")
            #expect(lines.count == 2, "\(lines)")
        }
    }
}
