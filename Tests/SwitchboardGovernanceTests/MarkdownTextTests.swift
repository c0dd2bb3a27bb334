import Testing

@testable import SwitchboardGovernance

@Suite("Workspace text in the docs site's Markdown")
struct MarkdownTextTests {
    @Test("an owner or goal with Markdown, HTML, a pipe or a line break is written as the text it is")
    func escaped() {
        #expect(MarkdownText.cell("Finance IT") == "Finance IT")
        #expect(MarkdownText.cell("a | b") == #"a \| b"#)
        #expect(MarkdownText.cell("[click](javascript:alert(1))") == #"\[click\]\(javascript:alert\(1\)\)"#)
        #expect(MarkdownText.cell("<img src=x onerror=alert(1)>") == #"&lt;img src=x onerror=alert\(1\)&gt;"#)
        #expect(MarkdownText.cell("**bold** `code`\nnext | row") == #"\*\*bold\*\* \`code\` next \| row"#)
        #expect(MarkdownText.cell(#"back\slash & co"#) == #"back\\slash &amp; co"#)
    }
}
