/*
 * sla_format — the pieces the format modules share. See sla_format.h.
 *
 * The JSON side keeps the body's key order as written here (jansson keeps
 * insertion order), so bodies are stable byte for byte and tests can
 * compare them whole.
 */
#include "sla_format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sla_attrs.h"
#include "sla_metric.h"
#include "sla_textwidth.h"
#include "sla_timefmt.h"

/* ---- buffer ------------------------------------------------------------ */

static int buf_reserve(sla_format_buf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = 1;
        return -1;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

void sla_format_buf_add(sla_format_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sla_format_buf_puts(sla_format_buf *b, const char *s)
{
    sla_format_buf_add(b, s, strlen(s));
}

void sla_format_buf_printf(sla_format_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Largest cut <= max that does not split a UTF-8 sequence of s. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

void sla_format_buf_truncate(sla_format_buf *b, size_t max)
{
    if (b->s && b->len > max) {
        b->len = utf8_cut(b->s, b->len, max);
        b->s[b->len] = '\0';
    }
}

void sla_format_buf_release(sla_format_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof(*b));
}

/* Length of the valid UTF-8 sequence at s (RFC 3629), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    uint32_t cp;
    return sla_utf8_next((const char *)s, len, &cp);
}

void sla_format_buf_add_clean(sla_format_buf *b, const char *s, size_t len, int flags,
                              size_t max)
{
    static const char replacement[] = "\xEF\xBF\xBD", ellipsis[] = "\xE2\x80\xA6";
    const unsigned char *p = (const unsigned char *)s;
    size_t start = b->len, i = 0;

    while (i < len) {
        size_t n = utf8_seq(p + i, len - i);
        const char *piece = s + i;
        size_t plen = n;
        if (n == 0) {
            piece = replacement;
            plen = 3;
            n = 1;
        } else if (n == 1 && (p[i] < 0x20 || p[i] == 0x7F)) {
            int ws = p[i] == '\n' || p[i] == '\r' || p[i] == '\t';
            if (!ws)
                plen = 0;
            else if (!(flags & SLA_CLEAN_KEEP_NEWLINES))
                piece = " ";
        }
        if (b->len - start + plen > max) {
            /* Cut here; make room for the ellipsis on a character boundary. */
            size_t keep = max >= 3 ? max - 3 : 0;
            if (b->s) {
                b->len = start + utf8_cut(b->s + start, b->len - start, keep);
                b->s[b->len] = '\0';
            }
            if (max >= 3)
                sla_format_buf_add(b, ellipsis, 3);
            return;
        }
        sla_format_buf_add(b, piece, plen);
        i += n;
    }
    if (!b->s)
        sla_format_buf_add(b, "", 0);
}

/* ---- decision facts ---------------------------------------------------- */

const char *sla_format_kind_name(int kind)
{
    static const char *const names[] = {
        [SLA_DECISION_WARNING] = "warning",
        [SLA_DECISION_BREACH] = "breach",
        [SLA_DECISION_ESCALATION] = "escalation",
        [SLA_DECISION_RECOVERED] = "recovered",
    };
    if (kind < 0 || (size_t)kind >= sizeof(names) / sizeof(names[0]))
        return "unknown";
    return names[kind];
}

const char *sla_format_attr(const sla_decision *d, const char *key)
{
    const char *v = d->attrs ? sla_attrs_get(d->attrs, d->attrs_len, key, strlen(key)) : NULL;
    return v && *v ? v : NULL;
}

const char *sla_format_link(const sla_decision *d)
{
    const char *u = sla_format_attr(d, "url");
    if (!u || (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0))
        return NULL;
    for (const unsigned char *c = (const unsigned char *)u; *c; c++)
        if (*c <= 0x20 || *c == 0x7F)
            return NULL; /* not a URL a link can hold */
    return strlen(u) <= 1024 ? u : NULL;
}

void sla_format_rfc3339(int64_t ms, char *buf, size_t len)
{
    if (sla_time_format(ms, buf, len) < 0 && len)
        buf[0] = '\0';
}

/* ---- JSON -------------------------------------------------------------- */

