import Yams

/// A configuration document and where it came from: the root node, the name errors carry (a file
/// path, or "request body"), and the folder relative paths in it are anchored to.
public struct ConfigDocument: Sendable {
    public var root: ConfigNode
    public var source: String
    /// Ends in "/" or is empty (relative paths stay relative to the working directory).
    public var directory: String

    public init(root: ConfigNode, source: String, directory: String? = nil) {
        self.root = root
        self.source = source
        self.directory = directory ?? Self.folder(of: source)
    }

    /// Reads YAML text (JSON is YAML too, so an API request body reads the same way).
    public init(parsing text: String, source: String, directory: String? = nil) throws(ConfigErrors) {
        let composed: Node?
        do { composed = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw ConfigErrors([
                ConfigError(
                    file: source, line: Self.line(of: error), field: "", message: "invalid YAML: \(Self.problem(error))"
                )
            ])
        } catch {
            throw ConfigErrors([ConfigError(file: source, line: 0, field: "", message: "invalid YAML: \(error)")])
        }
        guard let composed else {
            throw ConfigErrors([ConfigError(file: source, line: 1, field: "", message: "the document is empty")])
        }
        var problems: [ConfigError] = []
        let root = Self.node(composed, source: source, problems: &problems)
        if !problems.isEmpty { throw ConfigErrors(problems) }
        self.init(root: root, source: source, directory: directory)
    }

    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[...slash])
    }

    static func node(_ node: Node, source: String, problems: inout [ConfigError]) -> ConfigNode {
        let line = node.mark?.line ?? 0
        switch node {
        case .scalar:
            let scalar = ConfigScalar(
                text: node.string ?? "", integer: Self.integer(node), number: node.float, boolean: node.bool,
                isNull: node.null != nil)
            return ConfigNode(.scalar(scalar), line: line)
        case .sequence(let items):
            return ConfigNode(.list(items.map { Self.node($0, source: source, problems: &problems) }), line: line)
        case .mapping(let pairs):
            var entries: [ConfigEntry] = []
            for (key, value) in pairs {
                let keyLine = key.mark?.line ?? line
                guard let name = key.scalar?.string else {
                    problems.append(ConfigError(file: source, line: keyLine, field: "", message: "a key must be text"))
                    continue
                }
                entries.append(
                    ConfigEntry(
                        key: name, keyLine: keyLine, value: Self.node(value, source: source, problems: &problems)))
            }
            return ConfigNode(.mapping(entries), line: line)
        case .alias:
            problems.append(ConfigError(file: source, line: line, field: "", message: "YAML aliases are not supported"))
            return ConfigNode(.scalar(ConfigScalar(text: "", isNull: true)), line: line)
        }
    }

    static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _): return mark.line
        case .duplicatedKeysInMapping(_, let context): return context.mark.line
        default: return 0
        }
    }

    static func problem(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _): return problem
        case .duplicatedKeysInMapping(let keys, _):
            return "a key is given twice: \(keys.sorted().joined(separator: ", "))"
        default: return "\(error)"
        }
    }
}
