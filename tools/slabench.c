/*
 * slabench — slad's end-to-end figures, each beside a baseline or a
 * target, measured in one run on one machine.
 *
 *   slabench [--smoke] [--entries N] [--open N] [--customers N] [--due N]
 *            [--deliveries N]
 *            [--backlog N] [--window MS] [--lead MS] [--huge N] [--huge-mb M]
 *            [--slad PATH]
 *            [--norms PATH] [--redis-server PATH] [--timeout S] [--keep]
 *            [--json-only]
 *
 * Everything runs inside a fresh temporary directory, nothing shared:
 *
 *   redis-server  listening only on DIR/redis.sock, --save "" --appendonly no
 *   sink          a thread of slabench: HTTP/1.1 keep-alive on a free
 *                 loopback port (epoll); answers every request
 *                 "200 OK" with an empty body and counts them
 *   slad          DIR/slad.conf: redis -> the private socket, stream.batch
 *                 1000, http off, control socket in DIR, the receivers of
 *                 conf/slad.conf posting to the sink, and the shipped
 *                 norms (norms.conf linked next to it: libconfig 1.5
 *                 includes relative names only)
 *
 * Phases, in order; each starts from what the one before left:
 *
 *   1. ingest    N entries of a realistic mix (tickets opened on every
 *                channel, replies, updates, resolutions, closes) loaded
 *                with pipelined XADD. The ceiling: a bare hiredis consumer
 *                (group "bench-ceiling") reads them with XREADGROUP COUNT
 *                1000 and acknowledges each batch with XACK. Then slad
 *                (group "slad") reads the same entries; XINFO GROUPS,
 *                polled every 0.5 ms, times it from its first read
 *                until nothing is pending and the last delivered id is
 *                the last entry. Both rates leave out the first batch, so
 *                they count the same way.
 *   2. memory    FLUSHALL; slad on an empty state: its RSS and Redis's
 *                used_memory. Then N open tickets (email, general: 24 h
 *                targets, nothing falls due) consumed, the event stream
 *                trimmed, and both again.
 *   3. restart   SIGTERM; time from spawning slad again to its "ready"
 *                log line (the state hash read back, the group joined).
 *   3b. customers  with --customers C (default 0: skipped), C customers
 *                signed (tier, industry, owner, a contract end 100..465
 *                days ahead: five relationship clocks running each, as
 *                bench_engine's customers; nothing falls due) into the
 *                restarted slad, the stream trimmed: slad's RSS and
 *                Redis's used_memory per customer, from the figures
 *                after the restart. The customers stay open for the
 *                phases after (a deployment holds both kinds).
 *   4. lateness  D chat tickets (first reply within 30 s) whose deadlines
 *                are spread over a window starting a few seconds ahead;
 *                after the window, late_ms of each breach record (the
 *                decision, fired_ms - deadline_ms - 1: a breach is due
 *                1 ms after its deadline), and the record's entry id time
 *                minus that due time (when it was in Redis). Deliveries
 *                of those breaches run meanwhile, as in production.
 *   4b. queried  the lateness phase again (tickets "Q-"), while four
 *                clients, one thread each, repeat over the control socket
 *                `due --limit 1000`, `breached --limit 1000` (the D-
 *                breaches are still running), `ticket ID` and `reload`
 *                back to back: lateness beside the quiet figure of phase
 *                4, at the open-ticket count of phase 2, and each query's
 *                mean and max answer time (reloads: how many were applied
 *                and how many refused while the last was being applied).
 *   4c. huge     the lateness phase again (tickets "H-"), while a client
 *                pushes H entries (--huge) with one value of M MB each
 *                (--huge-mb), evenly over the window. slad's limits turn
 *                each into a dead letter holding a bounded excerpt: the
 *                lateness beside the quiet figure of phase 4 and their
 *                ratio, the dead letters and their bytes in sla:dead, the
 *                time the XADDs took, slad's RSS before and after (the
 *                phase's own D tickets included). The huge entries
 *                are then deleted from sla:events, so the phases after
 *                run on the same Redis memory as without them.
 *   5. delivery  once the outbox is drained: X chat tickets already past
 *                their deadline, so X breach records at once; the sink's
 *                request rate from the first to the X-th request.
 *   6. catch-up  FLUSHALL; slad started until ready and stopped. While it
 *                is down, a backlog of K entries: phone calls ringing at
 *                their load time, half of them ("B-") answered 1 s later
 *                (their call.answered a few read batches after the
 *                ringing), a few ("U-") never answered; all of it in Redis
 *                before the first pickup deadline (3 rings, 15 s). Once
 *                the last deadline has passed, slad again: spawn to ready,
 *                ready to everything consumed, the rate against phase 1's,
 *                when the U- breaches are recorded and their late_ms, and
 *                the records of B- tickets: any is a false breach, a
 *                deadline fired before the entry that met it was applied.
 *
 * Beside the ingest, restart and catch-up figures it prints the CPU time
 * slad, Redis and the bare consumer used (/proc/PID/stat): their sum
 * against the wall time shows whether they worked in turn or side by side.
 *
 * A benchmark, not a test: it prints figures and never fails on them; it
 * exits 1 only when a measurement could not be made (slad died, a wait
 * timed out). Durations use CLOCK_MONOTONIC; ts, deadlines and fired_ms
 * are wall-clock milliseconds, as slad writes them.
 *
 * Every wait is bounded in time. Every process slabench starts is stopped
 * by the exit path (atexit: SIGTERM, then SIGKILL, then waitpid), after a
 * fatal error too; SIGINT/SIGTERM/SIGHUP make the handler SIGKILL the
 * children and the main loop exit through the same path; the children
 * also die with slabench (PR_SET_PDEATHSIG).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "sla_partition.h"

#ifndef SLABENCH_SOURCE_DIR
#define SLABENCH_SOURCE_DIR "."
#endif

#define BENCH_PREFIX "sla:"
#define BENCH_EVENTS BENCH_PREFIX "events"
#define BENCH_STATE BENCH_PREFIX "state"
#define BENCH_ESCALATIONS BENCH_PREFIX "escalations"
#define BENCH_DEAD BENCH_PREFIX "dead"
#define BENCH_GROUP "slad"
#define BENCH_DELIVER_GROUP BENCH_GROUP "-deliver"
#define BENCH_CEILING_GROUP "bench-ceiling"
#define BENCH_BATCH 1000          /* XREADGROUP COUNT of both consumers */
#define BENCH_CHAT_TARGET_MS 30000 /* norms.conf: chat, first reply within 30 s */
#define BENCH_PICKUP_TARGET_MS 15000 /* norms.conf: phone, 3 rings of 5 s (the default) */
#define BENCH_ANSWER_MS 1000      /* a B- call is answered 1 s after it rang */
#define BENCH_ANSWER_GAP 5000     /* ringings, then their answers: 5 read batches apart */
#define BENCH_UNANSWERED 1000     /* U- calls of the backlog, at most */
#define BENCH_MAX_ARGS 32
#define BENCH_INSTANCES_MAX 8     /* slad instances of --instances, at most */

/* ------------------------------------------------------------------------ */
/* options and results                                                      */

static struct {
    long entries, open, customers, due, deliveries, backlog;
    long huge, huge_mb;       /* 4c: entries with one value of huge_mb MB */
    int lead_ms, window_ms;
    int timeout_s;            /* base limit of every wait; sizes add to it */
    const char *slad, *norms, *redis_server;
    int keep, json_only, smoke;
} opt = {
    .entries = 1000000, .open = 1000000, .due = 100000, .deliveries = 100000, .backlog = 1000000,
    .huge = 20, .huge_mb = 8,
    .lead_ms = 5000, .window_ms = 10000, .timeout_s = 120,
    .redis_server = "redis-server",
};

typedef struct stats3 {
    long n;
    int64_t p50, p99, max;
} stats3;

static struct {
    char redis_version[32];
    long cpus;
    double loadavg;           /* 1-minute load average at the start */
    long mix_opened[4], mix_events;
    /* 1. ingest */
    double ceiling_eps, slad_eps, ratio;
    long ceiling_counted, slad_counted;
    double ceiling_s, slad_s;
    double ceiling_cpu_redis, ceiling_cpu_self; /* CPU seconds during the ceiling */
    double slad_cpu_slad, slad_cpu_redis;       /* and during slad's ingest */
    /* 2. memory */
    long rss0_kb, rss1_kb, rss_restored_kb;
    long long used0, used1, state_usage;
    long long used_untrimmed;  /* used_memory with the open tickets' events still there */
    /* 3b. customers: after the restart, then with the customers open */
    long long c_used0, c_used1, c_state_usage;
    long c_rss1_kb;
    double c_load_s;
    double open_load_s;
    /* 3. restart */
    double restart_ms;
    long restored, restore_load_ms;
    double restart_cpu_slad, restart_cpu_redis;
    /* 4. lateness */
    stats3 fired, recorded;
    long late_missing;
    double due_ingest_ms;     /* from the first XADD to all consumed */
    int due_ingested_in_time;
    long window_deliveries;
    /* 4b. lateness while clients query */
    stats3 q_fired;
    long q_missing;
    long q_n[4], q_failed[4]; /* by Q_* below; for Q_RELOAD failed = refused */
    double q_mean_ms[4], q_max_ms[4];
    /* 4c. lateness during a burst of huge entries */
    stats3 h_fired;
    long h_missing;
    long h_pushed, h_failed;  /* huge XADDs that succeeded / failed */
    double h_push_ms;         /* time the XADDs took, in all */
    long h_dead;              /* dead letters written meanwhile */
    long long h_dead_bytes;   /* their fields and values, in bytes */
    long h_rss0_kb, h_rss_kb; /* slad's RSS before and after the phase */
    /* 5. delivery */
    int delivery_measured;
    char delivery_note[320];
    double delivery_rps, delivery_s, delivery_e2e_s;
    long delivered;
    /* 6. catch-up */
    long backlog, answered_calls, unanswered;
    double backlog_load_s;
    int64_t backlog_margin_ms; /* first deadline minus the last entry's id time */
    int backlog_in_time;
    double catchup_ready_ms, catchup_consumed_s; /* spawn to ready, ready to consumed */
    double catchup_eps, catchup_ratio, catchup_s;
    long catchup_counted;
    double catchup_cpu_slad, catchup_cpu_redis, catchup_wall_s;
    stats3 catchup_late;               /* late_ms of the U- breaches */
    long catchup_missing;              /* U- breaches not recorded */
    int64_t catchup_recorded_ms;       /* ready to the last U- breach's entry id */
    long false_records;                /* records of any kind for B- tickets */
} res;

/* ------------------------------------------------------------------------ */
/* clocks, messages                                                         */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double secs_since(int64_t t0_ns)
{
    return (double)(mono_ns() - t0_ns) / 1e9;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void progress(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("slabench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("slabench: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1); /* the atexit handler stops the children */
}

/* The limit of a wait that handles n items: the base plus 1 s per 2,000. */
static double budget_s(long n)
{
    return (double)opt.timeout_s + (double)n / 2000.0;
}

/* ------------------------------------------------------------------------ */
/* children: spawn, stop, clean up                                          */

static volatile sig_atomic_t interrupted;
static volatile pid_t child_redis = -1, child_slad = -1;
static volatile pid_t child_inst[BENCH_INSTANCES_MAX]; /* --instances; 0 or -1: none */
static char dir[PATH_MAX];
static char redis_sock[PATH_MAX + 64];
static pid_t parent_pid;

static void on_signal(int sig)
{
    interrupted = sig;
    if (child_slad > 0)
        kill(child_slad, SIGKILL);
    for (int i = 0; i < BENCH_INSTANCES_MAX; i++)
        if (child_inst[i] > 0)
            kill(child_inst[i], SIGKILL);
    if (child_redis > 0)
        kill(child_redis, SIGKILL);
}

static void check_interrupted(void)
{
    if (interrupted)
        die("interrupted by signal %d", (int)interrupted);
}

/* fork + exec with stdout and stderr appended to log; the child dies with us. */
static pid_t spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid > 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent_pid)
        _exit(127);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    int in = open("/dev/null", O_RDONLY);
    int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0)
        _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    close(in);
    close(out);
    execvp(argv[0], argv);
    dprintf(2, "slabench: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Signal, wait up to grace_ms, then SIGKILL; returns the wait status. */
static int stop_child(volatile pid_t *pidp, int sig, int grace_ms)
{
    pid_t pid = *pidp;
    int status = 0;
    if (pid <= 0)
        return 0;
    kill(pid, sig);
    int64_t until = mono_ns() + (int64_t)grace_ms * 1000000;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid || (w < 0 && errno == ECHILD))
            break;
        if (mono_ns() > until) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        sleep_us(5000);
    }
    *pidp = -1;
    return status;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

static void cleanup(void)
{
    if (getpid() != parent_pid)
        return;
    stop_child(&child_slad, SIGTERM, 5000);
    for (int i = 0; i < BENCH_INSTANCES_MAX; i++)
        stop_child(&child_inst[i], SIGTERM, 5000);
    stop_child(&child_redis, SIGTERM, 3000);
    if (dir[0] == '\0')
        return;
    if (opt.keep)
        progress("kept %s", dir);
    else
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------------------ */
/* redis                                                                    */

static redisContext *redis_open(int timeout_s)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectUnixWithTimeout(redis_sock, tv);
    if (c == NULL || c->err) {
        if (c)
            redisFree(c);
        return NULL;
    }
    struct timeval cmd = {timeout_s, 0};
    redisSetTimeout(c, cmd);
    return c;
}

/* A command whose error reply is returned to the caller. */
static redisReply *rcmd_any(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (r == NULL) {
        check_interrupted();
        die("redis: %s (command \"%s\")", c->errstr, fmt);
    }
    return r;
}

/* A command that must succeed. */
static redisReply *rcmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (r == NULL) {
        check_interrupted();
        die("redis: %s (command \"%s\")", c->errstr, fmt);
    }
    if (r->type == REDIS_REPLY_ERROR)
        die("redis: %s (command \"%s\")", r->str, fmt);
    return r;
}

static long long reply_ll(const redisReply *r)
{
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
        return strtoll(r->str, NULL, 10);
    return -1;
}

/* A field of INFO's text ("used_memory:123"), as a number. */
static long long info_field(redisContext *c, const char *section, const char *name)
{
    redisReply *r = rcmd(c, "INFO %s", section);
    long long v = -1;
    size_t nlen = strlen(name);
    for (const char *p = r->str; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, name, nlen) == 0 && p[nlen] == ':') {
            v = strtoll(p + nlen + 1, NULL, 10);
            break;
        }
    freeReplyObject(r);
    return v;
}

static void redis_start(void)
{
    char log[PATH_MAX + 64];
    snprintf(redis_sock, sizeof redis_sock, "%s/redis.sock", dir);
    snprintf(log, sizeof log, "%s/redis.log", dir);
    char *argv[] = {(char *)opt.redis_server, "--port", "0", "--unixsocket", redis_sock,
                    "--unixsocketperm", "700", "--dir", dir, "--save", "",
                    "--appendonly", "no", "--daemonize", "no", "--logfile", log, NULL};
    child_redis = spawn(argv, log);
    int64_t t0 = mono_ns();
    for (;;) {
        check_interrupted();
        int status;
        if (waitpid(child_redis, &status, WNOHANG) == child_redis) {
            child_redis = -1;
            die("%s exited at start (see %s; is it installed?)", opt.redis_server, log);
        }
        redisContext *c = redis_open(5);
        if (c) {
            redisReply *r = redisCommand(c, "PING");
            int ok = r && r->type == REDIS_REPLY_STATUS;
            if (r)
                freeReplyObject(r);
            redisFree(c);
            if (ok)
                return;
        }
        if (secs_since(t0) > 10)
            die("redis-server did not answer PING within 10 s (see %s)", log);
        sleep_us(10000);
    }
}

/* ------------------------------------------------------------------------ */
/* pipelined loading                                                        */

typedef struct gen_entry {
    int argc;
    const char *argv[BENCH_MAX_ARGS];
    size_t lens[BENCH_MAX_ARGS];
    char buf[1024];
    size_t used;
} gen_entry;

static void ge_add(gen_entry *g, const char *s)
{
    g->argv[g->argc] = s;
    g->lens[g->argc++] = strlen(s);
}

