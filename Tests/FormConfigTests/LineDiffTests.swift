import FormConfig
import Testing

@Suite struct LineDiffTests {
    @Test func keptRemovedAndAddedLinesInOrder() {
        let old = "a\nb\nc\nd\n", new = "a\nc\nx\nd\ny\n"
        #expect(LineDiff.lines(from: old, to: new) == [" a", "-b", " c", "+x", " d", "+y", " "])
        #expect(LineDiff.lines(from: "", to: "") == [" "])
        #expect(LineDiff.lines(from: "same", to: "same") == [" same"])
        #expect(LineDiff.lines(from: "p\n", to: "q\n") == ["-p", "+q", " "])
    }
}
