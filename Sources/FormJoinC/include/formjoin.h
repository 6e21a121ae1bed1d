/*
 * formjoin.h: the C ABI of FormJoin, the Formation join client (libFormJoinC.so).
 *
 * Two calls: the peer set for an anycast name, once (what `form-join peers --json` prints), and a
 * watch that calls back with a new peer set each time the peers handed out change (what
 * `form-join watch` prints, one line per call). Both take their options as one JSON object; see
 * Docs/formnet-integration.md, "The C ABI", for every key. ABI version 1.
 *
 * Ownership
 *   - Strings passed in are borrowed for the duration of the call only; they must be NUL-terminated
 *     UTF-8. NULL `options_json` means all defaults.
 *   - Every string handed out (`*peer_set_json`, `*error`) is the caller's: free it with
 *     formjoin_free(), and only with it. Output pointers may be NULL when the caller does not want
 *     that output.
 *   - The `emission_json` given to a callback is the library's, valid until the callback returns:
 *     copy it to keep it.
 *
 * Threads
 *   - Every function may be called from any thread, and calls may overlap.
 *   - formjoin_peers() blocks its calling thread until the peer set is known (bounded by the
 *     resolver timeouts and the probe deadline). The library's own threads do the work.
 *   - A watch calls its callback serially: one call at a time, in order, never on the caller's
 *     thread (not always on the same thread either). The callback may call formjoin_peers() and
 *     formjoin_watch_stop() (also on its own watch).
 *   - formjoin_watch_stop() returns when no callback of that watch is running and none will run
 *     (called from the watch's own callback, it returns at once and no further callback runs). It
 *     frees the handle: use it once.
 *
 * Errors never crash or hang: NULL where a string is required, text that is not UTF-8, bad options
 * or unreadable files give FORMJOIN_BAD_INPUT and a message in *error.
 */
#ifndef FORMJOIN_H
#define FORMJOIN_H

#ifdef __cplusplus
extern "C" {
#endif

#define FORMJOIN_ABI_VERSION 1

/* Results of formjoin_peers(): the same numbers as form-join's exit codes. */
enum {
    FORMJOIN_VIA_DNS = 0,            /* peers from the DNS answer */
    FORMJOIN_VIA_FALLBACK = 10,      /* peers from the static list or the cache */
    FORMJOIN_NOTHING_REACHABLE = 20, /* a peer set with no peers; *error says what was tried */
    FORMJOIN_BAD_INPUT = 64          /* nothing was done; *error says why */
};

/* The ABI version of the library loaded (compare with FORMJOIN_ABI_VERSION). */
int formjoin_abi_version(void);

/* The peer set for `name` (e.g. "entry.formation.test"), as JSON (schema_version 1). */
int formjoin_peers(const char *name, const char *options_json, char **peer_set_json, char **error);

/* Called with one emission: {"schema_version":1,"event":"peers","reason":...,"peer_set":{...}}. */
typedef void (*formjoin_watch_callback)(const char *emission_json, void *context);

typedef struct formjoin_watch formjoin_watch;

/* Starts a watch of `name`; NULL (and *error) on bad input. `context` is passed to every callback. */
formjoin_watch *formjoin_watch_start(
    const char *name, const char *options_json, formjoin_watch_callback callback, void *context, char **error);

/* Stops a watch and frees its handle. NULL is ignored. */
void formjoin_watch_stop(formjoin_watch *watch);

/* Frees a string the library handed out. NULL is ignored. */
void formjoin_free(char *string);

#ifdef __cplusplus
}
#endif

#endif
