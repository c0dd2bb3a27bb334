/// Text from a workspace (an owner, a goal, a title) written into Markdown as the text it is:
/// nothing in it can start a link, an image, emphasis, code, HTML or a new table cell or line.
enum MarkdownText {
    /// `text` escaped for a table cell: Markdown's punctuation backslash-escaped, `<` and `>` as
    /// entities (renderers pass raw HTML through), line breaks as spaces.
    static func cell(_ text: String) -> String {
        var output = ""
        for character in text {
            switch character {
            case "\\", "`", "*", "_", "[", "]", "(", ")", "#", "!", "|", "~", "{", "}": output += "\\\(character)"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "&": output += "&amp;"
            case "\n", "\r": output += " "
            default: output.append(character)
            }
        }
        return output
    }
}
