import FormConfig

enum ConfigFuzz {
    static func run(_ data: UnsafeRawBufferPointer) {
        let text = String(decoding: data, as: UTF8.self)
        guard let document = try? ConfigDocument(parsing: text, source: "fuzz.yaml", directory: "/nonexistent") else {
            return
        }
        // No file is read: every path is refused, as an API request's are.
        _ = try? ServerConfig.parse(document, pathPolicy: { _ in "no files while fuzzing" })
    }
}
