/*
 * formjoin-peers: FormJoin's C ABI from C. Prints the peer set for an anycast name.
 *
 *   formjoin-peers NAME [OPTIONS_JSON] [--repeat N] [--watch N] [--stop-in-callback] [--bad-input]
 *                [--leak-on-purpose]
 *
 *   --repeat N          call formjoin_peers N times (a leak check runs this under valgrind), print the last
 *   --watch N           start a watch, print its first N emissions (one JSON line each), stop it
 *   --stop-in-callback  with --watch: the callback stops its own watch after the Nth emission
 *   --bad-input         make every kind of bad call and check each is refused with a message
 *   --leak-on-purpose   do not free one peer set (the leak checker's positive control)
 *
 * Build: cc -I Sources/FormJoinC/include formjoin-peers.c -L DIR -lFormJoinC -Wl,-rpath,DIR -lpthread
 * Exit: what the last formjoin_peers returned (0, 10, 20, 64); 1 when --bad-input finds a call not refused.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formjoin.h"

struct emissions {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int seen, wanted, stop_in_callback, stopped;
    formjoin_watch *watch; /* set by main once formjoin_watch_start returns */
};

static void on_emission(const char *emission_json, void *context) {
    struct emissions *e = context;
    printf("%s\n", emission_json);
    fflush(stdout);
    pthread_mutex_lock(&e->lock);
    e->seen++;
    if (e->stop_in_callback && e->seen == e->wanted) {
        while (e->watch == NULL) pthread_cond_wait(&e->changed, &e->lock);
        /* Stopping from the watch's own callback: returns at once, and no callback runs after. */
        formjoin_watch_stop(e->watch);
        e->stopped = 1;
    }
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
}

static int watch(const char *name, const char *options, int count, int stop_in_callback) {
    struct emissions e = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, count, stop_in_callback, 0, NULL};
    char *error = NULL;
    formjoin_watch *w = formjoin_watch_start(name, options, on_emission, &e, &error);
    if (w == NULL) {
        fprintf(stderr, "formjoin_watch_start: %s\n", error ? error : "?");
        formjoin_free(error);
        return FORMJOIN_BAD_INPUT;
    }
    pthread_mutex_lock(&e.lock);
    e.watch = w;
    pthread_cond_broadcast(&e.changed);
    while (e.seen < count || (stop_in_callback && !e.stopped)) pthread_cond_wait(&e.changed, &e.lock);
    pthread_mutex_unlock(&e.lock);
    if (!stop_in_callback) formjoin_watch_stop(w);
    printf("stopped %s after %d emission(s)\n", stop_in_callback ? "in the callback" : "by main", count);
    return 0;
}

/* One bad call: it must return FORMJOIN_BAD_INPUT with a message (when asked for one). */
static int refused(const char *what, const char *name, const char *options, int want_error) {
    char *json = NULL, *error = NULL;
    int code = formjoin_peers(name, options, want_error ? &json : NULL, want_error ? &error : NULL);
    int ok = code == FORMJOIN_BAD_INPUT && json == NULL && (!want_error || error != NULL);
    printf("%s: %d %s\n", what, code, error ? error : "(no message asked)");
    formjoin_free(json);
    formjoin_free(error);
    return ok;
}

static int bad_input(void) {
    char not_utf8[] = {'e', 'n', (char)0xff, (char)0xfe, '.', 't', 0};
    int ok = 1;
    ok &= refused("NULL name", NULL, NULL, 1);
    ok &= refused("name not UTF-8", not_utf8, NULL, 1);
    ok &= refused("options not UTF-8", "entry.formation.test", not_utf8, 1);
    ok &= refused("options not JSON", "entry.formation.test", "{probes: 3", 1);
    ok &= refused("unknown key", "entry.formation.test", "{\"probez\": 3}", 1);
    ok &= refused("wrong type", "entry.formation.test", "{\"probes\": \"3\"}", 1);
    ok &= refused("out of range", "entry.formation.test", "{\"probes\": 0}", 1);
    ok &= refused("bad resolver", "entry.formation.test", "{\"resolvers\": [\"not an address\"]}", 1);
    ok &= refused("no output pointers", NULL, NULL, 0);
    ok &= refused("unreadable file", "entry.formation.test", "{\"fallback\": \"/nonexistent/list.json\"}", 1);
    char *error = NULL;
    formjoin_watch *w = formjoin_watch_start("entry.formation.test", NULL, NULL, NULL, &error);
    printf("NULL callback: %s %s\n", w ? "started" : "refused", error ? error : "?");
    ok &= w == NULL && error != NULL;
    formjoin_free(error);
    error = NULL;
    w = formjoin_watch_start("entry.formation.test", "{\"watch\": {\"interval\": 0}}", on_emission, NULL, &error);
    printf("bad watch options: %s %s\n", w ? "started" : "refused", error ? error : "?");
    ok &= w == NULL && error != NULL;
    formjoin_free(error);
    formjoin_watch_stop(NULL);
    formjoin_free(NULL);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (formjoin_abi_version() != FORMJOIN_ABI_VERSION) {
        fprintf(stderr, "libFormJoinC has ABI %d, this program was built for %d\n", formjoin_abi_version(),
                FORMJOIN_ABI_VERSION);
        return 2;
    }
    const char *name = NULL, *options = NULL;
    int repeat = 1, emissions = 0, stop_in_callback = 0, leak = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--bad-input") == 0) return bad_input();
        if (strcmp(argv[i], "--stop-in-callback") == 0) { stop_in_callback = 1; continue; }
        if (strcmp(argv[i], "--leak-on-purpose") == 0) { leak = 1; continue; }
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--watch") == 0 && i + 1 < argc) emissions = atoi(argv[++i]);
        else if (name == NULL) name = argv[i];
        else options = argv[i];
    }
    if (name == NULL) {
        fprintf(stderr, "usage: formjoin-peers NAME [OPTIONS_JSON] [--repeat N] [--watch N] [--stop-in-callback] "
                        "[--bad-input] [--leak-on-purpose]\n");
        return 64;
    }
    if (emissions > 0) return watch(name, options, emissions, stop_in_callback);
    int code = 0;
    for (int i = 0; i < repeat; i++) {
        char *json = NULL, *error = NULL;
        code = formjoin_peers(name, options, &json, &error);
        if (i == repeat - 1) {
            if (json) printf("%s\n", json);
            if (error) fprintf(stderr, "formjoin_peers: %s\n", error);
        }
        if (!(leak && i == 0)) formjoin_free(json);
        formjoin_free(error);
    }
    return code;
}
