#if canImport(Glibc)
    import Glibc
#endif

/// Where a `$INCLUDE` may read from: a regular file inside the zone's directory (or a configured
/// root), named relative to the including file. Absolute paths, `..` and symbolic links may be
/// used only while they stay inside the root; devices, FIFOs and directories are refused.
enum IncludePath {
    struct Refusal: Error {
        var reason: String
    }

    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }

    /// The path to read for `name` included from `file`, or why it may not be read.
    static func confine(_ name: String, relativeTo file: String, root: String) -> Result<String, Refusal> {
        let joined = name.hasPrefix("/") ? name : directory(of: file) + "/" + name
        guard let path = normalize(absolute(joined)), let base = normalize(absolute(root)) else {
            return .failure(Refusal(reason: "\(name) leaves the zone directory \(root)"))
        }
        guard isInside(path, base) else {
            return .failure(Refusal(reason: "\(name) is outside the zone directory \(root)"))
        }
        // On disk, links must not lead out either, and only regular files are read.
        var info = stat()
        if lstat(path, &info) == 0 {
            guard let real = realPath(path), let realBase = realPath(base), isInside(real, realBase) else {
                return .failure(Refusal(reason: "\(name) resolves outside the zone directory \(root)"))
            }
            guard stat(real, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                return .failure(Refusal(reason: "\(name) is not a regular file"))
            }
        }
        // Read by the name as written (relative names stay relative), which the checks above cover.
        return .success(normalize(joined) ?? path)
    }

    private static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/"), let cwd = getcwd(nil, 0) else { return path }
        defer { free(cwd) }
        return String(cString: cwd) + "/" + path
    }

    private static func isInside(_ path: String, _ base: String) -> Bool {
        base == "/" ? path.hasPrefix("/") : path.hasPrefix(base + "/")
    }

    /// `.` and `..` removed lexically; nil when `..` climbs above the start of a relative path.
    static func normalize(_ path: String) -> String? {
        let isAbsolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                guard !parts.isEmpty, parts.last != ".." else {
                    if isAbsolute { continue }  // "/.." is "/"
                    return nil
                }
                parts.removeLast()
            default: parts.append(part)
            }
        }
        let body = parts.joined(separator: "/")
        return isAbsolute ? "/" + body : (body.isEmpty ? "." : body)
    }

    private static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
