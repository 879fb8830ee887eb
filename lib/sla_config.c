/*
 * sla_config — loading and validating the libconfig file. See sla_config.h.
 *
 * Design: every group of settings is described by a table of directives
 * (name -> parser -> offset of the field it fills), as nginx does for its
 * modules. One walker serves every level:
 *
 *   parse_group(group, table, object)
 *     1. every member must name a directive       -> "unknown setting"
 *     2. every required directive must be present -> "missing setting 'x'"
 *     3. directives are applied in TABLE order, not file order
 *
 * Applying in table order is what lets policies (listed last in the
 * top-level table) name receivers and calendars whatever the order of the
 * file and its @include files. Nested groups (redis, stream, ...) fill the
 * sla_config itself; lists (calendars, receivers, policies, escalate)
 * allocate their array first and walk each element with the element's
 * table and the element as the object.
 *
 * Errors: the first error stops the load and becomes the one line
 *   FILE:LINE: SETTING-PATH: reason
 * with FILE and LINE those libconfig recorded for the offending setting
 * (the included file for a setting that lives in one) and SETTING-PATH in
 * libconfig's own path syntax, list elements counted from 0
 * ("policies.[3].first_response.target"). Syntax errors from libconfig
 * itself are "FILE:LINE: reason". Values are quoted in messages with
 * control characters replaced and long values shortened; the contents of
 * secret files (secret_file, url_file, password_file) never are. Warnings
 * (a file that loads but should be fixed) have the same form and are
 * collected in cfg->warnings; the load goes on.
 *
 * Ownership: the loader builds straight into a new sla_config; every
 * partial structure is reachable from it, so on any error the one
 * sla_config_free() call releases everything built so far. Secrets are
 * wiped before they are freed.
 *
 * Known limit: libconfig 1.5 silently truncates integer literals that do
 * not fit in 32 bits (4294967297 reads as 1); ranges are checked on the
 * value libconfig returns.
 */
#include "sla_config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sla_cluster.h"
#include "sla_log.h"
#include "sla_partition.h"
#include "sla_webhook.h"
#include "sla_webhook_sign.h"

#define SECRET_MAX_BYTES 4096
#define NAME_MAX_BYTES SLA_NAME_MAX
#define RANGES_PER_DAY 16

/* --- loader state and errors ------------------------------------------------ */

typedef struct loader {
    const char *path;  /* the main file, as given */
    char *dir;         /* its directory for relative paths; NULL = current directory */
    sla_config *cfg;
    int metric;        /* the metric whose settings are being read, or -1 */
    char *err;
    size_t errlen;
} loader;

