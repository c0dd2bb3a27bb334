import ArgumentParser
import Foundation
import SwitchboardConnectors
import SwitchboardGovernance
import SwitchboardModel

extension CheckOutput.Format: ExpressibleByArgument {}
extension PlanOutput.Format: ExpressibleByArgument {}

/// Loads a workspace without its secrets (`plan`, `docs`, `impact` need none), as far as it reads:
/// problems are counted on standard error (`check` lists them) and the command goes on with the
/// rest; exits 1 only when switchboard.yaml itself cannot be read.
func loadWithoutSecrets(_ url: URL, environment: String? = nil, quiet: Bool = false) -> Workspace {
    let (workspace, problems) = Workspace.loadForReview(directory: url, registry: .standard, environment: environment)
    guard let workspace else { fail(WorkspaceError(diagnostics: problems).description) }
    if !problems.isEmpty, !quiet {
        FileHandle.standardError.write(
            Data(
                "note: the workspace has \(problems.count) problem\(problems.count == 1 ? "" : "s") (switchboard check lists them); this covers what reads despite them\n"
                    .utf8))
    }
    return workspace
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a workspace and review it against the integration strategy checklist; exit 1 on errors.",
        discussion: "Rules, severities and suppressions: docs/governance.md. Secrets need not be set.")
    @OptionGroup var workspace: WorkspaceArgument
    @Option(help: "Environment to check; default the first declared.") var env: String?
    @Option(help: "text, json, or sarif (SARIF 2.1.0 for code scanning).") var format: CheckOutput.Format = .text
    @Option(help: "Write the report to this file instead of standard output.") var output: String?

    func run() throws {
        let report = Checker.check(directory: workspace.url, registry: .standard, environment: env)
        let rendered = CheckOutput.render(report, as: format)
        if let output {
            do { try rendered.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                fail("cannot write \(output): \(error.localizedDescription)")
            }
            print(CheckOutput.render(report, as: .text).split(separator: "\n").last.map(String.init) ?? "")
        } else {
            print(rendered, terminator: "")
        }
        if report.failed { throw ExitCode(1) }
    }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "For each target system: requests against its limits and entitlements, what fits the peak, the monthly cost, and growth to 2, 5 and 10 times."
    )
    @OptionGroup var workspace: WorkspaceArgument
    @Option(
        name: [.customLong("environment"), .customLong("env")],
        help: "Environment whose connections (batch size, application users) are planned; default the one named production, else the first declared.")
    var environment: String?
    @Option(help: "text, json, or markdown.") var format: PlanOutput.Format = .text

    func run() throws {
        var loaded = loadWithoutSecrets(workspace.url, environment: environment, quiet: environment == nil)
        if environment == nil {
            // Read again for the default environment when it is not the first declared.
            let chosen = Planner.defaultEnvironment(loaded.landscape.environments) ?? loaded.environment
            loaded =
                chosen == loaded.environment
                ? loadWithoutSecrets(workspace.url, environment: nil) : loadWithoutSecrets(workspace.url, environment: chosen)
        }
        print(PlanOutput.render(Planner.plan(loaded), as: format, environment: loaded.environment), terminator: "")
    }
}

struct Docs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Write a static site (no external assets): the landscape diagram, the checklist status, a page per integration, and Markdown with a Mermaid diagram."
    )
    @OptionGroup var workspace: WorkspaceArgument
    @Option(help: "Environment to describe; default the first declared.") var env: String?
    @Option(help: "The folder to write the site into.") var out: String = "site"

    func run() throws {
        let loaded = loadWithoutSecrets(workspace.url, environment: env)
        let folder = URL(fileURLWithPath: out).standardizedFileURL
        do {
            let files = try SiteWriter.write(loaded, report: Checker.review(loaded), plans: Planner.plan(loaded), to: folder)
            print("wrote \(files.count) files in \(folder.path): open \(folder.appendingPathComponent("index.html").path)")
        } catch {
            fail("cannot write the site into \(folder.path): \(error.localizedDescription)")
        }
    }
}

struct ImpactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "impact",
        abstract: "Every integration that reads or writes system[.table[.column]], and what lies downstream of it, with the path.")
    @Argument(help: "What is asked about: crm, crm.accounts or crm.accounts.name.") var subject: String
    @OptionGroup var workspace: WorkspaceOption
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        guard let parsed = Impact.Subject(parsing: subject) else { fail("impact needs a system, such as crm, crm.accounts or crm.accounts.name") }
        let loaded = loadWithoutSecrets(workspace.url)
        guard loaded.landscape.system(parsed.system) != nil else {
            fail(
                "system '\(parsed.system)' is not declared in switchboard.yaml (declared: \(loaded.landscape.systems.map(\.id).joined(separator: ", ")))"
            )
        }
        let touches = Impact.analyse(parsed, in: loaded)
        print(json ? Impact.json(parsed, touches).pretty() : Impact.text(parsed, touches), terminator: json ? "\n" : "")
    }
}

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "What changed in the workspace between a git ref and the working tree, field by field, with the impact of each change.")
    @Argument(help: "A git ref: a branch, a tag or a commit, such as origin/main.") var ref: String
    @OptionGroup var workspace: WorkspaceOption
    @Flag(help: "Markdown for a pull-request comment.") var markdown = false

    func run() throws {
        let snapshot: GitSnapshot
        do { snapshot = try GitSnapshot(ref: ref, workspace: workspace.url) } catch { fail(error.description) }
        defer { snapshot.remove() }
        let changes = WorkspaceDiff.compare(old: snapshot.folder, new: workspace.url, registry: .standard)
        print(markdown ? WorkspaceDiff.markdown(changes, ref: ref) : WorkspaceDiff.text(changes, ref: ref), terminator: "")
    }
}