static void ge_addf(gen_entry *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ge_addf(gen_entry *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = g->buf + g->used;
    int n = vsnprintf(p, sizeof g->buf - g->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof g->buf - g->used)
        die("generated entry too large");
    g->used += (size_t)n + 1;
    g->argv[g->argc] = p;
    g->lens[g->argc++] = (size_t)n;
}

/* Fills the field/value pairs of entry i (after "XADD key *"). */
typedef void gen_fn(void *state, long i, int64_t now_ms, gen_entry *g);

static double load_spread(redisContext *c, int partitions, long n, gen_fn *fn, void *state,
                          char (*last)[48], const char *what);

/* XADD n entries to sla:events, 1,000 per round trip; the last id into last_id. */
static double load_entries(redisContext *c, long n, gen_fn *fn, void *state, char *last_id,
                           size_t last_cap, const char *what)
{
    char last[1][48];
    double s = load_spread(c, 1, n, fn, state, last, what);
    if (last_id)
        snprintf(last_id, last_cap, "%s", last[0]);
    return s;
}

/* The fields every generated entry starts with: ticket prefix + k, type, ts. */
static void gen_head(gen_entry *g, const char *prefix, int digits, long k, const char *type,
                     int64_t ts)
{
    ge_add(g, "ticket");
    ge_addf(g, "%s%0*ld", prefix, digits, k);
    ge_add(g, "type");
    ge_add(g, type);
    ge_add(g, "ts");
    ge_addf(g, "%" PRId64, ts);
}

/* The attributes of an opening entry of ticket number k. */
static void gen_attrs(gen_entry *g, const char *channel, const char *category, long k)
{
    ge_add(g, "channel");
    ge_add(g, channel);
    ge_add(g, "category");
    ge_add(g, category);
    ge_add(g, "customer");
    ge_addf(g, "C%06ld", k % 200000);
    ge_add(g, "group");
    ge_addf(g, "team-%02ld", k % 40);
}

/* --- the realistic mix ----------------------------------------------------
 * A pool of ticket slots; each entry advances the script of a random slot
 * by one event, and a finished script starts a new ticket there, so about
 * "slots" tickets are open at a time and their events interleave. */

enum { CH_CHAT, CH_EMAIL, CH_PHONE, CH_SOCIAL, CH_COUNT };
static const char *const channel_names[CH_COUNT] = {"chat", "email", "phone", "social"};
static const char *const scripts[CH_COUNT][8] = {
    [CH_CHAT] = {"ticket.opened", "agent.reply", "customer.message", "agent.reply",
                 "ticket.resolved", "ticket.closed", NULL},
    [CH_EMAIL] = {"ticket.opened", "agent.reply", "ticket.updated", "agent.update",
                  "ticket.resolved", "ticket.closed", NULL},
    [CH_PHONE] = {"call.ringing", "call.answered", "agent.update", "ticket.resolved",
                  "ticket.closed", NULL},
    [CH_SOCIAL] = {"ticket.opened", "agent.reply", "customer.message", "agent.reply",
                   "ticket.resolved", "ticket.closed", NULL},
};
static const char *const priorities[] = {"high", "medium", "low", "medium"};
static const char *const email_categories[] = {"general", "technical", "complaint", "general"};
static const char *const social_categories[] = {"general", "complaint", "general", "general"};

typedef struct mix_slot {
    long ticket;
    int channel;
    int step; /* next event of the script; -1: start a new ticket */
} mix_slot;

typedef struct mix_state {
    mix_slot *slots;
    long nslots;
    long next_ticket;
    uint64_t rng;
} mix_state;

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: deterministic, so runs load the same entries. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* The mix for n entries, the same every run; free m->slots after. */
static void mix_init(mix_state *m, long n)
{
    *m = (mix_state){.nslots = n / 20 > 10000 ? 10000 : n / 20 + 1, .next_ticket = 1,
                     .rng = 0x5eed5eed12345678ULL};
    m->slots = calloc((size_t)m->nslots, sizeof *m->slots);
    if (m->slots == NULL)
        die("out of memory");
    for (long i = 0; i < m->nslots; i++)
        m->slots[i].step = -1;
}

static void gen_mix(void *state, long i, int64_t now, gen_entry *g)
{
    mix_state *m = state;
    mix_slot *s = &m->slots[rng_next(&m->rng) % (uint64_t)m->nslots];
    if (s->step < 0) {
        unsigned pick = (unsigned)(rng_next(&m->rng) % 100);
        s->channel = pick < 40 ? CH_CHAT : pick < 65 ? CH_EMAIL : pick < 90 ? CH_PHONE : CH_SOCIAL;
        s->ticket = m->next_ticket++;
        s->step = 0;
        res.mix_opened[s->channel]++;
    }
    const char *type = scripts[s->channel][s->step];
    uint64_t r = rng_next(&m->rng);
    gen_head(g, "M-", 8, s->ticket, type, now);
    if (s->step == 0) {
        const char *category = s->channel == CH_EMAIL    ? email_categories[r % 4]
                               : s->channel == CH_SOCIAL ? social_categories[r % 4]
                                                         : "general";
        ge_add(g, "channel");
        ge_add(g, channel_names[s->channel]);
        ge_add(g, "priority");
        ge_add(g, priorities[(r >> 8) % 4]);
        ge_add(g, "category");
        ge_add(g, category);
        ge_add(g, "customer");
        ge_addf(g, "C%06ld", (long)((r >> 16) % 200000));
        ge_add(g, "group");
        ge_addf(g, "team-%02d", (int)((r >> 40) % 40));
    } else if (strcmp(type, "agent.reply") == 0 || strcmp(type, "call.answered") == 0) {
        ge_add(g, "assignee");
        ge_addf(g, "agent-%03d", (int)((r >> 16) % 500));
    } else if (strcmp(type, "ticket.updated") == 0) {
        ge_add(g, "assignee");
        ge_addf(g, "agent-%03d", (int)((r >> 16) % 500));
        ge_add(g, "priority");
        ge_add(g, priorities[(r >> 8) % 4]);
    }
    s->step++;
    if (scripts[s->channel][s->step] == NULL)
        s->step = -1;
    res.mix_events++;
}

/* Customers signed, their contract ending 100..465 days ahead (as
 * bench_engine's customers): nothing falls due during the run. */
static const char *const customer_tiers[] = {"vip", "ordinary", "ordinary", "potential"};
static const char *const customer_industries[] = {"retail", "finance", "manufacturing"};

static void gen_customer(void *state, long i, int64_t now, gen_entry *g)
{
    (void)state;
    ge_add(g, "customer");
    ge_addf(g, "CU-%08ld", i);
    ge_add(g, "type");
    ge_add(g, "customer.signed");
    ge_add(g, "ts");
    ge_addf(g, "%" PRId64, now);
    ge_add(g, "tier");
    ge_add(g, customer_tiers[i % 4]);
    ge_add(g, "industry");
    ge_add(g, customer_industries[i % 3]);
    ge_add(g, "owner");
    ge_addf(g, "am-%ld", i % 300);
    ge_add(g, "contract_end");
    ge_addf(g, "%" PRId64, now + (int64_t)(100 + i % 365) * 86400000);
}

/* Tickets open far ahead of every deadline: email, general (24 h). */
static void gen_open(void *state, long i, int64_t now, gen_entry *g)
{
    gen_head(g, "O-", 8, i, "ticket.opened", now);
    gen_attrs(g, "email", "general", i);
    ge_add(g, "assignee");
    ge_addf(g, "agent-%03ld", i % 500);
}

/* Chat tickets whose first-reply deadline is due_first + i * span / n. */
typedef struct due_state {
    const char *prefix;
    int64_t first_deadline_ms;
    int64_t span_ms;
    long n;
} due_state;

static void gen_due(void *state, long i, int64_t now, gen_entry *g)
{
    const due_state *d = state;
    int64_t deadline = d->first_deadline_ms + (d->n > 1 ? d->span_ms * i / (d->n - 1) : 0);
    gen_head(g, d->prefix, 7, i, "ticket.opened", deadline - BENCH_CHAT_TARGET_MS);
    gen_attrs(g, "chat", "general", i);
}

/* --- the catch-up backlog ---------------------------------------------------
 * n entries: u "U-" calls that ring and are never answered, one every
 * n / u entries, and between them "B-" calls in blocks of up to
 * BENCH_ANSWER_GAP ringings followed by their answers, in the same order.
 * So an answer is read a few batches after its ringing: a slad that fired
 * by the wall clock between batches would breach it first. */

typedef struct backlog_state {
    long u, b;           /* U- calls; B- calls (2 entries each) */
    long stride;         /* one U- ringing every stride entries */
    long u_next, b_pos;  /* next U- number; B- entries written */
    int64_t first_ring_ms, last_ring_ms;
    int64_t ring_ms[BENCH_ANSWER_GAP]; /* ts of the current block's ringings */
} backlog_state;

static void backlog_init(backlog_state *s, long n)
{
    memset(s, 0, sizeof *s);
    s->u = n / 20 < BENCH_UNANSWERED ? n / 20 : BENCH_UNANSWERED;
    s->b = (n - s->u) / 2;
    s->stride = (s->u + 2 * s->b) / s->u;
    s->first_ring_ms = -1;
}

static long backlog_entries(const backlog_state *s)
{
    return s->u + 2 * s->b;
}

static void gen_backlog(void *state, long i, int64_t now, gen_entry *g)
{
    backlog_state *s = state;
    long k; /* the ticket's number */
    if (s->u_next < s->u && i % s->stride == s->stride / 2) {
        k = s->u_next++;
        gen_head(g, "U-", 7, k, "call.ringing", now);
    } else {
        long block = s->b_pos / (2 * BENCH_ANSWER_GAP), w = s->b_pos % (2 * BENCH_ANSWER_GAP);
        long first = block * BENCH_ANSWER_GAP;
        long len = s->b - first < BENCH_ANSWER_GAP ? s->b - first : BENCH_ANSWER_GAP;
        s->b_pos++;
        if (w >= len) {
            k = first + w - len;
            gen_head(g, "B-", 7, k, "call.answered", s->ring_ms[w - len] + BENCH_ANSWER_MS);
            ge_add(g, "assignee");
            ge_addf(g, "agent-%03ld", k % 500);
            return;
        }
        k = first + w;
        gen_head(g, "B-", 7, k, "call.ringing", now);
        s->ring_ms[w] = now;
    }
    if (s->first_ring_ms < 0)
        s->first_ring_ms = now;
    s->last_ring_ms = now;
    gen_attrs(g, "phone", "general", k);
}

/* ------------------------------------------------------------------------ */
/* consumer groups                                                          */

typedef struct group_info {
    int found;
    long long pending, entries_read, lag; /* -1: nil */
    char last[48];
} group_info;

static void group_get(redisContext *c, const char *key, const char *group, group_info *gi)
{
    memset(gi, 0, sizeof *gi);
    redisReply *r = rcmd_any(c, "XINFO GROUPS %s", key);
    if (r->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(r); /* "no such key": not there yet */
        return;
    }
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *g = r->element[i];
        if (g->type != REDIS_REPLY_ARRAY)
            continue;
        const redisReply *name = NULL;
        for (size_t k = 0; k + 1 < g->elements; k += 2)
            if (strcmp(g->element[k]->str, "name") == 0)
                name = g->element[k + 1];
        if (name == NULL || name->type != REDIS_REPLY_STRING || strcmp(name->str, group) != 0)
            continue;
        gi->found = 1;
        gi->entries_read = gi->lag = -1;
        for (size_t k = 0; k + 1 < g->elements; k += 2) {
            const char *f = g->element[k]->str;
            const redisReply *v = g->element[k + 1];
            if (strcmp(f, "pending") == 0)
                gi->pending = reply_ll(v);
            else if (strcmp(f, "entries-read") == 0)
                gi->entries_read = v->type == REDIS_REPLY_NIL ? -1 : reply_ll(v);
            else if (strcmp(f, "lag") == 0)
                gi->lag = v->type == REDIS_REPLY_NIL ? -1 : reply_ll(v);
            else if (strcmp(f, "last-delivered-id") == 0 && v->type == REDIS_REPLY_STRING)
                snprintf(gi->last, sizeof gi->last, "%s", v->str);
        }
        break;
    }
    freeReplyObject(r);
}

/* The id of the last entry of a stream ("" when empty). */
static void stream_last_id(redisContext *c, const char *key, char *out, size_t cap)
{
    redisReply *r = rcmd(c, "XREVRANGE %s + - COUNT 1", key);
    out[0] = '\0';
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->elements >= 1)
        snprintf(out, cap, "%s", r->element[0]->element[0]->str);
    freeReplyObject(r);
}

/* ------------------------------------------------------------------------ */
/* slad                                                                     */

static char slad_log[PATH_MAX + 64], slad_conf[PATH_MAX + 64];
static off_t slad_log_mark;

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

/* Bytes of slad's log written since its last start (malloc'd, NUL-terminated). */
static char *slad_log_since_start(void)
{
    FILE *f = fopen(slad_log, "r");
    if (f == NULL)
        return calloc(1, 1);
    fseek(f, slad_log_mark, SEEK_SET);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            char *b = realloc(buf, cap * 2);
            if (b == NULL)
                break;
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

static void slad_died(const char *while_doing)
{
    char *log = slad_log_since_start();
    size_t len = log ? strlen(log) : 0;
    fprintf(stderr, "slabench: slad's log (last lines):\n%s\n",
            log ? log + (len > 3000 ? len - 3000 : 0) : "");
    free(log);
    die("slad exited while %s", while_doing);
}

static void slad_check_alive(const char *while_doing)
{
    int status;
    if (child_slad > 0 && waitpid(child_slad, &status, WNOHANG) == child_slad) {
        child_slad = -1;
        slad_died(while_doing);
    }
    check_interrupted();
}

/* What every configuration slabench writes says after its own first lines:
 * the private Redis, the stream read as consumer, control socket
 * DIR/<sock>.sock, no HTTP, the receivers posting to the sink, the
 * shipped norms. */
static void slad_config_common(FILE *f, const char *consumer, const char *sock, int sink_port)
{
    fprintf(f,
            "redis = { unix_socket = \"%s\"; db = 0; connect_timeout = 2000; };\n"
            "stream = { prefix = \"" BENCH_PREFIX "\"; group = \"" BENCH_GROUP "\";\n"
            "           consumer = \"%s\"; batch = %d; block = 2000; };\n"
            "control = { socket = \"%s/%s.sock\"; };\n"
            "http = { listen = \"\"; };\n"
            "receivers = (\n",
            redis_sock, consumer, BENCH_BATCH, dir, sock);
    static const char *const receivers[] = {"team_lead", "supervisor", "manager", "director"};
    for (size_t i = 0; i < 4; i++)
        fprintf(f,
                "  { name = \"%s\"; format = \"json\"; "
                "url = \"http://127.0.0.1:%d/hooks/%s\"; }%s\n",
                receivers[i], sink_port, receivers[i], i < 3 ? "," : "");
    fprintf(f, ");\n@include \"norms.conf\"\n");
}

static void slad_write_config(int sink_port)
{
    snprintf(slad_conf, sizeof slad_conf, "%s/slad.conf", dir);
    snprintf(slad_log, sizeof slad_log, "%s/slad.log", dir);
    char link[PATH_MAX + 64], norms[PATH_MAX];
    snprintf(link, sizeof link, "%s/norms.conf", dir);
    if (realpath(opt.norms, norms) == NULL)
        die("norms file %s: %s (give it with --norms)", opt.norms, strerror(errno));
    if (symlink(norms, link) < 0)
        die("symlink %s: %s", link, strerror(errno));
    FILE *f = fopen(slad_conf, "w");
    if (f == NULL)
        die("%s: %s", slad_conf, strerror(errno));
    fprintf(f,
            "# Written by slabench: the private redis-server, the sink, the shipped norms.\n"
            "log_level = \"info\";\n");
    slad_config_common(f, "slad-bench", "slad", sink_port);
    if (fclose(f) != 0)
        die("%s: %s", slad_conf, strerror(errno));

    /* Fail early, with slad's own message, on a configuration it refuses. */
    char check_log[PATH_MAX + 64];
    snprintf(check_log, sizeof check_log, "%s/check-config.log", dir);
    char *argv[] = {(char *)opt.slad, "--check-config", "-c", slad_conf, NULL};
    pid_t pid = spawn(argv, check_log);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        FILE *l = fopen(check_log, "r");
        char line[512];
        while (l && fgets(line, sizeof line, l))
            fputs(line, stderr);
        if (l)
            fclose(l);
        die("%s --check-config -c %s failed", opt.slad, slad_conf);
    }
}

/* Spawns slad; returns the monotonic time of the spawn. */
static int64_t slad_start(void)
{
    slad_log_mark = file_size(slad_log);
    char *argv[] = {(char *)opt.slad, "-c", slad_conf, NULL};
    int64_t t = mono_ns();
    child_slad = spawn(argv, slad_log);
    return t;
}

/* Waits for slad's "ready" log line; returns when it was seen. */
static int64_t slad_wait_ready(double limit_s)
{
    int64_t t0 = mono_ns();
    FILE *f = fopen(slad_log, "r");
    char line[2048];
    off_t pos = slad_log_mark;
    for (;;) {
        if (f == NULL)
            f = fopen(slad_log, "r");
        if (f) {
            clearerr(f);
            fseeko(f, pos, SEEK_SET);
            while (fgets(line, sizeof line, f)) {
                size_t len = strlen(line);
                if (len == 0 || line[len - 1] != '\n')
                    break; /* a line still being written: read it again */
                pos += (off_t)len;
                if (strcmp(line, "<5>ready\n") == 0) {
                    int64_t t = mono_ns();
                    fclose(f);
                    return t;
                }
            }
        }
        slad_check_alive("starting");
        if (secs_since(t0) > limit_s) {
            if (f)
                fclose(f);
            die("slad did not log \"ready\" within %.0f s (log %s)", limit_s, slad_log);
        }
        sleep_us(500);
    }
}

/* slad's "state loaded: N tickets (...) in M ms" line since its start. */
static void slad_state_loaded(long *tickets, long *ms)
{
    *tickets = *ms = -1;
    char *log = slad_log_since_start();
    const char *p = log ? strstr(log, "state loaded: ") : NULL;
    if (p) {
        *tickets = strtol(p + 14, NULL, 10);
        const char *in = strstr(p, ") in ");
        const char *eol = strchr(p, '\n');
        if (in && (eol == NULL || in < eol))
            *ms = strtol(in + 5, NULL, 10);
    }
    free(log);
}

static void slad_stop(void)
{
    if (child_slad <= 0)
        return;
    int status = stop_child(&child_slad, SIGTERM, 20000);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        progress("slad stopped with status %d", status);
}

/* VmRSS of a process in kB; -1 when it cannot be read. */
static long proc_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

static long slad_rss_kb(void)
{
    long kb = proc_rss_kb(child_slad);
    if (kb < 0)
        die("cannot read VmRSS of slad (pid %d)", (int)child_slad);
    return kb;
}

/* CPU seconds (user + system) a process has used so far; 0 when gone. */
static double cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command name (which may hold spaces): state is 3,
     * utime 14, stime 15. */
    const char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                            &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/*
 * Polls the group every 500 us until it has read every entry up to
 * last_id and nothing is pending. *t_first: when its first read was seen;
 * *read_first: entries it had read by then. Returns the time of the end.
 */
static int64_t wait_consumed(redisContext *c, const char *key, const char *group,
                             const char *last_id, long n, int64_t *t_first, long long *read_first,
                             const char *what)
{
    int64_t t0 = mono_ns();
    double limit = budget_s(n);
    if (t_first)
        *t_first = 0;
    for (;;) {
        group_info gi;
        group_get(c, key, group, &gi);
        int64_t now = mono_ns();
        if (gi.found && t_first && *t_first == 0 &&
            (gi.entries_read > 0 || strcmp(gi.last, "0-0") != 0)) {
            *t_first = now;
            *read_first = gi.entries_read > 0 ? gi.entries_read : 0;
        }
        if (gi.found && gi.pending == 0 && strcmp(gi.last, last_id) == 0)
            return now;
        slad_check_alive(what);
        if (secs_since(t0) > limit)
            die("%s: not consumed within %.0f s (group %s: pending %lld, last delivered %s, "
                "last entry %s)", what, limit, group, gi.pending, gi.last, last_id);
        sleep_us(500);
    }
}