/* libconfig's path of s: "policies.[3].first_response.target". */
static void setting_path(const config_setting_t *s, char *buf, size_t len)
{
    const config_setting_t *chain[24];
    size_t n = 0;
    int cut = 0;
    for (const config_setting_t *p = s; p && config_setting_parent(p);
         p = config_setting_parent(p)) {
        if (n == sizeof chain / sizeof chain[0]) {
            cut = 1;
            break;
        }
        chain[n++] = p;
    }
    size_t used = 0;
    buf[0] = '\0';
    if (cut)
        used += (size_t)snprintf(buf, len, "...");
    while (n-- > 0 && used < len) {
        const config_setting_t *p = chain[n];
        const char *sep = used ? "." : "";
        int w;
        if (config_setting_is_group(config_setting_parent(p)) && config_setting_name(p))
            w = snprintf(buf + used, len - used, "%s%s", sep, config_setting_name(p));
        else
            w = snprintf(buf + used, len - used, "%s[%d]", sep, config_setting_index(p));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* Keep an error one printable line, whatever a reason from elsewhere quotes. */
static void sanitize_line(char *line)
{
    for (; *line; line++)
        if ((unsigned char)*line < 0x20 || *line == 0x7f)
            *line = '?';
}

/* Record "FILE:LINE: PATH: reason" for setting s. Returns -1. */
static int fail(loader *ld, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "FILE:LINE: PATH: reason" for setting s into out. */
static void locate(loader *ld, const config_setting_t *s, char *out, size_t len,
                   const char *fmt, va_list ap)
{
    char path[256], reason[512];
    vsnprintf(reason, sizeof reason, fmt, ap);
    setting_path(s, path, sizeof path);
    const char *file = config_setting_source_file(s);
    snprintf(out, len, "%s:%u: %s: %s", file ? file : ld->path,
             (unsigned)config_setting_source_line(s), path, reason);
    sanitize_line(out);
}

static int fail(loader *ld, const config_setting_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    locate(ld, s, ld->err, ld->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Add a warning (same form as an error) to cfg->warnings; a warning that
 * cannot be stored for lack of memory is lost, the load goes on. */
static void warn(loader *ld, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warn(loader *ld, const config_setting_t *s, const char *fmt, ...)
{
    sla_config *cfg = ld->cfg;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    locate(ld, s, line, sizeof line, fmt, ap);
    va_end(ap);
    char **w = realloc(cfg->warnings, (cfg->nwarnings + 1) * sizeof *w);
    if (w == NULL)
        return;
    cfg->warnings = w;
    if ((w[cfg->nwarnings] = strdup(line)) != NULL)
        cfg->nwarnings++;
}

/*
 * A value fit for an error message: at most 48 bytes, control characters
 * replaced by '?', "..." when shortened. Returns buf.
 */
static const char *quote(char buf[64], const char *v)
{
    size_t i = 0;
    for (; v[i] && i < 48; i++)
        buf[i] = ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) ? '?' : v[i];
    if (v[i])
        memcpy(buf + i, "...", 3), i += 3;
    buf[i] = '\0';
    return buf;
}

static const char *type_name(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a number with a fraction";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "nothing";
    }
}

static int fail_type(loader *ld, const config_setting_t *s, const char *expected)
{
    return fail(ld, s, "expected %s, not %s", expected, type_name(s));
}

static char *ld_strdup(loader *ld, const config_setting_t *s, const char *v)
{
    char *copy = strdup(v);
    if (!copy)
        fail(ld, s, "out of memory");
    return copy;
}

static void *ld_calloc(loader *ld, const config_setting_t *s, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        fail(ld, s, "out of memory");
    return p;
}

/* --- the directive tables and their walker ------------------------------------ */

struct directive;
/* Parse setting s into field (the object's address plus d->offset). */
typedef int (*directive_fn)(loader *ld, const config_setting_t *s, void *field,
                            const struct directive *d);

enum {
    D_REQUIRED = 1 << 0, /* must be present */
    D_DURATION = 1 << 1, /* a number of ms, also written as a duration string */
    D_EMPTY_OK = 1 << 2, /* a string may be "" */
};

typedef struct directive {
    const char *name;
    directive_fn parse;
    size_t offset;
    int flags;
    int64_t min, max;              /* numbers: accepted range */
    const struct directive *sub;   /* nested group: its table */
    int arg;                       /* parser-specific */
} directive;

/* Field offsets inside the object each table fills. */
#define CFG(f) offsetof(sla_config, f)
#define RCV(f) offsetof(sla_receiver, f)
#define STEP(f) offsetof(sla_step, f)
#define TGT(f) offsetof(sla_target, f)
#define CAL(f) offsetof(calendar_builder, f)

/* A number in [lo, hi]. */
#define NUM(n, fn, off, lo, hi) {.name = n, .parse = fn, .offset = off, .min = lo, .max = hi}

static const directive *directive_find(const directive *table, const char *name)
{
    for (const directive *d = table; d->name; d++)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

static int check_is_group(loader *ld, const config_setting_t *s)
{
    if (!config_setting_is_group(s))
        return fail_type(ld, s, "a group { ... }");
    return 0;
}

static int check_unknown(loader *ld, const config_setting_t *group, const directive *table)
{
    for (int i = 0; i < config_setting_length(group); i++) {
        const config_setting_t *m = config_setting_get_elem(group, (unsigned)i);
        if (!directive_find(table, config_setting_name(m)))
            return fail(ld, m, "unknown setting");
    }
    return 0;
}

static int require(loader *ld, const config_setting_t *group, const char *name)
{
    if (!config_setting_get_member(group, name))
        return fail(ld, group, "missing setting '%s'", name);
    return 0;
}

static int apply_table(loader *ld, const config_setting_t *group, const directive *table, void *obj)
{
    for (const directive *d = table; d->name; d++) {
        const config_setting_t *m = config_setting_get_member(group, d->name);
        if (m && d->parse(ld, m, (char *)obj + d->offset, d) < 0)
            return -1;
    }
    return 0;
}

static int parse_group(loader *ld, const config_setting_t *group, const directive *table, void *obj)
{
    if (check_is_group(ld, group) < 0 || check_unknown(ld, group, table) < 0)
        return -1;
    for (const directive *d = table; d->name; d++)
        if ((d->flags & D_REQUIRED) && require(ld, group, d->name) < 0)
            return -1;
    return apply_table(ld, group, table, obj);
}

/* A nested group whose settings fill the same object (redis, stream, ...). */
static int parse_section(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    return parse_group(ld, s, d->sub, field);
}

/* --- scalars ----------------------------------------------------------------- */

static int get_string(loader *ld, const config_setting_t *s, const char **out)
{
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return fail_type(ld, s, "a string");
    *out = config_setting_get_string(s);
    return 0;
}

static int check_printable(loader *ld, const config_setting_t *s, const char *v)
{
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return fail(ld, s, "control characters are not allowed");
    return 0;
}

/* A string without control characters; "" only with D_EMPTY_OK. */
static int parse_string(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    const char *v = NULL;
    if (get_string(ld, s, &v) < 0 || check_printable(ld, s, v) < 0)
        return -1;
    if (!*v && !(d->flags & D_EMPTY_OK))
        return fail(ld, s, "must not be empty");
    char *copy = ld_strdup(ld, s, v);
    if (!copy)
        return -1;
    free(*(char **)field);
    *(char **)field = copy;
    return 0;
}

/* A word: 1..64 bytes of letters, digits and "_.:-" (key prefix, group, consumer). */
static int parse_word(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    const char *v = NULL;
    char qb[64];
    if (get_string(ld, s, &v) < 0)
        return -1;
    size_t n = strlen(v);
    if (n == 0 || n > NAME_MAX_BYTES ||
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-{}") != n)
        return fail(ld, s, "'%s' must be 1..%d letters, digits or _.:-{}", quote(qb, v),
                    NAME_MAX_BYTES);
    return parse_string(ld, s, field, d);
}

/* The name of a receiver, calendar or policy: 1..64 bytes of [A-Za-z0-9_.-]. */
static int check_name(loader *ld, const config_setting_t *s, const char *v)
{
    char qb[64];
    size_t n = strlen(v);
    if (n == 0 || n > NAME_MAX_BYTES ||
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
        return fail(ld, s, "bad name '%s': use 1..%d letters, digits or _.-", quote(qb, v),
                    NAME_MAX_BYTES);
    return 0;
}

static int parse_name(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    const char *v = NULL;
    if (get_string(ld, s, &v) < 0 || check_name(ld, s, v) < 0)
        return -1;
    return parse_string(ld, s, field, d);
}

/*
 * An integer in [d->min, d->max]. With D_DURATION the value is in ms and may
 * also be written as a duration string ("2s").
 */
static int get_number(loader *ld, const config_setting_t *s, const directive *d, int64_t *out)
{
    int type = config_setting_type(s);
    if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
        *out = config_setting_get_int64(s);
    } else if (type == CONFIG_TYPE_STRING && (d->flags & D_DURATION)) {
        const char *v = config_setting_get_string(s);
        char reason[128], qb[64];
        sla_span span;
        if (sla_span_parse(v, &span, reason, sizeof reason) < 0)
            return fail(ld, s, "bad duration '%s': %s", quote(qb, v), reason);
        if (span.rings)
            return fail(ld, s, "rings are only for pickup targets");
        *out = sla_span_plain_ms(&span, 0);
    } else {
        return fail_type(ld, s, (d->flags & D_DURATION) ? "milliseconds or a duration"
                                                         : "an integer");
    }
    if (*out < d->min || *out > d->max) {
        const char *unit = (d->flags & D_DURATION) ? " ms" : "";
        return fail(ld, s, "%lld%s is out of range %lld..%lld%s", (long long)*out, unit,
                    (long long)d->min, (long long)d->max, unit);
    }
    return 0;
}

static int parse_int(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    int64_t v;
    if (get_number(ld, s, d, &v) < 0)
        return -1;
    *(int *)field = (int)v;
    return 0;
}

static int parse_int64(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    return get_number(ld, s, d, (int64_t *)field);
}

static int parse_size(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    int64_t v;
    if (get_number(ld, s, d, &v) < 0)
        return -1;
    *(size_t *)field = (size_t)v;
    return 0;
}

static int parse_bool(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    (void)d;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return fail_type(ld, s, "true or false");
    *(int *)field = config_setting_get_bool(s);
    return 0;
}

/* clocks.ring_seconds (an integer of seconds) into ring_ms. */
static int parse_ring_seconds(loader *ld, const config_setting_t *s, void *field,
                              const directive *d)
{
    int64_t v;
    if (get_number(ld, s, d, &v) < 0)
        return -1;
    *(int64_t *)field = v * 1000;
    return 0;
}

static int parse_log_level(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    const char *v = NULL;
    char qb[64];
    (void)d;
    if (get_string(ld, s, &v) < 0)
        return -1;
    int level = sla_log_level_from_name(v);
    if (level < 0)
        return fail(ld, s, "unknown log level '%s' (err, warning, notice, info, debug)",
                    quote(qb, v));
    *(int *)field = level;
    return 0;
}

/* http.listen: "" (disabled), "HOST:PORT" or "[V6]:PORT". */
static int parse_listen(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    const char *v = NULL;
    char qb[64];
    if (get_string(ld, s, &v) < 0)
        return -1;
    if (*v) {
        const char *colon = strrchr(v, ':');
        char *end;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        if (!colon || colon == v || !colon[1] || *end || port < 1 || port > 65535 ||
            !isdigit((unsigned char)colon[1]) || strpbrk(v, " \t"))
            return fail(ld, s, "'%s' is not HOST:PORT", quote(qb, v));
    }
    return parse_string(ld, s, field, d);
}

/* --- durations ---------------------------------------------------------------- */

/*
 * A span. Rings only inside a pickup metric; zero only when allow_zero.
 */
static int get_span(loader *ld, const config_setting_t *s, int allow_zero, sla_span *out)
{
    const char *v = NULL;
    char reason[128], qb[64];
    if (get_string(ld, s, &v) < 0)
        return -1;
    if (sla_span_parse(v, out, reason, sizeof reason) < 0)
        return fail(ld, s, "bad duration '%s': %s", quote(qb, v), reason);
    if (out->rings && ld->metric != SLA_METRIC_PICKUP)
        return fail(ld, s, "rings are only for pickup targets");
    if (!allow_zero && sla_span_is_zero(out))
        return fail(ld, s, "must be longer than zero");
    return 0;
}

/* A span that must not be zero (targets, revisit, repeat). */
static int parse_span(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    (void)d;
    return get_span(ld, s, 0, (sla_span *)field);
}

/* A span that may be zero (a step's `after`). */
static int parse_delay(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    (void)d;
    return get_span(ld, s, 1, (sla_span *)field);
}

/* --- secrets ------------------------------------------------------------------ */

static void secret_free(char *secret)
{
    if (secret) {
        explicit_bzero(secret, strlen(secret));
        free(secret);
    }
}

/*
 * Read a secret file (path relative to the main file's directory): a regular
 * file, not accessible by others, 1..4096 bytes after one trailing newline
 * is removed, no NUL byte. The contents never reach a message; who
 * ("receiver 'x': " or "") starts every message. *field takes the copy.
 */
static int read_secret(loader *ld, const config_setting_t *s, const char *who, char **field)
{
    const char *name = NULL;
    char qb[64], full[4096];
    if (get_string(ld, s, &name) < 0 || check_printable(ld, s, name) < 0)
        return -1;
    if (!*name)
        return fail(ld, s, "%smust not be empty", who);
    if (name[0] != '/' && ld->dir)
        snprintf(full, sizeof full, "%s/%s", ld->dir, name);
    else
        snprintf(full, sizeof full, "%s", name);

    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return fail(ld, s, "%scannot open '%s': %s", who, quote(qb, full), strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(ld, s, "%s'%s' is not a regular file", who, quote(qb, full));
    }
    if (st.st_mode & 007) {
        close(fd);
        return fail(ld, s, "%ssecret file is readable by others (chmod o-rwx '%s')", who,
                    quote(qb, full));
    }
    if (st.st_size > SECRET_MAX_BYTES + 2) {
        close(fd);
        return fail(ld, s, "%ssecret file is larger than 4 KiB", who);
    }
    char buf[SECRET_MAX_BYTES + 3];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            explicit_bzero(buf, sizeof buf);
            return fail(ld, s, "%scannot read '%s': %s", who, quote(qb, full), strerror(e));
        }
        if (r == 0 || (n += (size_t)r) == sizeof buf - 1)
            break;
    }
    close(fd);
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    int bad = n == 0 ? 1 : n > SECRET_MAX_BYTES ? 2 : memchr(buf, '\0', n) ? 3 : 0;
    char *copy = bad ? NULL : strdup(buf);
    explicit_bzero(buf, sizeof buf);
    if (bad == 1)
        return fail(ld, s, "%ssecret file is empty", who);
    if (bad == 2)
        return fail(ld, s, "%ssecret file is larger than 4 KiB", who);
    if (bad == 3)
        return fail(ld, s, "%ssecret file contains a NUL byte", who);
    if (!copy)
        return fail(ld, s, "%sout of memory", who);
    secret_free(*field);
    *field = copy;
    return 0;
}

static int parse_secret(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    (void)d;
    return read_secret(ld, s, "", (char **)field);
}

/* --- name tables ---------------------------------------------------------------- */

static const struct format_info {
    const char *name;
    int rate_per_second, rate_per_minute; /* the service's documented limits; 0 = none */
} formats[SLA_FORMAT_COUNT] = {
    [SLA_FORMAT_JSON] = {"json", 0, 0},
    [SLA_FORMAT_ALERTMANAGER] = {"alertmanager", 0, 0},
    [SLA_FORMAT_SLACK] = {"slack", 1, 0},
    [SLA_FORMAT_FEISHU] = {"feishu", 5, 100},
    [SLA_FORMAT_DINGTALK] = {"dingtalk", 0, 20},
    [SLA_FORMAT_WECOM] = {"wecom", 0, 20},
};

const char *sla_format_name(int format)
{
    if (format < 0 || format >= SLA_FORMAT_COUNT)
        return NULL;
    return formats[format].name;
}

int sla_format_from_name(const char *name)
{
    for (int f = 0; f < SLA_FORMAT_COUNT; f++)
        if (strcmp(formats[f].name, name) == 0)
            return f;
    return -1;
}

/* Weekday numbers as sla_calendar counts them (0 = Sunday). */
static const char *const day_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static int day_from_name(const char *name)
{
    for (int d = 0; d < 7; d++)
        if (strcmp(day_names[d], name) == 0)
            return d;
    return -1;
}

/* --- calendars ------------------------------------------------------------------ */

/* One calendar being read; moved into the sla_config when done. */
typedef struct calendar_builder {
    char *name;
    sla_calendar *cal;
    int nranges[7];
    int ranges[7][RANGES_PER_DAY][2]; /* [start, end) minutes, for overlap checks */
} calendar_builder;

static int parse_timezone(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    const char *v = NULL;
    char reason[256];
    (void)d;
    if (get_string(ld, s, &v) < 0 || check_printable(ld, s, v) < 0)
        return -1;
    sla_calendar **cal = field;
    *cal = sla_calendar_new(v, reason, sizeof reason);
    if (!*cal)
        return fail(ld, s, "%s", reason); /* names the zone */
    return 0;
}

/* "HH:MM" at *p: 00:00..23:59, or 24:00 when allow_24. Advances *p. */
static int parse_clock_time(const char **p, int allow_24)
{
    const char *t = *p;
    if (!isdigit((unsigned char)t[0]) || !isdigit((unsigned char)t[1]) || t[2] != ':' ||
        !isdigit((unsigned char)t[3]) || !isdigit((unsigned char)t[4]))
        return -1;
    int h = (t[0] - '0') * 10 + (t[1] - '0'), m = (t[3] - '0') * 10 + (t[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && (m || !allow_24)))
        return -1;
    *p = t + 5;
    return h * 60 + m;
}

static int calendar_add_range(loader *ld, const config_setting_t *s, calendar_builder *b,
                              int day, int start, int end, const char *text)
{
    char qb[64];
    for (int i = 0; i < b->nranges[day]; i++)
        if (start < b->ranges[day][i][1] && b->ranges[day][i][0] < end)
            return fail(ld, s, "'%s' overlaps another range on %s", quote(qb, text),
                        day_names[day]);
    if (b->nranges[day] == RANGES_PER_DAY)
        return fail(ld, s, "more than %d ranges on %s", RANGES_PER_DAY, day_names[day]);
    if (sla_calendar_add_hours(b->cal, day, start, end) < 0)
        return fail(ld, s, "calendar refused '%s'", quote(qb, text));
    b->ranges[day][b->nranges[day]][0] = start;
    b->ranges[day][b->nranges[day]][1] = end;
    b->nranges[day]++;
    return 0;
}

/*
 * One "HH:MM-HH:MM" range of weekday `day`. A range whose end is before its
 * start crosses midnight and is split between this day and the next.
 */
static int calendar_parse_range(loader *ld, const config_setting_t *s, calendar_builder *b, int day)
{
    const char *v = NULL;
    char qb[64];
    if (get_string(ld, s, &v) < 0)
        return -1;
    const char *p = v;
    int start = parse_clock_time(&p, 0);
    int end = (start >= 0 && *p == '-') ? (p++, parse_clock_time(&p, 1)) : -1;
    if (start < 0 || end < 0 || *p)
        return fail(ld, s, "bad range '%s': expected HH:MM-HH:MM", quote(qb, v));
    if (start == end)
        return fail(ld, s, "bad range '%s': empty", quote(qb, v));
    if (start < end)
        return calendar_add_range(ld, s, b, day, start, end, v);
    if (calendar_add_range(ld, s, b, day, start, 24 * 60, v) < 0)
        return -1;
    return end == 0 ? 0 : calendar_add_range(ld, s, b, (day + 1) % 7, 0, end, v);
}

/* hours.mon = [ "09:00-12:00", "13:00-18:00" ] (or one string). */
static int parse_day_hours(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    calendar_builder *b = field;
    if (config_setting_type(s) == CONFIG_TYPE_STRING)
        return calendar_parse_range(ld, s, b, d->arg);
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
        return fail_type(ld, s, "an array of \"HH:MM-HH:MM\" strings");
    for (int i = 0; i < config_setting_length(s); i++)
        if (calendar_parse_range(ld, config_setting_get_elem(s, (unsigned)i), b, d->arg) < 0)
            return -1;
    return 0;
}

static const directive hours_directives[] = {
    {.name = "mon", .parse = parse_day_hours, .arg = 1},
    {.name = "tue", .parse = parse_day_hours, .arg = 2},
    {.name = "wed", .parse = parse_day_hours, .arg = 3},
    {.name = "thu", .parse = parse_day_hours, .arg = 4},
    {.name = "fri", .parse = parse_day_hours, .arg = 5},
    {.name = "sat", .parse = parse_day_hours, .arg = 6},
    {.name = "sun", .parse = parse_day_hours, .arg = 0},
    {0},
};

static int parse_hours(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    (void)d;
    return parse_group(ld, s, hours_directives, field);
}

/* "YYYY-MM-DD", a real date in 1970..9999. */
static int parse_date(const char *v, int *y, int *m, int *day)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(v) != 10 || v[4] != '-' || v[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)v[i]))
            return -1;
    *y = atoi(v);
    *m = atoi(v + 5);
    *day = atoi(v + 8);
    if (*y < 1970 || *m < 1 || *m > 12 || *day < 1 || *day > mdays[*m - 1])
        return -1;
    int leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
    if (*m == 2 && *day == 29 && !leap)
        return -1;
    return 0;
}

/* holidays / workdays: [ "YYYY-MM-DD", ... ]; d->arg 0 = holidays, 1 = workdays. */
static int parse_dates(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    calendar_builder *b = field;
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
        return fail_type(ld, s, "an array of \"YYYY-MM-DD\" strings");
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = NULL;
        char qb[64];
        int y, m, day;
        if (get_string(ld, e, &v) < 0)
            return -1;
        if (parse_date(v, &y, &m, &day) < 0)
            return fail(ld, e, "bad date '%s': expected YYYY-MM-DD", quote(qb, v));
        int rc = d->arg ? sla_calendar_add_workday(b->cal, y, m, day)
                        : sla_calendar_add_holiday(b->cal, y, m, day);
        if (rc < 0)
            return fail(ld, e, "calendar refused date '%s'", quote(qb, v));
    }
    return 0;
}

