// FormJoin: the join client's library, as `formnet join` and `form-join` use it.
//
// Lives here: the stub resolver (own UDP/TCP client, SRTT, CNAME chains, TTL cache), probing and
// ranking of entry nodes, static bootstrap lists and the last-known-good cache (files checked field
// by field, a private directory), the versioned peer-set JSON and its outcomes.
//
// Must not live here: anything of the authority (it talks to form-dns only over DNS), address
// parsing (NetAddress), command-line handling (form-join). Blocking socket calls run on a thread of
// their own each (`runBlocking`): see Docs/architecture.md, "Where code runs".