/* ------------------------------------------------------------------------ */
/* the sink: minimal HTTP/1.1 keep-alive server                             */

#define SINK_MAX_REQUEST (1 << 20)

static struct {
    int port, lfd, epfd;
    pthread_t thread;
    int running;
    atomic_int stop;
    atomic_uint_fast64_t requests;
    atomic_uint_fast64_t mark;     /* requests before the measured burst */
    atomic_int_fast64_t first_ns;  /* the (mark + 1)-th request */
    atomic_int_fast64_t last_ns;   /* the latest request */
} sink;

typedef struct sink_conn {
    int fd;
    char *in;
    size_t len, cap;
    int continued; /* "100 Continue" sent for the request being read */
} sink_conn;

static void sink_close(sink_conn *c)
{
    epoll_ctl(sink.epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    free(c);
}

static int send_all(int fd, const char *s, size_t n)
{
    /* Responses are a few dozen bytes into an empty socket buffer; a
     * blocked send would mean a peer that does not read: drop it. */
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Header line [p, p+len) is "name: ..." with a value containing want. */
static int header_has(const char *p, size_t len, const char *name, const char *want)
{
    char line[512];
    size_t nlen = strlen(name);
    if (len < nlen || strncasecmp(p, name, nlen) != 0)
        return 0;
    if (want == NULL)
        return 1;
    size_t n = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, p, n);
    line[n] = '\0';
    return strcasestr(line + nlen, want) != NULL;
}

/* Handles the requests complete in c->in: 0 keep going, -1 close. */
static int sink_requests(sink_conn *c)
{
    for (;;) {
        char *hend = memmem(c->in, c->len, "\r\n\r\n", 4);
        if (hend == NULL)
            return c->len > SINK_MAX_REQUEST ? -1 : 0;
        size_t hlen = (size_t)(hend - c->in) + 4;
        long clen = 0;
        int chunked = 0, expect = 0, close_after = 0;
        const char *p = memchr(c->in, '\n', hlen);
        p = p ? p + 1 : c->in + hlen;
        while (p < c->in + hlen - 2) {
            const char *eol = memchr(p, '\n', (size_t)(c->in + hlen - p));
            size_t ll = (size_t)(eol - p);
            if (header_has(p, ll, "content-length:", NULL))
                clen = strtol(p + 15, NULL, 10);
            else if (header_has(p, ll, "transfer-encoding:", "chunked"))
                chunked = 1;
            else if (header_has(p, ll, "expect:", "100-continue"))
                expect = 1;
            else if (header_has(p, ll, "connection:", "close"))
                close_after = 1;
            p = eol + 1;
        }
        if (clen < 0 || clen > SINK_MAX_REQUEST)
            return -1;
        size_t total = 0;
        if (chunked) {
            size_t pos = hlen;
            for (;;) {
                char *eol = memmem(c->in + pos, c->len - pos, "\r\n", 2);
                if (eol == NULL)
                    break;
                unsigned long sz = strtoul(c->in + pos, NULL, 16);
                pos = (size_t)(eol - c->in) + 2;
                if (sz == 0) {
                    /* No trailers from libcurl: the empty line ends it. */
                    if (c->len >= pos + 2)
                        total = pos + 2;
                    break;
                }
                if (sz > SINK_MAX_REQUEST || c->len < pos + sz + 2)
                    break;
                pos += sz + 2;
            }
        } else if (c->len >= hlen + (size_t)clen) {
            total = hlen + (size_t)clen;
        }
        if (total == 0) {
            if (expect && !c->continued) {
                c->continued = 1;
                if (send_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0)
                    return -1;
            }
            return c->len > SINK_MAX_REQUEST ? -1 : 0;
        }
        static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        uint_fast64_t n = atomic_fetch_add(&sink.requests, 1) + 1;
        int64_t now = mono_ns();
        atomic_store(&sink.last_ns, now);
        if (n == atomic_load(&sink.mark) + 1)
            atomic_store(&sink.first_ns, now);
        if (send_all(c->fd, ok, sizeof ok - 1) < 0)
            return -1;
        memmove(c->in, c->in + total, c->len - total);
        c->len -= total;
        c->continued = 0;
        if (close_after)
            return -1;
    }
}

static void sink_readable(sink_conn *c)
{
    for (;;) {
        if (c->cap - c->len < 16384) {
            size_t cap = c->cap ? c->cap * 2 : 65536;
            char *in = realloc(c->in, cap);
            if (in == NULL) {
                sink_close(c);
                return;
            }
            c->in = in;
            c->cap = cap;
        }
        ssize_t r = recv(c->fd, c->in + c->len, c->cap - c->len, 0);
        if (r > 0) {
            c->len += (size_t)r;
            if (sink_requests(c) < 0) {
                sink_close(c);
                return;
            }
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (r < 0 && errno == EINTR)
            continue;
        sink_close(c); /* peer closed, or an error */
        return;
    }
}

static void *sink_main(void *arg)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the main thread's */
    struct epoll_event evs[64];
    while (!atomic_load(&sink.stop)) {
        int n = epoll_wait(sink.epfd, evs, 64, 100);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) {
                for (;;) {
                    int fd = accept4(sink.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0)
                        break;
                    int one = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    sink_conn *c = calloc(1, sizeof *c);
                    if (c == NULL) {
                        close(fd);
                        continue;
                    }
                    c->fd = fd;
                    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
                    if (epoll_ctl(sink.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        close(fd);
                        free(c);
                    }
                }
                continue;
            }
            sink_readable(evs[i].data.ptr);
        }
    }
    return NULL;
}

static void sink_start(void)
{
    sink.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (sink.lfd < 0 || bind(sink.lfd, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(sink.lfd, 512) < 0 || getsockname(sink.lfd, (struct sockaddr *)&a, &alen) < 0)
        die("sink: cannot listen on 127.0.0.1: %s", strerror(errno));
    sink.port = ntohs(a.sin_port);
    sink.epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (sink.epfd < 0 || epoll_ctl(sink.epfd, EPOLL_CTL_ADD, sink.lfd, &ev) < 0)
        die("sink: epoll: %s", strerror(errno));
    if (pthread_create(&sink.thread, NULL, sink_main, NULL) != 0)
        die("sink: cannot start its thread");
    sink.running = 1;
}

static void sink_finish(void)
{
    if (!sink.running)
        return;
    atomic_store(&sink.stop, 1);
    pthread_join(sink.thread, NULL);
    sink.running = 0;
    close(sink.epfd);
    close(sink.lfd);
}

/* ------------------------------------------------------------------------ */
/* phase 1: ingest, ceiling and slad                                        */

static void phase_ingest(redisContext *c)
{
    mix_state m;
    mix_init(&m, opt.entries);
    char last_id[48];
    load_entries(c, opt.entries, gen_mix, &m, last_id, sizeof last_id, "mixed events");
    free(m.slots);

    /* The ceiling: read and acknowledge, nothing else. */
    freeReplyObject(rcmd(c, "XGROUP CREATE %s %s 0", BENCH_EVENTS, BENCH_CEILING_GROUP));
    double redis_cpu0 = cpu_s(child_redis), self_cpu0 = cpu_s(getpid());
    int64_t t0 = mono_ns(), t_first = 0;
    long total = 0, first_batch = 0;
    const char **argv = malloc((3 + BENCH_BATCH) * sizeof *argv);
    size_t *lens = malloc((3 + BENCH_BATCH) * sizeof *lens);
    if (argv == NULL || lens == NULL)
        die("out of memory");
    for (;;) {
        redisReply *r = rcmd(c, "XREADGROUP GROUP %s ceiling COUNT %d STREAMS %s >",
                             BENCH_CEILING_GROUP, BENCH_BATCH, BENCH_EVENTS);
        const redisReply *entries = NULL;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
            entries = r->element[0]->element[1];
        if (entries == NULL || entries->elements == 0) {
            freeReplyObject(r);
            break;
        }
        if (t_first == 0) {
            t_first = mono_ns();
            first_batch = (long)entries->elements;
        }
        argv[0] = "XACK";
        argv[1] = BENCH_EVENTS;
        argv[2] = BENCH_CEILING_GROUP;
        for (size_t i = 0; i < entries->elements; i++) {
            argv[3 + i] = entries->element[i]->element[0]->str;
            lens[3 + i] = entries->element[i]->element[0]->len;
        }
        for (int i = 0; i < 3; i++)
            lens[i] = strlen(argv[i]);
        redisReply *a = redisCommandArgv(c, 3 + (int)entries->elements, argv, lens);
        if (a == NULL || a->type != REDIS_REPLY_INTEGER ||
            a->integer != (long long)entries->elements)
            die("XACK of the ceiling consumer failed");
        freeReplyObject(a);
        total += (long)entries->elements;
        freeReplyObject(r);
        check_interrupted();
        if (secs_since(t0) > budget_s(opt.entries))
            die("the ceiling consumer did not finish within %.0f s", budget_s(opt.entries));
    }
    int64_t t_end = mono_ns();
    res.ceiling_cpu_redis = cpu_s(child_redis) - redis_cpu0;
    res.ceiling_cpu_self = cpu_s(getpid()) - self_cpu0;
    free(argv);
    free(lens);
    if (total != opt.entries)
        die("the ceiling consumer read %ld entries, not %ld", total, opt.entries);
    res.ceiling_counted = total - first_batch;
    res.ceiling_s = (double)(t_end - t_first) / 1e9;
    res.ceiling_eps = res.ceiling_s > 0 ? res.ceiling_counted / res.ceiling_s : 0;
    progress("ceiling: %ld entries in %.3f s: %.0f entries/s (CPU: redis %.2f s, consumer "
             "%.2f s)", res.ceiling_counted, res.ceiling_s, res.ceiling_eps, res.ceiling_cpu_redis,
             res.ceiling_cpu_self);

    /* slad on the same entries. */
    redis_cpu0 = cpu_s(child_redis);
    slad_start();
    slad_wait_ready(budget_s(0));
    int64_t s_first;
    long long read_first = 0;
    int64_t s_end = wait_consumed(c, BENCH_EVENTS, BENCH_GROUP, last_id, opt.entries, &s_first,
                                  &read_first, "ingesting the mixed events");
    /* From slad's spawn, so slightly more than the timed part. */
    res.slad_cpu_slad = cpu_s(child_slad);
    res.slad_cpu_redis = cpu_s(child_redis) - redis_cpu0;
    res.slad_counted = opt.entries - (long)read_first;
    res.slad_s = (double)(s_end - s_first) / 1e9;
    res.slad_eps = res.slad_s > 0 ? res.slad_counted / res.slad_s : 0;
    res.ratio = res.ceiling_eps > 0 ? res.slad_eps / res.ceiling_eps : 0;
    progress("slad: %ld entries in %.3f s: %.0f entries/s (%.2f of the ceiling; CPU: slad "
             "%.2f s, redis %.2f s)", res.slad_counted, res.slad_s, res.slad_eps, res.ratio,
             res.slad_cpu_slad, res.slad_cpu_redis);
    slad_stop();
}

/* ------------------------------------------------------------------------ */
/* phases 2 and 3: memory at N open tickets, restart                        */

/* n entries of gen loaded and consumed by slad: the seconds it took. */
static double load_consumed(redisContext *c, long n, gen_fn *gen, const char *what)
{
    char last_id[48], waiting[64];
    int64_t t0 = mono_ns();
    load_entries(c, n, gen, NULL, last_id, sizeof last_id, what);
    snprintf(waiting, sizeof waiting, "ingesting the %s", what);
    wait_consumed(c, BENCH_EVENTS, BENCH_GROUP, last_id, n, NULL, NULL, waiting);
    return secs_since(t0);
}

/* MEMORY USAGE of the state hash. */
static long long state_usage(redisContext *c)
{
    redisReply *u = rcmd(c, "MEMORY USAGE %s SAMPLES 0", BENCH_STATE);
    long long n = reply_ll(u);
    freeReplyObject(u);
    return n;
}

static void phase_memory_restart(redisContext *c)
{
    freeReplyObject(rcmd(c, "FLUSHALL"));
    slad_start();
    slad_wait_ready(budget_s(0));
    usleep(300000); /* let the delivery group be created too */
    res.rss0_kb = slad_rss_kb();
    res.used0 = info_field(c, "memory", "used_memory");

    res.open_load_s = load_consumed(c, opt.open, gen_open, "open tickets");
    progress("open tickets: %ld loaded and consumed in %.1f s", opt.open, res.open_load_s);
    /* The events are applied and acknowledged: only the state remains. */
    res.used_untrimmed = info_field(c, "memory", "used_memory");
    freeReplyObject(rcmd(c, "XTRIM %s MAXLEN 0", BENCH_EVENTS));
    usleep(300000);
    res.rss1_kb = slad_rss_kb();
    res.used1 = info_field(c, "memory", "used_memory");
    res.state_usage = state_usage(c);
    redisReply *hl = rcmd(c, "HLEN %s", BENCH_STATE);
    if (hl->integer != opt.open)
        die("%s holds %lld tickets, expected %ld", BENCH_STATE, hl->integer, opt.open);
    freeReplyObject(hl);
    progress("memory: slad RSS %ld -> %ld kB, redis used_memory %lld -> %lld", res.rss0_kb,
             res.rss1_kb, res.used0, res.used1);

    slad_stop();
    double redis_cpu0 = cpu_s(child_redis);
    int64_t spawn_ns = slad_start();
    int64_t ready_ns = slad_wait_ready(budget_s(opt.open));
    res.restart_ms = (double)(ready_ns - spawn_ns) / 1e6;
    res.restart_cpu_slad = cpu_s(child_slad);
    res.restart_cpu_redis = cpu_s(child_redis) - redis_cpu0;
    slad_state_loaded(&res.restored, &res.restore_load_ms);
    res.rss_restored_kb = slad_rss_kb();
    progress("restart: ready %.0f ms after spawn (state of %ld tickets loaded in %ld ms; CPU: "
             "slad %.2f s, redis %.2f s)", res.restart_ms, res.restored, res.restore_load_ms,
             res.restart_cpu_slad, res.restart_cpu_redis);
}

/* phase 3b: memory at C open customers beside the tickets */
static void phase_customers(redisContext *c)
{
    if (opt.customers <= 0)
        return;
    usleep(300000);
    res.c_used0 = info_field(c, "memory", "used_memory");
    long long state0 = state_usage(c);
    res.c_load_s = load_consumed(c, opt.customers, gen_customer, "customers");
    freeReplyObject(rcmd(c, "XTRIM %s MAXLEN 0", BENCH_EVENTS));
    usleep(300000);
    res.c_rss1_kb = slad_rss_kb();
    res.c_used1 = info_field(c, "memory", "used_memory");
    res.c_state_usage = state_usage(c) - state0;
    redisReply *hl = rcmd(c, "HLEN %s", BENCH_STATE);
    if (hl->integer != opt.open + opt.customers)
        die("%s holds %lld subjects, expected %ld", BENCH_STATE, hl->integer,
            opt.open + opt.customers);
    freeReplyObject(hl);
    progress("customers: %ld signed and consumed in %.1f s; slad RSS %ld -> %ld kB, redis "
             "used_memory %lld -> %lld", opt.customers, res.c_load_s, res.rss_restored_kb,
             res.c_rss1_kb, res.c_used0, res.c_used1);
}

/* ------------------------------------------------------------------------ */
/* phase 4: firing lateness                                                 */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static stats3 stats_of(int64_t *v, long n)
{
    stats3 s = {.n = n};
    if (n == 0)
        return s;
    qsort(v, (size_t)n, sizeof *v, cmp_i64);
    long i50 = (n * 50 + 99) / 100 - 1, i99 = (n * 99 + 99) / 100 - 1;
    s.p50 = v[i50 < 0 ? 0 : i50];
    s.p99 = v[i99 < 0 ? 0 : i99];
    s.max = v[n - 1];
    return s;
}

/* One record of sla:escalations, as escalations_scan hands it over. */
typedef struct esc_record {
    int64_t id_ms; /* its entry id's time: when it was in Redis */
    const char *kind, *ticket;
    int64_t deadline_ms, late_ms;
} esc_record;

typedef void esc_record_fn(void *arg, const esc_record *rec);

/* Calls fn for every record of the outbox key, oldest first; the strings
 * of a record are valid during the call only. */
static void escalations_scan_key(redisContext *c, const char *key, esc_record_fn *fn, void *arg)
{
    char start[64] = "-";
    for (int page = 0; page < 100000; page++) {
        redisReply *r = rcmd(c, "XRANGE %s %s + COUNT 10000", key, start);
        if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
            freeReplyObject(r);
            break;
        }
        for (size_t i = 0; i < r->elements; i++) {
            const redisReply *e = r->element[i];
            const redisReply *fl = e->element[1];
            esc_record rec = {.id_ms = strtoll(e->element[0]->str, NULL, 10), .kind = "",
                              .ticket = ""};
            for (size_t k = 0; fl->type == REDIS_REPLY_ARRAY && k + 1 < fl->elements; k += 2) {
                const char *f = fl->element[k]->str, *v = fl->element[k + 1]->str;
                if (strcmp(f, "kind") == 0)
                    rec.kind = v;
                else if (strcmp(f, "ticket") == 0)
                    rec.ticket = v;
                else if (strcmp(f, "deadline_ms") == 0)
                    rec.deadline_ms = strtoll(v, NULL, 10);
                else if (strcmp(f, "late_ms") == 0)
                    rec.late_ms = strtoll(v, NULL, 10);
            }
            fn(arg, &rec);
        }
        snprintf(start, sizeof start, "(%.60s", r->element[r->elements - 1]->element[0]->str);
        freeReplyObject(r);
    }
}

/* escalations_scan_key on sla:escalations. */
static void escalations_scan(redisContext *c, esc_record_fn *fn, void *arg)
{
    escalations_scan_key(c, BENCH_ESCALATIONS, fn, arg);
}

/* The breaches of tickets named prefix*, at most expect of them. */
typedef struct breach_set {
    const char *prefix;
    long expect, n;
    int64_t *fired;    /* late_ms: the decision after the breach was due */
    int64_t *recorded; /* entry id time - (deadline_ms + 1): the record */
    int64_t last_id_ms;
} breach_set;

