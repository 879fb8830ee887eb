/*
 * sla_report — see sla_report.h for the layout and the figures.
 *
 * A batch is an array of (day, field, increment) with the field text in
 * one growing arena; sla_report_batch_entries() sorts it and merges equal
 * (day, field) in place: O(n log n) per transaction, no hashing.
 *
 * A query keeps its rows in an open-addressing table keyed by (metric,
 * group), so folding a day of F fields costs O(F); rows are sorted only
 * when asked for.
 */
#include "sla_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sla_attrs.h"
#include "sla_metric.h"
#include "sla_textwidth.h"

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

const int64_t sla_report_bucket_ms[SLA_REPORT_BUCKETS] = {
    30000,       MIN_MS,       2 * MIN_MS,  5 * MIN_MS,  10 * MIN_MS, 15 * MIN_MS,
    30 * MIN_MS, HOUR_MS,      2 * HOUR_MS, 4 * HOUR_MS, 8 * HOUR_MS, DAY_MS,
    2 * DAY_MS,  3 * DAY_MS,   7 * DAY_MS,  INT64_MAX,
};

static const char *const stat_names[] = {"met", "late", "stopped", "breached"};

int sla_report_bucket(int64_t taken_ms)
{
    int i = 0;
    while (i < SLA_REPORT_BUCKETS - 1 && taken_ms > sla_report_bucket_ms[i])
        i++;
    return i;
}

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm). */
void sla_report_day_name(int64_t day, char out[11])
{
    int64_t z = day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999;
    snprintf(out, 11, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int sla_report_day_parse(const char *s, int64_t *day)
{
    int y, m, d, n = 0;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
        y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    int64_t v = days_from_civil(y, m, d);
    char back[11];
    sla_report_day_name(v, back);
    if (strcmp(back, s) != 0)
        return -1; /* 2026-02-30 */
    *day = v;
    return 0;
}

/* Append s (len bytes) with '%' and '|' escaped, cut to max source bytes
 * at a UTF-8 boundary. Returns the new end. */
static char *put_escaped(char *p, const char *s, size_t len, size_t max)
{
    len = sla_utf8_cut(s, len, max);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' || s[i] == '|') {
            memcpy(p, s[i] == '%' ? "%25" : "%7C", 3);
            p += 3;
        } else {
            *p++ = s[i];
        }
    }
    return p;
}

/* --------------------------------------------------------------- batch -- */

typedef struct batch_entry {
    int64_t day;
    size_t off, len; /* field text in the arena */
    long long incr;
} batch_entry;

/*
 * Entries are unique by (day, field): a push that finds its counter adds to
 * it (an open-addressing index of 1 + entry number), so a batch of
 * thousands of outcomes holds a few dozen entries and sorting them at the
 * end costs nothing.
 */
struct sla_report_batch {
    batch_entry *e;
    size_t n, cap;
    char *arena;
    size_t used, size;
    uint32_t *slots;  /* 1 + index into e, 0 empty; nslots a power of two */
    size_t nslots;
    int merged;
};

sla_report_batch *sla_report_batch_new(void) { return calloc(1, sizeof(sla_report_batch)); }

void sla_report_batch_free(sla_report_batch *b)
{
    if (!b)
        return;
    free(b->e);
    free(b->arena);
    free(b->slots);
    free(b);
}

void sla_report_batch_clear(sla_report_batch *b)
{
    b->n = 0;
    b->used = 0;
    b->merged = 0;
    if (b->slots)
        memset(b->slots, 0, b->nslots * sizeof *b->slots);
}

