/*
 * sla_webhook — what to POST to a receiver for one decision, or for a
 * digest of several.
 *
 *   sla_decision + sla_receiver + now --sla_webhook_build--> request
 *        { url (receiver URL, plus signing query for DingTalk),
 *          headers (Content-Type, Standard Webhooks headers),
 *          body (JSON in the receiver's format) }
 *
 * Pure: no I/O, the sending time comes in as now_ms (it goes into the
 * signatures, which platforms accept only within a window around their own
 * clock, so a request is built right before each attempt and never stored).
 * The content of a request depends only on the decision and now_ms, so a
 * retry is the same message: the json format's webhook-id is the
 * decision id and lets receivers drop duplicates.
 *
 * Formats (SPEC section 5), one module each behind sla_format.h:
 *   json          Standard Webhooks, signed when the receiver has a secret
 *   alertmanager  an array of postable alerts; the receiver URL must be the
 *                 full endpoint, ending in /api/v2/alerts
 *   slack         incoming webhook, {"text": mrkdwn}
 *   feishu        custom bot, text message, signed in the body
 *   dingtalk      custom robot, markdown message, signed in the URL
 *   wecom         group robot, markdown message
 *
 * Digest: when a receiver's rate limit holds back several notices they
 * leave as one message (see sla_ratelimit.h for the policy). Chat formats
 * list the first SLA_DIGEST_MAX_LISTED in a text bounded to what the
 * platform accepts and end with "…and N more" (另有 N 条); json and alertmanager carry
 * every decision in full, so a digest may hold at most SLA_DIGEST_MAX_ITEMS.
 *
 * Ownership: sla_webhook_request owns its url, headers and body; free them
 * with sla_webhook_request_release(). The decision and receiver are only
 * read. Errors are negative errno values: -EINVAL for bad arguments (or an
 * unusable secret), -ENOMEM.
 */
#ifndef SLA_WEBHOOK_H
#define SLA_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "sla_config.h"
#include "sla_engine.h"

/* At most this many decisions in one digest. */
#define SLA_DIGEST_MAX_ITEMS 100
/* Chat formats list this many notices of a digest, then "and N more". */
#define SLA_DIGEST_MAX_LISTED 20

/*
 * What a chat message needs besides the decisions and the receiver: the
 * zone its times are shown in and whom it @-mentions. Borrowed from the
 * configuration (and the caller's system zone); NULL context = UTC, no
 * mentions.
 */
#define SLA_NOTICE_MAX_SOURCES 8
typedef struct sla_notice_context {
    const sla_calendar *zone;   /* NULL = UTC */
    const sla_mention *mentions[SLA_NOTICE_MAX_SOURCES];
    size_t nmentions;
    int64_t as_of_ms;           /* chat text counts to this instant (sla_format_style);
                                   0 = each notice's fired_ms; set by the caller */
} sla_notice_context;

/*
 * The context of a message to rc about ds[0..n-1] under cfg:
 *   zone: rc's `timezone`, else the zone of rc's `calendar`, else the
 *         calendar zone of the first decision's policy and metric, else
 *         system_zone (may be NULL: UTC);
 *   mentions: rc's and, for each breach or escalation, its ladder step's
 *         (level L is step L-1; repeats of the last step are the last
 *         step). Warnings and recoveries mention nobody.
 * cfg may be NULL (then only rc's zone and mentions count).
 */
void sla_webhook_context(const sla_config *cfg, const sla_receiver *rc,
                         const sla_decision *const *ds, size_t n, const sla_calendar *system_zone,
                         sla_notice_context *ctx);

typedef struct sla_webhook_header {
    char *name;  /* owned, e.g. "webhook-id" */
    char *value; /* owned */
} sla_webhook_header;

typedef struct sla_webhook_request {
    char *url;                   /* owned, NUL-terminated */
    sla_webhook_header *headers; /* owned array of nheaders */
    size_t nheaders;
    char *body;                  /* owned, NUL-terminated, body_len bytes */
    size_t body_len;
    char id[48];                 /* idempotency key: the decision id, or "dig_<hex>" */
} sla_webhook_request;

void sla_webhook_request_init(sla_webhook_request *req);
/* Free everything req owns and leave it empty (re-initialised). */
void sla_webhook_request_release(sla_webhook_request *req);

/* Append a header (both strings are copied). 0 or -ENOMEM. */
int sla_webhook_request_add_header(sla_webhook_request *req, const char *name, const char *value);

/* The value of header name (case-insensitive), borrowed from req; NULL when absent. */
const char *sla_webhook_request_header(const sla_webhook_request *req, const char *name);

/*
 * Append "name=value" to req->url as a query parameter ('?' or '&' as
 * needed, before any "#fragment"), value percent-encoded (RFC 3986
 * unreserved characters kept). 0, -EINVAL without a URL, or -ENOMEM.
 */
int sla_webhook_request_add_query(sla_webhook_request *req, const char *name, const char *value);

/*
 * Build the request announcing d to rc at now_ms into req (which must be
 * initialised and empty). On error req is left empty.
 */
int sla_webhook_build(const sla_decision *d, const sla_receiver *rc,
                      const sla_notice_context *ctx, int64_t now_ms, sla_webhook_request *req);

/*
 * Build one digest request for the n decisions ds[0..n-1] (1 <= n <=
 * SLA_DIGEST_MAX_ITEMS), all for receiver rc, in the order given.
 */
int sla_webhook_build_digest(const sla_decision *const *ds, size_t n, const sla_receiver *rc,
                             const sla_notice_context *ctx, int64_t now_ms,
                             sla_webhook_request *req);

/* 0 when the receiver's secret can sign its format (or it needs none), else -EINVAL. */
int sla_webhook_check_secret(const sla_receiver *rc);

#endif