static void breach_collect(void *arg, const esc_record *rec)
{
    breach_set *b = arg;
    if (strcmp(rec->kind, "breach") != 0 || strncmp(rec->ticket, b->prefix, strlen(b->prefix)) != 0 ||
        b->n >= b->expect)
        return;
    b->fired[b->n] = rec->late_ms;
    b->recorded[b->n] = rec->id_ms - (rec->deadline_ms + 1); /* a breach is due 1 ms after */
    if (rec->id_ms > b->last_id_ms)
        b->last_id_ms = rec->id_ms;
    b->n++;
}

/* A breach_set for expect breaches of prefix*; breach_set_free releases it. */
static void breach_set_init(breach_set *b, const char *prefix, long expect)
{
    *b = (breach_set){.prefix = prefix, .expect = expect};
    b->fired = malloc((size_t)(expect > 0 ? expect : 1) * sizeof *b->fired);
    b->recorded = malloc((size_t)(expect > 0 ? expect : 1) * sizeof *b->recorded);
    if (b->fired == NULL || b->recorded == NULL)
        die("out of memory");
}

static void breach_set_free(breach_set *b)
{
    free(b->fired);
    free(b->recorded);
}

static long long stream_len(redisContext *c, const char *key)
{
    redisReply *r = rcmd(c, "XLEN %s", key);
    long long n = r->integer;
    freeReplyObject(r);
    return n;
}

/* What one lateness run measures. */
typedef struct lateness {
    stats3 fired, recorded;
    long missing;
    double ingest_ms;      /* from the first XADD to all consumed */
    int ingested_in_time;
} lateness;

/* opt.due chat tickets named prefix*, due over the window; their breaches. */
static void lateness_run(redisContext *c, const char *prefix, lateness *out)
{
    long long esc0 = stream_len(c, BENCH_ESCALATIONS);
    due_state d = {.prefix = prefix, .n = opt.due, .span_ms = opt.window_ms};
    int64_t t0 = mono_ns();
    d.first_deadline_ms = wall_ms() + opt.lead_ms;
    int64_t last_deadline = d.first_deadline_ms + d.span_ms;
    char last_id[48];
    load_entries(c, opt.due, gen_due, &d, last_id, sizeof last_id, "due tickets");
    int64_t done = wait_consumed(c, BENCH_EVENTS, BENCH_GROUP, last_id, opt.due, NULL, NULL,
                                 "ingesting the due tickets");
    out->ingest_ms = (double)(done - t0) / 1e6;
    out->ingested_in_time = wall_ms() < d.first_deadline_ms;
    progress("due tickets %s: %ld in slad %.0f ms after the first XADD; deadlines from %d ms "
             "to %d ms after it%s", prefix, opt.due, out->ingest_ms, opt.lead_ms,
             opt.lead_ms + opt.window_ms,
             out->ingested_in_time ? "" : " (NOT all ingested before the first deadline: "
                                          "raise --lead)");

    /* Every breach recorded, or the limit. */
    double limit = budget_s(opt.due);
    long long want = esc0 + opt.due;
    for (;;) {
        slad_check_alive("firing the due tickets");
        int64_t now = wall_ms();
        if (now > last_deadline + 1000 && stream_len(c, BENCH_ESCALATIONS) >= want)
            break;
        if (now > last_deadline + (int64_t)(limit * 1000)) {
            progress("only %lld of %ld breach records %.0f s after the last deadline",
                     stream_len(c, BENCH_ESCALATIONS) - esc0, opt.due, limit);
            break;
        }
        sleep_us(50000);
    }
    breach_set b;
    breach_set_init(&b, prefix, opt.due);
    escalations_scan(c, breach_collect, &b);
    long n = b.n;
    out->missing = opt.due - n;
    out->fired = stats_of(b.fired, n);
    out->recorded = stats_of(b.recorded, n);
    breach_set_free(&b);
    progress("lateness of %ld breaches %s: fired p50 %" PRId64 " p99 %" PRId64 " max %" PRId64
             " ms; recorded p50 %" PRId64 " p99 %" PRId64 " max %" PRId64 " ms", n, prefix,
             out->fired.p50, out->fired.p99, out->fired.max, out->recorded.p50,
             out->recorded.p99, out->recorded.max);
}

static void phase_lateness(redisContext *c)
{
    uint64_t sink0 = atomic_load(&sink.requests);
    lateness l;
    lateness_run(c, "D-", &l);
    res.window_deliveries = (long)(atomic_load(&sink.requests) - sink0);
    res.fired = l.fired;
    res.recorded = l.recorded;
    res.late_missing = l.missing;
    res.due_ingest_ms = l.ingest_ms;
    res.due_ingested_in_time = l.ingested_in_time;
}

/* ------------------------------------------------------------------------ */
/* phase 4b: firing lateness while clients query                            */

/* The queries the clients repeat, one client (thread) each. */
enum { Q_DUE, Q_BREACHED, Q_TICKET, Q_RELOAD, Q_KINDS };
static const char *const query_names[Q_KINDS] = {"due --limit 1000", "breached --limit 1000",
                                                   "ticket O-00000001", "reload"};
static const char *const query_requests[Q_KINDS] = {
    "{\"v\":1,\"cmd\":\"due\",\"args\":{\"limit\":1000}}",
    "{\"v\":1,\"cmd\":\"breached\",\"args\":{\"limit\":1000}}",
    "{\"v\":1,\"cmd\":\"ticket\",\"args\":{\"id\":\"O-00000001\"}}",
    "{\"v\":1,\"cmd\":\"reload\"}",
};

static struct {
    atomic_int stop;
    pthread_t thread[Q_KINDS];
    long n[Q_KINDS], failed[Q_KINDS];
    int64_t total_ns[Q_KINDS], max_ns[Q_KINDS];
} qload;

static int full_write(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int full_read(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t r = read(fd, p, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

/* One exchange of the control protocol (sla_ctlproto.h: a 4-byte big-endian
 * length, then the JSON); the response is read whole and dropped. */
static int ctl_exchange(const char *path, const char *json, char *buf, size_t buflen)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        close(fd);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    size_t len = strlen(json);
    unsigned char head[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
                             (unsigned char)(len >> 8), (unsigned char)len};
    int rc = -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && full_write(fd, head, 4) == 0 &&
        full_write(fd, json, len) == 0 && full_read(fd, head, 4) == 0) {
        size_t n = (size_t)head[0] << 24 | (size_t)head[1] << 16 | (size_t)head[2] << 8 | head[3];
        if (n < buflen && full_read(fd, buf, n) == 0) {
            buf[n] = '\0';
            rc = strstr(buf, "\"ok\":true") ? 0 : -1;
        }
    }
    close(fd);
    return rc;
}

static void *query_client(void *arg)
{
    int k = (int)(intptr_t)arg;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/slad.sock", dir);
    size_t buflen = 1024 * 1024;
    char *buf = malloc(buflen);
    if (buf == NULL)
        return NULL;
    while (!atomic_load(&qload.stop)) {
        int64_t t0 = mono_ns();
        int rc = ctl_exchange(path, query_requests[k], buf, buflen);
        int64_t ns = mono_ns() - t0;
        if (rc < 0) {
            qload.failed[k]++;
            sleep_us(10000);
            continue;
        }
        qload.n[k]++;
        qload.total_ns[k] += ns;
        if (ns > qload.max_ns[k])
            qload.max_ns[k] = ns;
    }
    free(buf);
    return NULL;
}

static void phase_query_lateness(redisContext *c)
{
    memset(&qload, 0, sizeof qload);
    for (int k = 0; k < Q_KINDS; k++)
        if (pthread_create(&qload.thread[k], NULL, query_client, (void *)(intptr_t)k) != 0)
            die("pthread_create: %s", strerror(errno));
    lateness l;
    lateness_run(c, "Q-", &l);
    atomic_store(&qload.stop, 1);
    for (int k = 0; k < Q_KINDS; k++)
        pthread_join(qload.thread[k], NULL);
    res.q_fired = l.fired;
    res.q_missing = l.missing;
    for (int k = 0; k < Q_KINDS; k++) {
        res.q_n[k] = qload.n[k];
        res.q_failed[k] = qload.failed[k];
        res.q_mean_ms[k] = qload.n[k] ? (double)qload.total_ns[k] / 1e6 / qload.n[k] : 0;
        res.q_max_ms[k] = (double)qload.max_ns[k] / 1e6;
        progress("queries %s: %ld answered (%ld failed), mean %.2f ms, max %.2f ms",
                 query_names[k], res.q_n[k], res.q_failed[k], res.q_mean_ms[k], res.q_max_ms[k]);
    }
}

/* ------------------------------------------------------------------------ */
/* phase 4c: firing lateness during a burst of huge entries                 */

static struct {
    int64_t start_ms;         /* wall clock of the first push */
    long pushed, failed;
    int64_t push_ns;
    char (*ids)[48];          /* the entries pushed, to delete afterwards */
} huge;

/* Pushes opt.huge entries of one opt.huge_mb MB value over the window, on
 * its own connection; never dies (the main thread measures). */
static void *huge_pusher(void *arg)
{
    (void)arg;
    size_t len = (size_t)opt.huge_mb << 20;
    char *value = malloc(len);
    redisContext *c = redis_open(60);
    if (value == NULL || c == NULL) {
        huge.failed = opt.huge;
        free(value);
        if (c)
            redisFree(c);
        return NULL;
    }
    memset(value, 'x', len);
    for (long i = 0; i < opt.huge && !interrupted; i++) {
        int64_t at = huge.start_ms + (opt.huge > 1 ? opt.window_ms * i / (opt.huge - 1) : 0);
        while (wall_ms() < at && !interrupted)
            sleep_us(1000);
        char ticket[32];
        snprintf(ticket, sizeof ticket, "HUGE-%03ld", i);
        int64_t t0 = mono_ns();
        redisReply *r = redisCommand(c, "XADD %s * ticket %s type ticket.opened channel chat "
                                        "subject %b", BENCH_EVENTS, ticket, value, len);
        huge.push_ns += mono_ns() - t0;
        if (r && r->type == REDIS_REPLY_STRING)
            snprintf(huge.ids[huge.pushed++], sizeof huge.ids[0], "%s", r->str);
        if (r)
            freeReplyObject(r);
        if (c->err)
            break;
    }
    huge.failed = opt.huge - huge.pushed;
    redisFree(c);
    free(value);
    return NULL;
}

/* Dead letters after id `from` ("-": all): their number and bytes. */
static long dead_after(redisContext *c, const char *from, long long *bytes)
{
    long n = 0;
    *bytes = 0;
    char start[80];
    snprintf(start, sizeof start, "%s", from);
    for (;;) {
        redisReply *r = rcmd(c, "XRANGE %s %s + COUNT 1000", BENCH_DEAD, start);
        if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
            freeReplyObject(r);
            return n;
        }
        for (size_t i = 0; i < r->elements; i++) {
            const redisReply *fl = r->element[i]->element[1];
            for (size_t k = 0; fl->type == REDIS_REPLY_ARRAY && k < fl->elements; k++)
                *bytes += (long long)fl->element[k]->len;
            n++;
        }
        snprintf(start, sizeof start, "(%.60s", r->element[r->elements - 1]->element[0]->str);
        freeReplyObject(r);
    }
}

static void phase_huge_lateness(redisContext *c)
{
    char dead0[64];
    stream_last_id(c, BENCH_DEAD, dead0, sizeof dead0);
    char from[80];
    snprintf(from, sizeof from, dead0[0] ? "(%s" : "-", dead0);
    memset(&huge, 0, sizeof huge);
    res.h_rss0_kb = slad_rss_kb();
    huge.ids = calloc((size_t)opt.huge, sizeof *huge.ids);
    if (huge.ids == NULL)
        die("out of memory");
    /* lateness_run's first deadline is opt.lead_ms after it starts. */
    huge.start_ms = wall_ms() + opt.lead_ms;
    pthread_t t;
    if (pthread_create(&t, NULL, huge_pusher, NULL) != 0)
        die("pthread_create: %s", strerror(errno));
    lateness l;
    lateness_run(c, "H-", &l);
    pthread_join(t, NULL);
    res.h_fired = l.fired;
    res.h_missing = l.missing;
    res.h_pushed = huge.pushed;
    res.h_failed = huge.failed;
    res.h_push_ms = (double)huge.push_ns / 1e6;
    /* Every pushed entry read (the H- breaches were, after them), or the limit. */
    char last[48];
    stream_last_id(c, BENCH_EVENTS, last, sizeof last);
    wait_consumed(c, BENCH_EVENTS, BENCH_GROUP, last, huge.pushed, NULL, NULL,
                  "ingesting the huge entries");
    res.h_dead = dead_after(c, from, &res.h_dead_bytes);
    res.h_rss_kb = slad_rss_kb();
    for (long i = 0; i < huge.pushed; i++)
        freeReplyObject(rcmd(c, "XDEL %s %s", BENCH_EVENTS, huge.ids[i]));
    free(huge.ids);
    huge.ids = NULL;
    progress("huge entries: %ld of %ld MB pushed in %.0f ms (%ld failed); %ld dead letters, "
             "%lld bytes; slad RSS %ld -> %ld kB", res.h_pushed, opt.huge_mb, res.h_push_ms,
             res.h_failed, res.h_dead, res.h_dead_bytes, res.h_rss0_kb, res.h_rss_kb);
}

/* ------------------------------------------------------------------------ */
/* phase 5: delivery                                                        */

/* 1 once the delivery group has read everything and has nothing pending. */
static int outbox_drained(redisContext *c, group_info *gi)
{
    char last[48];
    group_get(c, BENCH_ESCALATIONS, BENCH_DELIVER_GROUP, gi);
    stream_last_id(c, BENCH_ESCALATIONS, last, sizeof last);
    return gi->found && gi->pending == 0 && (last[0] == '\0' || strcmp(gi->last, last) == 0);
}

static void delivery_not_measured(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void delivery_not_measured(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res.delivery_note, sizeof res.delivery_note, fmt, ap);
    va_end(ap);
    res.delivery_measured = 0;
    progress("delivery: not measured (%s)", res.delivery_note);
}

static void phase_delivery(redisContext *c)
{
    group_info gi;
    group_get(c, BENCH_ESCALATIONS, BENCH_DELIVER_GROUP, &gi);
    if (!gi.found) {
        delivery_not_measured("slad has no delivery consumer group \"%s\" on %s",
                              BENCH_DELIVER_GROUP, BENCH_ESCALATIONS);
        return;
    }
    /* The breaches of the lateness phase first. */
    int64_t t0 = mono_ns();
    double limit = budget_s(opt.due);
    uint64_t before = atomic_load(&sink.requests);
    while (!outbox_drained(c, &gi)) {
        slad_check_alive("delivering the breaches of the lateness phase");
        if (secs_since(t0) > limit) {
            delivery_not_measured("the outbox of the lateness phase was not drained within "
                                  "%.0f s: %llu requests reached the sink, %lld records pending",
                                  limit, (unsigned long long)(atomic_load(&sink.requests) - before),
                                  gi.pending);
            return;
        }
        if (secs_since(t0) > 30 && atomic_load(&sink.requests) == 0) {
            delivery_not_measured("no webhook request reached the sink within 30 s of %lld "
                                  "records in %s", stream_len(c, BENCH_ESCALATIONS),
                                  BENCH_ESCALATIONS);
            return;
        }
        sleep_us(20000);
    }

    /* The burst: every ticket already past its deadline. */
    uint64_t mark = atomic_load(&sink.requests);
    atomic_store(&sink.first_ns, 0);
    atomic_store(&sink.mark, mark);
    due_state d = {.prefix = "X-", .n = opt.deliveries, .span_ms = 0};
    d.first_deadline_ms = wall_ms() - 30000;
    int64_t start = mono_ns();
    load_entries(c, opt.deliveries, gen_due, &d, NULL, 0, "past-due tickets");
    limit = budget_s(opt.deliveries);
    for (;;) {
        uint64_t got = atomic_load(&sink.requests) - mark;
        if (got >= (uint64_t)opt.deliveries)
            break;
        slad_check_alive("delivering the burst");
        double waited = secs_since(start);
        if (got == 0 && waited > 30) {
            delivery_not_measured("no webhook request reached the sink within 30 s of %ld "
                                  "breaches falling due at once", opt.deliveries);
            return;
        }
        if (waited > limit) {
            progress("delivery: only %llu of %ld requests within %.0f s", (unsigned long long)got,
                     opt.deliveries, limit);
            break;
        }
        sleep_us(1000);
    }
    res.delivered = (long)(atomic_load(&sink.requests) - mark);
    int64_t first = atomic_load(&sink.first_ns), last = atomic_load(&sink.last_ns);
    res.delivery_s = (double)(last - first) / 1e9;
    res.delivery_e2e_s = (double)(last - start) / 1e9;
    res.delivery_rps = res.delivery_s > 0 && res.delivered > 1
                           ? (double)(res.delivered - 1) / res.delivery_s : 0;
    res.delivery_measured = 1;
    if (res.delivered < opt.deliveries)
        snprintf(res.delivery_note, sizeof res.delivery_note, "%ld of %ld delivered in time",
                 res.delivered, opt.deliveries);
    progress("delivery: %ld requests in %.3f s: %.0f/s (%.2f s from the first XADD)",
             res.delivered, res.delivery_s, res.delivery_rps, res.delivery_e2e_s);
}

/* ------------------------------------------------------------------------ */
/* phase 6: catching up on a backlog                                        */

/* What the catch-up phase reads back from sla:escalations. */
typedef struct catchup_records {
    breach_set unanswered; /* breaches of U- calls */
    long answered;         /* records of any kind for B- calls: false ones */
} catchup_records;

static void catchup_collect(void *arg, const esc_record *rec)
{
    catchup_records *cr = arg;
    if (strncmp(rec->ticket, "B-", 2) == 0)
        cr->answered++;
    else
        breach_collect(&cr->unanswered, rec);
}

static void catchup_read(redisContext *c, catchup_records *cr)
{
    cr->unanswered.n = 0;
    cr->unanswered.last_id_ms = 0;
    cr->answered = 0;
    escalations_scan(c, catchup_collect, cr);
}

