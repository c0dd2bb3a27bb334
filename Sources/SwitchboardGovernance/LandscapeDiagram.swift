import Foundation
import SwitchboardModel

/// The landscape as an SVG drawing that stays readable at 50 systems and 200 integrations.
///
/// Three columns: the systems integrations read from on the left, one row per integration in the
/// middle (its id, pattern, volume and target, never overlapping another label), the systems they write
/// to on the right. Both system columns are split into a cloud band and an on-premises band. A
/// source box spans the rows of its integrations, so those links are straight; target boxes are
/// ordered by the mean row of their integrations to keep crossings few. An integration that crosses
/// the cloud/on-premises boundary is drawn dashed in orange, a synchronous one thick in purple
/// (both together: dashed purple), as the legend under the drawing says.
public enum LandscapeDiagram {
    static let row = 26.0
    static let columnWidth = 220.0
    static let laneWidth = 430.0
    static let gap = 90.0
    static let top = 56.0

    /// The landscape as SVG; each integration's lane links to `linkPrefix` + its id + `linkSuffix`
    /// (the docs site's `integrations/ID.html` by default, the dashboard's `/integrations/ID`),
    /// or to nothing when `linkPrefix` is nil.
    public static func svg(_ workspace: Workspace, linkPrefix: String? = "integrations/", linkSuffix: String = ".html") -> String {
        let landscape = workspace.landscape
        func location(_ id: String) -> SystemDefinition.Location? { landscape.system(id)?.location }
        func band(_ id: String) -> Int { location(id) == .cloud ? 0 : location(id) == .onPremises ? 1 : 2 }
        // Rows: integrations ordered by their source's band, source, then target.
        let integrations = workspace.integrations.sorted {
            (band($0.source.system), $0.source.system, $0.target.system, $0.id) < (band($1.source.system), $1.source.system, $1.target.system, $1.id)
        }
        var rowOf: [String: Int] = [:]
        for (index, integration) in integrations.enumerated() { rowOf[integration.id] = index }
        // Each row's top: a spare row where the sources' band changes, so the bands never
        // overlap and each band's label has room above its first box.
        var rowTop: [Double] = []
        var gaps = 0.0
        for (index, integration) in integrations.enumerated() {
            if index > 0, band(integrations[index - 1].source.system) != band(integration.source.system) { gaps += 1 }
            rowTop.append(top + (Double(index) + gaps) * row)
        }
        func rowY(_ index: Int) -> Double { index < rowTop.count ? rowTop[index] : top + (Double(index) + gaps) * row }
        let sourceIDs = integrations.map(\.source.system).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let targetIDs = integrations.map(\.target.system).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            .sorted { lhs, rhs in
                let mean = { (id: String) -> Double in
                    let rows = integrations.filter { $0.target.system == id }.compactMap { rowOf[$0.id] }
                    return Double(rows.reduce(0, +)) / Double(max(rows.count, 1))
                }
                return (band(lhs), mean(lhs), lhs) < (band(rhs), mean(rhs), rhs)
            }
        let leftX = 20.0, laneX = leftX + columnWidth + gap, rightX = laneX + laneWidth + gap
        let width = rightX + columnWidth + 20
        var body: [String] = []
        // Source boxes span their rows.
        var sourceBox: [String: (y: Double, height: Double)] = [:]
        for id in sourceIDs {
            let rows = integrations.filter { $0.source.system == id }.compactMap { rowOf[$0.id] }
            let y = rowY(rows.min() ?? 0) + 2
            sourceBox[id] = (y, rowY(rows.max() ?? 0) + row - y - 2)
        }
        // Target boxes stacked in order, each as tall as its integrations' rows (at least one row).
        var targetBox: [String: (y: Double, height: Double)] = [:]
        var nextY = top
        var previousBand: Int?
        for id in targetIDs {
            if let previousBand, previousBand != band(id) { nextY += row }
            previousBand = band(id)
            let rows = integrations.filter { $0.target.system == id }.compactMap { rowOf[$0.id] }
            let height = max(row, Double(rows.count) * row * 0.6) - 4
            // As near the middle of its integrations' rows as the boxes above it allow.
            let middle = rows.map { rowY($0) }.reduce(0, +) / Double(max(rows.count, 1)) + row / 2
            let y = max(nextY + 2, middle - height / 2)
            targetBox[id] = (y, height)
            nextY = y + height + 6
        }
        let legendY = max(rowY(integrations.count), nextY) + 16
        let height = legendY + 34
        // Bands behind each system column.
        for (x, boxes, ids) in [(leftX, sourceBox, sourceIDs), (rightX, targetBox, targetIDs)] {
            for (index, name) in ["Cloud", "On-premises", "Location not declared"].enumerated() {
                let members = ids.filter { band($0) == index }.compactMap { boxes[$0] }
                guard let first = members.map(\.y).min(), let last = members.map({ $0.y + $0.height }).max() else { continue }
                body.append(
                    #"<rect class="band band\#(index)" x="\#(x - 8)" y="\#(first - 18)" width="\#(columnWidth + 16)" height="\#(last - first + 26)" rx="6"/>"#
                )
                body.append(#"<text class="band-label" x="\#(x - 2)" y="\#(first - 6)">\#(escape(name))</text>"#)
            }
        }
        for (index, integration) in integrations.enumerated() {
            let y = rowY(index) + row / 2
            guard sourceBox[integration.source.system] != nil, let target = targetBox[integration.target.system] else { continue }
            let targetIndex = integrations.filter { $0.target.system == integration.target.system }.firstIndex { $0.id == integration.id } ?? 0
            let targetCount = integrations.filter { $0.target.system == integration.target.system }.count
            let targetY = target.y + target.height * (Double(targetIndex) + 0.5) / Double(targetCount)
            let crossing =
                location(integration.source.system) != nil && location(integration.target.system) != nil
                && location(integration.source.system) != location(integration.target.system)
            let classes = ["link", crossing ? "crossing" : nil, integration.pattern == .sync ? "sync" : nil].compactMap { $0 }.joined(separator: " ")
            body.append(#"<path class="\#(classes)" d="M\#(leftX + columnWidth) \#(y) H\#(laneX)"/>"#)
            body.append(
                #"<path class="\#(classes)" d="M\#(laneX + laneWidth) \#(y) C\#(laneX + laneWidth + gap / 2) \#(y), \#(rightX - gap / 2) \#(targetY), \#(rightX) \#(targetY)" marker-end="url(#arrow)"/>"#
            )
            // The lane names its target too, so the row reads on its own however the links cross.
            let label =
                "\(integration.id) · \(integration.pattern.rawValue)" + (integration.volumes?.perDay.map { " · \(grouped($0))/day" } ?? "")
                + " → \(integration.target.system)"
            let lane =
                #"<rect class="lane\#(crossing ? " crossing" : "")" x="\#(laneX)" y="\#(y - row / 2 + 3)" width="\#(laneWidth)" height="\#(row - 6)" rx="4"/><text class="lane-label" x="\#(laneX + 8)" y="\#(y + 4)">\#(escape(label))</text>"#
            if let linkPrefix {
                body.append(
                    #"<a href="\#(linkPrefix)\#(escape(integration.id))\#(linkSuffix)"><title>\#(escape(integration.title))</title>\#(lane)</a>"#)
            } else {
                body.append("<g><title>\(escape(integration.title))</title>\(lane)</g>")
            }
        }
        for (x, boxes) in [(leftX, sourceBox), (rightX, targetBox)] {
            for (id, box) in boxes.sorted(by: { $0.key < $1.key }) {
                let kind = landscape.system(id)?.kind ?? ""
                body.append(
                    #"<g class="system"><title>\#(escape(landscape.system(id)?.description ?? id))</title><rect x="\#(x)" y="\#(box.y)" width="\#(columnWidth)" height="\#(box.height)" rx="5"/><text x="\#(x + 10)" y="\#(box.y + min(box.height / 2 + 5, 17))">\#(escape(id))<tspan class="kind"> \#(escape(kind))</tspan></text></g>"#
                )
            }
        }
        // The legend, inside the drawing so it travels with it.
        let legend = [
            (#"class="link""#, "asynchronous"), (#"class="link sync""#, "synchronous (the caller waits)"),
            (#"class="link crossing""#, "crosses between cloud and on-premises"),
        ].enumerated().map { index, item in
            let x = leftX + Double(index) * 300
            return
                #"<g class="legend"><path \#(item.0) d="M\#(x) \#(legendY) H\#(x + 36)"/><text x="\#(x + 44)" y="\#(legendY + 4)">\#(escape(item.1))</text></g>"#
        }
        body += legend
        let header = [
            #"<text class="heading" x="\#(leftX)" y="24">Reads from</text>"#,
            #"<text class="heading" x="\#(laneX)" y="24">Integrations (\#(integrations.count))</text>"#,
            #"<text class="heading" x="\#(rightX)" y="24">Writes to</text>"#,
        ]
        let style = """
            <style>
            text { font: 13px system-ui, sans-serif; fill: #1f2933; }
            .heading { font-weight: 600; font-size: 14px; }
            .band0 { fill: #e8f1fb; } .band1 { fill: #f3efe6; } .band2 { fill: #f2f2f2; }
            .band-label { font-size: 11px; fill: #52606d; }
            .system rect { fill: #ffffff; stroke: #3e4c59; stroke-width: 1.2; }
            .kind { fill: #7b8794; font-size: 11px; }
            .lane { fill: #ffffff; stroke: #9aa5b1; }
            .lane.crossing { stroke: #c05621; }
            .lane-label { font-size: 12px; }
            .link { fill: none; stroke: #7b8794; stroke-width: 1.2; }
            .link.crossing { stroke-dasharray: 5 3; stroke: #c05621; }
            .link.sync { stroke: #553c9a; stroke-width: 2.2; }
            .legend text { font-size: 12px; fill: #52606d; }
            </style>
            """
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="Landscape: \(workspace.landscape.systems.count) systems, \(integrations.count) integrations">
            \(style)
            <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 0 L10 5 L0 10 z" fill="#7b8794"/></marker></defs>
            \((header + body).joined(separator: "\n"))
            </svg>
            """
    }

    /// The landscape as a Mermaid flowchart, for wikis that render Mermaid in Markdown.
    public static func mermaid(_ workspace: Workspace) -> String {
        let landscape = workspace.landscape
        func node(_ id: String) -> String { "s_" + id.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() }
        var lines = ["flowchart LR"]
        for (location, title) in [(SystemDefinition.Location.cloud, "Cloud"), (.onPremises, "On-premises")] {
            let members = landscape.systems.filter { $0.location == location }
            guard !members.isEmpty else { continue }
            lines.append("  subgraph \(location == .cloud ? "cloud" : "onpremises")[\"\(title)\"]")
            lines += members.map { "    \(node($0.id))[\"\($0.id) (\($0.kind))\"]" }
            lines.append("  end")
        }
        lines += landscape.systems.filter { $0.location == nil }.map { "  \(node($0.id))[\"\($0.id) (\($0.kind))\"]" }
        for integration in workspace.integrations {
            let volume = integration.volumes?.perDay.map { ", \(grouped($0))/day" } ?? ""
            let arrow = integration.pattern == .sync ? "==>" : "-->"
            lines.append(
                "  \(node(integration.source.system)) \(arrow)|\"\(integration.id): \(integration.pattern.rawValue)\(volume)\"| \(node(integration.target.system))"
            )
        }
        return lines.joined(separator: "\n")
    }

    static func grouped(_ value: Int) -> String { value.formatted(.number.locale(Locale(identifier: "en_US"))) }

    /// Text safe inside HTML and SVG.
    public static func escape(_ text: String) -> String {
        var output = ""
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.append(character)
            }
        }
        return output
    }
}
