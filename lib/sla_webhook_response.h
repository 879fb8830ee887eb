/*
 * sla_webhook_response — what an answer from a receiver means for the
 * delivery: done, try again (now-ish or not before a given delay), or give
 * up on this record.
 *
 *   status 0 (no HTTP answer: DNS, connect, TLS, timeout) -> retry
 *   2xx, and the platform's body agrees                    -> delivered
 *   2xx, but the body reports an error (Slack not "ok",
 *        Feishu code/StatusCode != 0, DingTalk/WeCom
 *        errcode != 0)                                     -> failed, reason
 *   429 or 503 with a usable Retry-After                   -> retry_after, delay
 *   a platform's rate-limit code in the body, any status
 *        (DingTalk 130101, WeCom 45009, Feishu 9499/11232) -> retry_after 60 s
 *   408, 429, 5xx                                          -> retry
 *   any other status (other 4xx, 3xx, 1xx)                 -> failed, reason
 *
 * "failed" is final: the record goes to the dead-letter stream, from which
 * an operator can replay it once the cause is fixed; retrying a request the
 * receiver rejects as malformed or unauthorised would only repeat the
 * rejection for the whole retry budget.
 *
 * Retry-After is delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015
 * 07:28:00 GMT"; also the obsolete RFC 850 and asctime forms), turned into
 * a delay from now_ms (never negative). Pure: the caller passes now_ms.
 */
#ifndef SLA_WEBHOOK_RESPONSE_H
#define SLA_WEBHOOK_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

enum sla_delivery_verdict {
    SLA_DELIVERY_DELIVERED = 0,
    SLA_DELIVERY_RETRY,       /* transient: back off and try again */
    SLA_DELIVERY_RETRY_AFTER, /* the receiver named the delay: retry_after_ms */
    SLA_DELIVERY_FAILED,      /* final: do not retry this request */
};

typedef struct sla_delivery_result {
    enum sla_delivery_verdict verdict;
    int64_t retry_after_ms; /* with SLA_DELIVERY_RETRY_AFTER, >= 0 */
    char reason[256];       /* for people and logs; "" when delivered */
} sla_delivery_result;

/* "delivered", "retry", "retry_after", "failed". */
const char *sla_delivery_verdict_name(int verdict);

/*
 * Classify the answer to a request in format (enum sla_format). status is
 * the HTTP status, 0 when no answer came; body (may be NULL) holds len
 * bytes, not necessarily NUL-terminated; retry_after is the Retry-After
 * header's value or NULL. Fills *out and returns out->verdict, or -EINVAL
 * for an unknown format.
 */
int sla_webhook_classify(int format, long status, const char *body, size_t len,
                         const char *retry_after, int64_t now_ms, sla_delivery_result *out);

/*
 * Parse a Retry-After value into a delay from now_ms. Returns 0 and sets
 * *delay_ms (>= 0), or -1 when the value is neither form.
 */
int sla_retry_after_parse(const char *value, int64_t now_ms, int64_t *delay_ms);

#endif
