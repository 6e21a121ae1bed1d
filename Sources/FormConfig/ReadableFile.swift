#if canImport(Glibc)
    import Glibc
#endif

/// Whether a file a configuration names can be read now, so a typo is a config error at load
/// and not a failure later, at first use.
enum ReadableFile {
    /// nil when readable, else why not.
    static func problem(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return "cannot read \(path): \(String(cString: strerror(errno)))" }
        fclose(file)
        return nil
    }
}