static int parse_extra_day_hours(loader *ld, const config_setting_t *s, void *field,
                                 const directive *d)
{
    calendar_builder *b = field;
    const char *v = NULL;
    char qb[64];
    (void)d;
    if (get_string(ld, s, &v) < 0)
        return -1;
    int day = day_from_name(v);
    if (day < 0)
        return fail(ld, s, "unknown day '%s' (mon, tue, wed, thu, fri, sat, sun)", quote(qb, v));
    sla_calendar_set_extra_day_hours(b->cal, day);
    return 0;
}

static const directive calendar_directives[] = {
    {.name = "name", .parse = parse_name, .offset = CAL(name), .flags = D_REQUIRED},
    {.name = "timezone", .parse = parse_timezone, .offset = CAL(cal), .flags = D_REQUIRED},
    {.name = "hours", .parse = parse_hours, .flags = D_REQUIRED},
    {.name = "holidays", .parse = parse_dates, .arg = 0},
    {.name = "workdays", .parse = parse_dates, .arg = 1},
    {.name = "extra_day_hours", .parse = parse_extra_day_hours},
    {0},
};

static int check_is_list(loader *ld, const config_setting_t *s, const char *what)
{
    if (config_setting_type(s) != CONFIG_TYPE_LIST)
        return fail_type(ld, s, what);
    return 0;
}

static int parse_calendars(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    sla_config *cfg = ld->cfg;
    (void)field;
    (void)d;
    if (check_is_list(ld, s, "a list ( { name; timezone; hours; }, ... )") < 0)
        return -1;
    size_t n = (size_t)config_setting_length(s);
    cfg->calendar_names = ld_calloc(ld, s, n, sizeof *cfg->calendar_names);
    cfg->calendars = ld_calloc(ld, s, n, sizeof *cfg->calendars);
    if (!cfg->calendar_names || !cfg->calendars)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        calendar_builder b = {0};
        int rc = parse_group(ld, e, calendar_directives, &b);
        cfg->calendar_names[i] = b.name; /* owned by cfg from here on, even on error */
        cfg->calendars[i] = b.cal;
        cfg->ncalendars = i + 1;
        if (rc < 0)
            return -1;
        char reason[160], qb[64];
        if (sla_calendar_finish(b.cal, reason, sizeof reason) < 0)
            return fail(ld, e, "%s", reason);
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->calendar_names[j], b.name) == 0)
                return fail(ld, config_setting_get_member(e, "name"),
                            "calendar '%s' is defined twice", quote(qb, b.name));
    }
    return 0;
}

/* --- receivers ------------------------------------------------------------------ */

/* Why v is no webhook URL, or NULL when it is one. */
static const char *url_problem(const char *v)
{
    size_t skip = strncmp(v, "http://", 7) == 0 ? 7 : strncmp(v, "https://", 8) == 0 ? 8 : 0;
    if (!skip)
        return "must start with http:// or https://";
    if (!v[skip] || v[skip] == '/')
        return "has no host";
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return "contains spaces or control characters";
    if (strlen(v) > 2048)
        return "is longer than 2048 bytes";
    return NULL;
}

static int parse_url(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    const char *v = NULL, *why;
    char qb[64];
    if (get_string(ld, s, &v) < 0)
        return -1;
    if ((why = url_problem(v)) != NULL)
        return fail(ld, s, "'%s' %s", quote(qb, v), why);
    return parse_string(ld, s, field, d);
}

/* url_file: the URL is a secret (the token of Slack, WeCom, DingTalk ...),
 * read like secret_file; never quoted in a message. field is &receiver->url. */
static int parse_url_file(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    sla_receiver *r = (sla_receiver *)((char *)field - offsetof(sla_receiver, url));
    char who[NAME_MAX_BYTES + 16], qb[64];
    const char *why;
    (void)d;
    snprintf(who, sizeof who, "receiver '%s': ", quote(qb, r->name));
    if (read_secret(ld, s, who, (char **)field) < 0)
        return -1;
    if ((why = url_problem(r->url)) != NULL)
        return fail(ld, s, "%sthe file's URL %s", who, why);
    return 0;
}

/* Whether an inline URL carries a credential: the chat robots put their
 * token in the path or query; others may have user:password@ or a query
 * parameter that looks like one. */
static int url_holds_token(const char *url, enum sla_format format)
{
    static const char *const words[] = {"token", "key", "secret", "sign", "auth", "pass"};
    if (format == SLA_FORMAT_SLACK || format == SLA_FORMAT_WECOM ||
        format == SLA_FORMAT_DINGTALK || format == SLA_FORMAT_FEISHU)
        return 1;
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    size_t authority = strcspn(host, "/?#");
    if (memchr(host, '@', authority))
        return 1;
    const char *q = strchr(url, '?');
    for (size_t i = 0; q && i < sizeof words / sizeof words[0]; i++)
        if (strcasestr(q, words[i]))
            return 1;
    return 0;
}

/* An inline URL with a token in a file others may read: warn (the file is
 * the one holding the setting, an @include'd one included). */
static void check_url_exposure(loader *ld, const config_setting_t *e, const sla_receiver *r)
{
    const config_setting_t *u = config_setting_get_member(e, "url");
    const char *file = u ? config_setting_source_file(u) : NULL;
    struct stat st;
    char qb[64];
    if (!file || !url_holds_token(r->url, r->format) || stat(file, &st) < 0 ||
        !(st.st_mode & S_IROTH))
        return;
    warn(ld, u, "receiver '%s': the URL carries a token and %s is readable by others: "
         "move it to url_file, or chmod o-r the file", quote(qb, r->name), file);
}

static int parse_format(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    const char *v = NULL;
    char qb[64];
    (void)d;
    if (get_string(ld, s, &v) < 0)
        return -1;
    int f = sla_format_from_name(v);
    if (f < 0)
        return fail(ld, s,
                    "unknown format '%s' (json, alertmanager, slack, feishu, dingtalk, wecom)",
                    quote(qb, v));
    *(enum sla_format *)field = (enum sla_format)f;
    return 0;
}

