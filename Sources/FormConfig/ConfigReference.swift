/// Docs/configuration.md, generated from the schemas: one table per section, one row per key.
public enum ConfigReference {
    public static func markdown() -> String {
        var out = """
            # form-dns configuration reference

            Generated from the schema in `Sources/FormConfig/Schema/` by `form-dns config-reference`; do not
            edit it by hand. `ConfigReferenceTests` fails when this file and the schema differ: regenerate with
            `swift run form-dns config-reference > Docs/configuration.md`.

            Every key is checked when the file is read (by `form-dns check`, at start and on reload): a value
            out of range or a key the section does not know is reported as `file:line: field: message`, and
            on reload the running configuration keeps serving. Relative paths are taken from the folder of
            the file that names them. *Applies* says when a change takes effect in a running server: on
            `reload` (SIGHUP), or only on `restart` (a reload logs the restart-only keys it could not apply).

            """
        out += document(ServerConfig.schema.reference)
        out += document(NetworkMapFile.schema.reference)
        return out
    }

    static func document(_ top: ConfigSectionReference) -> String {
        var out = ""
        for section in top.flattened {
            out += "\n## \(section.path)\n\n\(section.summary)\n\n"
            out += "| Key | Type | Default | Applies | Meaning |\n|---|---|---|---|---|\n"
            for key in section.keys {
                let value = key.isRequired ? "required" : key.defaultText.map { "`\($0)`" } ?? ""
                let cells = ["`\(key.name)`", key.type, value, key.applies, key.summary]
                out += "| " + cells.map { $0.replacingPipes() }.joined(separator: " | ") + " |\n"
            }
        }
        return out
    }
}

extension String {
    /// A table cell cannot hold a bare `|`.
    fileprivate func replacingPipes() -> String {
        split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
    }
}