json_t *sla_format_jstr(const char *s)
{
    size_t len = strlen(s), i = 0;
    while (i < len) {
        size_t n = utf8_seq((const unsigned char *)s + i, len - i);
        if (n == 0)
            break;
        i += n;
    }
    if (i == len) /* valid UTF-8 already, and a C string holds no NUL */
        return json_stringn_nocheck(s, len);

    sla_format_buf b = {0};
    sla_format_buf_add_clean(&b, s, len, SLA_CLEAN_KEEP_NEWLINES, (size_t)-1 / 2);
    json_t *j = b.oom ? NULL : json_stringn_nocheck(b.s, b.len);
    sla_format_buf_release(&b);
    return j;
}

int sla_format_jset_str(json_t *obj, const char *key, const char *s)
{
    if (!s)
        return 0;
    json_t *v = sla_format_jstr(s);
    return v && json_object_set_new(obj, key, v) == 0 ? 0 : -ENOMEM;
}

int sla_format_jset_int(json_t *obj, const char *key, int64_t v)
{
    json_t *j = json_integer((json_int_t)v);
    return j && json_object_set_new(obj, key, j) == 0 ? 0 : -ENOMEM;
}

json_t *sla_format_decision_data(const sla_decision *d)
{
    json_t *o = json_object(), *attrs = json_object();
    const char *metric = sla_metric_name(d->metric);
    char metric_num[16];
    if (!metric) {
        snprintf(metric_num, sizeof(metric_num), "%d", d->metric);
        metric = metric_num;
    }
    int rc = o && attrs ? 0 : -ENOMEM;
    rc = rc ? rc : sla_format_jset_str(o, "id", d->id);
    rc = rc ? rc : sla_format_jset_str(o, "kind", sla_format_kind_name(d->kind));
    rc = rc ? rc : sla_format_jset_str(o, d->subject == SLA_SUBJECT_CUSTOMER ? "customer" : "ticket",
                                       d->ticket ? d->ticket : "");
    rc = rc ? rc : sla_format_jset_str(o, "metric", metric);
    rc = rc ? rc : sla_format_jset_str(o, "policy", d->policy ? d->policy : "");
    rc = rc ? rc : sla_format_jset_int(o, "level", d->level);
    rc = rc ? rc : sla_format_jset_str(o, "receiver", d->receiver ? d->receiver : "");
    rc = rc ? rc : sla_format_jset_int(o, "deadline_ms", d->deadline_ms);
    rc = rc ? rc : sla_format_jset_int(o, "fired_ms", d->fired_ms);
    rc = rc ? rc : sla_format_jset_int(o, "late_ms", d->late_ms);
    rc = rc ? rc : sla_format_jset_int(o, "cycle", d->cycle);

    size_t pos = 0;
    const char *k, *v;
    while (rc == 0 && d->attrs && sla_attrs_next(d->attrs, d->attrs_len, &pos, &k, &v))
        rc = sla_format_jset_str(attrs, k, v); /* keys are [A-Za-z0-9_.-]: valid UTF-8 */
    if (rc == 0 && json_object_set(o, "attrs", attrs) < 0)
        rc = -ENOMEM;
    json_decref(attrs);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *sla_format_jstr_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, sla_format_jstr(v[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int sla_format_set_body(sla_webhook_request *req, json_t *root)
{
    char *s = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!s)
        return -ENOMEM;
    free(req->body);
    req->body = s;
    req->body_len = strlen(s);
    return 0;
}

static int set_pairs(json_t *obj, const char *const *kv)
{
    for (; kv && kv[0]; kv += 2)
        if (sla_format_jset_str(obj, kv[0], kv[1]) < 0)
            return -ENOMEM;
    return 0;
}

json_t *sla_format_message(const char *const *head, const char *inner_key,
                           const char *const *inner)
{
    json_t *root = json_object(), *in = inner_key ? json_object() : NULL;
    int err = root && (in || !inner_key) ? 0 : -ENOMEM;
    err = err ? err : set_pairs(root, head);
    err = err ? err : set_pairs(in, inner);
    if (!err && in && json_object_set(root, inner_key, in) < 0)
        err = -ENOMEM;
    json_decref(in);
    if (err) {
        json_decref(root);
        return NULL;
    }
    return root;
}

int sla_format_set_message(sla_webhook_request *req, const char *const *head,
                           const char *inner_key, const char *const *inner)
{
    json_t *root = sla_format_message(head, inner_key, inner);
    return root ? sla_format_set_body(req, root) : -ENOMEM;
}

int sla_format_text_with_mentions(const char *text, const char *sep, const char *const *ids,
                                  size_t nids, const char *id_open, const char *id_close,
                                  const char *all, sla_format_buf *out)
{
    sla_format_buf_puts(out, text);
    if (!nids && !all)
        return out->oom ? -ENOMEM : 0;
    sla_format_buf_puts(out, sep);
    for (size_t i = 0; i < nids; i++) {
        sla_format_buf_puts(out, i ? " " : "");
        sla_format_buf_puts(out, id_open);
        sla_format_buf_puts(out, ids[i]);
        sla_format_buf_puts(out, id_close);
    }
    if (all) {
        sla_format_buf_puts(out, nids ? " " : "");
        sla_format_buf_puts(out, all);
    }
    return out->oom ? -ENOMEM : 0;
}

/* ---- the table -------------------------------------------------------- */

static const sla_format_ops *const formats[SLA_FORMAT_COUNT] = {
    [SLA_FORMAT_JSON] = &sla_format_json_ops,
    [SLA_FORMAT_ALERTMANAGER] = &sla_format_alertmanager_ops,
    [SLA_FORMAT_SLACK] = &sla_format_slack_ops,
    [SLA_FORMAT_FEISHU] = &sla_format_feishu_ops,
    [SLA_FORMAT_DINGTALK] = &sla_format_dingtalk_ops,
    [SLA_FORMAT_WECOM] = &sla_format_wecom_ops,
};

const sla_format_ops *sla_format_get(int format)
{
    return format >= 0 && format < SLA_FORMAT_COUNT ? formats[format] : NULL;
}

/* ---- response bodies ---------------------------------------------------- */

static enum sla_body_verdict check_code(const char *body, size_t len, const char *code_key,
                                        const char *msg_key, const int *rate_codes, size_t nrate,
                                        char *reason, size_t reason_len)
{
    json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *code = json_is_object(root) ? json_object_get(root, code_key) : NULL;
    enum sla_body_verdict v = SLA_BODY_UNKNOWN;

    if (json_is_integer(code)) {
        json_int_t c = json_integer_value(code);
        if (c == 0) {
            v = SLA_BODY_OK;
        } else {
            const char *msg = json_string_value(json_object_get(root, msg_key));
            sla_format_buf b = {0};
            sla_format_buf_add_clean(&b, msg ? msg : "", msg ? strlen(msg) : 0, 0, 200);
            snprintf(reason, reason_len, "%s %" JSON_INTEGER_FORMAT ": %s", code_key, c,
                     b.s && !b.oom ? b.s : "");
            sla_format_buf_release(&b);
            v = SLA_BODY_ERROR;
            for (size_t i = 0; i < nrate; i++)
                if (c == rate_codes[i])
                    v = SLA_BODY_RATE_LIMITED;
        }
    }
    json_decref(root);
    return v;
}

enum sla_body_verdict sla_format_check_body(const sla_format_ops *ops, const char *body,
                                            size_t len, char *reason, size_t reason_len)
{
    if (!body || !len)
        return SLA_BODY_UNKNOWN;
    if (ops->check_body)
        return ops->check_body(body, len, reason, reason_len);
    if (!ops->code_key)
        return SLA_BODY_UNKNOWN;
    enum sla_body_verdict v = check_code(body, len, ops->code_key, ops->msg_key, ops->rate_codes,
                                         ops->nrate, reason, reason_len);
    if (v == SLA_BODY_UNKNOWN && ops->alt_code_key)
        v = check_code(body, len, ops->alt_code_key, ops->alt_msg_key, ops->rate_codes,
                       ops->nrate, reason, reason_len);
    return v;
}
