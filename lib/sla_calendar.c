/*
 * sla_calendar — business-time arithmetic in an IANA time zone. See
 * sla_calendar.h for the promises; this comment is about how.
 *
 * Two tables, both built before the first call on the hot path:
 *
 *   offsets   the zone as a list of segments [at_i, at_i+1) of constant UTC
 *             offset, read from the zone's TZif file: its 64-bit transition
 *             list, then its POSIX TZ footer rule expanded year by year up to
 *             RULE_LAST_YEAR (after that the last offset stays). About two
 *             entries a year for a DST zone, one for a zone without DST.
 *             Reading the file ourselves, rather than switching TZ and asking
 *             localtime_r(), keeps the process environment untouched: setenv()
 *             races with getenv() in any other thread (resolver threads, for
 *             one).
 *   days      merged ranges per weekday (ms of the local day), and a sorted
 *             array of exception dates (holiday, extra working day).
 *
 * Within one offset segment local wall time is UTC plus a constant, so all
 * counting is done on "local ms" (wall time read as if it were UTC) with
 * plain day arithmetic, and the result is mapped back by subtracting the
 * segment's offset. A DST change is just a segment boundary: wall times in a
 * gap belong to no segment (not worked), wall times in an overlap belong to
 * two (worked twice). That is exactly the instant-based definition in the
 * header, and it makes is_working, elapsed and add_ms agree by construction.
 *
 *   UTC   ----[ seg i, off = +1h )[ seg i+1, off = +2h )----->
 *   local ----[ t + 1h            )[ t + 2h              )--->
 *                 walk days,         walk days,
 *                 ranges per date    ranges per date
 *
 * Cost: one binary search for the segment, then one step per local day,
 * except that runs of whole weeks without exception dates are skipped in one
 * multiplication (week_total). So the cost of a call is about
 * O(log segments + days to the next exception + exceptions in range +
 * segments crossed), a few hundred ns for spans of a few days.
 *
 * Memory: sla_calendar_new() allocates the calendar, its zone name, the
 * segment table and the exception array; sla_calendar_free() releases all
 * of them. Nothing else allocates.
 */
#include "sla_calendar.h"

#include "sla_error.h"

#include "sla_timefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)
#define WEEK_MS (7 * DAY_MS)
/* How far any search goes before answering "never" (INT64_MAX). */
#define HORIZON_MS (10LL * 366 * DAY_MS)
#define HORIZON_DAYS (10LL * 366)
/* Inputs are clamped to +-2^52 ms (about 142,000 years) so that adding an
 * offset or the horizon can never overflow. */
#define T_LIMIT (1LL << 52)
/* Instants of local date d lie within [d - 2 days, d + 3 days) in UTC:
 * no zone is more than 26 h away from UTC. */
#define DATE_MARGIN_MS (2 * DAY_MS)
/* The footer rule is expanded up to this year; later the last offset
 * stays. Far beyond anything an SLA deadline reaches. */
#define RULE_LAST_YEAR 2200
/* TZif files are a few kB; anything much larger is not a zone file. */
#define TZIF_MAX_BYTES (1 << 20)
#define TZ_NAME_MAX 255

enum { EXC_HOLIDAY = 1, EXC_WORKDAY = 2 };

struct range {
    int32_t start, end; /* ms of the local day, start < end <= DAY_MS */
};

struct day_hours {
    int n;                                      /* ranges, sorted, disjoint */
    int64_t total;                              /* sum of their lengths */
    struct range r[SLA_CALENDAR_MAX_RANGES];
};

struct exception {
    int64_t day; /* local date as days since 1970-01-01 */
    int kind;    /* EXC_HOLIDAY or EXC_WORKDAY */
};

struct sla_calendar {
    char *tz;                    /* owned */
    struct day_hours week[7];    /* 0 = Sunday */
    int extra_from;              /* weekday whose hours extra days use */
    int64_t week_total;          /* business ms of a week without exceptions */
    struct exception *exc;       /* owned, sorted by day after finish */
    size_t n_exc, cap_exc;
    int64_t *seg_at;             /* owned; seg_at[0] = INT64_MIN, ascending */
    int32_t *seg_off;            /* owned; UTC offset in ms of each segment */
    size_t n_seg;
    int finished;
};

