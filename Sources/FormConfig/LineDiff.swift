import Foundation

/// A line diff of two texts (longest common subsequence), printed as unified-diff body lines:
/// " " kept, "-" only in the old text, "+" only in the new. The common head and tail are set aside
/// first, so the table (old × new) covers only the part that changed: an edit of a few lines in a
/// document of thousands costs little.
public enum LineDiff {
    public static func lines(from old: String, to new: String) -> [String] {
        let a = TextLines(old, finalNewlineEndsLine: false), b = TextLines(new, finalNewlineEndsLine: false)
        let (head, tail) = commonEnds(a, b)
        var out = (0..<head).map { " " + a.string($0) }
        out += middle(a.strings(head..<(a.count - tail)), b.strings(head..<(b.count - tail)))
        out += ((a.count - tail)..<a.count).map { " " + a.string($0) }
        return out
    }

    /// The changed lines with `context` kept lines around them, in hunks headed
    /// `@@ -start,count +start,count @@` as `diff -u` prints them; empty when nothing changed.
    /// Only the changed part and its context are ever written out, however long the texts.
    public static func unified(from old: String, to new: String, context: Int = 3) -> [String] {
        // A final newline ends the last line; it does not start an empty one.
        let a = TextLines(old, finalNewlineEndsLine: true), b = TextLines(new, finalNewlineEndsLine: true)
        let (head, tail) = commonEnds(a, b)
        guard head < a.count || head < b.count else { return [] }
        let before = max(0, head - context)
        var all = (before..<head).map { " " + a.string($0) }
        all += middle(a.strings(head..<(a.count - tail)), b.strings(head..<(b.count - tail)))
        all += ((a.count - tail)..<min(a.count, a.count - tail + context)).map { " " + a.string($0) }
        let changed = all.indices.filter { !all[$0].hasPrefix(" ") }
        var keep = Set<Int>()
        for i in changed { for j in max(0, i - context)...min(all.count - 1, i + context) { keep.insert(j) } }
        var out: [String] = []
        var oldLine = before + 1, newLine = before + 1
        var i = 0
        while i < all.count {
            guard keep.contains(i) else {
                if !all[i].hasPrefix("+") { oldLine += 1 }
                if !all[i].hasPrefix("-") { newLine += 1 }
                i += 1
                continue
            }
            var end = i
            while end < all.count, keep.contains(end) { end += 1 }
            let hunk = all[i..<end]
            let oldCount = hunk.filter { !$0.hasPrefix("+") }.count, newCount = hunk.filter { !$0.hasPrefix("-") }.count
            // An empty side is numbered from the line before it, as diff -u does.
            let oldStart = oldCount == 0 ? oldLine - 1 : oldLine, newStart = newCount == 0 ? newLine - 1 : newLine
            out.append("@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@")
            out += hunk
            oldLine += oldCount
            newLine += newCount
            i = end
        }
        return out
    }

    /// The LCS diff of the part between the common head and tail.
    static func middle(_ a: [String], _ b: [String]) -> [String] {
        var common = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                common[i][j] = a[i] == b[j] ? common[i + 1][j + 1] + 1 : max(common[i + 1][j], common[i][j + 1])
            }
        }
        var out: [String] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                out.append(" " + a[i])
                i += 1
                j += 1
            } else if i < a.count, j == b.count || common[i + 1][j] >= common[i][j + 1] {
                // Removals before additions, as diff -u prints them.
                out.append("-" + a[i])
                i += 1
            } else {
                out.append("+" + b[j])
                j += 1
            }
        }
        return out
    }

    /// How many lines the two texts share at the start, and then at the end.
    private static func commonEnds(_ a: TextLines, _ b: TextLines) -> (head: Int, tail: Int) {
        var head = 0
        while head < a.count, head < b.count, a.line(head, equals: b, head) { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a.line(a.count - 1 - tail, equals: b, b.count - 1 - tail) {
            tail += 1
        }
        return (head, tail)
    }
}

/// A text's lines as byte ranges: finding and comparing lines costs a byte scan, and only the lines
/// a diff prints become strings (splitting a `String` walks grapheme clusters, which was most of a
/// change's diff time).
private struct TextLines {
    let bytes: [UInt8]
    /// Start offsets of the lines, then one past the last line's end.
    private var starts: [Int] = []
    var count: Int { starts.count - 1 }

    init(_ text: String, finalNewlineEndsLine: Bool) {
        bytes = Array(text.utf8)
        // An empty text whose newlines end lines has none.
        if finalNewlineEndsLine, bytes.isEmpty {
            starts = [0]
            return
        }
        var end = bytes.count
        if finalNewlineEndsLine, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        starts.reserveCapacity(end / 24 + 2)
        starts.append(0)
        for i in 0..<end where bytes[i] == UInt8(ascii: "\n") { starts.append(i + 1) }
        // One past the last line's end, written as where a line after it would start.
        starts.append(end + 1)
    }

    private func range(_ i: Int) -> Range<Int> { starts[i]..<(starts[i + 1] - 1) }

    func line(_ i: Int, equals other: TextLines, _ j: Int) -> Bool {
        let r = range(i), s = other.range(j)
        guard r.count == s.count else { return false }
        return bytes.withUnsafeBufferPointer { x in
            other.bytes.withUnsafeBufferPointer { y in
                r.isEmpty || memcmp(x.baseAddress! + r.lowerBound, y.baseAddress! + s.lowerBound, r.count) == 0
            }
        }
    }

    func string(_ i: Int) -> String { String(decoding: bytes[range(i)], as: UTF8.self) }
    func strings(_ r: Range<Int>) -> [String] { r.map(string) }
}
