/*
 * test_matcher — sla_matcher_resolve agrees with sla_policy_resolve, the
 * reference, on random attribute sets: against the shipped configuration
 * and against random ones, with the cache on, off, tiny, and degenerate
 * (every tuple hashing alike, so only the stored tuple's bytes tell
 * entries apart); and the engine, which resolves through its matcher,
 * agrees with the reference before and after a configuration change.
 *
 * Attribute sets draw keys from the condition fields, other well-known
 * keys and labels no policy names; values from those the configuration
 * mentions, their near misses, numeric edges around every threshold and
 * long values; some keys twice (the first occurrence counts), some
 * well-known keys spelled out instead of coded (as a hand-made record may
 * hold them).
 */
#include "attrpack_gen.h"
#include "check.h"
#include "engine_fixture.h"

#include <math.h>

#include "sla_attrpack.h"
#include "sla_attrs.h"
#include "sla_matcher.h"
#include "sla_policy.h"

#include "test_rng.h"

/* ------------------------------------------------------------ string pools */

#define POOL_MAX 2048

typedef struct pool {
    const char *s[POOL_MAX];
    size_t n;
} pool;

static char arena[1 << 18];
static size_t arena_used;

static const char *keep(const char *s)
{
    size_t len = strlen(s) + 1;
    if (arena_used + len > sizeof arena)
        return "";
    char *p = arena + arena_used;
    memcpy(p, s, len);
    arena_used += len;
    return p;
}

static void add(pool *p, const char *s)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->s[i], s) == 0)
            return;
    if (p->n < POOL_MAX)
        p->s[p->n++] = keep(s);
}

static const char *pick(const pool *p) { return p->n ? p->s[rnd((uint32_t)p->n)] : "x"; }

static void add_near_misses(pool *p, const char *s)
{
    char buf[512];
    size_t len = strlen(s);
    add(p, s);
    if (len > 1) {
        snprintf(buf, sizeof buf, "%.*s", (int)(len - 1), s);
        add(p, buf);
    }
    snprintf(buf, sizeof buf, "%sx", s);
    add(p, buf);
    snprintf(buf, sizeof buf, "%s ", s);
    add(p, buf);
    snprintf(buf, sizeof buf, " %s", s);
    add(p, buf);
    snprintf(buf, sizeof buf, "%s", s);
    if (buf[0] >= 'a' && buf[0] <= 'z')
        buf[0] = (char)(buf[0] - 'a' + 'A');
    add(p, buf);
}

static void add_numbers(pool *p, double x)
{
    char buf[64];
    const double around[] = {x, x + 1, x - 1, nextafter(x, INFINITY), nextafter(x, -INFINITY),
                             x / 2, -x};
    for (size_t i = 0; i < sizeof around / sizeof around[0]; i++) {
        snprintf(buf, sizeof buf, "%.17g", around[i]);
        add(p, buf);
        snprintf(buf, sizeof buf, "%g", around[i]);
        add(p, buf);
    }
    snprintf(buf, sizeof buf, "%g.0", x);
    add(p, buf);
    snprintf(buf, sizeof buf, " %g", x); /* strtod skips leading blanks */
    add(p, buf);
    snprintf(buf, sizeof buf, "%g ", x); /* but not trailing ones */
    add(p, buf);
    snprintf(buf, sizeof buf, "+%ge0", x);
    add(p, buf);
    snprintf(buf, sizeof buf, "%a", x); /* hexadecimal */
    add(p, buf);
}