static const struct day_hours no_hours; /* a holiday */

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int weekday_of(int64_t day)
{
    int64_t w = (day + 4) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

/* ---- the zone: TZif file and POSIX TZ rule ------------------------------ */

/* Transitions being collected, in seconds. */
struct tbuild {
    int64_t *at;
    int32_t *off;
    size_t n, cap;
};

static int tb_push(struct tbuild *b, int64_t at, int32_t off)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        int64_t *a = realloc(b->at, cap * sizeof *a);
        if (!a)
            return -1;
        b->at = a;
        int32_t *o = realloc(b->off, cap * sizeof *o);
        if (!o)
            return -1;
        b->off = o;
        b->cap = cap;
    }
    b->at[b->n] = at;
    b->off[b->n] = off;
    b->n++;
    return 0;
}

struct ptz_rule {
    char kind; /* 'J' (1..365, no Feb 29), 'N' (0..365), 'M' (month.week.day) */
    int n, m, w, d;
    int32_t secs; /* local time of day of the change, may be < 0 or > 24 h */
};

struct ptz {
    int32_t std_off, dst_off; /* seconds east of UTC */
    int has_dst;
    struct ptz_rule start, end;
};

static const char *ptz_name(const char *p)
{
    if (*p == '<') {
        p++;
        while (*p && *p != '>')
            p++;
        return *p == '>' ? p + 1 : NULL;
    }
    const char *s = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
        p++;
    return p - s >= 3 ? p : NULL;
}

static const char *ptz_num(const char *p, int maxdigits, int *v)
{
    int n = 0, x = 0;
    while (*p >= '0' && *p <= '9' && n < maxdigits) {
        x = x * 10 + (*p - '0');
        p++;
        n++;
    }
    if (n == 0)
        return NULL;
    *v = x;
    return p;
}

/* [+-]h[h[h]][:mm[:ss]] in seconds; max_h bounds the hours. */
static const char *ptz_hms(const char *p, int max_h, int32_t *secs)
{
    int sign = 1, h, m = 0, s = 0;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (!(p = ptz_num(p, 3, &h)) || h > max_h)
        return NULL;
    if (*p == ':') {
        if (!(p = ptz_num(p + 1, 2, &m)) || m > 59)
            return NULL;
        if (*p == ':' && (!(p = ptz_num(p + 1, 2, &s)) || s > 59))
            return NULL;
    }
    *secs = sign * (h * 3600 + m * 60 + s);
    return p;
}

static const char *ptz_rule_parse(const char *p, struct ptz_rule *r)
{
    memset(r, 0, sizeof *r);
    if (*p == 'J') {
        r->kind = 'J';
        if (!(p = ptz_num(p + 1, 3, &r->n)) || r->n < 1 || r->n > 365)
            return NULL;
    } else if (*p == 'M') {
        r->kind = 'M';
        if (!(p = ptz_num(p + 1, 2, &r->m)) || r->m < 1 || r->m > 12 || *p != '.' ||
            !(p = ptz_num(p + 1, 1, &r->w)) || r->w < 1 || r->w > 5 || *p != '.' ||
            !(p = ptz_num(p + 1, 1, &r->d)) || r->d > 6)
            return NULL;
    } else {
        r->kind = 'N';
        if (!(p = ptz_num(p, 3, &r->n)) || r->n > 365)
            return NULL;
    }
    r->secs = 2 * 3600; /* POSIX default: 02:00 */
    if (*p == '/' && !(p = ptz_hms(p + 1, 167, &r->secs)))
        return NULL;
    return p;
}

/* "CET-1CEST,M3.5.0,M10.5.0/3" and friends (POSIX, with the RFC 8536
 * extensions: hours up to 167 and negative times in rules). */
