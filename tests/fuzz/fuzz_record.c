/*
 * fuzz_record — sla_engine_restore of arbitrary bytes into an engine
 * running the shipped configuration (conf/slad.conf with conf/norms.conf).
 *
 * A restarted slad rebuilds every ticket from the hash sla:state, whose
 * values anyone with access to Redis can change: a corrupt or hostile
 * record must be refused or restored into a consistent ticket, never
 * crash the daemon or make it misbehave later.
 *
 * Input: the whole input is restored as ticket "whole" (so a seed can be
 * a record exactly as slad wrote it); then it is read as frames
 *   u8 ticket (index into four names, so a ticket can be restored twice),
 *   u16 length (little-endian), that many record bytes
 * each restored in turn. The engine then runs as the daemon would: advance
 * to now, collect, events for every ticket (a reply, a pending, a close),
 * advance across days, reload the same configuration, free.
 *
 * Invariants checked:
 *   - a restored ticket is visible (ticket_info), a refused one is not
 *     created; the engine's open-ticket count matches;
 *   - after advance(t), next_wakeup() > t: nothing due is left behind;
 *   - every decision has a stable id "esc_" + 32 hex digits, level >= 0,
 *     late_ms >= 0, a known metric, and no (ticket, metric, cycle, level,
 *     receiver) fires twice within a run (exactly-once); no two decisions
 *     of a run share an id (recovered notices included);
 *   - every upsert decodes and restores into a second engine, whose view
 *     of the ticket (clock states, cycles, ladder progress, who was told
 *     of each breach, who acknowledged it and when) is the same.
 *
 * The configuration is loaded once (it is read-only for the engine) from
 * $SLA_SOURCE_DIR/conf/slad.conf, else from the source tree this file was
 * compiled from (__FILE__ is absolute in CMake builds).
 */
#include "fuzz.h"
#include "sla_config.h"
#include "sla_engine.h"
#include "sla_event.h"
#include "sla_metric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                 \
    do {                                                                              \
        if (!(cond))                                                                  \
            abort();                                                                  \
    } while (0)

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define DAY_MS (24LL * 3600 * 1000)
#define MAX_SEEN 4096

static const char *const names[] = {"T-1", "T-2", "chat-42", "whole"};
#define NNAMES 4

static const sla_config *shipped_config(void)
{
    static sla_config *cfg;
    if (cfg)
        return cfg;
    char path[4096], err[512];
    const char *src = getenv("SLA_SOURCE_DIR");
    if (src) {
        snprintf(path, sizeof path, "%s/conf/slad.conf", src);
    } else {
        const char *f = __FILE__, *cut = strstr(f, "tests/fuzz/fuzz_record.c");
        REQUIRE(cut != NULL);
        snprintf(path, sizeof path, "%.*sconf/slad.conf", (int)(cut - f), f);
    }
    if (sla_config_load(path, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "fuzz_record: cannot load %s: %s\n", path, err);
        abort();
    }
    return cfg;
}

struct firing {
    char ticket[16];
    int metric, level;
    uint32_t cycle;
    char receiver[32];
};

