// FormAuthority: the authority engine, pure: a query's bytes in, a response's bytes out.
//
// Lives here: the RFC 1034 lookup over zones (`AuthorityEngine`), the responder and its
// precomputed answer table (`ResponseBuilder`, `AnswerTable`, `AnswerTemplate`), GeoDNS placement
// and ranking (`Geo/`: "where is the client" in `GeoContext`/`ClientLocator`, "which answer" in
// `GeoSelector`/`PoolAnswerer`, shared by the server and `explain`), and the health core
// (`Health/`: state machines, TTL policy, repositories) with an injected clock.
//
// Must not live here: sockets, threads, event loops (FormDNSServer), reading configuration or
// files (FormConfig), logging. Code here is called on the hot path: a change is measured (see
// Docs/performance.md) and a table hit allocates nothing.