static void phase_catchup(redisContext *c)
{
    /* The consumer groups made, as by any earlier run; then slad is down. */
    freeReplyObject(rcmd(c, "FLUSHALL"));
    slad_start();
    slad_wait_ready(budget_s(0));
    slad_stop();

    backlog_state *s = malloc(sizeof *s);
    if (s == NULL)
        die("out of memory");
    backlog_init(s, opt.backlog);
    res.backlog = backlog_entries(s);
    res.answered_calls = s->b;
    res.unanswered = s->u;
    char last_id[48];
    res.backlog_load_s = load_entries(c, res.backlog, gen_backlog, s, last_id, sizeof last_id,
                                      "backlog");
    int64_t first_deadline = s->first_ring_ms + BENCH_PICKUP_TARGET_MS;
    int64_t last_deadline = s->last_ring_ms + BENCH_PICKUP_TARGET_MS;
    free(s);
    /* Ids only grow: the last entry reached Redis after all the others. */
    res.backlog_margin_ms = first_deadline - strtoll(last_id, NULL, 10);
    res.backlog_in_time = res.backlog_margin_ms > 0;
    progress("backlog: %ld answered and %ld unanswered calls; %s %.1f s before the first "
             "pickup deadline; slad starts %.1f s from now, after the last one", res.answered_calls,
             res.unanswered, res.backlog_in_time ? "all in Redis" : "NOT all in Redis",
             (double)res.backlog_margin_ms / 1000.0,
             (double)(last_deadline + 500 - wall_ms()) / 1000.0);
    while (wall_ms() < last_deadline + 500) {
        check_interrupted();
        sleep_us(20000);
    }

    double redis_cpu0 = cpu_s(child_redis);
    progress("catch-up: slad started on %ld backlogged entries", res.backlog);
    int64_t spawn_ns = slad_start();
    int64_t ready_ns = slad_wait_ready(budget_s(0));
    int64_t ready_wall = wall_ms();
    int64_t s_first;
    long long read_first = 0;
    int64_t s_end = wait_consumed(c, BENCH_EVENTS, BENCH_GROUP, last_id, res.backlog, &s_first,
                                  &read_first, "catching up on the backlog");
    res.catchup_ready_ms = (double)(ready_ns - spawn_ns) / 1e6;
    res.catchup_consumed_s = (double)(s_end - ready_ns) / 1e9;
    /* Counted as phase 1 counts: from the first read, without its batch. */
    res.catchup_counted = res.backlog - (long)read_first;
    res.catchup_s = (double)(s_end - s_first) / 1e9;
    res.catchup_eps = res.catchup_s > 0 ? res.catchup_counted / res.catchup_s : 0;
    res.catchup_ratio = res.slad_eps > 0 ? res.catchup_eps / res.slad_eps : 0;

    /* Every U- breach recorded, or the limit. */
    catchup_records cr = {0};
    breach_set_init(&cr.unanswered, "U-", res.unanswered);
    long long seen = -1;
    int64_t t0 = mono_ns();
    for (;;) {
        long long len = stream_len(c, BENCH_ESCALATIONS);
        if (len != seen && len >= res.unanswered) {
            seen = len;
            catchup_read(c, &cr);
            if (cr.unanswered.n >= res.unanswered)
                break;
        }
        slad_check_alive("recording the breaches of the backlog");
        if (secs_since(t0) > budget_s(res.unanswered)) {
            progress("catch-up: only %ld of %ld breaches %.0f s after the backlog was consumed",
                     cr.unanswered.n, res.unanswered, budget_s(res.unanswered));
            break;
        }
        sleep_us(1000);
    }
    res.catchup_wall_s = secs_since(spawn_ns);
    res.catchup_cpu_slad = cpu_s(child_slad);
    res.catchup_cpu_redis = cpu_s(child_redis) - redis_cpu0;
    /* A false record fired last would come now. */
    sleep_us(300000);
    catchup_read(c, &cr);
    res.false_records = cr.answered;
    res.catchup_missing = res.unanswered - cr.unanswered.n;
    res.catchup_late = stats_of(cr.unanswered.fired, cr.unanswered.n);
    res.catchup_recorded_ms = cr.unanswered.n > 0 ? cr.unanswered.last_id_ms - ready_wall : -1;
    breach_set_free(&cr.unanswered);
    progress("catch-up: ready %.0f ms after spawn, %ld entries consumed %.2f s after ready: "
             "%.0f entries/s (%.2f of the live ingest; CPU: slad %.2f s, redis %.2f s); %ld of "
             "%ld breaches, the last in Redis %" PRId64 " ms after ready, late_ms p50 %" PRId64
             " p99 %" PRId64 " max %" PRId64 "; %ld records for answered calls",
             res.catchup_ready_ms, res.backlog, res.catchup_consumed_s, res.catchup_eps,
             res.catchup_ratio, res.catchup_cpu_slad, res.catchup_cpu_redis,
             res.unanswered - res.catchup_missing, res.unanswered, res.catchup_recorded_ms,
             res.catchup_late.p50, res.catchup_late.p99, res.catchup_late.max,
             res.false_records);
    if (res.false_records > 0)
        progress("FALSE RECORDS: %ld records for B- calls, each answered 1 s after it rang",
                 res.false_records);
}

/* ------------------------------------------------------------------------ */
/* partitioned mode: --partitions P --instances S, --sweep                  */
/*
 * Runs instead of the phases above. Every figure is measured by the same
 * code for a single unpartitioned slad (partitions = 1, the key names
 * sla:events, ...) and for S instances sharing P partitions, in the same
 * run, so that their ratio compares like with like:
 *
 *   ingest    FLUSHALL; opt.entries of the mix, each to its ticket's
 *             partition stream (lib/sla_partition), while no slad runs;
 *             the group "slad" created at the end of each stream ("$").
 *             The instances start (instance names bench-0..S-1, their
 *             own control sockets) and share the partitions; once every
 *             partition is owned, none holds more than its share
 *             (ceil(P / S)) and each partition's reader has joined its
 *             group, XGROUP SETID ... 0 on every stream hands them the
 *             whole load at once, and one more entry per stream wakes a
 *             reader blocked on it. Timed from
 *             there until every group has read its last entry and has
 *             nothing pending (polled every 5 ms, pipelined); the CPU
 *             time of every slad and of Redis over that span, per event.
 *   lateness  opt.due chat tickets due over the window, spread over the
 *             partitions; late_ms of their breaches from every
 *             partition's outbox; then each instance's RSS.
 *   takeover  (P > 1, S > 1) FLUSHALL, the instances again; "K-"
 *             tickets only in bench-0's partitions, due from 0.5 s before
 *             to lease TTL x 4/3 + 2 s after the kill; SIGKILL bench-0;
 *             the leases polled every 5 ms until each of its partitions
 *             is another's, and per partition the first breach recorded
 *             after the kill (entry id time); every K- ticket must be
 *             recorded once.
 *
 * --sweep measures the ingest only, for P = 1, 4, 16, 64 with one
 * instance and for 1, 2, 3 instances on 16 partitions.
 */

#define PB_INSTANCES_MAX BENCH_INSTANCES_MAX
#define PB_POLL_US 5000

static struct {
    int partitions, instances; /* 0: the mode is off */
    int lease_ttl_ms;
    int sweep;
} pb_opt = {.lease_ttl_ms = 2000};

/* The cluster of instances running now. */
static struct {
    int partitions, instances;
    char conf[PB_INSTANCES_MAX][PATH_MAX + 64];
    char log[PB_INSTANCES_MAX][PATH_MAX + 64];
} pb;

/* child_inst[] (with the other children, above) holds their pids. */

/* Key "what" of partition k: sla:what with one partition, else sla:{pk}:what. */
static void pb_key(char *out, size_t cap, int partitions, int k, const char *what)
{
    if (partitions <= 1)
        snprintf(out, cap, BENCH_PREFIX "%s", what);
    else
        snprintf(out, cap, BENCH_PREFIX "{p%d}:%s", k, what);
}

static void pb_write_config(int i, int partitions, int sink_port)
{
    snprintf(pb.conf[i], sizeof pb.conf[i], "%s/slad-bench-%d.conf", dir, i);
    snprintf(pb.log[i], sizeof pb.log[i], "%s/slad-bench-%d.log", dir, i);
    FILE *f = fopen(pb.conf[i], "w");
    if (f == NULL)
        die("%s: %s", pb.conf[i], strerror(errno));
    fprintf(f,
            "# Written by slabench --partitions: instance %d of the cluster.\n"
            "log_level = \"info\";\n"
            "partitions = %d;\n"
            "instance = { name = \"bench-%d\"; lease_ttl = %d; };\n",
            i, partitions, i, pb_opt.lease_ttl_ms);
    char name[32];
    snprintf(name, sizeof name, "slad-bench-%d", i);
    slad_config_common(f, name, name, sink_port);
    if (fclose(f) != 0)
        die("%s: %s", pb.conf[i], strerror(errno));
}

static void pb_check_alive(const char *while_doing)
{
    for (int i = 0; i < pb.instances; i++) {
        int status;
        if (child_inst[i] > 0 && waitpid(child_inst[i], &status, WNOHANG) == child_inst[i]) {
            child_inst[i] = -1;
            die("slad bench-%d exited (status %d) while %s; see %s", i, status, while_doing,
                pb.log[i]);
        }
    }
    check_interrupted();
}

/* The instance (0..S-1) holding partition k's lease, -1 when none. */
static void pb_owners(redisContext *c, int *owner)
{
    char key[64];
    for (int k = 0; k < pb.partitions; k++) {
        pb_key(key, sizeof key, pb.partitions, k, "lease");
        redisAppendCommand(c, "GET %s", key);
    }
    for (int k = 0; k < pb.partitions; k++) {
        redisReply *r;
        if (redisGetReply(c, (void **)&r) != REDIS_OK)
            die("redis: %s (reading the leases)", c->errstr);
        owner[k] = -1;
        if (r->type == REDIS_REPLY_STRING && strncmp(r->str, "bench-", 6) == 0)
            owner[k] = atoi(r->str + 6);
        freeReplyObject(r);
    }
}

/* Consumers of group "slad" on partition k's stream (0 when none yet). */
static long pb_group_consumers(redisContext *c, int k)
{
    char key[64];
    pb_key(key, sizeof key, pb.partitions, k, "events");
    redisReply *r = rcmd_any(c, "XINFO GROUPS %s", key);
    long n = 0;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *g = r->element[i];
        int ours = 0;
        long consumers = 0;
        for (size_t f = 0; g->type == REDIS_REPLY_ARRAY && f + 1 < g->elements; f += 2) {
            const char *name = g->element[f]->str;
            const redisReply *v = g->element[f + 1];
            if (strcmp(name, "name") == 0 && v->type == REDIS_REPLY_STRING)
                ours = strcmp(v->str, BENCH_GROUP) == 0;
            else if (strcmp(name, "consumers") == 0)
                consumers = (long)reply_ll(v);
        }
        if (ours)
            n = consumers;
    }
    freeReplyObject(r);
    return n;
}

/* Starts S instances on P partitions and waits until every partition is
 * owned, the shares are even and every reader has joined its group. */
static void pb_cluster_start(redisContext *c, int partitions, int instances)
{
    if (instances > PB_INSTANCES_MAX)
        die("--instances: at most %d", PB_INSTANCES_MAX);
    pb.partitions = partitions;
    pb.instances = instances;
    for (int i = 0; i < instances; i++) {
        pb_write_config(i, partitions, sink.port);
        char *argv[] = {(char *)opt.slad, "-c", pb.conf[i], NULL};
        child_inst[i] = spawn(argv, pb.log[i]);
    }
    int64_t t0 = mono_ns();
    int *owner = calloc((size_t)partitions, sizeof *owner);
    if (owner == NULL)
        die("out of memory");
    int hi = (partitions + instances - 1) / instances;
    for (;;) {
        pb_check_alive("starting");
        int settled = 1;
        if (partitions > 1) {
            int held[PB_INSTANCES_MAX] = {0};
            pb_owners(c, owner);
            for (int k = 0; k < partitions; k++) {
                if (owner[k] < 0 || owner[k] >= instances)
                    settled = 0;
                else
                    held[owner[k]]++;
            }
            /* The leases' plan: nobody above ceil(P / S) once all are owned
             * (16 on 3 may settle as 6, 6, 4). */
            for (int i = 0; i < instances; i++)
                if (held[i] < 1 || held[i] > hi)
                    settled = 0;
        }
        for (int k = 0; settled && k < partitions; k++)
            if (pb_group_consumers(c, k) < 1)
                settled = 0;
        if (settled)
            break;
        if (secs_since(t0) > budget_s(0))
            die("%d instances on %d partitions: not every partition owned evenly and read "
                "within %.0f s (logs %s/slad-bench-*.log)", instances, partitions, budget_s(0),
                dir);
        sleep_us(20000);
    }
    free(owner);
    progress("%d instance%s on %d partition%s: owned evenly and reading %.1f s after spawn",
             instances, instances > 1 ? "s" : "", partitions, partitions > 1 ? "s" : "",
             secs_since(t0));
}

static void pb_cluster_stop(void)
{
    for (int i = 0; i < pb.instances; i++)
        stop_child(&child_inst[i], SIGTERM, 20000);
    pb.instances = 0;
}

/*
 * n entries of gen, each XADDed to its ticket's partition stream (with one
 * partition: sla:events, whatever the entry), 1,000 per round trip; the
 * last id of each stream into last[k] ("" when none). Returns the seconds
 * it took.
 */
static double load_spread(redisContext *c, int partitions, long n, gen_fn *fn, void *state,
                          char (*last)[48], const char *what)
{
    int P = partitions;
    char(*keys)[48] = malloc((size_t)P * sizeof *keys);
    int *part = malloc(1000 * sizeof *part);
    if (keys == NULL || part == NULL)
        die("out of memory");
    for (int k = 0; k < P; k++) {
        pb_key(keys[k], sizeof keys[k], P, k, "events");
        last[k][0] = '\0';
    }
    int64_t t0 = mono_ns();
    double limit = budget_s(n);
    gen_entry g;
    for (long i = 0; i < n;) {
        long chunk = n - i < 1000 ? n - i : 1000;
        int64_t now = wall_ms();
        for (long j = 0; j < chunk; j++) {
            g.argc = 0;
            g.used = 0;
            ge_add(&g, "XADD");
            ge_add(&g, keys[0]);
            ge_add(&g, "*");
            fn(state, i + j, now, &g);
            part[j] = 0;
            if (P > 1) {
                if (g.argc < 5 || strcmp(g.argv[3], "ticket") != 0)
                    die("a generated entry without a ticket first");
                part[j] = sla_partition_of(g.argv[4], g.lens[4], P);
            }
            g.argv[1] = keys[part[j]];
            g.lens[1] = strlen(keys[part[j]]);
            if (redisAppendCommandArgv(c, g.argc, g.argv, g.lens) != REDIS_OK)
                die("redis: %s", c->errstr);
        }
        for (long j = 0; j < chunk; j++) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK) {
                check_interrupted();
                die("redis: %s while loading %s", c->errstr, what);
            }
            if (r->type != REDIS_REPLY_STRING)
                die("XADD: %s", r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
            snprintf(last[part[j]], 48, "%s", r->str);
            freeReplyObject(r);
        }
        i += chunk;
        check_interrupted();
        if (secs_since(t0) > limit)
            die("loading %s took more than %.0f s", what, limit);
    }
    free(keys);
    free(part);
    double s = secs_since(t0);
    progress("%s: %ld entries loaded into %d stream%s in %.2f s (%.0f XADD/s)", what, n, P,
             P > 1 ? "s" : "", s, s > 0 ? n / s : 0.0);
    return s;
}

/* Polls every group "slad" (pipelined, every 5 ms) until each has read up
 * to last[k] with nothing pending; returns the time it saw the last one. */
static int64_t pb_wait_consumed(redisContext *c, char (*last)[48], long n, const char *what)
{
    int P = pb.partitions;
    char *done = calloc((size_t)P, 1);
    if (done == NULL)
        die("out of memory");
    int left = 0;
    for (int k = 0; k < P; k++) {
        done[k] = last[k][0] == '\0';
        left += !done[k];
    }
    int64_t t0 = mono_ns(), t_end = t0;
    double limit = budget_s(n);
    char key[64];
    while (left > 0) {
        for (int k = 0; k < P; k++)
            if (!done[k]) {
                pb_key(key, sizeof key, P, k, "events");
                redisAppendCommand(c, "XINFO GROUPS %s", key);
            }
        int64_t now = 0;
        for (int k = 0; k < P; k++) {
            if (done[k])
                continue;
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK)
                die("redis: %s (polling the groups)", c->errstr);
            now = mono_ns();
            for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
                const redisReply *g = r->element[i];
                int ours = 0;
                long long pending = -1;
                const char *delivered = "";
                for (size_t f = 0; g->type == REDIS_REPLY_ARRAY && f + 1 < g->elements; f += 2) {
                    const char *name = g->element[f]->str;
                    const redisReply *v = g->element[f + 1];
                    if (strcmp(name, "name") == 0 && v->type == REDIS_REPLY_STRING)
                        ours = strcmp(v->str, BENCH_GROUP) == 0;
                    else if (strcmp(name, "pending") == 0)
                        pending = reply_ll(v);
                    else if (strcmp(name, "last-delivered-id") == 0 &&
                             v->type == REDIS_REPLY_STRING)
                        delivered = v->str;
                }
                if (ours && pending == 0 && strcmp(delivered, last[k]) == 0) {
                    done[k] = 1;
                    left--;
                    t_end = now;
                }
            }
            freeReplyObject(r);
        }
        if (left == 0)
            break;
        pb_check_alive(what);
        if (secs_since(t0) > limit)
            die("%s: %d of %d partitions not consumed within %.0f s", what, left, P, limit);
        sleep_us(PB_POLL_US);
    }
    free(done);
    return t_end;
}

/* What one ingest measurement gives. */
typedef struct pb_ingest {
    int partitions, instances;
    long n;
    double s, eps;
    double cpu_slad, cpu_redis;   /* seconds over the timed span, all instances */
    double us_slad, us_redis;     /* per event */
    int leases_moved;             /* partitions whose lease changed hands meanwhile */
} pb_ingest;

/* Instance i's CPU seconds so far. */
static double pb_cpu_all(void)
{
    double s = 0;
    for (int i = 0; i < pb.instances; i++)
        s += cpu_s(child_inst[i]);
    return s;
}