static uint64_t entry_hash(int64_t day, const char *field, size_t len)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)day;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)field[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

/* Index entry i (b->slots has room). */
static void slot_put(sla_report_batch *b, size_t i)
{
    const batch_entry *x = &b->e[i];
    size_t k = entry_hash(x->day, b->arena + x->off, x->len) & (b->nslots - 1);
    while (b->slots[k])
        k = (k + 1) & (b->nslots - 1);
    b->slots[k] = (uint32_t)(i + 1);
}

/* Keep the index at most half full. */
static int slots_grow(sla_report_batch *b)
{
    if (b->slots && (b->n + 1) * 2 <= b->nslots)
        return 0;
    size_t ns = b->nslots ? b->nslots * 2 : 128;
    uint32_t *s = calloc(ns, sizeof *s);
    if (!s)
        return -1;
    free(b->slots);
    b->slots = s;
    b->nslots = ns;
    for (size_t i = 0; i < b->n; i++)
        slot_put(b, i);
    return 0;
}

static int batch_push(sla_report_batch *b, int64_t day, const char *field, size_t len,
                      long long incr)
{
    if (b->merged) {
        /* Sorted since the index was built: index again. */
        memset(b->slots, 0, b->nslots * sizeof *b->slots);
        for (size_t i = 0; i < b->n; i++)
            slot_put(b, i);
    }
    if (slots_grow(b) < 0)
        return -1;
    for (size_t k = entry_hash(day, field, len) & (b->nslots - 1); b->slots[k];
         k = (k + 1) & (b->nslots - 1)) {
        batch_entry *x = &b->e[b->slots[k] - 1];
        if (x->day == day && x->len == len && memcmp(b->arena + x->off, field, len) == 0) {
            x->incr += incr;
            return 0;
        }
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        batch_entry *e = realloc(b->e, cap * sizeof *e);
        if (!e)
            return -1;
        b->e = e;
        b->cap = cap;
    }
    if (b->used + len > b->size) {
        size_t size = b->size ? b->size * 2 : 4096;
        while (size < b->used + len)
            size *= 2;
        char *a = realloc(b->arena, size);
        if (!a)
            return -1;
        b->arena = a;
        b->size = size;
    }
    memcpy(b->arena + b->used, field, len);
    b->e[b->n] = (batch_entry){day, b->used, len, incr};
    b->used += len;
    slot_put(b, b->n++);
    b->merged = 0;
    return 0;
}

int sla_report_batch_add(sla_report_batch *b, const sla_outcome *o, int64_t day,
                         char *const *dims, size_t ndims)
{
    const char *metric = sla_metric_name(o->metric);
    if (!metric || o->kind < 0 || o->kind >= SLA_OUTCOME_COUNT)
        return 0;
    for (size_t g = 0; g <= ndims; g++) {
        char field[SLA_REPORT_FIELD_MAX];
        char *p = field;
        size_t ml = strlen(metric);
        memcpy(p, metric, ml);
        p += ml;
        *p++ = '|';
        p = put_escaped(p, o->policy, strlen(o->policy), SLA_REPORT_VALUE_MAX);
        *p++ = '|';
        if (g > 0) {
            const char *dim = dims[g - 1];
            const char *v = sla_attrs_get(o->attrs, o->attrs_len, dim, strlen(dim));
            p = put_escaped(p, dim, strlen(dim), SLA_REPORT_VALUE_MAX);
            *p++ = '=';
            if (v)
                p = put_escaped(p, v, strlen(v), SLA_REPORT_VALUE_MAX);
        }
        *p++ = '|';
        char *stat = p;
        int rc = 0;
        if (o->kind == SLA_OUTCOME_CSAT) {
            memcpy(stat, "csat_n", 6);
            rc = batch_push(b, day, field, (size_t)(stat - field) + 6, 1);
            memcpy(stat, "csat_sum", 8);
            if (rc == 0)
                rc = batch_push(b, day, field, (size_t)(stat - field) + 8, o->satisfaction);
        } else {
            size_t sl = strlen(stat_names[o->kind]);
            memcpy(stat, stat_names[o->kind], sl);
            rc = batch_push(b, day, field, (size_t)(stat - field) + sl, 1);
            int met = o->kind == SLA_OUTCOME_MET || o->kind == SLA_OUTCOME_LATE;
            if (rc == 0 && met && o->taken_ms >= 0) {
                int n = snprintf(stat, 8, "h%d", sla_report_bucket(o->taken_ms));
                rc = batch_push(b, day, field, (size_t)(stat - field) + (size_t)n, 1);
            }
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

static const char *cmp_arena;

static int entry_cmp(const void *a, const void *b)
{
    const batch_entry *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(cmp_arena + x->off, cmp_arena + y->off, n);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

size_t sla_report_batch_entries(sla_report_batch *b)
{
    if (b->merged || b->n == 0)
        return b->n;
    cmp_arena = b->arena; /* entries are unique already (batch_push) */
    qsort(b->e, b->n, sizeof *b->e, entry_cmp);
    b->merged = 1;
    return b->n;
}

void sla_report_batch_entry(const sla_report_batch *b, size_t i, int64_t *day, const char **field,
                            size_t *field_len, long long *incr)
{
    *day = b->e[i].day;
    *field = b->arena + b->e[i].off;
    *field_len = b->e[i].len;
    *incr = b->e[i].incr;
}

/* --------------------------------------------------------------- query -- */

typedef struct query_row {
    sla_report_row r;
    char *group; /* owned, unescaped */
} query_row;

struct sla_report_query {
    int metric;
    char *by;          /* NULL: by policy */
    query_row *rows;
    size_t nrows, cap;
    size_t *slots;     /* open addressing: 1 + row index, 0 empty; cap * 2 slots */
    const sla_report_row **sorted;
};

sla_report_query *sla_report_query_new(int metric, const char *by)
{
    sla_report_query *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->metric = metric;
    if (by && strcmp(by, "policy") != 0 && !(q->by = strdup(by))) {
        free(q);
        return NULL;
    }
    return q;
}

void sla_report_query_free(sla_report_query *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->nrows; i++)
        free(q->rows[i].group);
    free(q->rows);
    free(q->slots);
    free(q->sorted);
    free(q->by);
    free(q);
}

/* Unescape s[0..len) (%25, %7C) into out; returns the length. */
static size_t unescape(const char *s, size_t len, char *out)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && s[i + 1] == '7' && s[i + 2] == 'C') {
            out[w++] = '|';
            i += 2;
        } else if (s[i] == '%' && i + 2 < len && s[i + 1] == '2' && s[i + 2] == '5') {
            out[w++] = '%';
            i += 2;
        } else {
            out[w++] = s[i];
        }
    }
    out[w] = '\0';
    return w;
}

static size_t row_hash(int metric, const char *g, size_t len)
{
    size_t h = 1469598103934665603ULL ^ (size_t)metric;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)g[i]) * 1099511628211ULL;
    return h;
}

