// FormConfig: what an operator writes, and how it becomes the engine's values.
//
// Lives here:
// - the configuration document (`ConfigDocument`, `ConfigNode`): a tree of scalars, lists and
//   mappings with line numbers, read from YAML or JSON text (a file, or an API request body);
// - the declarative schema (`ConfigSection`, `ConfigRow`): one row per key with its name, type,
//   range, default and meaning, from which reading, `file:line: field: message` errors, the
//   "expected ..." lists, which keys need a restart, and Docs/configuration.md all come;
// - the schema of every section of form-dns.yaml and of network map files (`Schema/`);
// - loading what a configuration names (zone files, GeoIP databases, network maps) into the
//   engine (`AuthorityLoader`), collecting every problem rather than stopping at the first.
//
// Must not live here: answering queries (FormAuthority), sockets and threads (FormDNSServer),
// command-line parsing (form-dns). Defaults live in the engine's value types (`GeoPool`,
// `SelectionPolicy`, ...) or in `ServerConfig`; the schema reads them, it never restates them.