/* --- chat receivers and steps: locale, timezone, ticket_url, mention ------------ */

static int parse_locale(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    const char *v = NULL;
    char qb[64];
    (void)d;
    if (get_string(ld, s, &v) < 0)
        return -1;
    int l = sla_locale_from_name(v);
    if (l < 0)
        return fail(ld, s, "unknown locale '%s' (zh-CN, en)", quote(qb, v));
    *(enum sla_locale *)field = (enum sla_locale)l;
    return 0;
}

/* deliver = "at_once" | "working_hours" (sla_delivery_hours.h). */
static int parse_deliver(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    const char *v = NULL;
    char qb[64];
    (void)d;
    if (get_string(ld, s, &v) < 0)
        return -1;
    if (strcmp(v, "at_once") == 0)
        *(enum sla_deliver *)field = SLA_DELIVER_AT_ONCE;
    else if (strcmp(v, "working_hours") == 0)
        *(enum sla_deliver *)field = SLA_DELIVER_WORKING_HOURS;
    else
        return fail(ld, s, "unknown deliver '%s' (at_once, working_hours)", quote(qb, v));
    return 0;
}

/* "https://helpdesk.example/tickets/{ticket}": the only link a chat message carries. */
static int parse_ticket_url(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    const char *v = NULL;
    if (get_string(ld, s, &v) < 0)
        return -1;
    const char *at = strstr(v, "{ticket}");
    if (!at || strstr(at + 1, "{ticket}"))
        return fail(ld, s, "must contain {ticket} once");
    return parse_url(ld, s, field, d);
}

/* An array of 1..SLA_MENTION_MAX strings, each 1..64 bytes of the characters d->arg names. */
static int parse_mention_list(loader *ld, const config_setting_t *s, void *field,
                              const directive *d)
{
    static const char *const allowed[] = {
        "0123456789+-", /* mobiles */
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@-", /* user ids */
    };
    sla_mention *m = field;
    char ***list = d->arg ? &m->user_ids : &m->mobiles;
    size_t *n = d->arg ? &m->nuser_ids : &m->nmobiles;
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
        return fail_type(ld, s, "an array of strings");
    size_t len = (size_t)config_setting_length(s);
    if (len == 0 || len > SLA_MENTION_MAX)
        return fail(ld, s, "must hold 1..%d entries", SLA_MENTION_MAX);
    if (!(*list = ld_calloc(ld, s, len, sizeof **list)))
        return -1;
    for (size_t i = 0; i < len; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = NULL;
        char qb[64];
        if (get_string(ld, e, &v) < 0)
            return -1;
        size_t vl = strlen(v);
        if (vl == 0 || vl > NAME_MAX_BYTES || strspn(v, allowed[d->arg]) != vl)
            return fail(ld, e, "bad entry '%s': use 1..%d of %s", quote(qb, v), NAME_MAX_BYTES,
                        d->arg ? "letters, digits or _.@-" : "digits, + or -");
        if (!((*list)[i] = ld_strdup(ld, e, v)))
            return -1;
        *n = i + 1;
    }
    return 0;
}

#define MEN(f) offsetof(sla_mention, f)
static const directive mention_directives[] = {
    {.name = "mobiles", .parse = parse_mention_list, .arg = 0},
    {.name = "user_ids", .parse = parse_mention_list, .arg = 1},
    {.name = "all", .parse = parse_bool, .offset = MEN(all)},
    {0},
};

static void mention_release(sla_mention *m)
{
    for (size_t i = 0; i < m->nmobiles; i++)
        free(m->mobiles[i]);
    for (size_t i = 0; i < m->nuser_ids; i++)
        free(m->user_ids[i]);
    free(m->mobiles);
    free(m->user_ids);
}

/* Receiver settings of chat formats; defaults applied by receiver_chat_defaults. */
#define RECEIVER_CHAT_DIRECTIVES                                                          \
    {.name = "locale", .parse = parse_locale, .offset = RCV(locale)},                     \
    {.name = "timezone", .parse = parse_timezone, .offset = RCV(zone)},                   \
    {.name = "ticket_url", .parse = parse_ticket_url, .offset = RCV(ticket_url)},         \
    {.name = "mention", .parse = parse_section, .offset = RCV(mention),                   \
     .sub = mention_directives}
#define STEP_CHAT_DIRECTIVES                                                              \
    {.name = "mention", .parse = parse_section, .offset = STEP(mention),                  \
     .sub = mention_directives}

static void receiver_chat_defaults(sla_receiver *r, int before_parse)
{
    if (before_parse)
        r->locale = SLA_LOCALE_COUNT; /* not set */
    else if (r->locale == SLA_LOCALE_COUNT)
        r->locale = r->format == SLA_FORMAT_FEISHU || r->format == SLA_FORMAT_DINGTALK ||
                            r->format == SLA_FORMAT_WECOM
                        ? SLA_LOCALE_ZH_CN
                        : SLA_LOCALE_EN;
}

static void receiver_chat_release(sla_receiver *r)
{
    if (r->zone)
        sla_calendar_free(r->zone);
    free(r->ticket_url);
    mention_release(&r->mention);
}

static int parse_calendar_ref(loader *ld, const config_setting_t *s, void *field,
                              const directive *d);

static const directive receiver_directives[] = {
    {.name = "name", .parse = parse_name, .offset = RCV(name), .flags = D_REQUIRED},
    {.name = "url", .parse = parse_url, .offset = RCV(url)},
    {.name = "url_file", .parse = parse_url_file, .offset = RCV(url)},
    {.name = "format", .parse = parse_format, .offset = RCV(format)},
    {.name = "secret_file", .parse = parse_secret, .offset = RCV(secret)},
    NUM("rate_per_second", parse_int, RCV(rate_per_second), 0, 100000),
    NUM("rate_per_minute", parse_int, RCV(rate_per_minute), 0, 1000000),
    {.name = "resend_interval", .parse = parse_int64, .offset = RCV(resend_interval_ms),
     .flags = D_DURATION, .min = 1000, .max = 3600000},
    {.name = "runbook_url", .parse = parse_url, .offset = RCV(runbook_url)},
    {.name = "calendar", .parse = parse_calendar_ref, .offset = RCV(calendar)},
    RECEIVER_CHAT_DIRECTIVES,
    {0},
};

static int parse_receivers(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    sla_config *cfg = ld->cfg;
    (void)field;
    (void)d;
    if (check_is_list(ld, s, "a list ( { name; url; format; }, ... )") < 0)
        return -1;
    size_t n = (size_t)config_setting_length(s);
    if (!(cfg->receivers = ld_calloc(ld, s, n, sizeof *cfg->receivers)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        sla_receiver *r = &cfg->receivers[i];
        char qb[64];
        cfg->nreceivers = i + 1;
        r->format = SLA_FORMAT_JSON;
        r->rate_per_second = r->rate_per_minute = -1; /* not set */
        r->resend_interval_ms = 60000;
        r->calendar = -1;
        r->line = config_setting_source_line(e);
        receiver_chat_defaults(r, 1);
        if (parse_group(ld, e, receiver_directives, r) < 0)
            return -1;
        int inline_url = config_setting_get_member(e, "url") != NULL;
        if (inline_url == (config_setting_get_member(e, "url_file") != NULL))
            return fail(ld, e, "receiver '%s': set one of url and url_file", quote(qb, r->name));
        if (inline_url)
            check_url_exposure(ld, e, r);
        /* Alertmanager routes by time itself (active_time_intervals), and
         * its alerts are sent again while breached: never held here. */
        if (r->calendar >= 0 && r->format == SLA_FORMAT_ALERTMANAGER)
            return fail(ld, config_setting_get_member(e, "calendar"),
                        "receiver '%s': an alertmanager receiver keeps no calendar (use "
                        "Alertmanager's active_time_intervals)",
                        quote(qb, r->name));
        receiver_chat_defaults(r, 0);
        /* The same check the signing code makes, so that a secret that
         * would make every delivery dead is refused here instead. */
        if (r->secret && sla_webhook_check_secret(r) < 0) {
            const config_setting_t *sf = config_setting_get_member(e, "secret_file");
            if (r->format == SLA_FORMAT_JSON)
                return fail(ld, sf,
                            "receiver '%s': secret is not a Standard Webhooks key ('whsec_' "
                            "and the base64 of 1-%d bytes)",
                            quote(qb, r->name), SLA_SIGN_MAX_KEY);
            return fail(ld, sf, "receiver '%s': secret is longer than %d bytes",
                        quote(qb, r->name), SLA_SIGN_MAX_PLAIN);
        }
        if (r->rate_per_second < 0)
            r->rate_per_second = formats[r->format].rate_per_second;
        if (r->rate_per_minute < 0)
            r->rate_per_minute = formats[r->format].rate_per_minute;
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->receivers[j].name, r->name) == 0)
                return fail(ld, config_setting_get_member(e, "name"),
                            "receiver '%s' is defined twice", quote(qb, r->name));
    }
    return 0;
}

/* --- policies: match ---------------------------------------------------------- */

/* Fields of an event that are not ticket attributes and cannot be matched. */
static const char *const unmatchable[] = {"ticket", "type", "ts", "due", "satisfaction",
                                          "metric", "by"};

static const struct match_op_info {
    const char *prefix;
    enum sla_match_op op;
} match_ops[] = { /* longest first */
    {">=", SLA_MATCH_GE}, {"<=", SLA_MATCH_LE}, {">", SLA_MATCH_GT}, {"<", SLA_MATCH_LT},
};

/* One equality value: a string, an integer or a boolean, as text. */
static int match_value_text(loader *ld, const config_setting_t *e, char *buf, size_t len,
                            const char **out)
{
    switch (config_setting_type(e)) {
    case CONFIG_TYPE_STRING:
        *out = config_setting_get_string(e);
        return check_printable(ld, e, *out);
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        snprintf(buf, len, "%lld", (long long)config_setting_get_int64(e));
        *out = buf;
        return 0;
    case CONFIG_TYPE_BOOL:
        *out = config_setting_get_bool(e) ? "true" : "false";
        return 0;
    default:
        return fail_type(ld, e, "a string, an integer, a boolean or a list of them");
    }
}

