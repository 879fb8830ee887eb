/*
 * slactl — ask a running slad questions over its control socket.
 *
 *   slactl [-s SOCKET | -c CONFIG] [--json] COMMAND [ARGS]
 *
 * One command is one exchange of lib/sla_ctlproto: connect, send the
 * request, read the one response, print it. The daemon does all the work;
 * this program only parses the command line, turns arguments into the
 * request's args, and turns the response's data into tables (or prints it
 * as JSON with --json, for scripts).
 *
 * Exit status: 0 the daemon answered ok; 1 the daemon said no (ok:false,
 * the reason on stderr); 2 slad could not be reached or answered something
 * unreadable, or the command line (or CONFIG) is wrong.
 *
 * Human output: times relative to now ("in 4m12s", "overdue 1h03m") and
 * absolute ones in local RFC 3339; anything that came from the daemon is
 * printed with control characters and broken UTF-8 replaced, so a ticket
 * attribute cannot move the cursor and the output is always valid UTF-8.
 * Tables are aligned by terminal columns (lib/sla_textwidth: CJK takes
 * two), and wherever text is shortened (a cell over SLA_TEXTTABLE_CELL_WIDTH
 * columns, a line over its buffer) it is cut after a whole character and
 * ends in "…". Nothing secret ever crosses the socket.
 *
 * With -c, only the setting control.socket is read from CONFIG (with
 * libconfig, @include resolved next to the file): operators need not be
 * able to read the secret files a full load would open.
 *
 * One command asks nothing of slad: "partition TICKET" computes the
 * ticket's partition here (lib/sla_partition), from --partitions N or the
 * setting partitions of CONFIG, so producers can check their own hash.
 */
#include <errno.h>
#include <getopt.h>
#include <libconfig.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sla_ctlproto.h"
#include "sla_duration.h"
#include "sla_partition.h"
#include "sla_reportview.h"
#include "sla_texttable.h"
#include "sla_textwidth.h"

#define SLACTL_DEFAULT_SOCKET "/run/slad/slad.sock"
#define SLACTL_TIMEOUT_S 15

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_TROUBLE = 2 };

static struct {
    const char *socket;
    int json;
    int csv;
    int64_t now_ms;
} opt;

/* --- messages ----------------------------------------------------------- */

static int die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int die_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("slactl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nTry 'slactl --help'.\n", stderr);
    va_end(ap);
    return EXIT_TROUBLE;
}

static const char usage_text[] =
    "usage: slactl [-s SOCKET | -c CONFIG] [--json] COMMAND [ARGS]\n"
    "\n"
    "Ask the running slad questions over its control socket.\n"
    "\n"
    "Commands:\n"
    "  status                  the daemon: uptime, Redis links, backlog, counters\n"
    "  ticket ID               one ticket: attributes and every SLA clock\n"
    "  customer ID             one customer: attributes and relationship clocks\n"
    "  due [--within D]        running clocks not yet breached, soonest first\n"
    "  breached                clocks past their deadline, with level and who was told\n"
    "  ack [--kind K] ID [METRIC] [--by NAME]\n"
    "                          acknowledge a ticket's (a customer's) breach: its\n"
    "                          further levels stop\n"
    "  deliveries [--dead]     webhook deliveries pending and retrying, or dead\n"
    "  replay ID               send a dead delivery again (same webhook-id)\n"
    "  reload                  reload the configuration, as SIGHUP does\n"
    "  report [--from D] [--to D] [--by DIM] [--metric M] [--csv]\n"
    "                          SLA achievement per day range: kept, breached, time taken, CSAT\n"
    "  partition TICKET [--partitions N]\n"
    "                          the partition of a ticket id (computed here, slad not asked)\n"
    "\n"
    "Options:\n"
    "  -s, --socket SOCKET     control socket (default " SLACTL_DEFAULT_SOCKET ")\n"
    "  -c, --config CONFIG     read the socket path (control.socket) from CONFIG\n"
    "      --json              print the daemon's answer as JSON, for scripts\n"
    "  -h, --help              this help; 'slactl COMMAND --help' for one command\n"
    "\n"
    "Exit status: 0 done, 1 slad refused (reason on stderr), 2 slad unreachable\n"
    "or a usage error.\n";

typedef struct slactl_cmd slactl_cmd;
typedef int slactl_print_fn(json_t *data);

struct slactl_cmd {
    const char *name;
    const char *synopsis;
    const char *help;
    int min_args, max_args;  /* positional arguments */
    slactl_print_fn *print;
};

/* --- text helpers ------------------------------------------------------- */

/*
 * s for the terminal, into buf: controls and invalid UTF-8 replaced by
 * '?', cut after a whole character with "…" when wider than max_width
 * columns or longer than buf.
 */
static const char *clean_fit(const char *s, size_t max_width, char *buf, size_t len)
{
    sla_text_fit(s ? s : "", s ? strlen(s) : 0, max_width, buf, len);
    return buf;
}

static const char *clean(const char *s, char *buf, size_t len)
{
    return clean_fit(s, SLA_TEXT_UNLIMITED, buf, len);
}

/*
 * Append formatted text at buf[*n] (the end of what buf holds); when it
 * does not fit, buf is cut after its last whole character with "…" and *n
 * set to len, so that later appends add nothing. Returns buf.
 */
static const char *appendf(char *buf, size_t len, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static const char *appendf(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
    if (*n >= len)
        return buf;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *n, len - *n, fmt, ap);
    va_end(ap);
    if (w >= 0 && (size_t)w < len - *n) {
        *n += (size_t)w;
        return buf;
    }
    static const char ellipsis[] = "\xE2\x80\xA6";
    size_t keep = len > sizeof ellipsis ? sla_utf8_cut(buf, strlen(buf), len - sizeof ellipsis)
                                        : 0;
    if (len >= sizeof ellipsis)
        memcpy(buf + keep, ellipsis, sizeof ellipsis);
    else
        buf[keep] = '\0';
    *n = len;
    return buf;
}

/* snprintf that cuts on a character boundary, with "…" when cut. */
#define formatf(buf, len, ...) appendf((buf), (len), &(size_t){0}, __VA_ARGS__)

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* A string or integer member as text ("" when neither), in buf. */
static const char *jtext(const json_t *o, const char *key, char *buf, size_t len)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else
        formatf(buf, len, "%s", json_is_string(v) ? json_string_value(v) : "");
    return buf;
}

static int64_t jint(const json_t *o, const char *key)
{
    return (int64_t)json_integer_value(json_object_get(o, key));
}