static void add_generic_values(pool *p)
{
    static const char *const v[] = {
        "", "0", "-0", "1", "2", "3", "1.5", "10", "1000", "1000.00", "1500.00", "1,000",
        "12 EUR", "nan", "NaN", "inf", "-inf", "infinity", "1e999", "-1e999", "1e-400",
        "0x3e8", "true", "TRUE", "false", "chat", "email", "phone", "social", "high", "low",
        "general", "complaint", "urgent", "\xe6\x98\xaf",
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        add(p, v[i]);
    char longv[300];
    memset(longv, 'v', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    add(p, longv); /* too long for a cache entry */
    longv[100] = '\0';
    add(p, longv);
}

/* Keys: condition fields, other well-known keys, labels no policy names. */
static void add_generic_keys(pool *p)
{
    static const char *const k[] = {
        "channel", "priority", "category", "tier", "group", "assignee", "customer", "subject",
        "url", "vip", "x", "levelx", "leve", "amount_", "complex.", "Channel", "channe",
        "a-long-label-name-that-no-condition-uses-and-is-longer-than-sixty-three-bytes",
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        add(p, k[i]);
}

/* Fields and values a configuration mentions, with their near misses. */
static void pools_from_config(const sla_config *cfg, pool *fields, pool *values)
{
    for (size_t p = 0; p < cfg->npolicies; p++)
        for (size_t i = 0; i < cfg->policies[p].nmatch; i++) {
            const sla_match *m = &cfg->policies[p].match[i];
            add(fields, m->field);
            if (m->op == SLA_MATCH_EQUAL)
                for (size_t k = 0; k < m->nvalues; k++)
                    add_near_misses(values, m->values[k]);
            else
                add_numbers(values, m->number);
        }
}

/* ------------------------------------------------------- random attributes */

/* Append one pair in compact form; a well-known key is sometimes spelled out. */
static size_t put_pair(char *out, size_t len, const char *key, const char *val)
{
    return attrpack_put_pair(out, len, key, val, rnd(8) == 0);
}

static size_t random_attrs(char *out, const pool *fields, const pool *keys, const pool *values)
{
    size_t n = rnd(9), len = 0;
    const char *used[16];
    for (size_t i = 0; i < n; i++) {
        const char *k = rnd(3) ? pick(fields) : pick(keys);
        if (i > 0 && rnd(10) == 0)
            k = used[rnd((uint32_t)i)]; /* the same key again */
        used[i] = k;
        len = put_pair(out, len, k, pick(values));
    }
    return len;
}

/* ------------------------------------------------------------- comparison */

enum { NMATCHERS = 6 };

typedef struct matchers {
    sla_matcher *m[NMATCHERS];
} matchers;

static int matchers_new(matchers *ms, const sla_config *cfg)
{
    ms->m[0] = sla_matcher_new(cfg);
    ms->m[1] = sla_matcher_new_tuned(cfg, 0, 32);  /* no cache */
    ms->m[2] = sla_matcher_new_tuned(cfg, 2, 32);  /* tiny: constant eviction */
    ms->m[3] = sla_matcher_new_tuned(cfg, 4, 0);   /* every tuple hashes to 0 */
    ms->m[4] = sla_matcher_new_tuned(cfg, 1, 0);   /* one entry for all */
    ms->m[5] = sla_matcher_new_tuned(cfg, 64, 3);  /* 8 hash values over 64 slots */
    for (int i = 0; i < NMATCHERS; i++)
        if (!ms->m[i])
            return -1;
    return 0;
}

static void matchers_free(matchers *ms)
{
    for (int i = 0; i < NMATCHERS; i++)
        sla_matcher_free(ms->m[i]);
}

static int disagreements;

static void dump(const char *attrs, size_t len)
{
    fprintf(stderr, "  attrs:");
    size_t pos = 0;
    while (pos < len) {
        unsigned c = (unsigned char)attrs[pos++];
        if (c) {
            fprintf(stderr, " #%u", c);
        } else {
            fprintf(stderr, " '%s'", attrs + pos);
            pos += strlen(attrs + pos) + 1;
        }
        fprintf(stderr, "='%s'", attrs + pos);
        pos += strlen(attrs + pos) + 1;
    }
    fprintf(stderr, "\n");
}

/* Every matcher gives the reference's answer. */
static void agree(const sla_config *cfg, matchers *ms, const char *attrs, size_t len)
{
    unsigned char ref[SLA_METRIC_COUNT], got[SLA_METRIC_COUNT];
    sla_policy_resolve(cfg, attrs, len, ref);
    for (int i = 0; i < NMATCHERS; i++) {
        memset(got, 0xee, sizeof got);
        sla_matcher_resolve(ms->m[i], attrs, len, got);
        if (memcmp(ref, got, sizeof ref) != 0) {
            if (disagreements++ < 5) {
                fprintf(stderr, "matcher %d disagrees:", i);
                for (int k = 0; k < SLA_METRIC_COUNT; k++)
                    fprintf(stderr, " %d/%d", ref[k], got[k]);
                fprintf(stderr, "\n");
                dump(attrs, len);
            }
            CHECK(!"matcher agrees with sla_policy_resolve");
        }
    }
}

/*
 * Random attribute sets against cfg; some repeated at once, some drawn
 * again from a small set of popular ones, so that the cache both hits and
 * misses.
 */
static void random_agreement(const sla_config *cfg, matchers *ms, const pool *keys,
                             const pool *values, int rounds)
{
    pool fields = {0};
    pool vals = *values;
    pools_from_config(cfg, &fields, &vals);
    static char popular[16][4096];
    size_t popular_len[16];
    for (int i = 0; i < 16; i++)
        popular_len[i] = random_attrs(popular[i], &fields, keys, &vals);
    char attrs[4096];
    for (int r = 0; r < rounds; r++) {
        if (rnd(3) == 0) {
            int i = (int)rnd(16);
            agree(cfg, ms, popular[i], popular_len[i]);
            continue;
        }
        size_t len = random_attrs(attrs, &fields, keys, &vals);
        CHECK(sla_attrpack_valid(attrs, len));
        agree(cfg, ms, attrs, len);
        if (rnd(4) == 0)
            agree(cfg, ms, attrs, len);
    }
}

/* ---------------------------------------------------------- random configs */

static char *dup_str(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    if (d)
        strcpy(d, s);
    return d;
}

static const char *const cfg_fields[] = {
    "channel", "priority", "category", "tier", "level", "amount", "risk",
    "complaint_count", "x", "subject",
    "a-long-label-name-that-no-condition-uses-and-is-longer-than-sixty-three-bytes",
};
static const char *const cfg_values[] = {
    "chat", "email", "phone", "high", "low", "gold", "urgent", "1", "2", "1000", "true", "x",
    "", "\xe6\x98\xaf",
    "a-very-long-value-for-an-equality-condition-longer-than-any-cache-entry-can-hold-"
    "so-that-its-tuples-bypass-the-cache-and-still-resolve-exactly-as-the-reference",
};
static const double cfg_numbers[] = {-1, 0, 0.5, 1, 2, 10, 1000, 1e300, -1e300, 1e-300};

static sla_config *random_config(void)
{
    sla_config *cfg = calloc(1, sizeof *cfg);
    size_t n = rnd(20) == 0 ? SLA_MAX_POLICIES + 5 : 1 + rnd(40);
    cfg->policies = calloc(n, sizeof *cfg->policies);
    cfg->npolicies = n;
    for (size_t p = 0; p < n; p++) {
        sla_policy *pol = &cfg->policies[p];
        /* Long configurations: mostly conditions that rarely hold, so that
         * policies past SLA_MAX_POLICIES would matter if counted. */
        pol->nmatch = n > 50 ? 1 + rnd(2) : rnd(4);
        pol->match = calloc(pol->nmatch ? pol->nmatch : 1, sizeof *pol->match);
        for (size_t i = 0; i < pol->nmatch; i++) {
            sla_match *m = &pol->match[i];
            /* The same field twice in one policy is possible in memory. */
            m->field = dup_str(cfg_fields[rnd(sizeof cfg_fields / sizeof cfg_fields[0])]);
            m->op = (enum sla_match_op)rnd(5);
            if (m->op == SLA_MATCH_EQUAL) {
                m->nvalues = 1 + rnd(3);
                m->values = calloc(m->nvalues, sizeof *m->values);
                for (size_t k = 0; k < m->nvalues; k++)
                    m->values[k] = dup_str(cfg_values[rnd(sizeof cfg_values / sizeof cfg_values[0])]);
            } else {
                m->number = cfg_numbers[rnd(sizeof cfg_numbers / sizeof cfg_numbers[0])];
            }
        }
        for (int k = 0; k < SLA_METRIC_COUNT; k++)
            pol->metrics[k].defined = rnd(5) < 2;
    }
    return cfg;
}

static void random_config_free(sla_config *cfg)
{
    for (size_t p = 0; p < cfg->npolicies; p++) {
        sla_policy *pol = &cfg->policies[p];
        for (size_t i = 0; i < pol->nmatch; i++) {
            free(pol->match[i].field);
            for (size_t k = 0; k < pol->match[i].nvalues; k++)
                free(pol->match[i].values[k]);
            free(pol->match[i].values);
        }
        free(pol->match);
    }
    free(cfg->policies);
    free(cfg);
}

/* ------------------------------------------------------------------- tests */

static char conf_path[512];

static void test_shipped(const pool *keys, const pool *values)
{
    sla_config *cfg = NULL;
    char err[512];
    if (sla_config_load(conf_path, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        CHECK(!"shipped configuration loads");
        return;
    }
    matchers ms;
    CHECK(matchers_new(&ms, cfg) == 0);
    random_agreement(cfg, &ms, keys, values, 60000);

    sla_matcher_stats st;
    sla_matcher_get_stats(ms.m[0], &st);
    CHECK(st.hits > 1000);
    CHECK(st.misses > 1000);
    CHECK(st.bypassed > 0); /* the 300-byte value of a condition field */
    sla_matcher_get_stats(ms.m[1], &st);
    CHECK(st.hits == 0 && st.misses == 0 && st.bypassed > 0);
    sla_matcher_get_stats(ms.m[4], &st); /* one entry, every hash 0: repeats hit */
    CHECK(st.hits > 0 && st.misses > 0);

    /* A few fixed cases of the norms. */
    char a[256];
    size_t n;
    unsigned char pol[SLA_METRIC_COUNT];
#define NAME(m) (pol[m] == SLA_POLICY_NONE ? "none" : cfg->policies[pol[m]].name)
    n = put_pair(a, 0, "level", "urgent");
    n = put_pair(a, n, "amount", "1000.5");
    sla_matcher_resolve(ms.m[0], a, n, pol);
    CHECK_STR(NAME(SLA_METRIC_RESOLUTION), "level-urgent");
    CHECK_STR(NAME(SLA_METRIC_FIRST_RESPONSE), "important-amount");
    n = put_pair(a, 0, "amount", "1000");
    n = put_pair(a, n, "amount", "5000"); /* the first occurrence counts */
    sla_matcher_resolve(ms.m[0], a, n, pol);
    CHECK(strcmp(NAME(SLA_METRIC_FIRST_RESPONSE), "important-amount") != 0);
    matchers_free(&ms);
    sla_config_free(cfg);
}

static void test_random_configs(const pool *keys, const pool *values)
{
    for (int c = 0; c < 60; c++) {
        sla_config *cfg = random_config();
        matchers ms;
        CHECK(matchers_new(&ms, cfg) == 0);
        random_agreement(cfg, &ms, keys, values, 2000);
        matchers_free(&ms);
        random_config_free(cfg);
    }
    /* No policies, and policies without conditions. */
    sla_config empty = {0};
    matchers ms;
    CHECK(matchers_new(&ms, &empty) == 0);
    random_agreement(&empty, &ms, keys, values, 50);
    matchers_free(&ms);
}

/* Two tuples in one slot with one hash: only their bytes tell them apart. */
static void test_collision(void)
{
    sla_config *cfg = fx_config(
        "policies = (\n"
        "  { name = \"chat\"; match = { channel = \"chat\"; };\n"
        "    first_response = { target = \"30s\"; escalate = ( { notify = [ \"team_lead\" ]; } ); }; },\n"
        "  { name = \"email\"; match = { channel = \"email\"; };\n"
        "    first_response = { target = \"8h\"; escalate = ( { notify = [ \"team_lead\" ]; } ); }; } );\n");
    CHECK(cfg != NULL);
    if (!cfg)
        return;
    sla_matcher *m = sla_matcher_new_tuned(cfg, 1, 0);
    CHECK(m != NULL);
    if (!m) {
        sla_config_free(cfg);
        return;
    }
    char a[64], b[64];
    size_t alen = put_pair(a, 0, "channel", "chat");
    size_t blen = put_pair(b, 0, "channel", "email");
    unsigned char pa[SLA_METRIC_COUNT], pb[SLA_METRIC_COUNT];
    sla_matcher_stats st;

    sla_matcher_resolve(m, a, alen, pa);
    CHECK_INT(pa[SLA_METRIC_FIRST_RESPONSE], 0);
    sla_matcher_resolve(m, a, alen, pa); /* the same tuple: a hit */
    CHECK_INT(pa[SLA_METRIC_FIRST_RESPONSE], 0);
    sla_matcher_get_stats(m, &st);
    CHECK(st.hits == 1 && st.misses == 1);
    sla_matcher_resolve(m, b, blen, pb); /* same slot, same hash, other bytes: a miss */
    CHECK_INT(pb[SLA_METRIC_FIRST_RESPONSE], 1);
    sla_matcher_resolve(m, a, alen, pa); /* b evicted a */
    CHECK_INT(pa[SLA_METRIC_FIRST_RESPONSE], 0);
    sla_matcher_get_stats(m, &st);
    CHECK(st.hits == 1 && st.misses == 3);
    /* A prefix of another tuple: "cha" against "chat". */
    size_t clen = put_pair(b, 0, "channel", "cha");
    sla_matcher_resolve(m, b, clen, pb);
    CHECK_INT(pb[SLA_METRIC_FIRST_RESPONSE], SLA_POLICY_NONE);
    sla_matcher_free(m);
    sla_config_free(cfg);
}

/* ------------------------------------------------------- through the engine */

/* The model of a ticket: plain attributes as sla_attrs_merge keeps them. */
typedef struct model_ticket {
    char id[8];
    int open;
    char *plain;
    size_t plen;
} model_ticket;

/* The engine holds the model's attributes, and every clock that ever ran
 * the reference's policy for them. */
static void check_ticket(fixture *fx, const model_ticket *mt)
{
    sla_clock_info ci[SLA_METRIC_COUNT];
    const char *attrs;
    size_t alen;
    int n = sla_engine_ticket_info(fx->eng, mt->id, strlen(mt->id), T0, ci, &attrs, &alen);
    CHECK_INT(n >= 0, mt->open);
    if (n < 0)
        return;
    CHECK(alen == mt->plen && (alen == 0 || memcmp(attrs, mt->plain, alen) == 0));
    static char packed[SLA_ATTRPACK_MAX];
    size_t plen = sla_attrpack_size(mt->plain, mt->plen);
    sla_attrpack_pack(mt->plain, mt->plen, packed);
    unsigned char pol[SLA_METRIC_COUNT];
    sla_policy_resolve(fx->cfg, packed, plen, pol);
    for (int i = 0; i < n; i++) {
        int want = pol[ci[i].metric] == SLA_POLICY_NONE ? -1 : pol[ci[i].metric];
        if (ci[i].policy != want)
            fprintf(stderr, "ticket %s metric %d: policy %d, reference %d\n", mt->id,
                    ci[i].metric, ci[i].policy, want);
        CHECK_INT(ci[i].policy, want);
    }
}

/* A random event for ticket mt, applied to the engine and to the model. */
static void random_event(fixture *fx, model_ticket *mt, int64_t now, const pool *fields,
                         const pool *keys, const pool *values)
{
    static const char *const update_types[] = {"ticket.updated", "agent.reply", "agent.update",
                                               "ticket.opened", "customer.message",
                                               "ticket.closed"};
    sla_field f[16];
    size_t n = 0;
    const char *type = mt->open ? update_types[rnd(6)] : (rnd(2) ? "ticket.opened"
                                                                  : "customer.message");
    f[n++] = (sla_field){"ticket", 6, mt->id, strlen(mt->id)};
    f[n++] = (sla_field){"type", 4, type, strlen(type)};
    size_t nattrs = rnd(3) ? rnd(6) : 0;
    for (size_t i = 0; i < nattrs; i++) {
        const char *k = rnd(3) ? pick(fields) : pick(keys);
        size_t j = 2;
        while (j < n && strcmp(f[j].key, k) != 0)
            j++;
        if (j < n || strlen(k) > 64)
            continue; /* the parser refuses a key twice or a long one */
        const char *v = rnd(6) ? pick(values) : ""; /* "" removes */
        f[n++] = (sla_field){k, strlen(k), v, strlen(v)};
    }
    static sla_event ev;
    char reason[256];
    int rc = sla_event_parse(&ev, f, n, now, &fx->cfg->stream.limits, reason, sizeof reason);
    CHECK_INT(rc, 0);
    if (rc < 0) {
        fprintf(stderr, "%s\n", reason);
        return;
    }
    sla_streamid id = {(uint64_t)now, ++fx->seq};
    CHECK_INT(sla_engine_apply(fx->eng, &ev, &id, now), SLA_APPLIED);
    sla_engine_collect(fx->eng, &fx->out);
    fx_take(fx);
    if (ev.type == SLA_EV_TICKET_CLOSED) {
        mt->open = 0;
        free(mt->plain);
        mt->plain = NULL;
        mt->plen = 0;
        return;
    }
    mt->open = 1;
    char *before = mt->plain;
    size_t before_len = mt->plen;
    if (sla_attrs_merge(&mt->plain, &mt->plen, ev.attrs, ev.nattrs) < 0)
        CHECK(mt->plain == before && mt->plen == before_len); /* refused: unchanged */
}

static void test_engine(const pool *keys, const pool *values)
{
    fixture fx;
    if (fx_init_path(&fx, conf_path, T0) < 0) {
        CHECK(!"shipped configuration loads");
        return;
    }
    pool fields = {0};
    pool vals = *values;
    pools_from_config(fx.cfg, &fields, &vals);
    model_ticket t[5];
    memset(t, 0, sizeof t);
    for (int k = 0; k < 5; k++)
        snprintf(t[k].id, sizeof t[k].id, "T%d", k);
    int64_t now = T0;
    for (int i = 0; i < 6000; i++) {
        if (i == 3000) {
            /* A new configuration: the engine must resolve with its rules
             * (the old one is freed at once, as the daemon does). */
            sla_config *cfg2 = fx_config(
                "policies = (\n"
                "  { name = \"big\"; match = { amount = \">=1000\"; channel = [ \"chat\", \"phone\" ]; };\n"
                "    first_response = { target = \"1h\"; escalate = ( { notify = [ \"manager\" ]; } ); }; },\n"
                "  { name = \"urgent\"; match = { level = \"urgent\"; };\n"
                "    resolution = { target = \"2h\"; escalate = ( { notify = [ \"director\" ]; } ); }; },\n"
                "  { name = \"email\"; match = { channel = \"email\"; priority = \"high\"; };\n"
                "    first_response = { target = \"4h\"; escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
                "    periodic_update = { target = \"1h\"; escalate = ( { notify = [ \"team_lead\" ]; } ); }; },\n"
                "  { name = \"rest\"; match = { vip = \"yes\"; };\n"
                "    resolution = { target = \"1d\"; escalate = ( { notify = [ \"team_lead\" ]; } ); }; } );\n");
            CHECK(cfg2 != NULL);
            if (!cfg2)
                break;
            sla_engine_set_config(fx.eng, cfg2, now);
            sla_config_free(fx.cfg);
            fx.cfg = cfg2;
            add(&fields, "vip");
            add(&vals, "yes");
            for (int k = 0; k < 5; k++)
                check_ticket(&fx, &t[k]);
        }
        now += SEC;
        model_ticket *mt = &t[rnd(5)];
        random_event(&fx, mt, now, &fields, keys, &vals);
        check_ticket(&fx, mt);
    }
    for (int k = 0; k < 5; k++)
        free(t[k].plain);
    fx_release(&fx);
}

int main(void)
{
    const char *src = getenv("SLA_SOURCE_DIR");
    snprintf(conf_path, sizeof conf_path, "%s/conf/slad.conf", src ? src : ".");
    pool keys = {0}, values = {0};
    add_generic_keys(&keys);
    add_generic_values(&values);

    test_collision();
    test_shipped(&keys, &values);
    test_random_configs(&keys, &values);
    test_engine(&keys, &values);
    return CHECK_DONE();
}