static int match_is_comparison(const char *v)
{
    return v[0] == '<' || v[0] == '>';
}

static int match_add_value(loader *ld, const config_setting_t *e, sla_match *m)
{
    char num[32], qb[64];
    const char *v = NULL;
    if (match_value_text(ld, e, num, sizeof num, &v) < 0)
        return -1;
    if (match_is_comparison(v))
        return fail(ld, e, "comparison '%s' cannot be part of a list", quote(qb, v));
    if (!(m->values[m->nvalues] = ld_strdup(ld, e, v)))
        return -1;
    m->nvalues++;
    return 0;
}

/* ">1000", ">= 2", "<0.5": the operator and a finite number. */
static int match_parse_comparison(loader *ld, const config_setting_t *s, const char *v,
                                  sla_match *m)
{
    char qb[64];
    const struct match_op_info *op = NULL;
    for (size_t i = 0; i < sizeof match_ops / sizeof match_ops[0] && !op; i++)
        if (strncmp(v, match_ops[i].prefix, strlen(match_ops[i].prefix)) == 0)
            op = &match_ops[i];
    const char *num = v + strlen(op->prefix);
    while (*num == ' ')
        num++;
    char *end;
    errno = 0;
    double x = strtod(num, &end);
    if (end == num || *end || errno == ERANGE || !isfinite(x) ||
        !(isdigit((unsigned char)*num) || *num == '-' || *num == '+' || *num == '.'))
        return fail(ld, s, "bad comparison '%s': expected a number after '%s'", quote(qb, v),
                    op->prefix);
    m->op = op->op;
    m->number = x;
    return 0;
}

static int match_parse_field(loader *ld, const config_setting_t *s, sla_match *m)
{
    const char *field = config_setting_name(s);
    char qb[64];
    for (size_t i = 0; i < sizeof unmatchable / sizeof unmatchable[0]; i++)
        if (strcmp(field, unmatchable[i]) == 0)
            return fail(ld, s, "'%s' is not a ticket attribute and cannot be matched", field);
    if (strchr(field, '*'))
        return fail(ld, s, "'%s' is not a field name", quote(qb, field));
    if (!(m->field = ld_strdup(ld, s, field)))
        return -1;
    int type = config_setting_type(s);
    if (type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST) {
        size_t n = (size_t)config_setting_length(s);
        if (n == 0)
            return fail(ld, s, "empty list matches nothing");
        if (!(m->values = ld_calloc(ld, s, n, sizeof *m->values)))
            return -1;
        for (size_t i = 0; i < n; i++)
            if (match_add_value(ld, config_setting_get_elem(s, (unsigned)i), m) < 0)
                return -1;
        return 0;
    }
    char num[32];
    const char *v = NULL;
    if (match_value_text(ld, s, num, sizeof num, &v) < 0)
        return -1;
    if (match_is_comparison(v))
        return match_parse_comparison(ld, s, v, m);
    if (!(m->values = ld_calloc(ld, s, 1, sizeof *m->values)))
        return -1;
    return match_add_value(ld, s, m);
}

static int parse_match(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    sla_policy *p = field;
    (void)d;
    if (check_is_group(ld, s) < 0)
        return -1;
    size_t n = (size_t)config_setting_length(s);
    if (!(p->match = ld_calloc(ld, s, n, sizeof *p->match)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        p->nmatch = i + 1;
        if (match_parse_field(ld, config_setting_get_elem(s, (unsigned)i), &p->match[i]) < 0)
            return -1;
    }
    return 0;
}

/* --- policies: targets and ladders --------------------------------------------- */

/* [ "team_lead", "manager" ] or "team_lead" into receiver indices. */
static int parse_receiver_names(loader *ld, const config_setting_t *s, int **out, size_t *nout)
{
    int type = config_setting_type(s);
    int single = type == CONFIG_TYPE_STRING;
    if (!single && type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
        return fail_type(ld, s, "an array of receiver names");
    size_t n = single ? 1 : (size_t)config_setting_length(s);
    if (n == 0)
        return fail(ld, s, "names no receiver");
    free(*out);
    *nout = 0;
    if (!(*out = ld_calloc(ld, s, n, sizeof **out)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *e = single ? s : config_setting_get_elem(s, (unsigned)i);
        const char *name = NULL;
        char qb[64];
        if (get_string(ld, e, &name) < 0)
            return -1;
        int idx = sla_config_receiver_index(ld->cfg, name);
        if (idx < 0)
            return fail(ld, e, "unknown receiver '%s'", quote(qb, name));
        (*out)[(*nout)++] = idx;
    }
    return 0;
}

static int parse_step_notify(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    sla_step *st = field;
    (void)d;
    return parse_receiver_names(ld, s, &st->notify, &st->nnotify);
}

static int parse_warn_notify(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    sla_target *t = field;
    (void)d;
    return parse_receiver_names(ld, s, &t->warn_notify, &t->nwarn_notify);
}

static const directive step_directives[] = {
    {.name = "after", .parse = parse_delay, .offset = STEP(after)},
    {.name = "notify", .parse = parse_step_notify, .flags = D_REQUIRED},
    {.name = "repeat", .parse = parse_span, .offset = STEP(repeat)},
    NUM("max_repeats", parse_int, STEP(max_repeats), 0, 1000),
    {.name = "deliver", .parse = parse_deliver, .offset = STEP(deliver)},
    STEP_CHAT_DIRECTIVES,
    {0},
};

static int parse_escalate(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    sla_target *t = field;
    (void)d;
    if (check_is_list(ld, s, "a list of steps ( { after; notify; }, ... )") < 0)
        return -1;
    size_t n = (size_t)config_setting_length(s);
    if (n == 0)
        return fail(ld, s, "empty ladder");
    if (!(t->steps = ld_calloc(ld, s, n, sizeof *t->steps)))
        return -1;
    int64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        sla_step *st = &t->steps[i];
        t->nsteps = i + 1;
        if (parse_group(ld, e, step_directives, st) < 0)
            return -1;
        int64_t after = sla_span_plain_ms(&st->after, ld->cfg->ring_ms);
        if (after < prev)
            return fail(ld, config_setting_get_member(e, "after"),
                        "steps must be in order: 'after' is earlier than the previous step's");
        prev = after;
        const config_setting_t *rep = config_setting_get_member(e, "repeat");
        if (rep && i + 1 < n)
            return fail(ld, rep, "only the last step may repeat");
        const config_setting_t *max = config_setting_get_member(e, "max_repeats");
        if (max && !rep)
            return fail(ld, max, "max_repeats without repeat");
    }
    return 0;
}

static int parse_warn(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    sla_target *t = field;
    const char *v = NULL;
    char reason[128], qb[64];
    (void)d;
    if (get_string(ld, s, &v) < 0)
        return -1;
    if (sla_warn_parse(v, &t->warn_percent, &t->warn_before, reason, sizeof reason) < 0)
        return fail(ld, s, "bad warn '%s': %s", quote(qb, v), reason);
    if (t->warn_before.rings && ld->metric != SLA_METRIC_PICKUP)
        return fail(ld, s, "rings are only for pickup targets");
    if (t->warn_percent == 0 && sla_span_is_zero(&t->warn_before))
        return fail(ld, s, "must be longer than zero");
    return 0;
}

static int parse_calendar_ref(loader *ld, const config_setting_t *s, void *field,
                              const directive *d)
{
    const char *v = NULL;
    char qb[64];
    (void)d;
    if (get_string(ld, s, &v) < 0)
        return -1;
    int idx = sla_config_calendar_index(ld->cfg, v);
    if (idx < 0)
        return fail(ld, s, "unknown calendar '%s'", quote(qb, v));
    *(int *)field = idx;
    return 0;
}

static int parse_target_span(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    sla_target *t = field;
    (void)d;
    return get_span(ld, s, 0, &t->target);
}

/* Order matters: the ladder before warn_notify's default, the target before warn. */
static const directive target_directives[] = {
    {.name = "target", .parse = parse_target_span},
    {.name = "calendar", .parse = parse_calendar_ref, .offset = TGT(calendar)},
    {.name = "escalate", .parse = parse_escalate},
    {.name = "warn", .parse = parse_warn},
    {.name = "warn_notify", .parse = parse_warn_notify},
    {.name = "recovered", .parse = parse_bool, .offset = TGT(recovered)},
    {0},
};

static int copy_indices(loader *ld, const config_setting_t *s, const int *from, size_t n,
                        int **to, size_t *nto)
{
    if (!(*to = ld_calloc(ld, s, n, sizeof **to)))
        return -1;
    memcpy(*to, from, n * sizeof *from);
    *nto = n;
    return 0;
}

/* first_response = { target; calendar; warn; warn_notify; escalate; recovered; } */
static int parse_metric(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    sla_target *t = field;
    t->defined = 1;
    t->calendar = -1;
    ld->metric = d->arg;
    int rc = check_is_group(ld, s) < 0 || check_unknown(ld, s, target_directives) < 0 ||
                     (d->arg != SLA_METRIC_CALLBACK && require(ld, s, "target") < 0) ||
                     apply_table(ld, s, target_directives, t) < 0
                 ? -1
                 : 0;
    ld->metric = -1;
    if (rc < 0)
        return -1;

    const config_setting_t *warn = config_setting_get_member(s, "warn");
    const config_setting_t *wn = config_setting_get_member(s, "warn_notify");
    if (wn && !warn)
        return fail(ld, wn, "warn_notify without warn");
    if (warn && !wn) {
        if (t->nsteps == 0)
            return fail(ld, warn, "no one to warn: set warn_notify or escalate");
        if (copy_indices(ld, warn, t->steps[0].notify, t->steps[0].nnotify, &t->warn_notify,
                         &t->nwarn_notify) < 0)
            return -1;
    }
    if (warn && t->warn_percent == 0 && !sla_span_is_zero(&t->target) &&
        sla_span_plain_ms(&t->warn_before, ld->cfg->ring_ms) >=
            sla_span_plain_ms(&t->target, ld->cfg->ring_ms))
        return fail(ld, warn, "warning would come before the clock starts: make it shorter "
                              "than the target");
    return 0;
}

#define METRIC_DIRECTIVE(n, metric) \
    {.name = n, .parse = parse_metric, .offset = offsetof(sla_policy, metrics[metric]), \
     .arg = metric}

static const directive policy_directives[] = {
    {.name = "name", .parse = parse_name, .offset = offsetof(sla_policy, name)},
    {.name = "match", .parse = parse_match},
    {.name = "runbook_url", .parse = parse_url, .offset = offsetof(sla_policy, runbook_url)},
    {.name = "deliver", .parse = parse_deliver, .offset = offsetof(sla_policy, deliver)},
    METRIC_DIRECTIVE("first_response", SLA_METRIC_FIRST_RESPONSE),
    METRIC_DIRECTIVE("next_response", SLA_METRIC_NEXT_RESPONSE),
    METRIC_DIRECTIVE("pickup", SLA_METRIC_PICKUP),
    METRIC_DIRECTIVE("periodic_update", SLA_METRIC_PERIODIC_UPDATE),
    METRIC_DIRECTIVE("resolution", SLA_METRIC_RESOLUTION),
    METRIC_DIRECTIVE("follow_up", SLA_METRIC_FOLLOW_UP),
    METRIC_DIRECTIVE("callback", SLA_METRIC_CALLBACK),
    METRIC_DIRECTIVE("first_revisit", SLA_METRIC_FIRST_REVISIT),
    METRIC_DIRECTIVE("second_revisit", SLA_METRIC_SECOND_REVISIT),
    METRIC_DIRECTIVE("revisit", SLA_METRIC_REVISIT),
    METRIC_DIRECTIVE("reminder", SLA_METRIC_REMINDER),
    METRIC_DIRECTIVE("review", SLA_METRIC_REVIEW),
    METRIC_DIRECTIVE("survey", SLA_METRIC_SURVEY),
    {0},
};

static int parse_policies(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    sla_config *cfg = ld->cfg;
    (void)field;
    (void)d;
    if (check_is_list(ld, s, "a list ( { name; match; first_response; ... }, ... )") < 0)
        return -1;
    size_t n = (size_t)config_setting_length(s);
    if (n > SLA_MAX_POLICIES)
        return fail(ld, s, "%zu policies, at most %d are allowed", n, SLA_MAX_POLICIES);
    if (!(cfg->policies = ld_calloc(ld, s, n, sizeof *cfg->policies)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        sla_policy *p = &cfg->policies[i];
        char qb[64];
        cfg->npolicies = i + 1;
        for (int m = 0; m < SLA_METRIC_COUNT; m++)
            p->metrics[m].calendar = -1;
        p->line = config_setting_source_line(e);
        if (parse_group(ld, e, policy_directives, p) < 0)
            return -1;
        if (!p->name) {
            char def[32];
            snprintf(def, sizeof def, "policy-%zu", i);
            if (!(p->name = ld_strdup(ld, e, def)))
                return -1;
        }
        int any = 0;
        for (int m = 0; m < SLA_METRIC_COUNT; m++)
            any |= p->metrics[m].defined;
        if (!any)
            return fail(ld, e, "policy '%s' sets no metric", quote(qb, p->name));
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->policies[j].name, p->name) == 0)
                return fail(ld, config_setting_get_member(e, "name"),
                            "policy '%s' is defined twice", quote(qb, p->name));
    }
    return 0;
}

/* --- clocks and revisit ---------------------------------------------------------- */

static int parse_pausable(loader *ld, const config_setting_t *s, void *field, const directive *d)
{
    unsigned mask = 0;
    (void)d;
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
        return fail_type(ld, s, "an array of metric names");
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = NULL;
        char qb[64];
        if (get_string(ld, e, &v) < 0)
            return -1;
        int m = sla_metric_from_name(v, strlen(v));
        if (m < 0)
            return fail(ld, e, "unknown metric '%s'", quote(qb, v));
        if (sla_metric_subject(m) != SLA_SUBJECT_TICKET)
            return fail(ld, e, "'%s' is a customer clock: only ticket clocks pause",
                        quote(qb, v));
        mask |= 1u << m;
    }
    *(unsigned *)field = mask;
    return 0;
}