/* A ticket id "W-<j>" of partition k (one waking entry per stream). */
static void pb_wake_id(int k, int partitions, char *out, size_t cap)
{
    for (long j = 0; j < 1000000; j++) {
        snprintf(out, cap, "W-%ld", j);
        if (sla_partition_of(out, strlen(out), partitions) == k)
            return;
    }
    die("no ticket id of partition %d among a million", k);
}

/* FLUSHALL, the mix loaded, S instances on P partitions started and handed
 * the load at once: their rate and CPU. The instances are left running. */
static void pb_measure_ingest(redisContext *c, int partitions, int instances, pb_ingest *out)
{
    freeReplyObject(rcmd(c, "FLUSHALL"));
    pb.partitions = partitions;
    int P = partitions;
    char(*last)[48] = malloc((size_t)P * sizeof *last);
    int *owner0 = malloc((size_t)P * sizeof *owner0), *owner1 = malloc((size_t)P * sizeof *owner1);
    if (last == NULL || owner0 == NULL || owner1 == NULL)
        die("out of memory");
    mix_state m;
    mix_init(&m, opt.entries);
    load_spread(c, P, opt.entries, gen_mix, &m, last, "mixed events");
    free(m.slots);
    char key[64];
    for (int k = 0; k < P; k++) {
        pb_key(key, sizeof key, P, k, "events");
        freeReplyObject(rcmd(c, "XGROUP CREATE %s %s $ MKSTREAM", key, BENCH_GROUP));
    }
    pb_cluster_start(c, partitions, instances);
    if (P > 1)
        pb_owners(c, owner0);

    /* The gate: every group back to the start, then one entry per stream. */
    double cpu0 = pb_cpu_all(), redis0 = cpu_s(child_redis);
    int64_t t0 = mono_ns();
    for (int k = 0; k < P; k++) {
        pb_key(key, sizeof key, P, k, "events");
        redisAppendCommand(c, "XGROUP SETID %s %s 0", key, BENCH_GROUP);
    }
    for (int k = 0; k < P; k++) {
        char id[32];
        pb_key(key, sizeof key, P, k, "events");
        pb_wake_id(k, P, id, sizeof id);
        redisAppendCommand(c, "XADD %s * ticket %s type ticket.opened ts %lld channel email "
                              "category general",
                           key, id, (long long)wall_ms());
    }
    for (int k = 0; k < 2 * P; k++) {
        redisReply *r;
        if (redisGetReply(c, (void **)&r) != REDIS_OK)
            die("redis: %s (opening the gate)", c->errstr);
        if (r->type == REDIS_REPLY_ERROR)
            die("opening the gate: %s", r->str);
        if (k >= P)
            snprintf(last[k - P], 48, "%s", r->str);
        freeReplyObject(r);
    }
    int64_t t_end = pb_wait_consumed(c, last, opt.entries, "ingesting the mixed events");
    double cpu1 = pb_cpu_all(), redis1 = cpu_s(child_redis);

    *out = (pb_ingest){.partitions = P, .instances = instances, .n = opt.entries + P};
    out->s = (double)(t_end - t0) / 1e9;
    out->eps = out->s > 0 ? (double)out->n / out->s : 0;
    out->cpu_slad = cpu1 - cpu0;
    out->cpu_redis = redis1 - redis0;
    out->us_slad = out->cpu_slad * 1e6 / (double)out->n;
    out->us_redis = out->cpu_redis * 1e6 / (double)out->n;
    if (P > 1) {
        pb_owners(c, owner1);
        for (int k = 0; k < P; k++)
            out->leases_moved += owner0[k] != owner1[k];
    }
    free(last);
    free(owner0);
    free(owner1);
    progress("P=%d S=%d: %ld entries in %.3f s: %.0f entries/s; CPU per event: slads %.2f us, "
             "redis %.2f us (cores: %.2f + %.2f)%s", P, instances, out->n, out->s, out->eps,
             out->us_slad, out->us_redis, out->s > 0 ? out->cpu_slad / out->s : 0,
             out->s > 0 ? out->cpu_redis / out->s : 0,
             out->leases_moved ? " (leases moved meanwhile)" : "");
}

/* Breach records of tickets prefix* in every partition's outbox. */
static void pb_collect_breaches(redisContext *c, breach_set *b)
{
    char key[64];
    for (int k = 0; k < pb.partitions; k++) {
        pb_key(key, sizeof key, pb.partitions, k, "escalations");
        escalations_scan_key(c, key, breach_collect, b);
    }
}

static long long pb_outbox_len(redisContext *c)
{
    char key[64];
    long long n = 0;
    for (int k = 0; k < pb.partitions; k++) {
        pb_key(key, sizeof key, pb.partitions, k, "escalations");
        n += stream_len(c, key);
    }
    return n;
}

/* opt.due chat tickets prefix*, spread over the partitions, due over the
 * window: late_ms of their breaches. */
static void pb_lateness(redisContext *c, const char *prefix, stats3 *fired, long *missing)
{
    char(*last)[48] = malloc((size_t)pb.partitions * sizeof *last);
    if (last == NULL)
        die("out of memory");
    long long esc0 = pb_outbox_len(c);
    due_state d = {.prefix = prefix, .n = opt.due, .span_ms = opt.window_ms};
    d.first_deadline_ms = wall_ms() + opt.lead_ms;
    int64_t last_deadline = d.first_deadline_ms + d.span_ms;
    load_spread(c, pb.partitions, opt.due, gen_due, &d, last, "due tickets");
    pb_wait_consumed(c, last, opt.due, "ingesting the due tickets");
    free(last);
    if (wall_ms() >= d.first_deadline_ms)
        progress("due tickets %s: NOT all ingested before the first deadline (raise --lead)",
                 prefix);
    double limit = budget_s(opt.due);
    for (;;) {
        pb_check_alive("firing the due tickets");
        int64_t now = wall_ms();
        if (now > last_deadline + 1000 && pb_outbox_len(c) >= esc0 + opt.due)
            break;
        if (now > last_deadline + (int64_t)(limit * 1000))
            break;
        sleep_us(50000);
    }
    breach_set b;
    breach_set_init(&b, prefix, opt.due);
    pb_collect_breaches(c, &b);
    *missing = opt.due - b.n;
    *fired = stats_of(b.fired, b.n);
    breach_set_free(&b);
    progress("P=%d S=%d: lateness of %ld breaches: p50 %" PRId64 " p99 %" PRId64 " max %" PRId64
             " ms", pb.partitions, pb.instances, fired->n, fired->p50, fired->p99, fired->max);
}

static long pb_rss_kb(int i)
{
    return proc_rss_kb(child_inst[i]);
}

/* --- takeover ------------------------------------------------------------- */

typedef struct takeover_gen {
    const char *in_victim; /* [P]: 1 for the victim's partitions */
    int partitions;
    long next;             /* the next id number to try */
    int64_t first_deadline_ms, span_ms;
    long n;
} takeover_gen;

/* Chat tickets "K-" of the victim's partitions only, due over the span. */
static void gen_takeover(void *state, long i, int64_t now, gen_entry *g)
{
    takeover_gen *t = state;
    char id[32];
    for (long tries = 0;; tries++) {
        if (tries > 1000000)
            die("no ticket id of the victim's partitions among a million");
        snprintf(id, sizeof id, "K-%07ld", t->next++);
        if (t->in_victim[sla_partition_of(id, strlen(id), t->partitions)])
            break;
    }
    int64_t deadline = t->first_deadline_ms + (t->n > 1 ? t->span_ms * i / (t->n - 1) : 0);
    gen_head(g, "K-", 7, t->next - 1, "ticket.opened", deadline - BENCH_CHAT_TARGET_MS);
    gen_attrs(g, "chat", "general", t->next - 1);
}

typedef struct takeover_scan {
    int k;                 /* the partition being scanned */
    int64_t kill_ms;
    int64_t *first_after;  /* [P]: entry id time of its first K- breach due after the kill */
    long records;          /* K- breach records, all partitions */
    long late_n;
    int64_t *late;         /* late_ms of the K- breaches due after the kill */
    long late_cap;
    char *seen;            /* [n]: K- ticket numbers recorded; a second is doubled */
    long seen_cap, doubled;
} takeover_scan;

static void takeover_collect(void *arg, const esc_record *rec)
{
    takeover_scan *s = arg;
    if (strcmp(rec->kind, "breach") != 0 || strncmp(rec->ticket, "K-", 2) != 0)
        return;
    long num = strtol(rec->ticket + 2, NULL, 10);
    if (num >= 0 && num < s->seen_cap) {
        if (s->seen[num])
            s->doubled++;
        s->seen[num] = 1;
    }
    s->records++;
    if (rec->deadline_ms + 1 <= s->kill_ms)
        return;
    if (s->first_after[s->k] == 0 || rec->id_ms < s->first_after[s->k])
        s->first_after[s->k] = rec->id_ms;
    if (s->late_n < s->late_cap)
        s->late[s->late_n++] = rec->late_ms;
}

typedef struct pb_takeover {
    int victim_partitions;
    long tickets, records, doubled;
    double owned_ms;        /* kill to every partition of the victim owned again */
    double resumed_ms;      /* kill to the last of those partitions' first breach after it */
    stats3 late_after;      /* late_ms of the breaches due after the kill */
    double bound_ms;        /* lease TTL + one renewal interval */
} pb_takeover;

static void pb_measure_takeover(redisContext *c, int partitions, int instances, pb_takeover *out)
{
    memset(out, 0, sizeof *out);
    freeReplyObject(rcmd(c, "FLUSHALL"));
    pb_cluster_start(c, partitions, instances);
    int P = partitions;
    int *owner = malloc((size_t)P * sizeof *owner);
    char *in_victim = calloc((size_t)P, 1);
    char(*last)[48] = malloc((size_t)P * sizeof *last);
    if (owner == NULL || in_victim == NULL || last == NULL)
        die("out of memory");
    pb_owners(c, owner);
    for (int k = 0; k < P; k++)
        if (owner[k] == 0) {
            in_victim[k] = 1;
            out->victim_partitions++;
        }
    if (out->victim_partitions == 0)
        die("bench-0 holds no partition");

    /* Due from 0.5 s before the kill to 2 s past the takeover's bound. */
    int ttl = pb_opt.lease_ttl_ms;
    out->bound_ms = ttl + ttl / 3.0;
    long n = opt.due < 100 ? 100 : opt.due;
    int64_t kill_at = wall_ms() + opt.lead_ms;
    takeover_gen tg = {.in_victim = in_victim, .partitions = P, .n = n,
                       .first_deadline_ms = kill_at - 500,
                       .span_ms = 500 + (int64_t)out->bound_ms + 2000};
    load_spread(c, P, n, gen_takeover, &tg, last, "tickets of bench-0's partitions");
    pb_wait_consumed(c, last, n, "ingesting the tickets of bench-0's partitions");
    out->tickets = n;
    if (wall_ms() >= kill_at - 500)
        progress("takeover: NOT ingested before the first deadline (raise --lead)");
    while (wall_ms() < kill_at) {
        pb_check_alive("waiting to kill bench-0");
        sleep_us(1000);
    }
    int64_t kill_ms = wall_ms(), kill_ns = mono_ns();
    kill(child_inst[0], SIGKILL);
    waitpid(child_inst[0], NULL, 0);
    child_inst[0] = -1;
    double limit_s = budget_s(0);
    for (;;) {
        pb_owners(c, owner);
        int left = 0;
        for (int k = 0; k < P; k++)
            left += in_victim[k] && (owner[k] < 1 || owner[k] >= instances);
        if (left == 0) {
            out->owned_ms = (double)(mono_ns() - kill_ns) / 1e6;
            break;
        }
        for (int i = 1; i < instances; i++) {
            int status;
            if (child_inst[i] > 0 && waitpid(child_inst[i], &status, WNOHANG) == child_inst[i]) {
                child_inst[i] = -1;
                die("slad bench-%d exited during the takeover; see %s", i, pb.log[i]);
            }
        }
        check_interrupted();
        if (secs_since(kill_ns) > limit_s)
            die("bench-0's partitions not owned again within %.0f s", limit_s);
        sleep_us(PB_POLL_US);
    }
    /* Every K- breach recorded, or the limit. */
    int64_t last_deadline = tg.first_deadline_ms + tg.span_ms;
    for (;;) {
        int64_t now = wall_ms();
        if (now > last_deadline + 1000 && pb_outbox_len(c) >= n)
            break;
        if (now > last_deadline + (int64_t)(limit_s * 1000))
            break;
        sleep_us(50000);
    }
    takeover_scan s = {.kill_ms = kill_ms, .late_cap = n, .seen_cap = tg.next};
    s.first_after = calloc((size_t)P, sizeof *s.first_after);
    s.late = malloc((size_t)n * sizeof *s.late);
    s.seen = calloc((size_t)tg.next + 1, 1);
    if (s.first_after == NULL || s.late == NULL || s.seen == NULL)
        die("out of memory");
    char key[64];
    for (int k = 0; k < P; k++) {
        s.k = k;
        pb_key(key, sizeof key, P, k, "escalations");
        escalations_scan_key(c, key, takeover_collect, &s);
    }
    int64_t resumed = 0;
    int unresumed = 0;
    for (int k = 0; k < P; k++)
        if (in_victim[k]) {
            if (s.first_after[k] == 0)
                unresumed++;
            else if (s.first_after[k] > resumed)
                resumed = s.first_after[k];
        }
    out->resumed_ms = unresumed ? -1 : (double)(resumed - kill_ms);
    out->records = s.records;
    out->doubled = s.doubled;
    out->late_after = stats_of(s.late, s.late_n);
    progress("takeover: bench-0's %d partitions owned again %.0f ms after SIGKILL, firing resumed "
             "in all of them %.0f ms after it (bound TTL + TTL/3: %.0f ms); %ld of %ld breaches "
             "recorded, %ld doubled", out->victim_partitions, out->owned_ms, out->resumed_ms,
             out->bound_ms, out->records, n, out->doubled);
    free(s.first_after);
    free(s.late);
    free(s.seen);
    free(owner);
    free(in_victim);
    free(last);
}

/* --- the two modes ------------------------------------------------------- */

static double ratio_to_quiet(int64_t x, int64_t quiet); /* in the report, below */

static void pb_print_ingest_row(const pb_ingest *f, const pb_ingest *base)
{
    printf("  %10d %9d %14.0f %8.2f %12.2f %12.2f %9.2f %8.2f %s\n", f->partitions, f->instances,
           f->eps, base->eps > 0 ? f->eps / base->eps : 0, f->us_slad, f->us_redis,
           base->us_slad > 0 ? f->us_slad / base->us_slad : 0,
           f->s > 0 ? (f->cpu_slad + f->cpu_redis) / f->s : 0,
           f->leases_moved ? "leases moved" : "");
}

static void pb_print_ingest_head(void)
{
    printf("  %10s %9s %14s %8s %12s %12s %9s %8s\n", "partitions", "instances", "events/s",
           "ratio", "slads us/ev", "redis us/ev", "ratio", "cores");
}

static void pb_json_ingest(const pb_ingest *f)
{
    printf("{\"partitions\":%d,\"instances\":%d,\"events\":%ld,\"seconds\":%.3f,"
           "\"events_per_s\":%.0f,\"slad_cpu_us_per_event\":%.3f,"
           "\"redis_cpu_us_per_event\":%.3f,\"leases_moved\":%d}",
           f->partitions, f->instances, f->n, f->s, f->eps, f->us_slad, f->us_redis,
           f->leases_moved);
}

static void pb_sweep(redisContext *c)
{
    static const int parts[] = {1, 4, 16, 64};
    static const int insts[] = {2, 3};
    pb_ingest f[6];
    int nf = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        pb_measure_ingest(c, parts[i], 1, &f[nf++]);
        pb_cluster_stop();
    }
    for (size_t i = 0; i < sizeof insts / sizeof insts[0]; i++) {
        pb_measure_ingest(c, 16, insts[i], &f[nf++]);
        pb_cluster_stop();
    }
    if (!opt.json_only) {
        printf("\nslad ingest by partitions and instances: %ld CPUs (load average %.2f at the "
               "start), redis %s, %ld mixed entries each, against one unpartitioned slad "
               "(the first row)\n\n", res.cpus, res.loadavg, res.redis_version, opt.entries);
        pb_print_ingest_head();
        for (int i = 0; i < nf; i++)
            pb_print_ingest_row(&f[i], &f[0]);
        printf("\n  (ratio: to the first row; cores: CPU of all slads and Redis over the "
               "timed span)\n\n");
    }
    printf("JSON: {\"cpus\":%ld,\"loadavg\":%.2f,\"redis\":\"%s\",\"sweep\":[", res.cpus,
           res.loadavg, res.redis_version);
    for (int i = 0; i < nf; i++) {
        if (i)
            putchar(',');
        pb_json_ingest(&f[i]);
    }
    printf("]}\n");
    fflush(stdout);
}

