/*
 * sla_ctlproto — frames and messages of the control protocol.
 * See sla_ctlproto.h for the wire format.
 *
 * The decoder looks at the header first: a zero length or one over the
 * limit is refused after four bytes, before any payload is buffered. The
 * payload is parsed by jansson with duplicate keys rejected and, as
 * json_loadb() does by default, nothing but whitespace allowed after the
 * value. Reasons are built from jansson's message with every byte outside
 * printable ASCII replaced, so a hostile peer cannot put control
 * characters into a log line through them.
 */
#include "sla_ctlproto.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sla_textwidth.h"

static int ctl_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int ctl_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        for (char *p = err; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
                *p = '?';
    }
    return SLA_CTL_MALFORMED;
}

static size_t ctl_limit(enum sla_ctl_kind kind)
{
    return kind == SLA_CTL_REQUEST ? SLA_CTL_MAX_REQUEST : SLA_CTL_MAX_RESPONSE;
}

/* The checks of a request or response object; 0 or SLA_CTL_MALFORMED. */
static int ctl_check(const json_t *msg, enum sla_ctl_kind kind, char *err, size_t errlen)
{
    if (!json_is_object(msg))
        return ctl_fail(err, errlen, "message is not a JSON object");
    const json_t *v = json_object_get(msg, "v");
    if (v == NULL)
        return ctl_fail(err, errlen, "missing protocol version \"v\"");
    if (!json_is_integer(v) || json_integer_value(v) != SLA_CTL_VERSION)
        return ctl_fail(err, errlen, "unsupported protocol version (this side speaks %d)",
                        SLA_CTL_VERSION);
    if (kind == SLA_CTL_REQUEST) {
        const json_t *cmd = json_object_get(msg, "cmd");
        if (!json_is_string(cmd) || json_string_length(cmd) == 0)
            return ctl_fail(err, errlen, "\"cmd\" is missing or not a non-empty string");
        const json_t *args = json_object_get(msg, "args");
        if (args && !json_is_object(args))
            return ctl_fail(err, errlen, "\"args\" is not an object");
        return 0;
    }
    const json_t *ok = json_object_get(msg, "ok");
    if (!json_is_boolean(ok))
        return ctl_fail(err, errlen, "\"ok\" is missing or not a boolean");
    if (json_is_false(ok) && !json_is_string(json_object_get(msg, "error")))
        return ctl_fail(err, errlen, "refusal without a string \"error\"");
    return 0;
}