/* --- report ------------------------------------------------------------------------ */

/* A zone name the system database knows, or "" for the system's own. */
static int parse_report_zone(loader *ld, const config_setting_t *s, void *field,
                             const directive *d)
{
    const char *v = NULL;
    char reason[256];
    if (get_string(ld, s, &v) < 0)
        return -1;
    if (*v) {
        sla_calendar *cal = sla_calendar_new(v, reason, sizeof reason);
        if (!cal)
            return fail(ld, s, "%s", reason);
        sla_calendar_free(cal);
    }
    return parse_string(ld, s, field, d);
}

typedef int string_check_fn(loader *ld, const config_setting_t *e, const char *v);

static void strings_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/*
 * An array (or list) of at most max strings, each passing check and given
 * once: a new vector in *out (owned by the caller, strings_free), its
 * length in *nout. what names the expected type, items the elements in
 * "at most N <items>".
 */
static int parse_string_set(loader *ld, const config_setting_t *s, const char *what, int max,
                            const char *items, string_check_fn *check, char ***out, size_t *nout)
{
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
        return fail_type(ld, s, what);
    int n = config_setting_length(s);
    if (n > max)
        return fail(ld, s, "at most %d %s", max, items);
    char **v = calloc((size_t)n + 1, sizeof *v);
    if (!v)
        return fail(ld, s, "out of memory");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *str = NULL;
        char qb[64];
        int bad = get_string(ld, e, &str) < 0 || check(ld, e, str) < 0;
        for (int j = 0; !bad && j < i; j++)
            if (strcmp(v[j], str) == 0)
                bad = fail(ld, e, "'%s' given twice", quote(qb, str)) < 0;
        if (!bad && !(v[i] = ld_strdup(ld, e, str)))
            bad = 1;
        if (bad) {
            strings_free(v, (size_t)i);
            return -1;
        }
    }
    *out = v;
    *nout = (size_t)n;
    return 0;
}

/* Ticket field names, each once, at most SLA_REPORT_MAX_DIMENSIONS. */
static int parse_dimensions(loader *ld, const config_setting_t *s, void *field,
                            const directive *d)
{
    sla_config *cfg = (sla_config *)((char *)field - d->offset); /* a top-level section */
    char **dims;
    size_t n;
    if (parse_string_set(ld, s, "an array of ticket field names", SLA_REPORT_MAX_DIMENSIONS,
                         "dimensions", check_name, &dims, &n) < 0)
        return -1;
    strings_free(cfg->report.dimensions, cfg->report.ndimensions);
    cfg->report.dimensions = dims;
    cfg->report.ndimensions = n;
    return 0;
}

static const directive report_directives[] = {
    {.name = "timezone", .parse = parse_report_zone, .offset = CFG(report.timezone),
     .flags = D_EMPTY_OK},
    {.name = "dimensions", .parse = parse_dimensions, .offset = CFG(report.dimensions)},
    NUM("keep_days", parse_int, CFG(report.keep_days), 1, 3660),
    {0},
};

/* --- the top level ---------------------------------------------------------------- */

/* A number of ms in sla_config, also accepted as a duration string ("2s"). */
#define MS_DIRECTIVE(n, fn, field, lo, hi) \
    {.name = n, .parse = fn, .offset = CFG(field), .flags = D_DURATION, .min = lo, .max = hi}

static int check_seed(loader *ld, const config_setting_t *e, const char *v)
{
    char qb[64], host[SLA_CLUSTER_HOST_MAX];
    int port;
    if (check_printable(ld, e, v) < 0)
        return -1;
    if (sla_cluster_addr_parse(v, strlen(v), host, sizeof host, &port) < 0)
        return fail(ld, e, "'%s' is not host:port (port 1..65535)", quote(qb, v));
    return 0;
}

/* Cluster seed nodes: "host:port" strings, each once, at most 64. */
static int parse_cluster_seeds(loader *ld, const config_setting_t *s, void *field,
                               const directive *d)
{
    sla_config *cfg = (sla_config *)((char *)field - d->offset);
    char **seeds;
    size_t n;
    if (parse_string_set(ld, s, "an array of \"host:port\" strings", 64, "seed nodes",
                         check_seed, &seeds, &n) < 0)
        return -1;
    strings_free(cfg->redis.cluster, cfg->redis.ncluster);
    cfg->redis.cluster = seeds;
    cfg->redis.ncluster = n;
    return 0;
}

static const directive redis_directives[] = {
    {.name = "host", .parse = parse_string, .offset = CFG(redis.host)},
    NUM("port", parse_int, CFG(redis.port), 1, 65535),
    {.name = "unix_socket", .parse = parse_string, .offset = CFG(redis.unix_socket)},
    {.name = "password_file", .parse = parse_secret, .offset = CFG(redis.password)},
    NUM("db", parse_int, CFG(redis.db), 0, 4095),
    MS_DIRECTIVE("connect_timeout", parse_int, redis.connect_timeout_ms, 100, 60000),
    MS_DIRECTIVE("reply_timeout", parse_int, redis.reply_timeout_ms, 500, 300000),
    {.name = "cluster", .parse = parse_cluster_seeds, .offset = CFG(redis.cluster)},
    NUM("wait_replicas", parse_int, CFG(redis.wait_replicas), 0, 16),
    MS_DIRECTIVE("wait_timeout", parse_int, redis.wait_timeout_ms, 10, 60000),
    {0},
};

static const directive instance_directives[] = {
    {.name = "name", .parse = parse_word, .offset = CFG(instance.name)},
    MS_DIRECTIVE("lease_ttl", parse_int, instance.lease_ttl_ms, 600, 600000),
    {0},
};

static const directive stream_directives[] = {
    {.name = "prefix", .parse = parse_word, .offset = CFG(stream.prefix)},
    {.name = "group", .parse = parse_word, .offset = CFG(stream.group)},
    {.name = "consumer", .parse = parse_word, .offset = CFG(stream.consumer)},
    NUM("batch", parse_int, CFG(stream.batch), 1, 10000),
    MS_DIRECTIVE("block", parse_int, stream.block_ms, 100, 60000),
    MS_DIRECTIVE("claim_idle", parse_int, stream.claim_idle_ms, 1000, 86400000),
    MS_DIRECTIVE("max_future_skew", parse_int64, stream.max_future_skew_ms, 0, 7LL * 86400000),
    MS_DIRECTIVE("max_past_age", parse_int64, stream.limits.max_past_age_ms, 3600000,
                 3660LL * 86400000),
    NUM("max_entry_bytes", parse_size, CFG(stream.limits.max_entry_bytes), 1024, 16 << 20),
    NUM("max_fields", parse_size, CFG(stream.limits.max_fields), 4, SLA_EVENT_MAX_FIELDS),
    NUM("max_value_bytes", parse_size, CFG(stream.limits.max_value_bytes), 64, 16 << 20),
    {0},
};