static int query_grow(sla_report_query *q)
{
    size_t cap = q->cap ? q->cap * 2 : 64;
    query_row *rows = realloc(q->rows, cap * sizeof *rows);
    if (!rows)
        return -1;
    q->rows = rows;
    size_t *slots = calloc(cap * 2, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < q->nrows; i++) {
        size_t h = row_hash(q->rows[i].r.metric, q->rows[i].group, strlen(q->rows[i].group));
        while (slots[h & (cap * 2 - 1)])
            h++;
        slots[h & (cap * 2 - 1)] = i + 1;
    }
    free(q->slots);
    q->slots = slots;
    q->cap = cap;
    return 0;
}

static sla_report_row *query_row_get(sla_report_query *q, int metric, const char *g, size_t len)
{
    if (q->nrows == q->cap && query_grow(q) < 0)
        return NULL;
    size_t mask = q->cap * 2 - 1;
    for (size_t h = row_hash(metric, g, len);; h++) {
        size_t s = q->slots[h & mask];
        if (s == 0) {
            query_row *r = &q->rows[q->nrows];
            memset(r, 0, sizeof *r);
            r->group = malloc(len + 1);
            if (!r->group)
                return NULL;
            memcpy(r->group, g, len);
            r->group[len] = '\0';
            r->r.metric = metric;
            r->r.group = r->group;
            q->slots[h & mask] = ++q->nrows;
            return &r->r;
        }
        query_row *r = &q->rows[s - 1];
        if (r->r.metric == metric && strlen(r->group) == len && memcmp(r->group, g, len) == 0)
            return &r->r;
    }
}