/* Local RFC 3339 with offset: "2026-11-25T21:03:04+01:00". */
static const char *local_time(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char zone[8];
    if (localtime_r(&t, &tm) == NULL || strftime(zone, sizeof zone, "%z", &tm) != 5) {
        snprintf(buf, len, "%lld", (long long)ms);
        return buf;
    }
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, "%.3s:%.2s", zone, zone + 3);
    return buf;
}

/* "in 4m12s" / "overdue 1h03m" for a deadline relative to now. */
static const char *relative(int64_t remaining_ms, char *buf, size_t len)
{
    char d[32];
    sla_ms_format(remaining_ms < 0 ? -remaining_ms : remaining_ms, d, sizeof d);
    snprintf(buf, len, "%s %s", remaining_ms < 0 ? "overdue" : "in", d);
    return buf;
}

/* Comma-separated strings of a JSON array. */
static const char *join(const json_t *arr, char *buf, size_t len)
{
    size_t i, n = 0;
    json_t *v;
    buf[0] = '\0';
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        appendf(buf, len, &n, "%s%s", i ? "," : "", s ? s : "");
    }
    if (buf[0] == '\0')
        snprintf(buf, len, "-");
    return buf;
}

/* --- tables (sla_texttable) --------------------------------------------- */

typedef sla_texttable table;

static void table_row(table *t, ...)
{
    const char *cells[SLA_TEXTTABLE_MAX_COLS];
    va_list ap;
    va_start(ap, t);
    for (size_t c = 0; c < t->ncols; c++)
        cells[c] = va_arg(ap, const char *);
    va_end(ap);
    if (sla_texttable_row(t, cells) < 0) {
        fputs("slactl: out of memory\n", stderr);
        exit(EXIT_TROUBLE);
    }
}

static void table_discard(table *t)
{
    sla_texttable_release(t);
}

/* Print and free the table. */
static void table_print(table *t)
{
    char *text = sla_texttable_render(t);
    if (text == NULL) {
        fputs("slactl: out of memory\n", stderr);
        exit(EXIT_TROUBLE);
    }
    fputs(text, stdout);
    free(text);
    table_discard(t);
}

/* A list's table (header row first), or `empty` when it has no rows. */
static int print_list_table(table *t, const json_t *data, const char *empty)
{
    size_t shown = t->nrows - 1;
    if (shown == 0) {
        printf("%s\n", empty);
        table_discard(t);
        return EXIT_OK;
    }
    table_print(t);
    int64_t total = jint(data, "total");
    if (total > (int64_t)shown)
        printf("(%zu of %lld shown)\n", shown, (long long)total);
    return EXIT_OK;
}

/* --- printers ----------------------------------------------------------- */