static int ptz_parse(const char *p, struct ptz *z)
{
    int32_t v;
    memset(z, 0, sizeof *z);
    if (!(p = ptz_name(p)) || !(p = ptz_hms(p, 24, &v)))
        return -1;
    z->std_off = -v; /* POSIX offsets count west of UTC */
    if (*p == '\0')
        return 0;
    if (!(p = ptz_name(p)))
        return -1;
    z->has_dst = 1;
    z->dst_off = z->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = ptz_hms(p, 24, &v)))
            return -1;
        z->dst_off = -v;
    }
    if (*p == '\0') { /* no rule given: the historical US default */
        z->start = (struct ptz_rule){'M', 0, 3, 2, 0, 7200};
        z->end = (struct ptz_rule){'M', 0, 11, 1, 0, 7200};
        return 0;
    }
    if (*p != ',' || !(p = ptz_rule_parse(p + 1, &z->start)) || *p != ',' ||
        !(p = ptz_rule_parse(p + 1, &z->end)) || *p != '\0')
        return -1;
    return 0;
}

/* The local date (days since the epoch) a rule names in year y. */
static int64_t rule_day(const struct ptz_rule *r, int64_t y)
{
    int64_t jan1 = sla_days_from_civil(y, 1, 1);
    if (r->kind == 'J')
        return jan1 + r->n - 1 + (sla_days_in_month(y, 2) == 29 && r->n >= 60);
    if (r->kind == 'N')
        return jan1 + r->n;
    int64_t first = sla_days_from_civil(y, r->m, 1);
    int64_t d = first + (r->d - weekday_of(first) + 7) % 7 + (int64_t)(r->w - 1) * 7;
    while (d >= first + sla_days_in_month(y, r->m)) /* week 5 = the last one */
        d -= 7;
    return d;
}

/* Appends the rule's transitions after `after` (seconds) through
 * RULE_LAST_YEAR. */
static int ptz_expand(const struct ptz *z, int64_t after, struct tbuild *b)
{
    int64_t y0;
    int month, mday;
    sla_civil_from_days(floordiv(after, 86400), &y0, &month, &mday);
    size_t first = b->n;
    for (int64_t y = y0 - 1; y <= RULE_LAST_YEAR; y++) {
        /* DST starts at a local standard time and ends at a local DST time. */
        int64_t on = rule_day(&z->start, y) * 86400 + z->start.secs - z->std_off;
        int64_t off = rule_day(&z->end, y) * 86400 + z->end.secs - z->dst_off;
        if (on > after && tb_push(b, on, z->dst_off) < 0)
            return -1;
        if (off > after && tb_push(b, off, z->std_off) < 0)
            return -1;
    }
    /* Southern-hemisphere rules end before they start within a year;
     * a stable insertion sort puts everything in time order. */
    for (size_t i = first + 1; i < b->n; i++) {
        int64_t at = b->at[i];
        int32_t o = b->off[i];
        size_t j = i;
        for (; j > first && b->at[j - 1] > at; j--) {
            b->at[j] = b->at[j - 1];
            b->off[j] = b->off[j - 1];
        }
        b->at[j] = at;
        b->off[j] = o;
    }
    return 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
};

/* Reads the 44-byte header at buf + pos; 0 or -1. */
static int tzif_header(const unsigned char *buf, size_t len, size_t pos, struct tzif_counts *c,
                       unsigned char *version)
{
    if (len < pos + 44 || memcmp(buf + pos, "TZif", 4) != 0)
        return -1;
    *version = buf[pos + 4];
    const unsigned char *p = buf + pos + 20;
    c->isut = be32(p);
    c->isstd = be32(p + 4);
    c->leap = be32(p + 8);
    c->time = be32(p + 12);
    c->type = be32(p + 16);
    c->chars = be32(p + 20);
    if (c->type == 0 || c->type > 256 || c->time > 100000 || c->leap > 100000 ||
        c->chars > 100000 || c->isut > 256 || c->isstd > 256)
        return -1;
    return 0;
}

static size_t tzif_block_size(const struct tzif_counts *c, size_t tsize)
{
    return c->time * tsize + c->time + c->type * 6 + c->chars + c->leap * (tsize + 4) +
           c->isstd + c->isut;
}

/* Parses a TZif file into a transition list starting with an INT64_MIN
 * sentinel. */
