import Foundation

extension NetworkMapFile {
    static let csvColumns = ["network", "latitude", "longitude", "country", "continent", "region", "city"]

    /// Reads the CSV form: each row becomes a mapping of its non-empty cells (on the row's line)
    /// and is checked by the same section as a YAML entry.
    public static func parseCSV(_ text: String, file: String) throws(ConfigErrors) -> NetworkMapFile {
        var reader = ConfigReader(source: file, directory: "")
        var out = NetworkMapFile()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        guard let header = lines.first,
            header.split(separator: ",", omittingEmptySubsequences: false).map({
                $0.trimmingCharacters(in: .whitespaces)
            }) == csvColumns
        else {
            throw ConfigErrors([
                ConfigError(
                    file: file, line: 1, field: "", message: "header must be \(csvColumns.joined(separator: ","))")
            ])
        }
        for (i, line) in lines.enumerated().dropFirst()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty && !line.hasPrefix("#") {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count == csvColumns.count else {
                reader.fail(i + 1, "", "expected \(csvColumns.count) columns, got \(cells.count)")
                continue
            }
            let entries = zip(csvColumns, cells).filter { !$1.isEmpty }.map { column, cell in
                ConfigEntry(
                    key: column, keyLine: i + 1, value: ConfigNode(.scalar(ConfigScalar(plainText: cell)), line: i + 1))
            }
            out.rows.append(Row.schema.read(ConfigNode(.mapping(entries), line: i + 1), field: "", reader: &reader))
        }
        if !reader.errors.isEmpty { throw ConfigErrors(reader.errors) }
        return out
    }
}