int sla_ctl_decode(const void *buf, size_t len, enum sla_ctl_kind kind, json_t **out, char *err,
                   size_t errlen)
{
    *out = NULL;
    if (len < SLA_CTL_HEADER)
        return SLA_CTL_NEED_MORE;
    const unsigned char *p = buf;
    uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (n == 0)
        return ctl_fail(err, errlen, "empty message (length 0)");
    if (n > ctl_limit(kind))
        return ctl_fail(err, errlen, "message of %lu bytes is over the limit of %lu",
                        (unsigned long)n, (unsigned long)ctl_limit(kind));
    if (len - SLA_CTL_HEADER < n)
        return SLA_CTL_NEED_MORE;
    if (len - SLA_CTL_HEADER > n)
        return ctl_fail(err, errlen, "%lu unexpected bytes after the message",
                        (unsigned long)(len - SLA_CTL_HEADER - n));
    json_error_t jerr;
    json_t *msg = json_loadb((const char *)p + SLA_CTL_HEADER, n,
                             JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (msg == NULL)
        return ctl_fail(err, errlen, "bad JSON at byte %d: %.120s", jerr.position, jerr.text);
    if (ctl_check(msg, kind, err, errlen) < 0) {
        json_decref(msg);
        return SLA_CTL_MALFORMED;
    }
    *out = msg;
    return SLA_CTL_MESSAGE;
}

int sla_ctl_encode(const json_t *msg, enum sla_ctl_kind kind, unsigned char **frame,
                   size_t *frame_len, char *err, size_t errlen)
{
    *frame = NULL;
    *frame_len = 0;
    if (!json_is_object(msg)) {
        ctl_fail(err, errlen, "message is not a JSON object");
        return -1;
    }
    size_t n = json_dumpb(msg, NULL, 0, JSON_COMPACT);
    if (n == 0) {
        ctl_fail(err, errlen, "message cannot be serialised");
        return -1;
    }
    if (n > ctl_limit(kind)) {
        ctl_fail(err, errlen, "message of %zu bytes is over the limit of %zu", n,
                 ctl_limit(kind));
        return -1;
    }
    unsigned char *f = malloc(SLA_CTL_HEADER + n);
    if (f == NULL) {
        ctl_fail(err, errlen, "out of memory");
        return -1;
    }
    if (json_dumpb(msg, (char *)f + SLA_CTL_HEADER, n, JSON_COMPACT) != n) {
        free(f);
        ctl_fail(err, errlen, "message cannot be serialised");
        return -1;
    }
    f[0] = (unsigned char)(n >> 24);
    f[1] = (unsigned char)(n >> 16);
    f[2] = (unsigned char)(n >> 8);
    f[3] = (unsigned char)n;
    *frame = f;
    *frame_len = SLA_CTL_HEADER + n;
    return 0;
}

json_t *sla_ctl_request_new(const char *cmd, json_t *args)
{
    json_t *msg = json_pack("{s:i, s:s}", "v", SLA_CTL_VERSION, "cmd", cmd);
    if (msg && args && json_object_set(msg, "args", args) < 0) {
        json_decref(msg);
        msg = NULL;
    }
    json_decref(args);
    return msg;
}

json_t *sla_ctl_response_ok(json_t *data)
{
    json_t *msg = json_pack("{s:i, s:b}", "v", SLA_CTL_VERSION, "ok", 1);
    if (msg && json_object_set(msg, "data", data ? data : json_null()) < 0) {
        json_decref(msg);
        msg = NULL;
    }
    json_decref(data);
    return msg;
}

json_t *sla_ctl_response_error(const char *fmt, ...)
{
    char text[1024 + 8], fit[1024 + 8];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* Longer than the buffer: the fit below cuts it at 1 KiB with "…". */
    size_t len = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    sla_text_fit(text, len, SLA_TEXT_UNLIMITED, fit, 1024);
    return json_pack("{s:i, s:b, s:s}", "v", SLA_CTL_VERSION, "ok", 0, "error", fit);
}

int sla_ctl_check_by(const char *by, size_t len, char *err, size_t errlen)
{
    if (len == 0)
        return ctl_fail(err, errlen, "\"by\" is empty");
    if (len > SLA_CTL_BY_MAX)
        return ctl_fail(err, errlen, "\"by\" is longer than %d bytes", SLA_CTL_BY_MAX);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = sla_utf8_next(by + i, len - i, &cp);
        if (n == 0)
            return ctl_fail(err, errlen, "\"by\" is not valid UTF-8");
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
            return ctl_fail(err, errlen, "\"by\" holds a control character");
        i += n;
    }
    return 0;
}

const char *sla_ctl_request_cmd(const json_t *msg)
{
    return json_string_value(json_object_get(msg, "cmd"));
}

json_t *sla_ctl_request_args(const json_t *msg)
{
    return json_object_get(msg, "args");
}

int sla_ctl_response_is_ok(const json_t *msg)
{
    return json_is_true(json_object_get(msg, "ok"));
}

json_t *sla_ctl_response_data(const json_t *msg)
{
    json_t *d = json_object_get(msg, "data");
    return d ? d : json_null();
}

const char *sla_ctl_response_error_text(const json_t *msg)
{
    const char *s = json_string_value(json_object_get(msg, "error"));
    return s ? s : "";
}
