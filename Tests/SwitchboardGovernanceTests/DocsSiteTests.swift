import Foundation
import SwitchboardConnectors
import SwitchboardGovernance
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// `switchboard docs`, rendered by a real headless Chromium (Debian's `chromium`; `.ci/run` installs it).
@Suite("switchboard docs renders in a real browser")
struct DocsSiteTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs headless Chromium with `arguments` and returns what it printed; ends it after 60 s.
    static func browse(_ arguments: [String]) async throws -> String {
        let chromium = try #require(chromium, "Chromium is not installed: apt-get install -y chromium")
        let options = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--user-data-dir=\(NSTemporaryDirectory())sb-chromium-\(UUID().uuidString)",
        ]
        return try await Binary.printed(URL(fileURLWithPath: chromium), options + arguments).output
    }

    @Test("the binary writes the example's site; Chromium renders the overview and an integration page, with the diagram's links")
    func exampleSite() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let site = directory.url.appendingPathComponent("site")
        let written = try await Binary.run(["docs", CheckTests.examples.appendingPathComponent("webshop-to-dataverse").path, "--out", site.path])
        #expect(written.status == 0, "\(written.error)")
        let index = try await Self.browse(["--dump-dom", site.appendingPathComponent("index.html").absoluteString])
        #expect(index.contains("<svg"))
        #expect(index.contains("orders-to-salesorders · async · 20,000/day → crm"))
        #expect(index.contains("href=\"integrations/orders-to-salesorders.html\""))
        #expect(index.contains("Integration strategy checklist"))
        #expect(index.contains("✔ met"))
        // No external assets: nothing is fetched from another origin.
        #expect(!index.contains("src=\"http") && !index.contains("<link") && !index.contains("@import") && !index.contains("url(http"))
        #expect(!index.contains("<script"))
        let page = try await Self.browse(["--dump-dom", site.appendingPathComponent("integrations/orders-to-salesorders.html").absoluteString])
        #expect(page.contains("Paid web-shop orders become sales orders"))
        #expect(page.contains("Dataverse <code>upsert</code> into <code>salesorders</code>"))
        #expect(page.contains("requests per 300 s"))
        // A screenshot: the page paints.
        let shot = directory.url.appendingPathComponent("index.png")
        _ = try await Self.browse(["--window-size=1200,1600", "--screenshot=\(shot.path)", site.appendingPathComponent("index.html").absoluteString])
        let png = try Data(contentsOf: shot)
        #expect(png.count > 20_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let markdown = try String(contentsOf: site.appendingPathComponent("landscape.md"), encoding: .utf8)
        #expect(markdown.contains("```mermaid\nflowchart LR\n  subgraph cloud[\"Cloud\"]"))
        #expect(markdown.contains("s_webshop -->|\"orders-to-salesorders: async, 20,000/day\"| s_crm"))
    }

    @Test("at 50 systems and 200 integrations every integration has its own row and no label overlaps another")
    func largeLandscape() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var landscape = "version: 1\nsystems:\n"
        for index in 0..<50 {
            landscape +=
                "  - { id: system-\(index), kind: http, location: \(index % 3 == 0 ? "on-premises" : "cloud"), connections: { default: { base_url: \"http://127.0.0.1:9\" } } }\n"
        }
        try directory.write("switchboard.yaml", landscape)
        for index in 0..<200 {
            try directory.write(
                "integrations/flow-\(index).yaml",
                """
                id: flow-\(index)
                title: Flow \(index)
                source: { system: system-\((index * 7) % 50), webhook: { path: /hooks/flow-\(index), auth: { kind: none } } }
                target: { system: system-\((index * 13 + 1) % 50 == (index * 7) % 50 ? (index + 1) % 50 : (index * 13 + 1) % 50), http: { method: PUT, path: /x } }
                """)
        }
        let workspace = try Workspace.load(directory: directory.url, registry: .standard, resolvingSecrets: false)
        let svg = LandscapeDiagram.svg(workspace)
        // The y of every integration label: 200 of them, at least a row apart.
        let pattern = try Regex(#"<text class="lane-label" x="[0-9.]+" y="([0-9.]+)">"#)
        let ys = svg.matches(of: pattern).compactMap { Double(String($0.output[1].substring ?? "")) }.sorted()
        #expect(ys.count == 200)
        #expect(zip(ys, ys.dropFirst()).allSatisfy { $1 - $0 >= 20 })
        // Chromium renders it (an SVG with a parse error would show an error page instead).
        try svg.write(to: directory.url.appendingPathComponent("landscape.svg"), atomically: true, encoding: .utf8)
        let dom = try await Self.browse(["--dump-dom", directory.url.appendingPathComponent("landscape.svg").absoluteString])
        #expect(dom.contains("flow-199 · async → system-"))
        #expect(!dom.contains("parsererror"))
    }
}
