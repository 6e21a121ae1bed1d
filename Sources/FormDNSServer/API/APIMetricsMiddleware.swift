import Hummingbird

/// Counts every API request by its route pattern and final status (after the error body
/// middleware has turned errors into responses). A request no route matched is "unmatched": the
/// label never carries the path a client sent.
struct APIMetricsMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.apiRequest(route: context.endpointPath ?? "unmatched", status: response.status.code)
            return response
        } catch {
            metrics.apiRequest(route: context.endpointPath ?? "unmatched", status: 500)
            throw error
        }
    }
}