static void pb_run(redisContext *c)
{
    int P = pb_opt.partitions, S = pb_opt.instances;
    pb_ingest base, multi;
    stats3 base_late, multi_late;
    long base_missing, multi_missing, base_rss, rss[PB_INSTANCES_MAX];
    pb_takeover to;

    pb_measure_ingest(c, 1, 1, &base);
    pb_lateness(c, "D-", &base_late, &base_missing);
    base_rss = pb_rss_kb(0);
    pb_cluster_stop();

    pb_measure_ingest(c, P, S, &multi);
    pb_lateness(c, "D-", &multi_late, &multi_missing);
    for (int i = 0; i < S; i++)
        rss[i] = pb_rss_kb(i);
    pb_cluster_stop();

    int takeover = P > 1 && S > 1;
    if (takeover) {
        pb_measure_takeover(c, P, S, &to);
        pb_cluster_stop();
    }

    long rss_max = 0;
    for (int i = 0; i < S; i++)
        rss_max = rss[i] > rss_max ? rss[i] : rss_max;
    if (!opt.json_only) {
        char v[64], w[64];
        printf("\nslad partitioned: %d instances on %d partitions against one unpartitioned "
               "slad, same run: %ld CPUs (load average %.2f at the start), redis %s%s\n"
               "  %ld mixed entries; %ld due in %d ms; lease TTL %d ms\n\n",
               S, P, res.cpus, res.loadavg, res.redis_version, opt.smoke ? ", smoke sizes" : "",
               opt.entries, opt.due, opt.window_ms, pb_opt.lease_ttl_ms);
        printf("  %-46s %18s %18s %8s\n", "figure", "1 slad, P=1", "S slads", "ratio");
#define PB_ROW(what, a, b, r) printf("  %-46s %18s %18s %8s\n", what, a, b, r)
        char a[64], b[64];
        snprintf(a, sizeof a, "%.0f /s", base.eps);
        snprintf(b, sizeof b, "%.0f /s", multi.eps);
        snprintf(v, sizeof v, "%.2f", base.eps > 0 ? multi.eps / base.eps : 0);
        PB_ROW("ingest, mixed events", a, b, v);
        snprintf(a, sizeof a, "%.2f us", base.us_slad);
        snprintf(b, sizeof b, "%.2f us", multi.us_slad);
        snprintf(v, sizeof v, "%.2f", base.us_slad > 0 ? multi.us_slad / base.us_slad : 0);
        PB_ROW("  CPU per event, all slads", a, b, v);
        snprintf(a, sizeof a, "%.2f us", base.us_redis);
        snprintf(b, sizeof b, "%.2f us", multi.us_redis);
        snprintf(v, sizeof v, "%.2f", base.us_redis > 0 ? multi.us_redis / base.us_redis : 0);
        PB_ROW("  CPU per event, Redis", a, b, v);
        snprintf(a, sizeof a, "%.2f", base.s > 0 ? (base.cpu_slad + base.cpu_redis) / base.s : 0);
        snprintf(b, sizeof b, "%.2f",
                 multi.s > 0 ? (multi.cpu_slad + multi.cpu_redis) / multi.s : 0);
        PB_ROW("  cores busy (slads + Redis)", a, b, "");
        snprintf(a, sizeof a, "%" PRId64 "/%" PRId64 "/%" PRId64 " ms", base_late.p50,
                 base_late.p99, base_late.max);
        snprintf(b, sizeof b, "%" PRId64 "/%" PRId64 "/%" PRId64 " ms", multi_late.p50,
                 multi_late.p99, multi_late.max);
        snprintf(v, sizeof v, "%.1f", ratio_to_quiet(multi_late.p99, base_late.p99));
        PB_ROW("firing lateness p50/p99/max (ratio of p99)", a, b, v);
        if (base_missing || multi_missing) {
            snprintf(a, sizeof a, "%ld", base_missing);
            snprintf(b, sizeof b, "%ld", multi_missing);
            PB_ROW("  BREACHES MISSING", a, b, "");
        }
        snprintf(a, sizeof a, "%.1f MB", base_rss / 1024.0);
        snprintf(b, sizeof b, "%.1f MB", rss_max / 1024.0);
        snprintf(v, sizeof v, "%.2f", base_rss > 0 ? (double)rss_max / base_rss : 0);
        PB_ROW("RSS per instance (the largest)", a, b, v);
        w[0] = '\0';
        for (int i = 0; i < S && strlen(w) + 12 < sizeof w; i++)
            snprintf(w + strlen(w), sizeof w - strlen(w), "%s%.1f", i ? " " : "", rss[i] / 1024.0);
        PB_ROW("  each instance, MB", "", w, "");
        if (takeover) {
            snprintf(a, sizeof a, "%.0f ms", to.bound_ms);
            snprintf(b, sizeof b, "%.0f ms", to.owned_ms);
            snprintf(v, sizeof v, "%.2f", to.owned_ms / to.bound_ms);
            PB_ROW("takeover: SIGKILL to partitions owned again", a, b, v);
            snprintf(b, sizeof b, "%.0f ms", to.resumed_ms);
            snprintf(v, sizeof v, "%.2f", to.resumed_ms / to.bound_ms);
            PB_ROW("  SIGKILL to firing resumed in all of them", a, b, v);
            snprintf(b, sizeof b, "%" PRId64 "/%" PRId64 "/%" PRId64 " ms", to.late_after.p50,
                     to.late_after.p99, to.late_after.max);
            PB_ROW("  lateness of what fell due after the kill", "", b, "");
            snprintf(b, sizeof b, "%ld/%ld, %ld x2", to.records, to.tickets, to.doubled);
            PB_ROW("  breaches recorded / expected, doubled", "", b, "");
            if (to.records < to.tickets)
                printf("  BREACHES MISSING after the takeover: %ld\n", to.tickets - to.records);
            if (to.doubled > 0)
                printf("  BREACHES DOUBLED after the takeover: %ld\n", to.doubled);
            printf("\n  (takeover: the 1-slad column is the bound, lease TTL + one renewal "
                   "interval; bench-0 held %d partitions)\n", to.victim_partitions);
        }
#undef PB_ROW
        if (base.leases_moved || multi.leases_moved)
            printf("  leases moved during the ingest: %d partitions\n", multi.leases_moved);
        printf("\n");
    }
    printf("JSON: {\"cpus\":%ld,\"loadavg\":%.2f,\"redis\":\"%s\",\"smoke\":%s,"
           "\"lease_ttl_ms\":%d,\"single\":",
           res.cpus, res.loadavg, res.redis_version, opt.smoke ? "true" : "false",
           pb_opt.lease_ttl_ms);
    pb_json_ingest(&base);
    printf(",\"partitioned\":");
    pb_json_ingest(&multi);
    printf(",\"lateness\":{\"single\":{\"n\":%ld,\"p50\":%" PRId64 ",\"p99\":%" PRId64
           ",\"max\":%" PRId64 ",\"missing\":%ld},\"partitioned\":{\"n\":%ld,\"p50\":%" PRId64
           ",\"p99\":%" PRId64 ",\"max\":%" PRId64 ",\"missing\":%ld}}",
           base_late.n, base_late.p50, base_late.p99, base_late.max, base_missing, multi_late.n,
           multi_late.p50, multi_late.p99, multi_late.max, multi_missing);
    printf(",\"rss_kb\":{\"single\":%ld,\"instances\":[", base_rss);
    for (int i = 0; i < S; i++)
        printf("%s%ld", i ? "," : "", rss[i]);
    printf("]}");
    if (takeover)
        printf(",\"takeover\":{\"partitions\":%d,\"owned_ms\":%.0f,\"resumed_ms\":%.0f,"
               "\"bound_ms\":%.0f,\"late_after\":{\"p50\":%" PRId64 ",\"p99\":%" PRId64
               ",\"max\":%" PRId64 "},\"records\":%ld,\"expected\":%ld,\"doubled\":%ld}",
               to.victim_partitions, to.owned_ms, to.resumed_ms, to.bound_ms, to.late_after.p50,
               to.late_after.p99, to.late_after.max, to.records, to.tickets, to.doubled);
    printf("}\n");
    fflush(stdout);
}

/* ------------------------------------------------------------------------ */
/* report                                                                   */

static double per_ticket(double after, double before, long n)
{
    return n > 0 ? (after - before) / (double)n : 0;
}

static const char *verdict(int ok)
{
    return ok ? "ok" : "MISSED";
}

static void row(const char *what, const char *value, const char *target, const char *v)
{
    printf("  %-50s %16s   %-10s %s\n", what, value, target, v);
}

/* x / quiet, the quiet figure counted as at least 1 ms (it is often 0). */
static double ratio_to_quiet(int64_t x, int64_t quiet)
{
    return (double)x / (double)(quiet > 1 ? quiet : 1);
}

static void report(void)
{
    double rss_b = per_ticket(res.rss1_kb * 1024.0, res.rss0_kb * 1024.0, opt.open);
    double rss_r = per_ticket(res.rss_restored_kb * 1024.0, res.rss0_kb * 1024.0, opt.open);
    double redis_b = per_ticket((double)res.used1, (double)res.used0, opt.open);
    double usage_b = opt.open > 0 ? (double)res.state_usage / (double)opt.open : 0;
    double stream_b = per_ticket((double)res.used_untrimmed, (double)res.used1, opt.open);
    double c_rss_b = per_ticket(res.c_rss1_kb * 1024.0, res.rss_restored_kb * 1024.0,
                                opt.customers);
    double c_redis_b = per_ticket((double)res.c_used1, (double)res.c_used0, opt.customers);
    double c_usage_b =
        opt.customers > 0 ? (double)res.c_state_usage / (double)opt.customers : 0;
    int ok_ratio = res.ratio >= 0.8;
    int ok_p99 = res.fired.n > 0 && res.fired.p99 <= 10 && res.late_missing == 0;
    int ok_max = res.fired.n > 0 && res.fired.max <= 50 && res.late_missing == 0;
    int ok_rss = rss_b <= 200, ok_redis = redis_b <= 200;
    int ok_restart = res.restart_ms <= 5000;
    int ok_delivery = res.delivery_measured && res.delivery_rps >= 5000;
    int ok_false = res.false_records == 0;

    if (!opt.json_only) {
        char v[64], w[96];
        printf("\nslad end to end: %ld CPUs (load average %.2f at the start), redis %s, %s%s\n",
               res.cpus, res.loadavg, res.redis_version, opt.smoke ? "smoke sizes, " : "",
               opt.slad);
        printf("  %ld mixed entries (tickets opened: %ld chat, %ld email, %ld phone, %ld social);"
               " %ld open tickets; %ld due in %d ms; %ld deliveries; a backlog of %ld (%ld calls"
               " answered, %ld not)\n\n",
               opt.entries, res.mix_opened[CH_CHAT], res.mix_opened[CH_EMAIL],
               res.mix_opened[CH_PHONE], res.mix_opened[CH_SOCIAL], opt.open, opt.due,
               opt.window_ms, opt.deliveries, res.backlog, res.answered_calls, res.unanswered);
        row("figure", "value", "target", "");
        row("--------------------------------------------------", "----------------",
            "----------", "------");
        snprintf(v, sizeof v, "%.0f /s", res.ceiling_eps);
        row("ingest ceiling: bare XREADGROUP COUNT 1000 + XACK", v, "", "");
        snprintf(v, sizeof v, "%.0f /s", res.slad_eps);
        row("slad ingest, mixed events, batch 1000", v, "", "");
        snprintf(v, sizeof v, "%.2f", res.ratio);
        row("slad / ceiling", v, ">= 0.80", verdict(ok_ratio));
        snprintf(v, sizeof v, "%.2f / %.2f", res.ceiling_cpu_redis / res.ceiling_s,
                 res.ceiling_cpu_self / res.ceiling_s);
        row("  ceiling: CPU of redis / consumer (cores)", v, "", "");
        snprintf(v, sizeof v, "%.2f / %.2f", res.slad_cpu_redis / res.slad_s,
                 res.slad_cpu_slad / res.slad_s);
        row("  slad ingest: CPU of redis / slad (cores)", v, "", "");
        snprintf(w, sizeof w, "firing lateness p50 (late_ms)");
        snprintf(v, sizeof v, "%" PRId64 " ms", res.fired.p50);
        row(w, v, "", "");
        snprintf(v, sizeof v, "%" PRId64 " ms", res.fired.p99);
        row("firing lateness p99", v, "<= 10 ms", verdict(ok_p99));
        snprintf(v, sizeof v, "%" PRId64 " ms", res.fired.max);
        row("firing lateness max", v, "<= 50 ms", verdict(ok_max));
        snprintf(v, sizeof v, "%" PRId64 "/%" PRId64 "/%" PRId64 " ms", res.recorded.p50,
                 res.recorded.p99, res.recorded.max);
        row("in redis after it was due p50/p99/max", v, "", "");
        snprintf(v, sizeof v, "%ld of %ld", res.fired.n, opt.due);
        row("breach records of the due tickets", v, "", res.late_missing ? "MISSING" : "");
        snprintf(v, sizeof v, "%" PRId64 "/%" PRId64 "/%" PRId64 " ms", res.q_fired.p50,
                 res.q_fired.p99, res.q_fired.max);
        row("lateness p50/p99/max while clients query", v, "", res.q_missing ? "MISSING" : "");
        for (int k = 0; k < Q_RELOAD; k++) {
            snprintf(w, sizeof w, "  %s: answers, mean/max", query_names[k]);
            snprintf(v, sizeof v, "%ld, %.1f/%.1f ms", res.q_n[k], res.q_mean_ms[k],
                     res.q_max_ms[k]);
            row(w, v, "", res.q_failed[k] ? "FAILED" : "");
        }
        /* A reload while the last one is still being applied is refused. */
        snprintf(v, sizeof v, "%ld, %ld, %.1f/%.1f ms", res.q_n[Q_RELOAD], res.q_failed[Q_RELOAD],
                 res.q_mean_ms[Q_RELOAD], res.q_max_ms[Q_RELOAD]);
        row("  reload: applied, refused, mean/max", v, "", res.q_n[Q_RELOAD] ? "" : "NONE");
        if (opt.huge > 0) {
            snprintf(w, sizeof w, "lateness p50/p99/max, %ld entries of %ld MB", opt.huge,
                     opt.huge_mb);
            snprintf(v, sizeof v, "%" PRId64 "/%" PRId64 "/%" PRId64 " ms", res.h_fired.p50,
                     res.h_fired.p99, res.h_fired.max);
            row(w, v, "", res.h_missing ? "MISSING" : "");
            snprintf(v, sizeof v, "%.1f / %.1f",
                     ratio_to_quiet(res.h_fired.p99, res.fired.p99),
                     ratio_to_quiet(res.h_fired.max, res.fired.max));
            row("  ratio to quiet p99 / max (quiet >= 1 ms)", v, "", "");
            snprintf(v, sizeof v, "%ld, %lld B", res.h_dead, res.h_dead_bytes);
            row("  dead letters written, bytes", v, "", res.h_dead < res.h_pushed ? "MISSING" : "");
            snprintf(v, sizeof v, "%ld in %.0f ms", res.h_pushed, res.h_push_ms);
            row("  huge XADDs, time they took", v, "", res.h_failed ? "FAILED" : "");
            snprintf(v, sizeof v, "%ld -> %ld kB", res.h_rss0_kb, res.h_rss_kb);
            row("  slad RSS before -> after the phase", v, "", "");
        }
        snprintf(w, sizeof w, "slad RSS per open ticket (%ld open)", opt.open);
        snprintf(v, sizeof v, "%.0f B", rss_b);
        row(w, v, "<= 200 B", verdict(ok_rss));
        snprintf(v, sizeof v, "%.0f B", rss_r);
        row("slad RSS per open ticket after restart", v, "", "");
        snprintf(v, sizeof v, "%.0f B", redis_b);
        row("redis used_memory per open ticket", v, "<= 200 B", verdict(ok_redis));
        snprintf(v, sizeof v, "%.0f B", usage_b);
        row("redis MEMORY USAGE sla:state per ticket", v, "", "");
        snprintf(v, sizeof v, "%.0f B", stream_b);
        row("redis per event kept in sla:events (untrimmed)", v, "", "");
        if (opt.customers > 0) {
            snprintf(w, sizeof w, "slad RSS per open customer (%ld beside them)",
                     opt.customers);
            snprintf(v, sizeof v, "%.0f B (%.2fx)", c_rss_b, c_rss_b / (rss_b > 0 ? rss_b : 1));
            row(w, v, "<= per ticket", verdict(c_rss_b <= rss_b));
            snprintf(v, sizeof v, "%.0f B (%.2fx)", c_redis_b,
                     c_redis_b / (redis_b > 0 ? redis_b : 1));
            row("redis used_memory per open customer", v, "<= per ticket",
                verdict(c_redis_b <= redis_b));
            snprintf(v, sizeof v, "%.0f B (%.2fx)", c_usage_b,
                     c_usage_b / (usage_b > 0 ? usage_b : 1));
            row("redis MEMORY USAGE sla:state per customer", v, "", "");
        }
        snprintf(w, sizeof w, "restart: spawn to ready (%ld tickets)", res.restored);
        snprintf(v, sizeof v, "%.0f ms", res.restart_ms);
        row(w, v, "<= 5000 ms", verdict(ok_restart));
        snprintf(v, sizeof v, "%ld ms", res.restore_load_ms);
        row("  of which reading the state (slad's log)", v, "", "");
        snprintf(v, sizeof v, "%.2f / %.2f s", res.restart_cpu_redis, res.restart_cpu_slad);
        row("  restart: CPU of redis / slad", v, "", "");
        if (res.delivery_measured) {
            snprintf(v, sizeof v, "%.0f /s", res.delivery_rps);
            row("webhook deliveries to a keep-alive sink", v, ">= 5000 /s", verdict(ok_delivery));
            if (res.delivery_note[0])
                printf("  (%s)\n", res.delivery_note);
        } else {
            printf("  delivery: not measured (%s)\n", res.delivery_note);
        }
        snprintf(w, sizeof w, "catch-up: backlog in redis before first deadline");
        snprintf(v, sizeof v, "%.1f s", (double)res.backlog_margin_ms / 1000.0);
        row(w, v, "> 0", res.backlog_in_time ? "ok" : "NOT IN TIME");
        snprintf(v, sizeof v, "%.0f ms", res.catchup_ready_ms);
        row("catch-up: spawn to ready", v, "", "");
        snprintf(w, sizeof w, "catch-up: ready to all consumed (%ld entries)", res.backlog);
        snprintf(v, sizeof v, "%.2f s", res.catchup_consumed_s);
        row(w, v, "", "");
        snprintf(v, sizeof v, "%.0f /s", res.catchup_eps);
        row("catch-up rate", v, "", "");
        snprintf(v, sizeof v, "%.2f", res.catchup_ratio);
        row("catch-up / slad ingest", v, "", "");
        snprintf(v, sizeof v, "%.2f / %.2f", res.catchup_cpu_redis / res.catchup_wall_s,
                 res.catchup_cpu_slad / res.catchup_wall_s);
        row("  catch-up: CPU of redis / slad (cores)", v, "", "");
        snprintf(v, sizeof v, "%ld of %ld", res.unanswered - res.catchup_missing, res.unanswered);
        row("breaches of the unanswered calls", v, "", res.catchup_missing ? "MISSING" : "");
        snprintf(v, sizeof v, "%" PRId64 " ms", res.catchup_recorded_ms);
        row("  all in redis, after ready", v, "", "");
        snprintf(v, sizeof v, "%" PRId64 "/%" PRId64 "/%" PRId64 " ms", res.catchup_late.p50,
                 res.catchup_late.p99, res.catchup_late.max);
        row("  their late_ms p50/p99/max", v, "", "");
        snprintf(v, sizeof v, "%ld", res.false_records);
        row("records for the answered calls (false)", v, "0", ok_false ? "ok" : "FALSE");
        printf("\n");
        if (!ok_false)
            printf("FALSE RECORDS: %ld records for calls answered 1 s after they rang\n\n",
                   res.false_records);
    }
    printf("JSON: {\"cpus\":%ld,\"loadavg\":%.2f,\"redis\":\"%s\",\"smoke\":%s,"
           "\"entries\":%ld,\"open\":%ld,"
           "\"due\":%ld,\"window_ms\":%d,\"deliveries\":%ld,"
           "\"ceiling_eps\":%.0f,\"ingest_eps\":%.0f,\"ingest_ratio\":%.3f,"
           "\"ceiling_cpu_s\":{\"redis\":%.2f,\"consumer\":%.2f,\"wall\":%.3f},"
           "\"ingest_cpu_s\":{\"redis\":%.2f,\"slad\":%.2f,\"wall\":%.3f},"
           "\"lateness_ms\":{\"n\":%ld,\"missing\":%ld,\"p50\":%" PRId64 ",\"p99\":%" PRId64
           ",\"max\":%" PRId64 "},"
           "\"recorded_ms\":{\"p50\":%" PRId64 ",\"p99\":%" PRId64 ",\"max\":%" PRId64 "},"
           "\"due_ingested_before_deadlines\":%s,"
           "\"queried_lateness_ms\":{\"n\":%ld,\"missing\":%ld,\"p50\":%" PRId64
           ",\"p99\":%" PRId64 ",\"max\":%" PRId64 "},"
           "\"queries\":{\"due\":{\"n\":%ld,\"failed\":%ld,\"mean_ms\":%.2f,\"max_ms\":%.2f},"
           "\"breached\":{\"n\":%ld,\"failed\":%ld,\"mean_ms\":%.2f,\"max_ms\":%.2f},"
           "\"ticket\":{\"n\":%ld,\"failed\":%ld,\"mean_ms\":%.2f,\"max_ms\":%.2f},"
           "\"reload\":{\"applied\":%ld,\"refused\":%ld,\"mean_ms\":%.2f,\"max_ms\":%.2f}},"
           "\"rss_bytes_per_ticket\":%.1f,\"rss_bytes_per_ticket_restored\":%.1f,"
           "\"redis_bytes_per_ticket\":%.1f,\"redis_usage_bytes_per_ticket\":%.1f,"
           "\"redis_bytes_per_event_kept\":%.1f,"
           "\"restart_ready_ms\":%.0f,\"restart_state_load_ms\":%ld,\"restored\":%ld,"
           "\"restart_cpu_s\":{\"redis\":%.2f,\"slad\":%.2f},"
           "\"customers\":%ld,",
           res.cpus, res.loadavg, res.redis_version, opt.smoke ? "true" : "false", opt.entries,
           opt.open,
           opt.due, opt.window_ms, opt.deliveries, res.ceiling_eps, res.slad_eps, res.ratio,
           res.ceiling_cpu_redis, res.ceiling_cpu_self, res.ceiling_s, res.slad_cpu_redis,
           res.slad_cpu_slad, res.slad_s,
           res.fired.n, res.late_missing, res.fired.p50, res.fired.p99, res.fired.max,
           res.recorded.p50, res.recorded.p99, res.recorded.max,
           res.due_ingested_in_time ? "true" : "false", res.q_fired.n, res.q_missing,
           res.q_fired.p50, res.q_fired.p99, res.q_fired.max, res.q_n[Q_DUE],
           res.q_failed[Q_DUE], res.q_mean_ms[Q_DUE], res.q_max_ms[Q_DUE], res.q_n[Q_BREACHED],
           res.q_failed[Q_BREACHED], res.q_mean_ms[Q_BREACHED], res.q_max_ms[Q_BREACHED],
           res.q_n[Q_TICKET], res.q_failed[Q_TICKET], res.q_mean_ms[Q_TICKET],
           res.q_max_ms[Q_TICKET], res.q_n[Q_RELOAD], res.q_failed[Q_RELOAD],
           res.q_mean_ms[Q_RELOAD], res.q_max_ms[Q_RELOAD], rss_b, rss_r, redis_b, usage_b,
           stream_b,
           res.restart_ms, res.restore_load_ms, res.restored, res.restart_cpu_redis,
           res.restart_cpu_slad, opt.customers);
    if (opt.customers > 0)
        printf("\"rss_bytes_per_customer\":%.1f,\"redis_bytes_per_customer\":%.1f,"
               "\"redis_usage_bytes_per_customer\":%.1f,\"customers_load_s\":%.1f,"
               "\"customer_to_ticket\":{\"rss\":%.2f,\"redis\":%.2f,\"usage\":%.2f},",
               c_rss_b, c_redis_b, c_usage_b, res.c_load_s, c_rss_b / (rss_b > 0 ? rss_b : 1),
               c_redis_b / (redis_b > 0 ? redis_b : 1), c_usage_b / (usage_b > 0 ? usage_b : 1));
    if (opt.huge > 0)
        printf("\"huge\":{\"entries\":%ld,\"mb\":%ld,\"pushed\":%ld,\"push_ms\":%.0f,"
               "\"lateness_ms\":{\"n\":%ld,\"missing\":%ld,\"p50\":%" PRId64
               ",\"p99\":%" PRId64 ",\"max\":%" PRId64 "},"
               "\"ratio_to_quiet\":{\"p99\":%.2f,\"max\":%.2f},"
               "\"dead_letters\":%ld,\"dead_bytes\":%lld,\"rss_kb_before\":%ld,"
               "\"rss_kb_after\":%ld},",
               opt.huge, opt.huge_mb, res.h_pushed, res.h_push_ms, res.h_fired.n, res.h_missing,
               res.h_fired.p50, res.h_fired.p99, res.h_fired.max,
               ratio_to_quiet(res.h_fired.p99, res.fired.p99),
               ratio_to_quiet(res.h_fired.max, res.fired.max), res.h_dead, res.h_dead_bytes,
               res.h_rss0_kb, res.h_rss_kb);
    if (res.delivery_measured)
        printf("\"deliveries_per_s\":%.0f,\"delivered\":%ld,", res.delivery_rps, res.delivered);
    else
        printf("\"deliveries_per_s\":null,\"delivery_note\":\"%s\",", res.delivery_note);
    printf("\"catchup\":{\"backlog\":%ld,\"answered_calls\":%ld,\"unanswered\":%ld,"
           "\"load_s\":%.2f,\"margin_ms\":%" PRId64 ",\"in_redis_before_deadlines\":%s,"
           "\"ready_ms\":%.0f,\"consumed_after_ready_s\":%.3f,\"eps\":%.0f,"
           "\"ratio_to_ingest\":%.3f,\"cpu_s\":{\"redis\":%.2f,\"slad\":%.2f,\"wall\":%.3f},"
           "\"breaches\":%ld,\"missing\":%ld,\"recorded_after_ready_ms\":%" PRId64 ","
           "\"late_ms\":{\"p50\":%" PRId64 ",\"p99\":%" PRId64 ",\"max\":%" PRId64 "},"
           "\"false_records\":%ld},",
           res.backlog, res.answered_calls, res.unanswered, res.backlog_load_s,
           res.backlog_margin_ms, res.backlog_in_time ? "true" : "false", res.catchup_ready_ms,
           res.catchup_consumed_s, res.catchup_eps, res.catchup_ratio, res.catchup_cpu_redis,
           res.catchup_cpu_slad, res.catchup_wall_s, res.unanswered - res.catchup_missing,
           res.catchup_missing, res.catchup_recorded_ms, res.catchup_late.p50,
           res.catchup_late.p99, res.catchup_late.max, res.false_records);
    printf("\"targets_met\":{\"ingest_ratio\":%s,\"lateness_p99\":%s,\"lateness_max\":%s,"
           "\"rss\":%s,\"redis\":%s,\"restart\":%s,\"delivery\":%s,"
           "\"catchup_no_false_records\":%s}}\n",
           ok_ratio ? "true" : "false", ok_p99 ? "true" : "false", ok_max ? "true" : "false",
           ok_rss ? "true" : "false", ok_redis ? "true" : "false", ok_restart ? "true" : "false",
           res.delivery_measured ? (ok_delivery ? "true" : "false") : "null",
           ok_false ? "true" : "false");
    fflush(stdout);
}

