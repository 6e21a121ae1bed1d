/// A line diff of two texts (longest common subsequence), printed as unified-diff body lines:
/// " " kept, "-" only in the old text, "+" only in the new. The common head and tail are set aside
/// first, so the table (old × new) covers only the part that changed: an edit of a few lines in a
/// document of thousands costs little.
public enum LineDiff {
    public static func lines(from old: String, to new: String) -> [String] {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false)
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        var out = a[..<head].map { " " + $0 }
        out += middle(Array(a[head..<(a.count - tail)]), Array(b[head..<(b.count - tail)]))
        out += a[(a.count - tail)...].map { " " + $0 }
        return out
    }

    /// The changed lines with `context` kept lines around them, in hunks headed
    /// `@@ -start,count +start,count @@` as `diff -u` prints them; empty when nothing changed.
    /// Only the changed part and its context are ever written out, however long the texts.
    public static func unified(from old: String, to new: String, context: Int = 3) -> [String] {
        // A final newline ends the last line; it does not start an empty one.
        func body(_ s: String) -> String { s.hasSuffix("\n") ? String(s.dropLast()) : s }
        func split(_ s: String) -> [Substring] {
            s.isEmpty ? [] : body(s).split(separator: "\n", omittingEmptySubsequences: false)
        }
        let a = split(old), b = split(new)
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        guard head < a.count || head < b.count else { return [] }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let before = max(0, head - context)
        var all = a[before..<head].map { " " + $0 }
        all += middle(Array(a[head..<(a.count - tail)]), Array(b[head..<(b.count - tail)]))
        all += a[(a.count - tail)..<min(a.count, a.count - tail + context)].map { " " + $0 }
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
    static func middle(_ a: [Substring], _ b: [Substring]) -> [String] {
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
}