static int tzif_parse(const unsigned char *buf, size_t len, struct tbuild *b, char *err,
                      size_t errlen)
{
    struct tzif_counts c;
    unsigned char version;
    if (tzif_header(buf, len, 0, &c, &version) < 0)
        return sla_error(err, errlen, "not a TZif file");
    size_t tsize = 4, pos = 44;
    if (version >= '2') { /* skip the 32-bit block; use the 64-bit one */
        pos += tzif_block_size(&c, 4);
        if (tzif_header(buf, len, pos, &c, &version) < 0)
            return sla_error(err, errlen, "damaged TZif file");
        pos += 44;
        tsize = 8;
    }
    size_t block = tzif_block_size(&c, tsize);
    if (len < pos + block)
        return sla_error(err, errlen, "truncated TZif file");
    if (c.leap > 0)
        return sla_error(err, errlen, "zones counting leap seconds (\"right/\") are not supported");

    const unsigned char *times = buf + pos;
    const unsigned char *idx = times + c.time * tsize;
    const unsigned char *types = idx + c.time;
    for (uint32_t i = 0; i < c.time; i++)
        if (idx[i] >= c.type)
            return sla_error(err, errlen, "damaged TZif file");
#define TYPE_OFF(k) ((int32_t)be32(types + 6 * (size_t)(k)))

    /* The footer: "\n<POSIX TZ>\n", only in version 2 and later. */
    char footer[128] = "";
    if (tsize == 8) {
        const unsigned char *f = buf + pos + block, *end = buf + len;
        if (f < end && *f == '\n') {
            const unsigned char *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
            size_t flen = nl ? (size_t)(nl - f - 1) : 0;
            if (!nl || flen >= sizeof footer)
                return sla_error(err, errlen, "damaged TZif footer");
            memcpy(footer, f + 1, flen);
            footer[flen] = '\0';
        }
    }
    struct ptz rule;
    int have_rule = footer[0] != '\0';
    if (have_rule && ptz_parse(footer, &rule) < 0)
        return sla_error(err, errlen, "cannot read the zone's rule \"%s\"", footer);

    int32_t initial = TYPE_OFF(0);
    if (c.time == 0 && have_rule)
        initial = rule.std_off;
    if (tb_push(b, INT64_MIN, initial) < 0)
        return sla_error(err, errlen, "out of memory");
    int64_t last = INT64_MIN;
    for (uint32_t i = 0; i < c.time; i++) {
        int64_t at = tsize == 8 ? be64(times + 8 * (size_t)i)
                                : (int64_t)(int32_t)be32(times + 4 * (size_t)i);
        if (at <= last)
            return sla_error(err, errlen, "damaged TZif file (transitions out of order)");
        last = at;
        if (tb_push(b, at, TYPE_OFF(idx[i])) < 0)
            return sla_error(err, errlen, "out of memory");
    }
#undef TYPE_OFF
    if (have_rule && rule.has_dst) {
        size_t before = b->n;
        if (ptz_expand(&rule, c.time ? last : -(int64_t)86400 * 366 * 2, b) < 0)
            return sla_error(err, errlen, "out of memory");
        /* Without listed transitions, the time before the first generated
         * one has the offset that first one replaces. */
        if (c.time == 0 && b->n > before)
            b->off[0] = b->off[before] == rule.dst_off ? rule.std_off : rule.dst_off;
    }
    return 0;
}