static const directive control_directives[] = {
    {.name = "socket", .parse = parse_string, .offset = CFG(control_socket)},
    NUM("max_clients", parse_int, CFG(control.max_clients), 4, 1024),
    NUM("max_clients_per_uid", parse_int, CFG(control.max_clients_per_uid), 1, 1024),
    {0},
};

static const directive http_directives[] = {
    {.name = "listen", .parse = parse_listen, .offset = CFG(http_listen), .flags = D_EMPTY_OK},
    NUM("max_connections", parse_int, CFG(http.max_connections), 1, 4096),
    MS_DIRECTIVE("request_timeout", parse_int, http.request_timeout_ms, 100, 300000),
    {0},
};

static const directive delivery_directives[] = {
    {.name = "group", .parse = parse_word, .offset = CFG(delivery.group)},
    MS_DIRECTIVE("connect_timeout", parse_int, delivery.connect_timeout_ms, 100, 300000),
    MS_DIRECTIVE("timeout", parse_int, delivery.timeout_ms, 100, 600000),
    MS_DIRECTIVE("budget", parse_int64, delivery.budget_ms, 1000, 30LL * 86400000),
    MS_DIRECTIVE("backoff_base", parse_int, delivery.backoff_base_ms, 10, 3600000),
    MS_DIRECTIVE("backoff_cap", parse_int, delivery.backoff_cap_ms, 10, 86400000),
    NUM("max_in_flight", parse_int, CFG(delivery.max_in_flight), 1, 1000),
    {0},
};

static const directive clocks_directives[] = {
    NUM("ring_seconds", parse_ring_seconds, CFG(ring_ms), 1, 60),
    {.name = "pausable", .parse = parse_pausable, .offset = CFG(pausable_mask)},
    {0},
};

static const directive revisit_directives[] = {
    {.name = "satisfied", .parse = parse_span, .offset = CFG(revisit[SLA_REVISIT_SATISFIED])},
    {.name = "average", .parse = parse_span, .offset = CFG(revisit[SLA_REVISIT_AVERAGE])},
    {.name = "unsatisfied", .parse = parse_span, .offset = CFG(revisit[SLA_REVISIT_UNSATISFIED])},
    {0},
};

/* Table order is load order: what policies refer to comes before them. */
#define RULE(f) offsetof(sla_retention_rule, f)
static const directive retention_rule_directives[] = {
    {.name = "max_age", .parse = parse_int64, .offset = RULE(max_age_ms), .flags = D_DURATION,
     .min = 0, .max = 3660LL * 86400000},
    NUM("max_count", parse_int64, RULE(max_count), 0, 2000000000),
    {0},
};
#undef RULE

static const directive retention_directives[] = {
    MS_DIRECTIVE("interval", parse_int64, retention.interval_ms, 1000, 86400000),
    NUM("step", parse_int, CFG(retention.step), 100, 1000000),
    {.name = "events", .parse = parse_section, .offset = CFG(retention.events),
     .sub = retention_rule_directives},
    {.name = "escalations", .parse = parse_section, .offset = CFG(retention.escalations),
     .sub = retention_rule_directives},
    {.name = "dead", .parse = parse_section, .offset = CFG(retention.dead),
     .sub = retention_rule_directives},
    {.name = "deliveries_dead", .parse = parse_section, .offset = CFG(retention.deliveries_dead),
     .sub = retention_rule_directives},
    {0},
};

static const directive top_directives[] = {
    {.name = "log_level", .parse = parse_log_level, .offset = CFG(log_level)},
    NUM("partitions", parse_int, CFG(partitions), 1, SLA_PARTITIONS_MAX),
    {.name = "instance", .parse = parse_section, .sub = instance_directives},
    {.name = "redis", .parse = parse_section, .sub = redis_directives},
    {.name = "stream", .parse = parse_section, .sub = stream_directives},
    {.name = "control", .parse = parse_section, .sub = control_directives},
    {.name = "http", .parse = parse_section, .sub = http_directives},
    {.name = "delivery", .parse = parse_section, .sub = delivery_directives},
    {.name = "retention", .parse = parse_section, .sub = retention_directives},
    {.name = "clocks", .parse = parse_section, .sub = clocks_directives},
    {.name = "revisit", .parse = parse_section, .sub = revisit_directives},
    {.name = "report", .parse = parse_section, .sub = report_directives},
    {.name = "calendars", .parse = parse_calendars},
    {.name = "receivers", .parse = parse_receivers},
    {.name = "policies", .parse = parse_policies},
    {0},
};

/* --- load and free -------------------------------------------------------------- */

static int set_defaults(sla_config *cfg, const char *path)
{
    char host[256] = "", consumer[300];
    if (gethostname(host, sizeof host - 1) < 0 || !host[0])
        snprintf(host, sizeof host, "unknown");
    snprintf(consumer, sizeof consumer, "slad-%s", host);
    /* An instance name is a word of at most SLA_NAME_MAX bytes, as when set. */
    char name[SLA_NAME_MAX + 1];
    size_t n = 0;
    for (const char *h = host; *h && n < SLA_NAME_MAX; h++)
        name[n++] = isalnum((unsigned char)*h) || strchr("_.:-", *h) ? *h : '-';
    name[n] = '\0';

    cfg->log_level = LOG_INFO;
    cfg->partitions = 1;
    cfg->instance.lease_ttl_ms = 5000;
    cfg->redis.port = 6379;
    cfg->redis.connect_timeout_ms = 2000;
    cfg->redis.reply_timeout_ms = 5000;
    cfg->redis.wait_timeout_ms = 1000;
    cfg->stream.batch = 500;
    cfg->stream.block_ms = 2000;
    cfg->stream.claim_idle_ms = 60000;
    cfg->stream.max_future_skew_ms = 300000;
    sla_event_limits_default(&cfg->stream.limits);
    cfg->delivery.connect_timeout_ms = 5000;
    cfg->delivery.timeout_ms = 10000;
    cfg->delivery.budget_ms = 86400000;
    cfg->delivery.backoff_base_ms = 1000;
    cfg->delivery.backoff_cap_ms = 600000;
    cfg->delivery.max_in_flight = 32;
    cfg->control.max_clients = 32;
    cfg->control.max_clients_per_uid = 8;
    cfg->http.max_connections = 64;
    cfg->http.request_timeout_ms = 5000;
    cfg->retention.interval_ms = 60000;
    cfg->retention.step = 10000;
    cfg->retention.events = (sla_retention_rule){7LL * 86400000, 10000000};
    cfg->retention.escalations = (sla_retention_rule){30LL * 86400000, 1000000};
    cfg->retention.dead = (sla_retention_rule){30LL * 86400000, 10000};
    cfg->retention.deliveries_dead = (sla_retention_rule){30LL * 86400000, 100000};
    cfg->report.keep_days = 400;
    cfg->report.timezone = strdup("");
    cfg->ring_ms = 5000;
    cfg->pausable_mask = 1u << SLA_METRIC_RESOLUTION | 1u << SLA_METRIC_PERIODIC_UPDATE;
    cfg->revisit[SLA_REVISIT_SATISFIED] = (sla_span){.days = 90};
    cfg->revisit[SLA_REVISIT_AVERAGE] = (sla_span){.days = 7};
    cfg->revisit[SLA_REVISIT_UNSATISFIED] = (sla_span){.ms = 24LL * 3600 * 1000};
    cfg->path = strdup(path);
    cfg->redis.host = strdup("127.0.0.1");
    cfg->stream.prefix = strdup("sla:");
    cfg->stream.group = strdup("slad");
    cfg->stream.consumer = strdup(consumer);
    cfg->instance.name = strdup(name);
    cfg->control_socket = strdup("/run/slad/slad.sock");
    cfg->http_listen = strdup("127.0.0.1:9464");
    return cfg->path && cfg->report.timezone && cfg->redis.host && cfg->stream.prefix && cfg->stream.group &&
                   cfg->stream.consumer && cfg->instance.name && cfg->control_socket && cfg->http_listen
               ? 0
               : -1;
}

/*
 * The quoted name of the @include on line `line` of file, for libconfig's
 * bare "cannot open include file". Empty when it cannot be found.
 */
static void include_name_at(const char *file, int line, char out[64])
{
    out[0] = '\0';
    FILE *f = file ? fopen(file, "r") : NULL;
    if (!f)
        return;
    char buf[1024];
    for (int i = 1; fgets(buf, sizeof buf, f); i++) {
        if (i < line)
            continue;
        const char *inc = strstr(buf, "@include");
        const char *open = inc ? strchr(inc, '"') : NULL;
        const char *close = open ? strchr(open + 1, '"') : NULL;
        if (close) {
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(close - open - 1), open + 1);
            quote(out, name);
        }
        break;
    }
    fclose(f);
}

/*
 * libconfig 1.5 ends the whole process (flex's fatal "input in flex scanner
 * failed", exit 2) when an @include names a directory, and would block on a
 * FIFO. So before libconfig reads anything, every @include line of the main
 * file and of the files it includes (libconfig's rule: `@include "name"` at
 * the start of a line, name relative to the include directory) must name a
 * regular file. Names that do not exist are left to libconfig's own error.
 * The walk stops (leaving the rest to libconfig) when includes nest deeper
 * than libconfig allows or after many files, so a file that includes
 * itself several times cannot make it exponential.
 * Returns 0 (go on), 1 (stop checking) or -1 (error recorded).
 */
#define INCLUDE_MAX_DEPTH 10
#define INCLUDE_MAX_FILES 256