struct run {
    struct firing seen[MAX_SEEN];
    size_t nseen;
    char ids[MAX_SEEN][40];
    size_t nids;
};

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void check_decision(struct run *run, const sla_decision *d)
{
    REQUIRE(strncmp(d->id, "esc_", 4) == 0 && strlen(d->id) == 36);
    for (int i = 4; i < 36; i++)
        REQUIRE(is_hex(d->id[i]));
    REQUIRE(d->metric >= 0 && d->metric < SLA_METRIC_COUNT);
    REQUIRE(d->level >= 0 && d->late_ms >= 0);
    REQUIRE(d->ticket && d->policy && d->receiver);
    REQUIRE(sla_decision_kind_name((int)d->kind) != NULL);

    sla_field fields[SLA_DECISION_MAX_FIELDS];
    char scratch[SLA_DECISION_SCRATCH];
    size_t n = sla_decision_fields(d, fields, SLA_DECISION_MAX_FIELDS, scratch, sizeof scratch);
    REQUIRE(n >= 11 && n <= SLA_DECISION_MAX_FIELDS);

    for (size_t i = 0; i < run->nids; i++)
        REQUIRE(strcmp(run->ids[i], d->id) != 0);
    if (run->nids < MAX_SEEN)
        strcpy(run->ids[run->nids++], d->id);

    if (d->kind == SLA_DECISION_RECOVERED)
        return; /* a notice, not a ladder firing */
    REQUIRE(strlen(d->ticket) < sizeof run->seen[0].ticket &&
            strlen(d->receiver) < sizeof run->seen[0].receiver);
    for (size_t i = 0; i < run->nseen; i++) {
        const struct firing *f = &run->seen[i];
        REQUIRE(!(strcmp(f->ticket, d->ticket) == 0 && f->metric == d->metric &&
                  f->cycle == d->cycle && f->level == d->level &&
                  strcmp(f->receiver, d->receiver) == 0));
    }
    if (run->nseen < MAX_SEEN) {
        struct firing *f = &run->seen[run->nseen++];
        strcpy(f->ticket, d->ticket);
        strcpy(f->receiver, d->receiver);
        f->metric = d->metric;
        f->level = d->level;
        f->cycle = d->cycle;
    }
}

/* Both engines hold ticket id with the same clocks. */
static void check_same_ticket(sla_engine *a, sla_engine *b, const char *id,
                              size_t len, int64_t now)
{
    sla_clock_info ca[SLA_METRIC_COUNT], cb[SLA_METRIC_COUNT];
    const char *attrs;
    size_t attrs_len;
    int na = sla_engine_ticket_info(a, id, len, now, ca, &attrs, &attrs_len);
    int nb = sla_engine_ticket_info(b, id, len, now, cb, &attrs, &attrs_len);
    REQUIRE(na >= 0 && na == nb);
    for (int i = 0; i < na; i++) {
        REQUIRE(ca[i].metric == cb[i].metric && ca[i].state == cb[i].state &&
                ca[i].cycle == cb[i].cycle && ca[i].fired == cb[i].fired &&
                ca[i].warned == cb[i].warned && ca[i].acked == cb[i].acked &&
                ca[i].policy == cb[i].policy && ca[i].elapsed_ms == cb[i].elapsed_ms &&
                ca[i].deadline_ms == cb[i].deadline_ms && ca[i].nnotified == cb[i].nnotified);
        for (int k = 0; k < ca[i].nnotified; k++)
            REQUIRE(strcmp(ca[i].notified[k], cb[i].notified[k]) == 0);
        REQUIRE(ca[i].acked_ms == cb[i].acked_ms && strcmp(ca[i].acked_by, cb[i].acked_by) == 0);
    }
}

static void drain(sla_engine *e, struct run *run, int64_t now)
{
    sla_output out;
    sla_output_init(&out);
    sla_engine_collect(e, &out);
    for (size_t i = 0; i < out.ndecisions; i++)
        check_decision(run, &out.decisions[i]);
    for (size_t i = 0; i < out.nupserts; i++) {
        const sla_upsert *u = &out.upserts[i];
        sla_clock_info ci[SLA_METRIC_COUNT];
        const char *attrs;
        size_t attrs_len;
        if (sla_engine_ticket_info(e, u->ticket, u->ticket_len, now, ci, &attrs, &attrs_len) < 0)
            continue; /* closed since: its removal is in out.removed */
        sla_engine *m = sla_engine_new(shipped_config(), now);
        REQUIRE(m);
        REQUIRE(sla_engine_restore(m, u->ticket, u->ticket_len, u->record, u->record_len,
                                   now) == 0);
        check_same_ticket(e, m, u->ticket, u->ticket_len, now);
        sla_engine_free(m);
    }
    sla_output_clear(&out);
}

