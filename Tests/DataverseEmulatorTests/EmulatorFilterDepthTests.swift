import Testing

@testable import DataverseEmulatorCore

/// A `$filter` deep or long enough to exhaust a recursive parser is refused as Dataverse refuses a bad request.
@Suite("Dataverse emulator: hostile $filter")
struct EmulatorFilterDepthTests {
    @Test("a $filter nested 12,000 deep, 15,000 nots, or 20,000 terms is refused as a bad request")
    func deepFilters() {
        let nested = String(repeating: "(", count: 12_000) + "name eq 'a'" + String(repeating: ")", count: 12_000)
        let nots = String(repeating: "not ", count: 15_000) + "name eq 'a'"
        let terms = Array(repeating: "name eq 'a'", count: 20_000).joined(separator: " and ")
        for filter in [nested, nots, terms] {
            #expect(throws: DataverseError.self) { try FilterParser.parse(filter) }
        }
        #expect((try? FilterParser.parse("not (name eq 'a' or (name eq 'b' and not name eq 'c'))")) != nil)
    }
}