static int check_includes(loader *ld, const char *file, const char *shown, int depth, int *budget)
{
    if (depth > INCLUDE_MAX_DEPTH || --*budget < 0)
        return 1;
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    ssize_t len;
    for (int lineno = 1; rc == 0 && (len = getline(&line, &cap, f)) >= 0; lineno++) {
        const char *p = line + strspn(line, " \t");
        if (strncmp(p, "@include", 8) != 0 || (p[8] != ' ' && p[8] != '\t'))
            continue;
        p += 8 + strspn(p + 8, " \t");
        if (*p++ != '"')
            continue;
        char name[1024];
        size_t n = 0;
        int nul = memchr(line, '\0', (size_t)len) != NULL;
        for (; *p && *p != '"' && n < sizeof name - 1; p++) {
            unsigned hex;
            size_t digits = p[0] == '\\' && p[1] == 'x' ? strspn(p + 2, "0123456789abcdefABCDEF") : 0;
            if (digits > 0 && sscanf(p + 2, "%2x", &hex) == 1) { /* libconfig's \xHH */
                nul |= hex == 0;
                name[n++] = (char)hex;
                p += 1 + (digits < 2 ? digits : 2);
                continue;
            }
            name[n++] = (*p == '\\' && p[1]) ? *++p : *p;
        }
        name[n] = '\0';
        if (nul) {
            /* libconfig would cut the name at the NUL: maybe down to the
             * include directory itself. */
            snprintf(ld->err, ld->errlen, "%s:%d: cannot include: NUL byte in the line", shown,
                     lineno);
            rc = -1;
            break;
        }
        char full[4096];
        snprintf(full, sizeof full, "%s%s%s", ld->dir ? ld->dir : "", ld->dir ? "/" : "", name);
        struct stat st;
        if (stat(full, &st) < 0)
            continue;
        if (!S_ISREG(st.st_mode)) {
            char qb[64];
            snprintf(ld->err, ld->errlen, "%s:%d: cannot include '%s': not a regular file", shown,
                     lineno, quote(qb, name));
            sanitize_line(ld->err);
            rc = -1;
        } else {
            rc = check_includes(ld, full, name, depth + 1, budget);
        }
    }
    free(line);
    fclose(f);
    return rc;
}

/* libconfig's own error (syntax, @include) as "FILE:LINE: reason". */
static void syntax_error(loader *ld, const config_t *lc)
{
    const char *file = config_error_file(lc) ? config_error_file(lc) : ld->path;
    const char *text = config_error_text(lc) ? config_error_text(lc) : "cannot parse";
    int line = config_error_line(lc);
    char name[64] = "";
    if (strcmp(text, "cannot open include file") == 0) {
        /* libconfig records the including file by its name as written. */
        char where[4096];
        if (file[0] != '/' && ld->dir && strcmp(file, ld->path) != 0)
            snprintf(where, sizeof where, "%s/%s", ld->dir, file);
        else
            snprintf(where, sizeof where, "%s", file);
        include_name_at(where, line, name);
    }
    if (name[0])
        snprintf(ld->err, ld->errlen, "%s:%d: %s '%s'", file, line, text, name);
    else
        snprintf(ld->err, ld->errlen, "%s:%d: %s", file, line, text);
    sanitize_line(ld->err);
}

int sla_config_load(const char *path, sla_config **out, char *err, size_t errlen)
{
    char scratch[8];
    loader ld = {.path = path, .metric = -1, .err = err ? err : scratch,
                 .errlen = err ? errlen : sizeof scratch};
    *out = NULL;
    if (ld.errlen)
        ld.err[0] = '\0';

    /* libconfig only says "file I/O error": open it first for a real reason. */
    FILE *probe = fopen(path, "r");
    struct stat st;
    const char *why = NULL;
    if (!probe || fstat(fileno(probe), &st) < 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    if (probe)
        fclose(probe);
    if (why) {
        snprintf(ld.err, ld.errlen, "%s: cannot open: %s", path, why);
        sanitize_line(ld.err);
        return -1;
    }

    const char *slash = strrchr(path, '/');
    if (slash && !(ld.dir = strndup(path, slash == path ? 1 : (size_t)(slash - path)))) {
        snprintf(ld.err, ld.errlen, "%s: out of memory", path);
        return -1;
    }
    ld.cfg = calloc(1, sizeof *ld.cfg);
    if (!ld.cfg || set_defaults(ld.cfg, path) < 0) {
        snprintf(ld.err, ld.errlen, "%s: out of memory", path);
        sla_config_free(ld.cfg);
        free(ld.dir);
        return -1;
    }

    config_t lc;
    config_init(&lc);
    if (ld.dir)
        config_set_include_dir(&lc, ld.dir);
    int budget = INCLUDE_MAX_FILES;
    int rc = -1;
    if (check_includes(&ld, path, path, 0, &budget) < 0)
        ; /* error recorded */
    else if (!config_read_file(&lc, path))
        syntax_error(&ld, &lc);
    else if (parse_group(&ld, config_root_setting(&lc), top_directives, ld.cfg) == 0)
        rc = 0;
    if (rc == 0 && ld.cfg->stream.limits.max_value_bytes > ld.cfg->stream.limits.max_entry_bytes) {
        const config_setting_t *s = config_lookup(&lc, "stream.max_value_bytes");
        if (!s)
            s = config_lookup(&lc, "stream.max_entry_bytes");
        rc = fail(&ld, s, "max_value_bytes is larger than max_entry_bytes");
    }
    if (rc == 0 && ld.cfg->delivery.backoff_cap_ms < ld.cfg->delivery.backoff_base_ms) {
        const config_setting_t *s = config_lookup(&lc, "delivery.backoff_cap");
        if (!s)
            s = config_lookup(&lc, "delivery.backoff_base");
        rc = fail(&ld, s, "backoff_cap is smaller than backoff_base");
    }
    if (rc == 0 && ld.cfg->redis.ncluster && ld.cfg->redis.db != 0)
        rc = fail(&ld, config_lookup(&lc, "redis.db"),
                  "a Redis Cluster has only database 0 (redis.cluster is set)");
    if (rc == 0 && ld.cfg->redis.ncluster && ld.cfg->redis.unix_socket)
        rc = fail(&ld, config_lookup(&lc, "redis.unix_socket"),
                  "not used with redis.cluster (the cluster's nodes are reached over TCP)");
    if (rc == 0 && ld.cfg->redis.ncluster && ld.cfg->partitions < 2) {
        /* The keys of the single partition carry no common hash tag: its
         * transaction would span slots of several nodes. */
        const config_setting_t *s = config_lookup(&lc, "partitions");
        if (!s)
            s = config_lookup(&lc, "redis.cluster");
        rc = fail(&ld, s, "redis.cluster needs partitions >= 2 (each partition's keys share "
                          "one hash tag, the single partition's do not)");
    }
    if (rc == 0 && ld.cfg->redis.wait_replicas &&
        ld.cfg->redis.wait_timeout_ms >= ld.cfg->redis.reply_timeout_ms) {
        const config_setting_t *s = config_lookup(&lc, "redis.wait_timeout");
        if (!s)
            s = config_lookup(&lc, "redis.reply_timeout");
        rc = fail(&ld, s, "wait_timeout must be shorter than reply_timeout");
    }
    if (rc == 0 && !ld.cfg->delivery.group &&
        asprintf(&ld.cfg->delivery.group, "%s-deliver", ld.cfg->stream.group) < 0) {
        ld.cfg->delivery.group = NULL;
        snprintf(ld.err, ld.errlen, "%s: out of memory", path);
        rc = -1;
    }
    config_destroy(&lc);
    free(ld.dir);
    if (rc < 0) {
        sla_config_free(ld.cfg);
        return -1;
    }
    *out = ld.cfg;
    return 0;
}

static void target_release(sla_target *t)
{
    free(t->warn_notify);
    for (size_t i = 0; i < t->nsteps; i++) {
        free(t->steps[i].notify);
        mention_release(&t->steps[i].mention);
    }
    free(t->steps);
}

void sla_config_free(sla_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->path);
    free(cfg->report.timezone);
    for (size_t i = 0; i < cfg->report.ndimensions; i++)
        free(cfg->report.dimensions[i]);
    free(cfg->report.dimensions);
    free(cfg->redis.host);
    free(cfg->redis.unix_socket);
    strings_free(cfg->redis.cluster, cfg->redis.ncluster);
    secret_free(cfg->redis.password);
    free(cfg->stream.prefix);
    free(cfg->stream.group);
    free(cfg->stream.consumer);
    free(cfg->instance.name);
    free(cfg->control_socket);
    free(cfg->http_listen);
    free(cfg->delivery.group);
    for (size_t i = 0; i < cfg->ncalendars; i++) {
        free(cfg->calendar_names[i]);
        if (cfg->calendars[i])
            sla_calendar_free(cfg->calendars[i]);
    }
    free(cfg->calendar_names);
    free(cfg->calendars);
    for (size_t i = 0; i < cfg->nreceivers; i++) {
        free(cfg->receivers[i].name);
        secret_free(cfg->receivers[i].url); /* may come from url_file */
        free(cfg->receivers[i].runbook_url);
        secret_free(cfg->receivers[i].secret);
        receiver_chat_release(&cfg->receivers[i]);
    }
    free(cfg->receivers);
    for (size_t i = 0; i < cfg->npolicies; i++) {
        sla_policy *p = &cfg->policies[i];
        free(p->name);
        free(p->runbook_url);
        for (size_t j = 0; j < p->nmatch; j++) {
            free(p->match[j].field);
            for (size_t k = 0; k < p->match[j].nvalues; k++)
                free(p->match[j].values[k]);
            free(p->match[j].values);
        }
        free(p->match);
        for (int m = 0; m < SLA_METRIC_COUNT; m++)
            target_release(&p->metrics[m]);
    }
    free(cfg->policies);
    for (size_t i = 0; i < cfg->nwarnings; i++)
        free(cfg->warnings[i]);
    free(cfg->warnings);
    free(cfg);
}

int sla_config_receiver_index(const sla_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nreceivers; i++)
        if (cfg->receivers[i].name && strcmp(cfg->receivers[i].name, name) == 0)
            return (int)i;
    return -1;
}

int sla_config_calendar_index(const sla_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->ncalendars; i++)
        if (cfg->calendar_names[i] && strcmp(cfg->calendar_names[i], name) == 0)
            return (int)i;
    return -1;
}

const sla_policy *sla_config_policy(const sla_config *cfg, const char *name)
{
    for (size_t i = 0; cfg && name && i < cfg->npolicies; i++)
        if (strcmp(cfg->policies[i].name, name) == 0)
            return &cfg->policies[i];
    return NULL;
}

const sla_step *sla_target_step(const sla_target *t, int level)
{
    if (t == NULL || t->nsteps == 0 || level < 1)
        return NULL;
    size_t i = (size_t)level - 1;
    return &t->steps[i < t->nsteps ? i : t->nsteps - 1];
}