static int restore(sla_engine *e, const char *id, const uint8_t *rec, size_t len,
                   uint64_t *open)
{
    size_t idlen = strlen(id);
    sla_clock_info ci[SLA_METRIC_COUNT];
    const char *attrs;
    size_t attrs_len;
    int existed = sla_engine_ticket_info(e, id, idlen, NOW_MS, ci, &attrs, &attrs_len) >= 0;
    int rc = sla_engine_restore(e, id, idlen, (const unsigned char *)rec, len, NOW_MS);
    REQUIRE(rc == 0 || rc == -1);
    int exists = sla_engine_ticket_info(e, id, idlen, NOW_MS, ci, &attrs, &attrs_len) >= 0;
    if (rc == 0) {
        REQUIRE(exists);
        *open += !existed;
    } else {
        REQUIRE(exists == existed); /* a refused record leaves the old ticket alone */
    }
    sla_engine_stats st;
    sla_engine_get_stats(e, &st);
    REQUIRE(st.open_tickets == *open);
    return rc;
}

static void apply(sla_engine *e, const char *id, const char *type, uint64_t seq, int64_t ts)
{
    char tsbuf[32];
    snprintf(tsbuf, sizeof tsbuf, "%lld", (long long)ts);
    sla_field f[3] = {{"ticket", 6, id, strlen(id)},
                      {"type", 4, type, strlen(type)},
                      {"ts", 2, tsbuf, strlen(tsbuf)}};
    sla_event ev;
    REQUIRE(sla_event_parse(&ev, f, 3, ts, NULL, NULL, 0) == 0);
    /* Entry ids far in the future: newer than anything a record names. */
    sla_streamid sid = {UINT64_C(1) << 62, seq};
    int rc = sla_engine_apply(e, &ev, &sid, ts);
    REQUIRE(rc == SLA_APPLIED || rc == SLA_APPLY_DUPLICATE || rc == SLA_APPLY_UNKNOWN_TICKET);
}

static void advance(sla_engine *e, struct run *run, int64_t t)
{
    sla_engine_advance(e, t);
    REQUIRE(sla_engine_next_wakeup(e) > t);
    drain(e, run, t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct run run;
    const sla_config *cfg = shipped_config();
    sla_engine *e = sla_engine_new(cfg, NOW_MS);
    REQUIRE(e);
    run.nseen = 0;
    run.nids = 0;
    uint64_t open = 0;

    restore(e, "whole", data, size, &open);
    size_t pos = 0;
    for (int frames = 0; frames < 8 && pos + 3 <= size; frames++) {
        const char *id = names[data[pos] % NNAMES];
        size_t len = (size_t)data[pos + 1] | (size_t)data[pos + 2] << 8;
        pos += 3;
        if (len > size - pos)
            len = size - pos;
        restore(e, id, data + pos, len, &open);
        pos += len;
    }
    /* The empty id and an over-long id are always refused. */
    REQUIRE(sla_engine_restore(e, "", 0, data, size, NOW_MS) == -1);

    advance(e, &run, NOW_MS);
    int64_t t = NOW_MS;
    for (int i = 0; i < NNAMES; i++) {
        apply(e, names[i], "agent.reply", 1, t + 1000);
        apply(e, names[i], "ticket.pending", 2, t + 2000);
        apply(e, names[i], "ticket.resumed", 3, t + 3000);
    }
    advance(e, &run, t + 3000);
    for (int step = 1; step <= 6; step++) {
        int64_t next = sla_engine_next_wakeup(e);
        if (next == INT64_MAX || next > NOW_MS + 10 * DAY_MS)
            break;
        advance(e, &run, next);
    }
    sla_engine_set_config(e, cfg, NOW_MS + DAY_MS);
    advance(e, &run, NOW_MS + 4 * DAY_MS);
    for (int i = 0; i < NNAMES; i++)
        apply(e, names[i], "ticket.closed", 4, NOW_MS + 4 * DAY_MS);
    advance(e, &run, NOW_MS + 5 * DAY_MS);
    /* Closed unless a record claimed a last entry id newer than the close. */
    uint64_t left = 0;
    for (int i = 0; i < NNAMES; i++) {
        sla_clock_info ci[SLA_METRIC_COUNT];
        const char *attrs;
        size_t attrs_len;
        left += sla_engine_ticket_info(e, names[i], strlen(names[i]), NOW_MS, ci, &attrs,
                                       &attrs_len) >= 0;
    }
    sla_engine_stats st;
    sla_engine_get_stats(e, &st);
    REQUIRE(st.open_tickets == left);
    sla_engine_free(e);
    return 0;
}