static int print_status(json_t *d)
{
    char a[256], b[256], line[1024];
    table t = {.ncols = 2};
    int64_t started = jint(d, "started_ms");
    sla_ms_format(jint(d, "uptime_ms"), b, sizeof b);
    formatf(line, sizeof line, "%s, pid %lld, up %s (since %s)", jstr(d, "version"),
             (long long)jint(d, "pid"), b, local_time(started, a, sizeof a));
    table_row(&t, "slad", line);
    const json_t *cfg = json_object_get(d, "config");
    formatf(line, sizeof line, "%s (loaded %s)", jstr(cfg, "path"),
             local_time(jint(cfg, "loaded_ms"), a, sizeof a));
    table_row(&t, "config", line);
    table_row(&t, "state", jstr(d, "state"));

    size_t i, n = 0;
    json_t *l;
    line[0] = '\0';
    json_array_foreach(json_object_get(d, "redis"), i, l) {
        appendf(line, sizeof line, &n, "%s%s %s (%lld reconnects)", i ? ", " : "",
                jstr(l, "link"), json_is_true(json_object_get(l, "up")) ? "up" : "DOWN",
                (long long)jint(l, "reconnects"));
    }
    table_row(&t, "redis", line);

    const json_t *c = json_object_get(d, "consumer");
    const json_t *lag = json_object_get(c, "lag"), *pend = json_object_get(c, "pending");
    snprintf(a, sizeof a, "%lld", (long long)json_integer_value(lag));
    snprintf(b, sizeof b, "%lld", (long long)json_integer_value(pend));
    formatf(line, sizeof line, "group %s: lag %s, pending %s", jstr(c, "group"),
             json_is_integer(lag) ? a : "unknown", json_is_integer(pend) ? b : "unknown");
    /* Partitioned: summed over this instance's partitions. */
    if (json_is_integer(json_object_get(c, "worst_partition")) &&
        json_integer_value(lag) > 0)
        appendf(line, sizeof line, &(size_t){strlen(line)},
                " over its partitions (most lag: partition %lld)",
                (long long)jint(c, "worst_partition"));
    table_row(&t, "consumer", line);

    const json_t *fi = json_object_get(d, "firing");
    if (json_is_true(json_object_get(fi, "caught_up"))) {
        snprintf(line, sizeof line, "on time (input caught up)");
    } else if (json_is_integer(json_object_get(fi, "horizon_ms"))) {
        char when[48], behind[32];
        sla_ms_format(jint(fi, "behind_ms"), behind, sizeof behind);
        snprintf(line, sizeof line, "catching up: deadlines fired up to %s (%s behind)",
                 local_time(jint(fi, "horizon_ms"), when, sizeof when), behind);
    } else {
        snprintf(line, sizeof line, "waiting for the input (nothing read yet)");
    }
    if (json_is_integer(json_object_get(fi, "worst_partition")) &&
        !json_is_true(json_object_get(fi, "caught_up")))
        appendf(line, sizeof line, &(size_t){strlen(line)}, " (partition %lld)",
                (long long)jint(fi, "worst_partition"));
    table_row(&t, "firing", line);

    const json_t *ev = json_object_get(d, "events");
    snprintf(line, sizeof line,
             "%.1f/s over the last minute; %lld read, %lld dead, %lld duplicates, %lld for "
             "unknown tickets",
             json_number_value(json_object_get(d, "events_per_second")),
             (long long)jint(ev, "read"), (long long)jint(ev, "dead"),
             (long long)jint(ev, "duplicates"), (long long)jint(ev, "unknown_ticket"));
    table_row(&t, "events", line);

    const json_t *open = json_object_get(d, "open_tickets");
    if (json_is_integer(open)) {
        snprintf(line, sizeof line, "%lld open", (long long)json_integer_value(open));
        table_row(&t, "tickets", line);
        const json_t *oc = json_object_get(d, "open_customers");
        if (json_is_integer(oc)) {
            snprintf(line, sizeof line, "%lld open", (long long)json_integer_value(oc));
            table_row(&t, "customers", line);
        }
        const char *k;
        json_t *v;
        n = 0;
        line[0] = '\0';
        json_object_foreach(json_object_get(d, "running_clocks"), k, v) {
            if (json_integer_value(v) == 0)
                continue;
            appendf(line, sizeof line, &n, "%s%s %lld", n ? ", " : "", k,
                    (long long)json_integer_value(v));
        }
        table_row(&t, "clocks", n ? line : "none running");
    } else {
        table_row(&t, "tickets", "unknown (state loading)");
    }
    const json_t *dec = json_object_get(d, "decisions");
    snprintf(line, sizeof line, "%lld warnings, %lld breaches, %lld escalations, %lld recovered",
             (long long)jint(dec, "warnings"), (long long)jint(dec, "breaches"),
             (long long)jint(dec, "escalations"), (long long)jint(dec, "recovered"));
    table_row(&t, "decisions", line);
    const json_t *dl = json_object_get(d, "deliveries");
    const json_t *dead = json_object_get(dl, "dead");
    snprintf(a, sizeof a, "%lld", (long long)json_integer_value(dead));
    snprintf(line, sizeof line,
             "%lld pending, %lld held for working hours, %lld retrying, %lld in flight, "
             "%lld delivered, %s dead",
             (long long)jint(dl, "pending"), (long long)jint(dl, "held"),
             (long long)jint(dl, "retrying"),
             (long long)jint(dl, "in_flight"), (long long)jint(dl, "delivered"),
             json_is_integer(dead) ? a : "unknown");
    table_row(&t, "deliveries", line);
    const json_t *in = json_object_get(d, "instance");
    if (in) {
        formatf(line, sizeof line,
                "%s: %lld of %lld partitions, %lld live instances; %lld renewals, %lld "
                "takeovers, %lld lost, %lld released",
                jstr(in, "name"), (long long)jint(in, "owned_count"),
                (long long)jint(in, "partitions"), (long long)jint(in, "live_instances"),
                (long long)jint(in, "renewals"), (long long)jint(in, "takeovers"),
                (long long)jint(in, "losses"), (long long)jint(in, "releases"));
        table_row(&t, "instance", line);
    }
    table_print(&t);
    if (in) {
        table tp = {.ncols = 7};
        table_row(&tp, "PARTITION", "STATE", "LEASE AGE", "OPEN TICKETS", "LAG", "PENDING",
                  "FIRING");
        size_t k;
        json_t *v;
        json_array_foreach(json_object_get(in, "owned"), k, v) {
            char pn[16], age[32] = "-", nopen[24] = "-", plag[24] = "-", ppend[24] = "-",
                 pfire[48] = "waiting";
            snprintf(pn, sizeof pn, "%lld", (long long)jint(v, "partition"));
            if (json_is_integer(json_object_get(v, "lease_age_ms")))
                sla_ms_format(jint(v, "lease_age_ms"), age, sizeof age);
            if (json_is_integer(json_object_get(v, "open_tickets")))
                snprintf(nopen, sizeof nopen, "%lld", (long long)jint(v, "open_tickets"));
            const json_t *pc = json_object_get(v, "consumer"), *pf = json_object_get(v, "firing");
            if (json_is_integer(json_object_get(pc, "lag")))
                snprintf(plag, sizeof plag, "%lld", (long long)jint(pc, "lag"));
            if (json_is_integer(json_object_get(pc, "pending")))
                snprintf(ppend, sizeof ppend, "%lld", (long long)jint(pc, "pending"));
            if (json_is_true(json_object_get(pf, "caught_up"))) {
                snprintf(pfire, sizeof pfire, "on time");
            } else if (json_is_integer(json_object_get(pf, "horizon_ms"))) {
                char behind[32];
                sla_ms_format(jint(pf, "behind_ms"), behind, sizeof behind);
                snprintf(pfire, sizeof pfire, "%s behind", behind);
            }
            table_row(&tp, pn, jstr(v, "state"), age, nopen, plag, ppend, pfire);
        }
        if (tp.nrows == 1) {
            printf("no partition owned\n");
            table_discard(&tp);
        } else {
            table_print(&tp);
        }
    }
    return EXIT_OK;
}

/* A list of partition numbers as "0-3,7". */
static const char *ranges(const json_t *list, char *buf, size_t len)
{
    size_t n = 0, i = 0, count = json_array_size(list);
    buf[0] = '\0';
    while (i < count) {
        long long first = json_integer_value(json_array_get(list, i)), last = first;
        while (i + 1 < count && json_integer_value(json_array_get(list, i + 1)) == last + 1)
            last = json_integer_value(json_array_get(list, ++i));
        i++;
        if (first == last)
            appendf(buf, len, &n, "%s%lld", n ? "," : "", first);
        else
            appendf(buf, len, &n, "%s%lld-%lld", n ? "," : "", first, last);
    }
    return n ? buf : "none";
}

static int print_cluster(json_t *d)
{
    char a[1024], b[32], c[32], e[32];
    table ti = {.ncols = 4};
    table_row(&ti, "INSTANCE", "HEARTBEAT", "COUNT", "PARTITIONS");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(d, "instances"), i, v) {
        const json_t *ps = json_object_get(v, "partitions");
        char name[160];
        formatf(name, sizeof name, "%s%s", jstr(v, "name"),
                json_is_true(json_object_get(v, "this")) ? " (this)" : "");
        sla_ms_format(jint(v, "heartbeat_age_ms"), b, sizeof b);
        snprintf(c, sizeof c, "%zu", json_array_size(ps));
        table_row(&ti, name, b, c, ranges(ps, a, sizeof a));
    }
    table_print(&ti);
    table tp = {.ncols = 5};
    table_row(&tp, "PARTITION", "OWNER", "LEASE AGE", "LAG", "PENDING");
    json_array_foreach(json_object_get(d, "leases"), i, v) {
        char pn[16], lag[24] = "-", pend[24] = "-";
        snprintf(pn, sizeof pn, "%lld", (long long)jint(v, "partition"));
        const json_t *owner = json_object_get(v, "owner");
        snprintf(e, sizeof e, "-");
        if (json_is_integer(json_object_get(v, "lease_age_ms")))
            sla_ms_format(jint(v, "lease_age_ms"), e, sizeof e);
        if (json_is_integer(json_object_get(v, "lag")))
            snprintf(lag, sizeof lag, "%lld", (long long)jint(v, "lag"));
        if (json_is_integer(json_object_get(v, "pending")))
            snprintf(pend, sizeof pend, "%lld", (long long)jint(v, "pending"));
        table_row(&tp, pn, json_is_string(owner) ? json_string_value(owner) : "NONE", e, lag,
                  pend);
    }
    table_print(&tp);
    size_t unowned = json_array_size(json_object_get(d, "unowned"));
    if (unowned) {
        printf("%zu partition%s without an owner: %s\n", unowned, unowned == 1 ? "" : "s",
               ranges(json_object_get(d, "unowned"), a, sizeof a));
        return EXIT_REFUSED;
    }
    return EXIT_OK;
}