static int zone_load(sla_calendar *cal, const char *name, char *err, size_t errlen)
{
    size_t nlen = name ? strlen(name) : 0;
    if (nlen == 0)
        return sla_error(err, errlen, "empty time zone name");
    /* A zone name is a relative path made of these characters; refusing
     * anything else keeps "../" and absolute paths out. */
    if (nlen > TZ_NAME_MAX || name[0] == '/' || strstr(name, ".."))
        return sla_error(err, errlen, "invalid time zone name '%s'", name);
    for (size_t i = 0; i < nlen; i++) {
        char ch = name[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '/' || ch == '_' || ch == '-' || ch == '+' || ch == '.'))
            return sla_error(err, errlen, "invalid time zone name '%s'", name);
    }
    const char *dir = getenv("TZDIR"); /* libc honours it too */
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return sla_error(err, errlen, "time zone path too long");

    FILE *f = fopen(path, "rb");
    if (!f)
        return sla_error(err, errlen, "unknown time zone '%s' (no %s)", name, path);
    unsigned char *buf = malloc(TZIF_MAX_BYTES);
    if (!buf) {
        fclose(f);
        return sla_error(err, errlen, "out of memory");
    }
    size_t len = fread(buf, 1, TZIF_MAX_BYTES, f);
    int rd_err = ferror(f);
    fclose(f);
    if (rd_err || len == 0) {
        free(buf);
        return sla_error(err, errlen, "unknown time zone '%s' (cannot read %s)", name, path);
    }

    struct tbuild b = {0};
    char why[160];
    int rc = tzif_parse(buf, len, &b, why, sizeof why);
    free(buf);
    if (rc < 0) {
        free(b.at);
        free(b.off);
        return sla_error(err, errlen, "time zone '%s': %s", name, why);
    }

    /* Keep only real changes of offset, in ms, clamped far outside any
     * instant the calendar accepts (the "big bang" entry is -2^59 s). */
    size_t n = 0;
    for (size_t i = 0; i < b.n; i++) {
        if (n > 0 && b.off[i] == b.off[n - 1])
            continue;
        int64_t s = b.at[i];
        if (i == 0)
            b.at[n] = INT64_MIN;
        else
            b.at[n] = s < -T_LIMIT / 1000 ? -T_LIMIT : s > T_LIMIT / 1000 ? T_LIMIT : s * 1000;
        b.off[n] = b.off[i];
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        if (b.off[i] < -26 * 3600 || b.off[i] > 26 * 3600) {
            free(b.at);
            free(b.off);
            return sla_error(err, errlen, "time zone '%s': offset out of range", name);
        }
        b.off[i] *= 1000;
    }
    cal->seg_at = b.at;
    cal->seg_off = b.off;
    cal->n_seg = n;
    return 0;
}

/* ---- building the calendar ---------------------------------------------- */

sla_calendar *sla_calendar_new(const char *tz, char *err, size_t errlen)
{
    sla_calendar *cal = calloc(1, sizeof *cal);
    if (!cal) {
        sla_error(err, errlen, "out of memory");
        return NULL;
    }
    cal->extra_from = 1;
    if (zone_load(cal, tz, err, errlen) < 0 || !(cal->tz = strdup(tz))) {
        if (cal->seg_at)
            sla_error(err, errlen, "out of memory");
        sla_calendar_free(cal);
        return NULL;
    }
    return cal;
}

void sla_calendar_free(sla_calendar *cal)
{
    if (!cal)
        return;
    free(cal->tz);
    free(cal->exc);
    free(cal->seg_at);
    free(cal->seg_off);
    free(cal);
}

int sla_calendar_add_hours(sla_calendar *cal, int weekday, int start_min, int end_min)
{
    if (!cal || cal->finished || weekday < 0 || weekday > 6 || start_min < 0 ||
        end_min > 1440 || start_min >= end_min)
        return -1;
    struct day_hours *h = &cal->week[weekday];
    struct range add = {start_min * 60000, end_min * 60000};
    struct range out[SLA_CALENDAR_MAX_RANGES + 1];
    int n = 0, placed = 0;
    /* Ranges are sorted and disjoint; absorb every one that overlaps or
     * touches the new range, keep the others in order. */
    for (int i = 0; i < h->n; i++) {
        struct range r = h->r[i];
        if (r.end < add.start) {
            out[n++] = r;
        } else if (r.start > add.end) {
            if (!placed) {
                out[n++] = add;
                placed = 1;
            }
            out[n++] = r;
        } else {
            if (r.start < add.start)
                add.start = r.start;
            if (r.end > add.end)
                add.end = r.end;
        }
    }
    if (!placed)
        out[n++] = add;
    if (n > SLA_CALENDAR_MAX_RANGES)
        return -1;
    h->n = n;
    h->total = 0;
    for (int i = 0; i < n; i++) {
        h->r[i] = out[i];
        h->total += out[i].end - out[i].start;
    }
    return 0;
}

