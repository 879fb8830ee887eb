/*
 * sla_webhook_response — classify a receiver's answer. See
 * sla_webhook_response.h for the table of outcomes.
 *
 * A platform's "too fast" error code in a body carries no delay, but every
 * platform here counts its limit per minute, so such an answer is a
 * retry_after of SLA_BODY_RATE_LIMIT_PAUSE_MS: waiting out the window
 * instead of probing it (DingTalk lengthens its block when probed).
 */
#include "sla_webhook_response.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sla_format.h"

#define SLA_BODY_RATE_LIMIT_PAUSE_MS 60000
/* Longest Retry-After honoured as such; longer is clamped (the retry budget decides). */
#define SLA_RETRY_AFTER_MAX_S (30LL * 24 * 3600)

const char *sla_delivery_verdict_name(int verdict)
{
    static const char *const names[] = {"delivered", "retry", "retry_after", "failed"};
    return verdict >= 0 && verdict < 4 ? names[verdict] : "unknown";
}

/* ---- Retry-After -------------------------------------------------------- */

static int month_of(const char *m)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (strlen(m) != 3)
        return -1;
    for (int i = 0; i < 12; i++)
        if (strncmp(months + 3 * i, m, 3) == 0)
            return i + 1;
    return -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* An HTTP-date (RFC 9110 section 5.6.7) as ms since the epoch, or -1. */
static int64_t http_date_ms(const char *v)
{
    char wd[16], mon[4];
    int d, y, hh, mm, ss, n = -1;
    size_t len = strlen(v);

    /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
    int ok = sscanf(v, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", wd, &d, mon, &y, &hh,
                    &mm, &ss, &n) == 7 && (size_t)n == len;
    if (!ok) { /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        n = -1;
        ok = sscanf(v, "%15[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d GMT%n", wd, &d, mon, &y, &hh,
                    &mm, &ss, &n) == 7 && (size_t)n == len;
        if (ok) /* two-digit years: 70-99 are 19xx, the rest 20xx */
            y += y < 70 ? 2000 : 1900;
    }
    if (!ok) { /* asctime: Sun Nov  6 08:49:37 1994 */
        n = -1;
        ok = sscanf(v, "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", wd, mon, &d, &hh, &mm, &ss,
                    &y, &n) == 7 && (size_t)n == len;
    }
    if (!ok)
        return -1;
    int m = month_of(mon);
    if (m < 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || y < 1970 || hh < 0 ||
        mm < 0 || ss < 0)
        return -1;
    return ((days_from_civil(y, m, d) * 24 + hh) * 60 + mm) * 60000 + (int64_t)ss * 1000;
}

int sla_retry_after_parse(const char *value, int64_t now_ms, int64_t *delay_ms)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    char v[64];
    size_t len = strlen(value);
    while (len && (value[len - 1] == ' ' || value[len - 1] == '\t' || value[len - 1] == '\r' ||
                   value[len - 1] == '\n'))
        len--;
    if (len == 0 || len >= sizeof(v))
        return -1;
    memcpy(v, value, len);
    v[len] = '\0';

    if (isdigit((unsigned char)v[0])) {
        long long s = 0;
        for (size_t i = 0; i < len; i++) {
            if (!isdigit((unsigned char)v[i]))
                return -1;
            if (s <= SLA_RETRY_AFTER_MAX_S)
                s = s * 10 + (v[i] - '0');
        }
        *delay_ms = (s > SLA_RETRY_AFTER_MAX_S ? SLA_RETRY_AFTER_MAX_S : s) * 1000;
        return 0;
    }
    int64_t at = http_date_ms(v);
    if (at < 0)
        return -1;
    int64_t d = at - now_ms;
    *delay_ms = d < 0 ? 0 : d > SLA_RETRY_AFTER_MAX_S * 1000 ? SLA_RETRY_AFTER_MAX_S * 1000 : d;
    return 0;
}

/* ---- classification ----------------------------------------------------- */

static void body_snippet(const char *body, size_t len, char *out, size_t outlen)
{
    sla_format_buf b = {0};
    if (body && len)
        sla_format_buf_add_clean(&b, body, len, 0, 160);
    snprintf(out, outlen, "%s", b.s && !b.oom ? b.s : "");
    sla_format_buf_release(&b);
}

static int set(sla_delivery_result *out, enum sla_delivery_verdict v, long status,
               const char *detail)
{
    out->verdict = v;
    if (v == SLA_DELIVERY_DELIVERED)
        out->reason[0] = '\0';
    else if (status == 0)
        snprintf(out->reason, sizeof(out->reason), "no HTTP response");
    else
        snprintf(out->reason, sizeof(out->reason), "HTTP %ld%s%s", status, *detail ? ": " : "",
                 detail);
    return (int)v;
}

int sla_webhook_classify(int format, long status, const char *body, size_t len,
                         const char *retry_after, int64_t now_ms, sla_delivery_result *out)
{
    const sla_format_ops *ops = sla_format_get(format);
    char detail[200] = "";
    enum sla_body_verdict bv = SLA_BODY_UNKNOWN;

    memset(out, 0, sizeof(*out));
    if (!ops)
        return -EINVAL;
    if (status <= 0)
        return set(out, SLA_DELIVERY_RETRY, 0, "");

    int has_status = ops->check_body || ops->code_key;
    bv = sla_format_check_body(ops, body, len, detail, sizeof(detail));
    if (bv != SLA_BODY_ERROR && bv != SLA_BODY_RATE_LIMITED)
        body_snippet(body, len, detail, sizeof(detail));

    if (status >= 200 && status <= 299) {
        if (!has_status || bv == SLA_BODY_OK)
            return set(out, SLA_DELIVERY_DELIVERED, status, "");
        if (bv == SLA_BODY_UNKNOWN) {
            char tmp[sizeof(detail)];
            snprintf(tmp, sizeof(tmp), "%s", detail);
            snprintf(detail, sizeof(detail), "unrecognised answer '%.160s'", tmp);
            return set(out, SLA_DELIVERY_FAILED, status, detail);
        }
    }
    if ((status == 429 || status == 503) &&
        sla_retry_after_parse(retry_after, now_ms, &out->retry_after_ms) == 0)
        return set(out, SLA_DELIVERY_RETRY_AFTER, status, detail);
    if (bv == SLA_BODY_RATE_LIMITED) {
        out->retry_after_ms = SLA_BODY_RATE_LIMIT_PAUSE_MS;
        return set(out, SLA_DELIVERY_RETRY_AFTER, status, detail);
    }
    if (status == 408 || status == 429 || (status >= 500 && status <= 599))
        return set(out, SLA_DELIVERY_RETRY, status, detail);
    return set(out, SLA_DELIVERY_FAILED, status, detail);
}