/* The ACKED cell of a clock: "no", "yes" (who and when not known: a
 * record from before they were kept), or who and when. */
static const char *acked_cell(const json_t *v, char *buf, size_t len)
{
    if (!json_is_true(json_object_get(v, "acked")))
        return "no";
    const json_t *by = json_object_get(v, "acked_by"), *at = json_object_get(v, "acked_ms");
    if (!json_is_string(by) && !json_is_integer(at))
        return "yes";
    char who[SLA_CTL_BY_MAX * 3 + 4] = "", when[64] = "";
    if (json_is_string(by))
        clean(json_string_value(by), who, sizeof who);
    if (json_is_integer(at))
        local_time(json_integer_value(at), when, sizeof when);
    snprintf(buf, len, "%s%s%s", who, who[0] && when[0] ? " " : "", when);
    return buf;
}

static int print_ticket(json_t *d)
{
    char a[128], b[64], e[512];
    int customer = json_object_get(d, "customer") != NULL;
    printf("%s %s\n", customer ? "customer" : "ticket",
           clean(jstr(d, customer ? "customer" : "ticket"), e, sizeof e));
    if (json_is_integer(json_object_get(d, "partition")))
        printf("partition %lld, %s\n", (long long)jint(d, "partition"),
               strcmp(jstr(d, "source"), "redis") == 0
                   ? "run by another instance: its state as last written to redis"
                   : "run by this instance");
    table t = {.ncols = 2};
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(d, "attrs"), k, v) {
        formatf(a, sizeof a, "  %s", k);
        table_row(&t, a, json_string_value(v));
    }
    table_print(&t);
    table tc = {.ncols = 9};
    table_row(&tc, "METRIC", "STATE", "POLICY", "DEADLINE", "DUE", "ELAPSED", "LEVEL", "ACKED",
              "NOTIFIED");
    size_t i;
    json_array_foreach(json_object_get(d, "clocks"), i, v) {
        const json_t *dl = json_object_get(v, "deadline_ms");
        char lvl[16], el[32], ack[SLA_CTL_BY_MAX * 3 + 80];
        snprintf(lvl, sizeof lvl, "%lld", (long long)jint(v, "level"));
        sla_ms_format(jint(v, "elapsed_ms"), el, sizeof el);
        table_row(&tc, jstr(v, "metric"), jstr(v, "state"), jstr(v, "policy"),
                  json_is_integer(dl) ? local_time(json_integer_value(dl), a, sizeof a) : "-",
                  json_is_integer(dl) ? relative(jint(v, "remaining_ms"), b, sizeof b) : "-", el,
                  lvl, acked_cell(v, ack, sizeof ack),
                  join(json_object_get(v, "notified"), e, sizeof e));
    }
    if (tc.nrows == 1) {
        printf("no clock has started\n");
        table_discard(&tc);
    } else {
        table_print(&tc);
    }
    return EXIT_OK;
}

/* Partitioned: which partitions a due/breached answer covers (this
 * instance's), and those it left out. */
static void print_coverage(const json_t *d)
{
    const json_t *cov = json_object_get(d, "covered");
    if (!json_is_array(cov))
        return;
    char list[4096], e[256];
    size_t n = 0, i;
    json_t *v;
    list[0] = '\0';
    json_array_foreach(cov, i, v) {
        int w = snprintf(list + n, sizeof list - n, "%s%lld", n ? ", " : "",
                         (long long)json_integer_value(v));
        if (w < 0 || (size_t)w >= sizeof list - n)
            break;
        n += (size_t)w;
    }
    printf("instance %s: partitions %s of %lld (this instance's only; 'slactl cluster' shows "
           "the others' owners)\n",
           clean(jstr(d, "instance"), e, sizeof e), n ? list : "none",
           (long long)jint(d, "partitions"));
    json_array_foreach(json_object_get(d, "skipped"), i, v)
        printf("partition %lld left out: %s\n", (long long)jint(v, "partition"),
               jstr(v, "reason"));
}

static int print_list(json_t *d, int breached)
{
    print_coverage(d);
    table t = {.ncols = breached ? 8 : 7};
    if (breached)
        table_row(&t, "SUBJECT", "METRIC", "POLICY", "DEADLINE", "OVERDUE", "LEVEL", "ACKED",
                  "NOTIFIED");
    else
        table_row(&t, "SUBJECT", "METRIC", "POLICY", "DEADLINE", "DUE", "LEVEL", "ACKED");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(d, "items"), i, v) {
        char a[64], b[64], lvl[16], e[512], who[160];
        /* a ticket by its id, a customer as "customer:ID" */
        const char *cid = json_string_value(json_object_get(v, "customer"));
        if (cid)
            snprintf(who, sizeof who, "customer:%s", cid);
        else
            snprintf(who, sizeof who, "%s", jstr(v, "ticket"));
        snprintf(lvl, sizeof lvl, "%lld", (long long)jint(v, "level"));
        local_time(jint(v, "deadline_ms"), a, sizeof a);
        if (breached) {
            sla_ms_format(-jint(v, "remaining_ms"), b, sizeof b);
            table_row(&t, who, jstr(v, "metric"), jstr(v, "policy"), a, b, lvl,
                      json_is_true(json_object_get(v, "acked")) ? "yes" : "no",
                      join(json_object_get(v, "notified"), e, sizeof e));
        } else {
            table_row(&t, who, jstr(v, "metric"), jstr(v, "policy"), a,
                      relative(jint(v, "remaining_ms"), b, sizeof b), lvl,
                      json_is_true(json_object_get(v, "acked")) ? "yes" : "no");
        }
    }
    return print_list_table(&t, d, breached ? "no clock is past its deadline" : "no clock is due");
}