/* ------------------------------------------------------------------------ */
/* main                                                                     */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: slabench [options]\n"
            "\n"
            "Measures slad end to end against a private redis-server: ingest rate against a\n"
            "bare consumer, firing lateness, memory per open ticket, restart time, webhook\n"
            "deliveries per second, and catching up on a backlog after a stop (its rate, and\n"
            "no breach of a call answered in time). Prints a table and one line\n"
            "\"JSON: {...}\". The catch-up phase waits for the 15 s pickup deadlines.\n"
            "\n"
            "  --smoke            small sizes, for CI (about 35 s, 16 of them waiting for\n"
            "                     the catch-up phase's deadlines)\n"
            "  --entries N        mixed entries for the ingest figures (1000000)\n"
            "  --open N           open tickets for memory and restart (1000000)\n"
            "  --customers N      customers signed after the restart, for memory per\n"
            "                     customer beside the tickets (0: skipped; --smoke 2000)\n"
            "  --due N            tickets falling due in the lateness window (100000)\n"
            "  --window MS        width of that window (10000)\n"
            "  --lead MS          from loading the due tickets to the first deadline (5000)\n"
            "  --huge N           entries with one huge value, over the window of a third\n"
            "                     lateness run (20; 0 skips it)\n"
            "  --huge-mb M        the size of that value, in MB (8; at most 64)\n"
            "  --deliveries N     breaches delivered at once for the delivery rate (100000)\n"
            "  --backlog N        entries loaded while slad is down, for catch-up (1000000)\n"
            "  --slad PATH        the daemon (slad next to slabench)\n"
            "  --norms PATH       norms.conf to include (%s/conf/norms.conf)\n"
            "  --redis-server P   redis-server to run (from PATH)\n"
            "  --timeout S        base limit of every wait, in seconds (120)\n"
            "  --keep             keep the temporary directory (logs, configuration)\n"
            "  --json-only        print only the JSON line on stdout\n"
            "\n"
            "Partitioned mode (README \"Sizing\"), instead of the phases above: one\n"
            "unpartitioned slad, then S instances sharing P partitions, in the same run:\n"
            "ingest rate and CPU per event (--entries), firing lateness (--due, --window,\n"
            "--lead), RSS per instance, and (P and S above 1) the takeover of a SIGKILLed\n"
            "instance's partitions.\n"
            "  --partitions P     partitions of the cluster (1..1024)\n"
            "  --instances S      slad instances sharing them (1..8; default 1)\n"
            "  --lease-ttl MS     instance.lease_ttl of the instances (2000)\n"
            "  --sweep            the ingest only, for P = 1, 4, 16, 64 with one instance\n"
            "                     and for 2 and 3 instances on 16 partitions\n",
            SLABENCH_SOURCE_DIR);
}

static long parse_count(const char *s, const char *name, long min)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > 100000000)
        die("%s: '%s' is not a number from %ld to 100000000", name, s, min);
    return v;
}

int main(int argc, char **argv)
{
    enum { O_SMOKE = 256, O_ENTRIES, O_OPEN, O_CUSTOMERS, O_DUE, O_WINDOW, O_LEAD, O_DELIV, O_BACKLOG, O_SLAD,
           O_NORMS, O_REDIS, O_TIMEOUT, O_KEEP, O_JSON, O_HUGE, O_HUGE_MB, O_PARTITIONS,
           O_INSTANCES, O_LEASE_TTL, O_SWEEP };
    static const struct option options[] = {
        {"smoke", no_argument, NULL, O_SMOKE},
        {"entries", required_argument, NULL, O_ENTRIES},
        {"open", required_argument, NULL, O_OPEN},
        {"customers", required_argument, NULL, O_CUSTOMERS},
        {"due", required_argument, NULL, O_DUE},
        {"window", required_argument, NULL, O_WINDOW},
        {"lead", required_argument, NULL, O_LEAD},
        {"deliveries", required_argument, NULL, O_DELIV},
        {"backlog", required_argument, NULL, O_BACKLOG},
        {"huge", required_argument, NULL, O_HUGE},
        {"huge-mb", required_argument, NULL, O_HUGE_MB},
        {"slad", required_argument, NULL, O_SLAD},
        {"norms", required_argument, NULL, O_NORMS},
        {"redis-server", required_argument, NULL, O_REDIS},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"keep", no_argument, NULL, O_KEEP},
        {"json-only", no_argument, NULL, O_JSON},
        {"partitions", required_argument, NULL, O_PARTITIONS},
        {"instances", required_argument, NULL, O_INSTANCES},
        {"lease-ttl", required_argument, NULL, O_LEASE_TTL},
        {"sweep", no_argument, NULL, O_SWEEP},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* First pass: --smoke sets the sizes the other options then override. */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--smoke") == 0) {
            opt.smoke = 1;
            opt.entries = 20000;
            opt.open = 10000;
            opt.customers = 2000;
            opt.due = 2000;
            opt.deliveries = 2000;
            opt.backlog = 20000;
            opt.lead_ms = 2000;
            opt.window_ms = 2000;
            opt.huge = 3;
            opt.huge_mb = 1;
        }
    int o;
    while ((o = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (o) {
        case O_SMOKE: break;
        case O_ENTRIES: opt.entries = parse_count(optarg, "--entries", 2000); break;
        case O_OPEN: opt.open = parse_count(optarg, "--open", 1); break;
        case O_CUSTOMERS: opt.customers = parse_count(optarg, "--customers", 0); break;
        case O_DUE: opt.due = parse_count(optarg, "--due", 1); break;
        case O_WINDOW: opt.window_ms = (int)parse_count(optarg, "--window", 0); break;
        case O_LEAD: opt.lead_ms = (int)parse_count(optarg, "--lead", 0); break;
        case O_DELIV: opt.deliveries = parse_count(optarg, "--deliveries", 2); break;
        case O_BACKLOG: opt.backlog = parse_count(optarg, "--backlog", 100); break;
        case O_HUGE:
            opt.huge = parse_count(optarg, "--huge", 0);
            if (opt.huge > 100)
                die("--huge: at most 100 entries");
            break;
        case O_HUGE_MB:
            opt.huge_mb = parse_count(optarg, "--huge-mb", 1);
            if (opt.huge_mb > 64)
                die("--huge-mb: at most 64");
            break;
        case O_SLAD: opt.slad = optarg; break;
        case O_NORMS: opt.norms = optarg; break;
        case O_REDIS: opt.redis_server = optarg; break;
        case O_TIMEOUT: opt.timeout_s = (int)parse_count(optarg, "--timeout", 1); break;
        case O_KEEP: opt.keep = 1; break;
        case O_JSON: opt.json_only = 1; break;
        case O_PARTITIONS:
            pb_opt.partitions = (int)parse_count(optarg, "--partitions", 1);
            if (pb_opt.partitions > SLA_PARTITIONS_MAX)
                die("--partitions: at most %d", SLA_PARTITIONS_MAX);
            break;
        case O_INSTANCES:
            pb_opt.instances = (int)parse_count(optarg, "--instances", 1);
            if (pb_opt.instances > BENCH_INSTANCES_MAX)
                die("--instances: at most %d", BENCH_INSTANCES_MAX);
            break;
        case O_LEASE_TTL: pb_opt.lease_ttl_ms = (int)parse_count(optarg, "--lease-ttl", 600); break;
        case O_SWEEP: pb_opt.sweep = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (pb_opt.partitions > 0 && pb_opt.instances == 0)
        pb_opt.instances = 1;
    if (pb_opt.instances > 0 && pb_opt.partitions == 0)
        pb_opt.partitions = pb_opt.instances > 1 ? 16 : 1;
    if (pb_opt.instances > 1 && pb_opt.partitions < 2)
        die("--instances above 1 needs --partitions above 1");

    static char slad_default[PATH_MAX + 64];
    if (opt.slad == NULL) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            die("cannot find slabench's own path; give --slad");
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        *slash = '\0';
        snprintf(slad_default, sizeof slad_default, "%s/slad", self);
        opt.slad = slad_default;
    }
    if (access(opt.slad, X_OK) != 0)
        die("no slad at %s (build it, or give --slad)", opt.slad);
    static char norms_default[PATH_MAX];
    if (opt.norms == NULL) {
        snprintf(norms_default, sizeof norms_default, "%s/conf/norms.conf", SLABENCH_SOURCE_DIR);
        opt.norms = norms_default;
    }

    parent_pid = getpid();
    res.cpus = sysconf(_SC_NPROCESSORS_ONLN);
    FILE *la = fopen("/proc/loadavg", "r");
    if (la == NULL || fscanf(la, "%lf", &res.loadavg) != 1)
        res.loadavg = -1;
    if (la)
        fclose(la);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/slabench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        dir[0] = '\0';
        die("mkdtemp: %s", strerror(errno));
    }
    atexit(cleanup);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    progress("working in %s", dir);
    redis_start();
    redisContext *c = redis_open(120);
    if (c == NULL)
        die("cannot connect to %s", redis_sock);
    redisReply *v = rcmd(c, "INFO server");
    const char *rv = strstr(v->str, "redis_version:");
    if (rv)
        sscanf(rv + 14, "%31[^\r\n]", res.redis_version);
    freeReplyObject(v);
    sink_start();
    slad_write_config(sink.port);

    if (pb_opt.partitions > 0 || pb_opt.instances > 0 || pb_opt.sweep) {
        if (pb_opt.sweep)
            pb_sweep(c);
        else
            pb_run(c);
        redisFree(c);
        sink_finish();
        return 0;
    }
    phase_ingest(c);
    phase_memory_restart(c);
    phase_customers(c);
    phase_lateness(c);
    phase_query_lateness(c);
    if (opt.huge > 0)
        phase_huge_lateness(c);
    phase_delivery(c);
    slad_stop();
    phase_catchup(c);
    slad_stop();

    report();
    redisFree(c);
    sink_finish();
    return 0;
}