int sla_report_query_add(sla_report_query *q, const char *field, size_t flen, const char *value,
                         size_t vlen)
{
    /* metric | policy | group | stat */
    const char *part[4];
    size_t plen[4], k = 0;
    const char *p = field, *end = field + flen;
    while (k < 4) {
        const char *bar = k < 3 ? memchr(p, '|', (size_t)(end - p)) : end;
        if (!bar)
            return 0;
        part[k] = p;
        plen[k++] = (size_t)(bar - p);
        p = bar + 1;
    }
    int metric = sla_metric_from_name(part[0], plen[0]);
    if (metric < 0 || (q->metric >= 0 && metric != q->metric))
        return 0;
    const char *g;
    size_t glen;
    if (!q->by) {
        if (plen[2] != 0)
            return 0;
        g = part[1];
        glen = plen[1];
    } else {
        size_t bl = strlen(q->by);
        if (plen[2] <= bl || memcmp(part[2], q->by, bl) != 0 || part[2][bl] != '=')
            return 0;
        g = part[2] + bl + 1;
        glen = plen[2] - bl - 1;
    }
    char num[24];
    if (vlen == 0 || vlen >= sizeof num)
        return 0;
    memcpy(num, value, vlen);
    num[vlen] = '\0';
    char *nend;
    long long v = strtoll(num, &nend, 10);
    if (*nend)
        return 0;
    char stat[16];
    if (plen[3] >= sizeof stat)
        return 0;
    memcpy(stat, part[3], plen[3]);
    stat[plen[3]] = '\0';
    int64_t *slot = NULL;
    char gbuf[SLA_REPORT_FIELD_MAX];
    if (glen >= sizeof gbuf)
        return 0;
    glen = unescape(g, glen, gbuf);
    sla_report_row *r = query_row_get(q, metric, gbuf, glen);
    if (!r)
        return -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(stat, stat_names[i]) == 0)
            slot = &r->n[i];
    if (strcmp(stat, "csat_n") == 0)
        slot = &r->csat_n;
    else if (strcmp(stat, "csat_sum") == 0)
        slot = &r->csat_sum;
    else if (stat[0] == 'h') {
        int b = atoi(stat + 1);
        if (b >= 0 && b < SLA_REPORT_BUCKETS)
            slot = &r->hist[b];
    }
    if (slot)
        *slot += v;
    return 0;
}

static int row_cmp(const void *a, const void *b)
{
    const sla_report_row *x = *(const sla_report_row *const *)a;
    const sla_report_row *y = *(const sla_report_row *const *)b;
    if (x->metric != y->metric)
        return x->metric - y->metric;
    return strcmp(x->group, y->group);
}

size_t sla_report_query_sort(sla_report_query *q)
{
    free(q->sorted);
    q->sorted = malloc((q->nrows ? q->nrows : 1) * sizeof *q->sorted);
    if (!q->sorted)
        return 0;
    for (size_t i = 0; i < q->nrows; i++)
        q->sorted[i] = &q->rows[i].r;
    qsort(q->sorted, q->nrows, sizeof *q->sorted, row_cmp);
    return q->nrows;
}

const sla_report_row *sla_report_query_row(const sla_report_query *q, size_t i)
{
    return q->sorted[i];
}

double sla_report_achievement(const sla_report_row *r)
{
    int64_t decided = r->n[SLA_OUTCOME_MET] + r->n[SLA_OUTCOME_LATE] + r->n[SLA_OUTCOME_BREACHED];
    return decided ? 100.0 * (double)r->n[SLA_OUTCOME_MET] / (double)decided : -1;
}

int64_t sla_report_quantile(const sla_report_row *r, double q)
{
    int64_t total = 0;
    for (int i = 0; i < SLA_REPORT_BUCKETS; i++)
        total += r->hist[i];
    if (total == 0)
        return -1;
    /* The smallest bucket holding at least q of the cycles. */
    double want = q * (double)total;
    int64_t seen = 0;
    for (int i = 0; i < SLA_REPORT_BUCKETS; i++) {
        seen += r->hist[i];
        if ((double)seen >= want)
            return sla_report_bucket_ms[i];
    }
    return INT64_MAX;
}