static int print_due(json_t *d)
{
    return print_list(d, 0);
}

static int print_breached(json_t *d)
{
    return print_list(d, 1);
}

static int print_ack(json_t *d)
{
    long long n = (long long)jint(d, "acked");
    char by[512];
    clean(jstr(d, "by"), by, sizeof by);
    if (json_is_true(json_object_get(d, "forwarded"))) {
        /* Another instance's partition: appended to its input stream. */
        char owner[512], entry[64];
        clean(jstr(d, "owner"), owner, sizeof owner);
        clean(jstr(d, "entry"), entry, sizeof entry);
        printf("acknowledgement%s%s forwarded to partition %lld (owner %s) as entry %s; "
               "its owner applies it in stream order\n",
               by[0] ? " by " : "", by, (long long)jint(d, "partition"),
               owner[0] ? owner : "none at the moment", entry);
        return EXIT_OK;
    }
    printf("%lld clock%s acknowledged%s%s%s\n", n, n == 1 ? "" : "s", by[0] ? " by " : "", by,
           json_is_true(json_object_get(d, "durable")) ? "" : " (not yet written to redis)");
    return EXIT_OK;
}

static int print_deliveries(json_t *d)
{
    json_t *items = json_object_get(d, "items");
    size_t i;
    json_t *v;
    int dead = json_object_get(d, "pending") == NULL;
    table t = {.ncols = 8};
    if (dead)
        table_row(&t, "ENTRY", "ID", "RECEIVER", "TICKET", "METRIC", "KIND", "ATTEMPTS", "REASON");
    else
        table_row(&t, "ID", "RECEIVER", "TICKET", "METRIC", "KIND", "ATTEMPTS", "NEXT",
                  "LAST ERROR");
    json_array_foreach(items, i, v) {
        char a[64], e[300];
        if (dead) {
            char n[32];
            formatf(e, sizeof e, "%s%s%s", jstr(v, "delivery.reason"),
                     jstr(v, "delivery.error")[0] ? ": " : "", jstr(v, "delivery.error"));
            table_row(&t, jstr(v, "entry"), jstr(v, "id"), jstr(v, "receiver"), jstr(v, "ticket"),
                      jstr(v, "metric"), jstr(v, "kind"),
                      jtext(v, "delivery.attempts", n, sizeof n), e);
        } else {
            char n[16];
            snprintf(n, sizeof n, "%lld", (long long)jint(v, "attempts"));
            int64_t next = jint(v, "next_attempt_ms");
            if (jint(v, "held_until_ms") > 0) { /* waiting, not failing */
                char r[48];
                formatf(a, sizeof a, "%s (working hours)",
                        relative(next - opt.now_ms, r, sizeof r));
            } else if (next > 0)
                relative(next - opt.now_ms, a, sizeof a);
            else
                snprintf(a, sizeof a, "now");
            int64_t st = jint(v, "last_status");
            if (st)
                formatf(e, sizeof e, "HTTP %lld %s", (long long)st, jstr(v, "last_error"));
            else
                formatf(e, sizeof e, "%s", jstr(v, "last_error")[0] ? jstr(v, "last_error") : "-");
            table_row(&t, jstr(v, "id"), jstr(v, "receiver"), jstr(v, "ticket"),
                      jstr(v, "metric"), jstr(v, "kind"), n, a, e);
        }
    }
    if (!dead) {
        printf("%lld pending, %lld held for working hours, %lld retrying, %lld in flight\n",
               (long long)jint(d, "pending"), (long long)jint(d, "held"),
               (long long)jint(d, "retrying"), (long long)jint(d, "in_flight"));
        if (jint(d, "parked") > 0)
            printf("%lld of the held are parked (read back at their time), not listed\n",
                   (long long)jint(d, "parked"));
    }
    return print_list_table(&t, d, dead ? "no dead deliveries" : "nothing waiting for delivery");
}

static int print_replay(json_t *d)
{
    printf("dead delivery %s replayed as outbox entry %s\n", jstr(d, "dead_entry"),
           jstr(d, "outbox_entry"));
    return EXIT_OK;
}

static int print_reload(json_t *d)
{
    char e[512];
    printf("configuration reloaded from %s: %lld policies, %lld receivers, %lld calendars\n",
           clean(jstr(d, "config"), e, sizeof e), (long long)jint(d, "policies"),
           (long long)jint(d, "receivers"), (long long)jint(d, "calendars"));
    return EXIT_OK;
}

static int print_report(json_t *d)
{
    char *text = sla_report_render(d, opt.csv);
    if (text == NULL) {
        fputs("slactl: out of memory\n", stderr);
        return EXIT_TROUBLE;
    }
    fputs(text, stdout);
    free(text);
    long long more = (long long)jint(d, "more");
    if (opt.csv && more > 0)
        fprintf(stderr, "slactl: %lld more row%s not shown: narrow the report with --metric or "
                        "a shorter range\n", more, more == 1 ? "" : "s");
    return EXIT_OK;
}

