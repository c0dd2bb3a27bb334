import ArgumentParser
import Foundation
import SwitchboardGovernance
import SwitchboardModel

extension CheckOutput.Format: ExpressibleByArgument {}
extension PlanOutput.Format: ExpressibleByArgument {}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a workspace and review it against the integration strategy checklist; exit 1 on errors.",
        discussion: "Rules, severities and suppressions: docs/governance.md. Secrets need not be set.")
    @OptionGroup var workspace: WorkspaceArgument
    @Option(help: "Environment to check; default the first declared.") var env: String?
    @Option(help: "text, json, or sarif (SARIF 2.1.0 for code scanning).") var format: CheckOutput.Format = .text
    @Option(help: "Write the report to this file instead of standard output.") var output: String?

    func run() throws {
        let report = Checker.check(directory: workspace.url, environment: env)
        let rendered = CheckOutput.render(report, as: format)
        if let output {
            do { try rendered.write(toFile: output, atomically: true, encoding: .utf8) } catch { fail("cannot write \(output): \(error.localizedDescription)") }
            print(CheckOutput.render(report, as: .text).split(separator: "\n").last.map(String.init) ?? "")
        } else {
            print(rendered, terminator: "")
        }
        if report.failed { throw ExitCode(1) }
    }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "For each target system: requests against its limits and entitlements, what fits the peak, the monthly cost, and growth to 2, 5 and 10 times.")
    @OptionGroup var workspace: WorkspaceArgument
    @Option(help: "Environment whose connections (batch size, application users) are planned; default the first declared.") var env: String?
    @Option(help: "text, json, or markdown.") var format: PlanOutput.Format = .text

    func run() throws {
        let loaded: Workspace
        do {
            loaded = try Workspace.load(directory: workspace.url, environment: env, resolvingSecrets: false)
        } catch {
            fail(error.description)
        }
        print(PlanOutput.render(Planner.plan(loaded), as: format), terminator: "")
    }
}

struct Docs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a static site (no external assets): the landscape diagram, the checklist status, a page per integration, and Markdown with a Mermaid diagram.")
    @OptionGroup var workspace: WorkspaceArgument
    @Option(help: "Environment to describe; default the first declared.") var env: String?
    @Option(help: "The folder to write the site into.") var out: String = "site"

    func run() throws {
        let loaded: Workspace
        do {
            loaded = try Workspace.load(directory: workspace.url, environment: env, resolvingSecrets: false)
        } catch {
            fail(error.description)
        }
        let folder = URL(fileURLWithPath: out).standardizedFileURL
        do {
            let files = try SiteWriter.write(loaded, report: Checker.review(loaded), plans: Planner.plan(loaded), to: folder)
            print("wrote \(files.count) files in \(folder.path): open \(folder.appendingPathComponent("index.html").path)")
        } catch {
            fail("cannot write the site into \(folder.path): \(error.localizedDescription)")
        }
    }
}