static int add_exception(sla_calendar *cal, int year, int month, int day, int kind)
{
    if (!cal || cal->finished || year < 1970 || year > 9999 || month < 1 || month > 12 ||
        day < 1 || day > sla_days_in_month(year, month))
        return -1;
    if (cal->n_exc == cal->cap_exc) {
        size_t cap = cal->cap_exc ? cal->cap_exc * 2 : 16;
        struct exception *e = realloc(cal->exc, cap * sizeof *e);
        if (!e)
            return -1;
        cal->exc = e;
        cal->cap_exc = cap;
    }
    cal->exc[cal->n_exc++] = (struct exception){sla_days_from_civil(year, month, day), kind};
    return 0;
}

int sla_calendar_add_holiday(sla_calendar *cal, int year, int month, int day)
{
    return add_exception(cal, year, month, day, EXC_HOLIDAY);
}

int sla_calendar_add_workday(sla_calendar *cal, int year, int month, int day)
{
    return add_exception(cal, year, month, day, EXC_WORKDAY);
}

void sla_calendar_set_extra_day_hours(sla_calendar *cal, int weekday)
{
    if (cal && !cal->finished && weekday >= 0 && weekday <= 6)
        cal->extra_from = weekday;
}

static int exc_cmp(const void *a, const void *b)
{
    const struct exception *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return (x->kind > y->kind) - (x->kind < y->kind);
}