static const slactl_cmd commands[] = {
    {"status", "status",
     "Show the daemon: version, uptime, configuration file and when it was loaded,\n"
     "the Redis links, the consumer group's lag, whether deadlines fire on time\n"
     "or how far behind while the input is caught up on, the input rate over the\n"
     "last minute, open tickets, running clocks by metric, decisions so far and the\n"
     "deliveries pending, retrying and dead.\n",
     0, 0, print_status},
    {"cluster", "cluster",
     "With partitions: every live instance (how long since its heartbeat, the\n"
     "partitions it holds) and every partition (its owner, how long since its\n"
     "lease was renewed, the input group's lag and pending entries), as Redis\n"
     "holds them. Exit status 1 when a partition has no owner.\n",
     0, 0, print_cluster},
    {"ticket", "ticket ID",
     "Show one ticket: its attributes, and for every clock that started its\n"
     "metric, state, policy, deadline (and how long until or since), level\n"
     "reached (1 breach, 2 and up escalations), whether it was acknowledged (by\n"
     "whom and when) and who was notified. With partitions, any instance\n"
     "answers: from its engine when it runs the ticket's partition, else from\n"
     "the state last written to Redis.\n",
     1, 1, print_ticket},
    {"customer", "customer ID",
     "Show one customer as 'ticket' shows a ticket: its attributes and its\n"
     "relationship clocks (first_revisit, second_revisit, revisit, reminder,\n"
     "review, survey). With partitions any instance answers, as for 'ticket'\n"
     "(a customer is in the partition of its id).\n",
     1, 1, print_ticket},
    {"due", "due [--within D] [--kind K] [--limit N]",
     "List running clocks not yet breached, soonest deadline first, tickets'\n"
     "and customers' (a customer shown as customer:ID).\n"
     "With partitions, only those of the partitions this instance runs (it\n"
     "says which, and any it lost while reading).\n"
     "  --within D   only those due within D (\"10m\", \"2h\", \"1h30m\")\n"
     "  --kind K     only those of tickets (K = ticket) or customers (customer)\n"
     "  --limit N    at most N (default 100, at most 1000)\n",
     0, 0, print_due},
    {"breached", "breached [--kind K] [--limit N]",
     "List clocks past their deadline and not met, with the level reached and\n"
     "the receivers notified. With partitions, only those of the partitions\n"
     "this instance runs (it says which).\n"
     "  --kind K     only those of tickets (K = ticket) or customers (customer)\n"
     "  --limit N    at most N (default 100, at most 1000)\n",
     0, 0, print_breached},
    {"ack", "ack [--kind K] ID [METRIC] [--by NAME]",
     "Acknowledge the breaches of a ticket, or with --kind customer of a\n"
     "customer (shown as customer:ID by due and breached), of one METRIC or\n"
     "all: the further levels of their ladders stop. Answers once the\n"
     "acknowledgement is written to Redis. METRIC of a ticket: first_response,\n"
     "next_response, pickup, periodic_update, resolution, follow_up, callback;\n"
     "of a customer: first_revisit, second_revisit, revisit, reminder, review,\n"
     "survey.\n"
     "  --kind K     ticket (default) or customer: what ID names\n"
     "  --by NAME    who acknowledges, kept in the subject's state and slad's\n"
     "               log (default: your login name; at most 128 bytes, no\n"
     "               control characters)\n",
     1, 2, print_ack},
    {"deliveries", "deliveries [--dead] [--limit N]",
     "List webhook deliveries waiting (pending or retrying), or with --dead the\n"
     "ones past their retry budget, newest first.\n"
     "  --dead       the dead deliveries (ENTRY is the id replay takes)\n"
     "  --limit N    at most N (default 100, at most 1000)\n",
     0, 0, print_deliveries},
    {"replay", "replay ID",
     "Move one dead delivery back into the outbox, to be delivered again with\n"
     "the same webhook-id. ID is its ENTRY from 'deliveries --dead', or the\n"
     "record's id (esc_...).\n",
     1, 1, print_replay},
    {"reload", "reload",
     "Reload the configuration file, exactly as SIGHUP does. A file with an\n"
     "error is refused (exit 1, with the error) and the running configuration\n"
     "stays.\n",
     0, 0, print_reload},
    {"report", "report [--from D] [--to D] [--by DIM] [--metric M] [--csv]",
     "SLA achievement over a range of days (local dates in slad's report.timezone):\n"
     "per metric and policy (or per value of a ticket field), the cycles that\n"
     "ended, those met on time, achievement (met on time over those met or\n"
     "breached), breaches, median and 90th percentile of the time taken (the\n"
     "upper bound of its histogram bucket, business time with a calendar), and\n"
     "the CSAT average and count of followup.done.\n"
     "  --from D     first day, YYYY-MM-DD (default: 6 days before --to)\n"
     "  --to D       last day, YYYY-MM-DD (default: today)\n"
     "  --by DIM     'policy' (default) or a field of report.dimensions\n"
     "  --metric M   one metric only\n"
     "  --csv        comma-separated values, for spreadsheets\n",
     0, 0, print_report},
    {"partition", "partition TICKET [--partitions N]",
     "Print the partition of ticket id TICKET: the FNV-1a 32-bit hash of its\n"
     "bytes modulo the partition count (README \"Partitions\"); a customer id\n"
     "gives the customer's partition the same way. Computed by slactl itself;\n"
     "slad is not asked.\n"
     "  --partitions N  the partition count, 1..1024 (default: the setting\n"
     "                  partitions of -c CONFIG)\n"
     "With --json: ticket, hash, partitions and partition.\n",
     1, 1, NULL},
};

/* --- the exchange ------------------------------------------------------- */

