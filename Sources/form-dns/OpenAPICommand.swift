import ArgumentParser
import FormDNSServer

struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi",
        abstract: "Print the management API's OpenAPI 3.1 document (as served at /v1/openapi.json; Docs/openapi.json).")

    func run() {
        print(OpenAPIDocument.json, terminator: OpenAPIDocument.json.hasSuffix("\n") ? "" : "\n")
    }
}