int sla_calendar_finish(sla_calendar *cal, char *err, size_t errlen)
{
    static const char *const wdname[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
    if (!cal)
        return sla_error(err, errlen, "no calendar");
    if (cal->finished)
        return sla_error(err, errlen, "calendar already finished");
    cal->week_total = 0;
    for (int i = 0; i < 7; i++)
        cal->week_total += cal->week[i].total;
    if (cal->week_total == 0)
        return sla_error(err, errlen, "calendar has no working hours on any weekday");

    if (cal->n_exc)
        qsort(cal->exc, cal->n_exc, sizeof *cal->exc, exc_cmp);
    size_t n = 0;
    int workdays = 0;
    for (size_t i = 0; i < cal->n_exc; i++) {
        struct exception e = cal->exc[i];
        if (n > 0 && cal->exc[n - 1].day == e.day) {
            if (cal->exc[n - 1].kind == e.kind)
                continue; /* listed twice: harmless */
            int64_t y;
            int m, d;
            sla_civil_from_days(e.day, &y, &m, &d);
            return sla_error(err, errlen, "%04d-%02d-%02d is both a holiday and an extra working day",
                        (int)y, m, d);
        }
        workdays += e.kind == EXC_WORKDAY;
        cal->exc[n++] = e;
    }
    cal->n_exc = n;
    if (workdays && cal->week[cal->extra_from].total == 0)
        return sla_error(err, errlen,
                    "extra working days use the hours of %s, which has no working hours",
                    wdname[cal->extra_from]);
    cal->finished = 1;
    return 0;
}

const char *sla_calendar_timezone(const sla_calendar *cal)
{
    return cal->tz;
}

/* ---- lookups ------------------------------------------------------------ */

/* Index of the first exception on or after day d (n_exc when none). */
static size_t exc_lower(const sla_calendar *cal, int64_t d)
{
    size_t lo = 0, hi = cal->n_exc;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->exc[mid].day < d)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const struct day_hours *hours_of(const sla_calendar *cal, int64_t d)
{
    size_t i = exc_lower(cal, d);
    if (i < cal->n_exc && cal->exc[i].day == d)
        return cal->exc[i].kind == EXC_HOLIDAY ? &no_hours : &cal->week[cal->extra_from];
    return &cal->week[weekday_of(d)];
}

/* How many whole weeks from day d (inclusive) contain no exception date,
 * capped at max_weeks. */
static int64_t plain_weeks(const sla_calendar *cal, int64_t d, int64_t max_weeks)
{
    size_t i = exc_lower(cal, d);
    if (i < cal->n_exc) {
        int64_t w = (cal->exc[i].day - d) / 7;
        if (w < max_weeks)
            return w;
    }
    return max_weeks;
}

/* Segment holding instant t: the largest i with seg_at[i] <= t. */
static size_t seg_find(const sla_calendar *cal, int64_t t)
{
    size_t lo = 0, hi = cal->n_seg; /* seg_at[0] = INT64_MIN <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->seg_at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static int64_t seg_end(const sla_calendar *cal, size_t i)
{
    return i + 1 < cal->n_seg ? cal->seg_at[i + 1] : INT64_MAX;
}

/* ---- counting on local wall time (one offset segment) ------------------- */

/*
 * Walks local [a, b) consuming *rem ms of business time. Found: returns 1
 * with *out = the local instant where it runs out; non-strict gives the
 * earliest such instant (possibly the end of a range), strict the earliest
 * working one (the start of the next range when a range is used up
 * exactly). Not found: returns 0 with *rem reduced by what [a, b) held.
 */
static int local_advance(const sla_calendar *cal, int64_t a, int64_t b, int64_t *rem, int strict,
                         int64_t *out)
{
    for (int64_t d = floordiv(a, DAY_MS); d * DAY_MS < b;) {
        int64_t ds = d * DAY_MS;
        if (a <= ds && ds + WEEK_MS <= b) {
            /* Skip only weeks after which some business time is still due
             * (non-strict) or may be due (strict). */
            int64_t need = strict ? *rem / cal->week_total
                                  : (*rem > 0 ? (*rem - 1) / cal->week_total : 0);
            int64_t max = (b - ds) / WEEK_MS;
            if (need < max)
                max = need;
            int64_t w = max > 0 ? plain_weeks(cal, d, max) : 0;
            if (w > 0) {
                *rem -= w * cal->week_total;
                d += 7 * w;
                continue;
            }
        }
        const struct day_hours *h = hours_of(cal, d);
        for (int i = 0; i < h->n; i++) {
            int64_t lo = ds + h->r[i].start, hi = ds + h->r[i].end;
            if (lo < a)
                lo = a;
            if (hi > b)
                hi = b;
            if (lo >= hi)
                continue;
            if (strict ? hi - lo > *rem : hi - lo >= *rem) {
                *out = lo + *rem;
                return 1;
            }
            *rem -= hi - lo;
        }
        d++;
    }
    return 0;
}

/* ---- walking UTC across offset segments --------------------------------- */

/*
 * local_advance over UTC [from, limit), local time clipped to [lo, hi):
 * the instant where *rem runs out, or INT64_MAX with *rem reduced by all
 * the business time in the interval.
 */
static int64_t utc_walk(const sla_calendar *cal, int64_t from, int64_t limit, int64_t *rem,
                        int strict, int64_t lo, int64_t hi)
{
    for (size_t i = seg_find(cal, from); from < limit; i++) {
        int64_t end = seg_end(cal, i), off = cal->seg_off[i], out;
        if (end > limit)
            end = limit;
        int64_t a = from + off, b = end + off;
        if (local_advance(cal, a < lo ? lo : a, b > hi ? hi : b, rem, strict, &out))
            return out - off;
        from = end;
    }
    return INT64_MAX;
}

/* Business ms in UTC [from, to) whose local wall time lies in [lo, hi). */
static int64_t utc_sum(const sla_calendar *cal, int64_t from, int64_t to, int64_t lo, int64_t hi)
{
    int64_t rem = INT64_MAX;
    utc_walk(cal, from, to, &rem, 0, lo, hi);
    return INT64_MAX - rem;
}

static int64_t utc_advance(const sla_calendar *cal, int64_t from, int64_t limit, int64_t rem,
                           int strict, int64_t lo, int64_t hi)
{
    return utc_walk(cal, from, limit, &rem, strict, lo, hi);
}

/* Local date d's business time in UTC [whole date .. t). */
static int64_t date_sum_before(const sla_calendar *cal, int64_t d, int64_t t)
{
    return utc_sum(cal, d * DAY_MS - DATE_MARGIN_MS, t, d * DAY_MS, (d + 1) * DAY_MS);
}

/* Local date d's business time, DST changes included. */
static int64_t date_total(const sla_calendar *cal, int64_t d)
{
    const struct day_hours *h = hours_of(cal, d);
    if (h->total == 0)
        return 0; /* a DST change cannot create time on a day without ranges */
    /* One offset all around the date: its ranges are worked as written. */
    int64_t from = d * DAY_MS - DATE_MARGIN_MS, to = (d + 1) * DAY_MS + DATE_MARGIN_MS;
    if (seg_end(cal, seg_find(cal, from)) >= to)
        return h->total;
    return date_sum_before(cal, d, to);
}

/* The instant at business position pos on local date d (see local_advance
 * for strict). */
static int64_t date_position(const sla_calendar *cal, int64_t d, int64_t pos, int strict)
{
    return utc_advance(cal, d * DAY_MS - DATE_MARGIN_MS, (d + 1) * DAY_MS + DATE_MARGIN_MS, pos,
                       strict, d * DAY_MS, (d + 1) * DAY_MS);
}

/* ---- the public arithmetic ---------------------------------------------- */

static int64_t clamp_t(int64_t t)
{
    return t < -T_LIMIT ? -T_LIMIT : t > T_LIMIT ? T_LIMIT : t;
}

int64_t sla_calendar_utc_offset(const sla_calendar *cal, int64_t t)
{
    return cal->seg_off[seg_find(cal, clamp_t(t))];
}

int64_t sla_calendar_local_day(const sla_calendar *cal, int64_t t)
{
    t = clamp_t(t);
    return floordiv(t + cal->seg_off[seg_find(cal, t)], DAY_MS);
}

int sla_calendar_is_working(const sla_calendar *cal, int64_t t)
{
    if (!cal->finished || t < -T_LIMIT || t > T_LIMIT)
        return 0;
    int64_t local = t + cal->seg_off[seg_find(cal, t)];
    int64_t d = floordiv(local, DAY_MS), ms = local - d * DAY_MS;
    const struct day_hours *h = hours_of(cal, d);
    for (int i = 0; i < h->n; i++)
        if (ms >= h->r[i].start && ms < h->r[i].end)
            return 1;
    return 0;
}

int64_t sla_calendar_elapsed(const sla_calendar *cal, int64_t from, int64_t to)
{
    if (!cal->finished)
        return 0;
    from = clamp_t(from);
    to = clamp_t(to);
    if (to <= from)
        return 0;
    return utc_sum(cal, from, to, INT64_MIN, INT64_MAX);
}

int64_t sla_calendar_add_ms(const sla_calendar *cal, int64_t from, int64_t business_ms)
{
    if (!cal->finished || from < -T_LIMIT || from > T_LIMIT)
        return INT64_MAX;
    if (business_ms < 0)
        business_ms = 0;
    return utc_advance(cal, from, from + HORIZON_MS, business_ms, business_ms == 0, INT64_MIN,
                       INT64_MAX);
}

int64_t sla_calendar_deadline(const sla_calendar *cal, int64_t from, const sla_span *s,
                              int64_t ring_ms)
{
    int64_t ms = s->ms > 0 ? s->ms : 0;
    if (s->rings > 0 && ring_ms > 0)
        ms = ring_ms > (INT64_MAX - ms) / s->rings ? INT64_MAX : ms + s->rings * ring_ms;
    if (s->days <= 0)
        return sla_calendar_add_ms(cal, from, ms);

    int64_t start = sla_calendar_add_ms(cal, from, 0);
    if (start == INT64_MAX)
        return INT64_MAX;
    int64_t d = floordiv(start + cal->seg_off[seg_find(cal, start)], DAY_MS);
    int64_t pos = date_sum_before(cal, d, start);

    int64_t target = d, total = 0;
    for (int32_t left = s->days; left > 0;) {
        if (++target - d > HORIZON_DAYS)
            return INT64_MAX;
        total = date_total(cal, target);
        if (total > 0)
            left--;
    }
    int64_t at = pos < total ? date_position(cal, target, pos, 1)
                             : date_position(cal, target, total, 0);
    if (at == INT64_MAX || ms == 0)
        return at;
    return sla_calendar_add_ms(cal, at, ms);
}