static int connect_socket(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sun.sun_path) {
        fprintf(stderr, "slactl: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "slactl: socket: %s\n", strerror(errno));
        return -1;
    }
    struct timeval tv = {SLACTL_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        fprintf(stderr, "slactl: cannot reach slad at %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Send req (stolen) and read the response into *resp. 0 or -1 (said why). */
static int exchange(json_t *req, json_t **resp)
{
    unsigned char *frame;
    size_t len;
    char err[256];
    int rc = sla_ctl_encode(req, SLA_CTL_REQUEST, &frame, &len, err, sizeof err);
    json_decref(req);
    if (rc < 0) {
        fprintf(stderr, "slactl: %s\n", err);
        return -1;
    }
    int fd = connect_socket(opt.socket);
    if (fd < 0) {
        free(frame);
        return -1;
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = send(fd, frame + off, len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
            break; /* refused before the request was read: its answer may be waiting */
        if (w <= 0) {
            fprintf(stderr, "slactl: sending to %s: %s\n", opt.socket, strerror(errno));
            free(frame);
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    free(frame);

    size_t cap = 4096, have = 0;
    unsigned char *buf = malloc(cap);
    rc = SLA_CTL_NEED_MORE;
    while (buf && rc == SLA_CTL_NEED_MORE) {
        if (have == cap) {
            cap *= 2;
            if (cap > SLA_CTL_HEADER + SLA_CTL_MAX_RESPONSE + 1)
                cap = SLA_CTL_HEADER + SLA_CTL_MAX_RESPONSE + 1;
            unsigned char *nb = realloc(buf, cap);
            if (nb == NULL)
                break;
            buf = nb;
        }
        ssize_t r = recv(fd, buf + have, cap - have, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                fprintf(stderr, "slactl: slad closed the connection before answering\n");
            else if (errno == EAGAIN || errno == EWOULDBLOCK)
                fprintf(stderr, "slactl: no answer from slad within %d s\n", SLACTL_TIMEOUT_S);
            else
                fprintf(stderr, "slactl: reading from %s: %s\n", opt.socket, strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        have += (size_t)r;
        rc = sla_ctl_decode(buf, have, SLA_CTL_RESPONSE, resp, err, sizeof err);
    }
    close(fd);
    free(buf);
    if (rc != SLA_CTL_MESSAGE) {
        fprintf(stderr, "slactl: unreadable answer from slad: %s\n",
                rc == SLA_CTL_MALFORMED ? err : "out of memory");
        return -1;
    }
    return 0;
}

/* --- command line ------------------------------------------------------- */

/*
 * Read a configuration file's syntax into cf (no setting is checked, no
 * secret file opened). 0, or -1 with the reason on stderr; destroy cf
 * either way.
 */
static int read_config(const char *path, config_t *cf)
{
    config_init(cf);
    char *copy = strdup(path);
    if (copy == NULL)
        return -1;
    config_set_include_dir(cf, dirname(copy));
    int rc = 0;
    if (config_read_file(cf, path) != CONFIG_TRUE) {
        if (config_error_type(cf) == CONFIG_ERR_FILE_IO)
            fprintf(stderr, "slactl: %s: cannot read: %s\n", path, strerror(errno));
        else
            fprintf(stderr, "slactl: %s:%d: %s\n",
                    config_error_file(cf) ? config_error_file(cf) : path,
                    config_error_line(cf), config_error_text(cf));
        rc = -1;
    }
    free(copy);
    return rc;
}

/* control.socket from a configuration file, without loading the rest. */
static int socket_from_config(const char *path, char **out)
{
    config_t cf;
    int rc = -1;
    const char *sock = SLACTL_DEFAULT_SOCKET;
    if (read_config(path, &cf) == 0) {
        config_lookup_string(&cf, "control.socket", &sock);
        *out = strdup(sock);
        rc = *out ? 0 : -1;
    }
    config_destroy(&cf);
    return rc;
}

/* The setting partitions of a configuration file (1 when absent). */
static int partitions_from_config(const char *path, int *out)
{
    config_t cf;
    int rc = -1, n = 1;
    if (read_config(path, &cf) == 0) {
        const config_setting_t *s = config_lookup(&cf, "partitions");
        if (s && (config_setting_type(s) != CONFIG_TYPE_INT ||
                  (n = config_setting_get_int(s)) < 1 || n > SLA_PARTITIONS_MAX)) {
            fprintf(stderr, "slactl: %s: partitions is not a number 1..%d\n", path,
                    SLA_PARTITIONS_MAX);
        } else {
            *out = n;
            rc = 0;
        }
    }
    config_destroy(&cf);
    return rc;
}

/* slactl partition: answered here, from the request build_request made. */
static int partition_command(json_t *req, const char *config)
{
    json_t *args = json_object_get(req, "args");
    const char *id = json_string_value(json_object_get(args, "id"));
    json_t *given = json_object_get(args, "partitions");
    int partitions = 0;
    if (given)
        partitions = (int)json_integer_value(given);
    else if (config == NULL)
        return die_usage("partition: give --partitions N or -c CONFIG");
    else if (partitions_from_config(config, &partitions) < 0)
        return EXIT_TROUBLE;
    size_t len = strlen(id);
    int p = sla_partition_of(id, len, partitions);
    if (opt.json) {
        json_t *out = json_pack("{s:s, s:I, s:i, s:i}", "ticket", id, "hash",
                                (json_int_t)sla_partition_hash(id, len), "partitions",
                                partitions, "partition", p);
        char *text = out ? json_dumps(out, JSON_INDENT(2)) : NULL;
        if (text)
            puts(text);
        free(text);
        json_decref(out);
        if (text == NULL)
            return EXIT_TROUBLE;
    } else {
        printf("%d\n", p);
    }
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_TROUBLE;
}

static void command_help(const slactl_cmd *c, FILE *f)
{
    fprintf(f, "usage: slactl [-s SOCKET | -c CONFIG] [--json] %s\n\n%s", c->synopsis, c->help);
}

/*
 * Who runs slactl, for ack: the login name of the real uid from the user
 * database, or "uid N" when it has none (or the name is not UTF-8).
 */
static json_t *login_name(void)
{
    uid_t uid = getuid();
    struct passwd *pw = getpwuid(uid);
    json_t *name = pw && pw->pw_name && pw->pw_name[0] ? json_string(pw->pw_name) : NULL;
    if (name == NULL) {
        char buf[32];
        snprintf(buf, sizeof buf, "uid %lu", (unsigned long)uid);
        name = json_string(buf);
    }
    return name;
}

/* Parse the command's own options and arguments into a request. */
static int build_request(const slactl_cmd *c, int argc, char **argv, json_t **req)
{
    enum { OPT_WITHIN = 256, OPT_LIMIT, OPT_DEAD, OPT_BY, OPT_FROM, OPT_TO, OPT_METRIC, OPT_CSV,
           OPT_KIND, OPT_PARTITIONS };
    static const struct option options[] = {
        {"kind", required_argument, NULL, OPT_KIND},
        {"within", required_argument, NULL, OPT_WITHIN},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"dead", no_argument, NULL, OPT_DEAD},
        {"by", required_argument, NULL, OPT_BY},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"metric", required_argument, NULL, OPT_METRIC},
        {"csv", no_argument, NULL, OPT_CSV},
        {"partitions", required_argument, NULL, OPT_PARTITIONS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    json_t *args = json_object();
    int o;
    optind = 0; /* 0: glibc starts afresh, permuting (options may follow the arguments) */
    opterr = 0;
    while ((o = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        int report = strcmp(c->name, "report") == 0;
        int allowed = (o == OPT_WITHIN && strcmp(c->name, "due") == 0) ||
                      (report && (o == OPT_FROM || o == OPT_TO || o == OPT_METRIC ||
                                  o == OPT_CSV || o == OPT_BY)) ||
                      (o == OPT_DEAD && strcmp(c->name, "deliveries") == 0) ||
                      (o == OPT_BY && strcmp(c->name, "ack") == 0) ||
                      (o == OPT_KIND && (strcmp(c->name, "due") == 0 ||
                                         strcmp(c->name, "breached") == 0 ||
                                         strcmp(c->name, "ack") == 0)) ||
                      (o == OPT_PARTITIONS && strcmp(c->name, "partition") == 0) ||
                      (o == OPT_LIMIT && (strcmp(c->name, "due") == 0 ||
                                          strcmp(c->name, "breached") == 0 ||
                                          strcmp(c->name, "deliveries") == 0)) ||
                      o == 'h';
        if (!allowed) {
            json_decref(args);
            return die_usage("%s: unknown option '%s'", c->name, argv[optind - 1]);
        }
        if (o == 'h') {
            command_help(c, stdout);
            json_decref(args);
            *req = NULL;
            return EXIT_OK;
        }
        if (o == OPT_WITHIN) {
            sla_span span;
            char err[128];
            if (sla_span_parse(optarg, &span, err, sizeof err) < 0 || span.rings) {
                json_decref(args);
                return die_usage("due: bad duration '%s' for --within", optarg);
            }
            json_object_set_new(args, "within_ms", json_integer(sla_span_plain_ms(&span, 0)));
        } else if (o == OPT_LIMIT) {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end != '\0' || n < 1 || n > 1000) {
                json_decref(args);
                return die_usage("%s: --limit takes a number 1..1000", c->name);
            }
            json_object_set_new(args, "limit", json_integer(n));
        } else if (o == OPT_KIND) {
            if (strcmp(optarg, "ticket") != 0 && strcmp(optarg, "customer") != 0) {
                json_decref(args);
                return die_usage("%s: --kind takes ticket or customer", c->name);
            }
            json_object_set_new(args, "kind", json_string(optarg));
        } else if (o == OPT_PARTITIONS) {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end != '\0' || n < 1 || n > SLA_PARTITIONS_MAX) {
                json_decref(args);
                return die_usage("partition: --partitions takes a number 1..%d", SLA_PARTITIONS_MAX);
            }
            json_object_set_new(args, "partitions", json_integer(n));
        } else if (o == OPT_DEAD) {
            json_object_set_new(args, "dead", json_true());
        } else if (o == OPT_CSV) {
            opt.csv = 1;
        } else if (o == OPT_FROM || o == OPT_TO || o == OPT_METRIC || (o == OPT_BY && report)) {
            json_t *val = json_string(optarg);
            if (val == NULL) {
                json_decref(args);
                return die_usage("report: argument is not valid UTF-8");
            }
            json_object_set_new(args,
                                o == OPT_FROM     ? "from"
                                : o == OPT_TO     ? "to"
                                : o == OPT_METRIC ? "metric"
                                                  : "by",
                                val);
        } else if (o == OPT_BY) {
            json_t *by = json_string(optarg);
            if (by == NULL || optarg[0] == '\0') {
                json_decref(by);
                json_decref(args);
                return die_usage("ack: --by takes a name in UTF-8");
            }
            json_object_set_new(args, "by", by);
        }
    }
    int npos = argc - optind;
    if (npos < c->min_args || npos > c->max_args) {
        json_decref(args);
        fprintf(stderr, "slactl: %s: wrong number of arguments\n", c->name);
        command_help(c, stderr);
        return EXIT_TROUBLE;
    }
    char **pos = argv + optind;
    for (int i = 0; i < npos; i++) {
        json_t *utf8 = json_string(pos[i]);
        if (utf8 == NULL) {
            json_decref(args);
            return die_usage("%s: argument is not valid UTF-8", c->name);
        }
        json_decref(utf8);
    }
    if (strcmp(c->name, "ticket") == 0 || strcmp(c->name, "customer") == 0 ||
        strcmp(c->name, "replay") == 0 || strcmp(c->name, "partition") == 0) {
        json_object_set_new(args, "id", json_string(pos[0]));
    } else if (strcmp(c->name, "ack") == 0) {
        /* The id under its kind's name (ack takes no "kind" of its own). */
        json_t *kind = json_object_get(args, "kind");
        int customer = kind && strcmp(json_string_value(kind), "customer") == 0;
        json_object_set_new(args, customer ? "customer" : "ticket", json_string(pos[0]));
        json_object_del(args, "kind");
        if (npos > 1)
            json_object_set_new(args, "metric", json_string(pos[1]));
        if (json_object_get(args, "by") == NULL)
            json_object_set_new(args, "by", login_name());
    }
    *req = sla_ctl_request_new(c->name, args);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"socket", required_argument, NULL, 's'},
        {"config", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    char *from_config = NULL;
    int o;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+s:c:h", options, NULL)) != -1) {
        switch (o) {
        case 's': opt.socket = optarg; break;
        case 'c': config = optarg; break;
        case 'j': opt.json = 1; break;
        case 'h': fputs(usage_text, stdout); return EXIT_OK;
        case '?':
        default:
            if (optopt && strchr("sc", optopt))
                return die_usage("option -%c needs an argument", optopt);
            return die_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (opt.socket && config)
        return die_usage("-s and -c exclude each other");
    if (optind >= argc)
        return die_usage("no command given");
    const char *name = argv[optind];
    const slactl_cmd *cmd = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            cmd = &commands[i];
    if (cmd == NULL)
        return die_usage("unknown command '%s'", name);

    /* --json may also come after the command. */
    int cargc = 0;
    char **cargv = calloc((size_t)(argc - optind) + 1, sizeof *cargv);
    if (cargv == NULL)
        return EXIT_TROUBLE;
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            opt.json = 1;
        else
            cargv[cargc++] = argv[i];
    }
    json_t *req = NULL;
    int rc = build_request(cmd, cargc, cargv, &req);
    free(cargv);
    if (rc != EXIT_OK || req == NULL)
        return rc;
    if (strcmp(cmd->name, "partition") == 0) {
        rc = partition_command(req, config);
        json_decref(req);
        return rc;
    }

    if (config) {
        if (socket_from_config(config, &from_config) < 0) {
            json_decref(req);
            return EXIT_TROUBLE;
        }
        opt.socket = from_config;
    }
    if (opt.socket == NULL)
        opt.socket = SLACTL_DEFAULT_SOCKET;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    opt.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

    json_t *resp = NULL;
    if (exchange(req, &resp) < 0) {
        free(from_config);
        return EXIT_TROUBLE;
    }
    free(from_config);
    if (!sla_ctl_response_is_ok(resp)) {
        char e[1024];
        fprintf(stderr, "slactl: %s\n",
                clean(sla_ctl_response_error_text(resp), e, sizeof e));
        json_decref(resp);
        return EXIT_REFUSED;
    }
    json_t *data = sla_ctl_response_data(resp);
    if (opt.json) {
        char *text = json_dumps(data, JSON_INDENT(2) | JSON_ENCODE_ANY);
        if (text) {
            puts(text);
            free(text);
        }
        rc = EXIT_OK;
    } else {
        rc = cmd->print(data);
    }
    json_decref(resp);
    if (fflush(stdout) != 0)
        rc = EXIT_TROUBLE;
    return rc;
}
