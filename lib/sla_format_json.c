/*
 * sla_format_json — the "json" format: Standard Webhooks.
 *
 * Body (one decision):
 *   {"type": "sla.breach", "timestamp": "<RFC 3339 of fired_ms>",
 *    "data": {id kind ticket metric policy level receiver deadline_ms
 *             fired_ms late_ms cycle attrs{...}}}
 * type is sla.warning, sla.breach, sla.escalation or sla.recovered.
 *
 * Digest: {"type": "sla.digest", "timestamp": <latest fired_ms>,
 *          "data": {"receiver", "count", "notices": [data, ...]}}
 * with every decision in full (a machine can take them all).
 *
 * Headers: webhook-id (req->id: the decision id, or for a digest an id
 * derived from the ids it holds, so a retry carries the same id),
 * webhook-timestamp (now, in seconds) and, when the receiver has a
 * secret, webhook-signature "v1,<base64 HMAC-SHA256>" over
 * "id.timestamp.body" (sla_webhook_sign.h). The timestamp is the sending
 * time because receivers reject signatures outside a tolerance window
 * around their own clock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sla_format.h"
#include "sla_webhook_sign.h"

static int sign_headers(const sla_receiver *rc, int64_t now_ms, sla_webhook_request *req)
{
    char ts[24], sig[SLA_SIGN_SIZE];
    int64_t now_s = now_ms / 1000;
    snprintf(ts, sizeof(ts), "%" PRId64, now_s);
    int rc_ = sla_webhook_request_add_header(req, "webhook-id", req->id);
    rc_ = rc_ ? rc_ : sla_webhook_request_add_header(req, "webhook-timestamp", ts);
    if (rc_ || !rc->secret)
        return rc_;
    if (sla_sign_standard(rc->secret, req->id, now_s, req->body, req->body_len, sig) < 0)
        return -EINVAL;
    return sla_webhook_request_add_header(req, "webhook-signature", sig);
}

static json_t *envelope(const char *type, int64_t fired_ms, json_t *data)
{
    char when[40];
    json_t *root = json_object();
    sla_format_rfc3339(fired_ms, when, sizeof(when));
    if (!root || !data || sla_format_jset_str(root, "type", type) ||
        sla_format_jset_str(root, "timestamp", when) || json_object_set(root, "data", data)) {
        json_decref(root);
        root = NULL;
    }
    json_decref(data);
    return root;
}

static int json_build(const sla_decision *d, const sla_receiver *rc, int64_t now_ms,
                      sla_webhook_request *req)
{
    char type[32];
    snprintf(type, sizeof(type), "sla.%s", sla_format_kind_name(d->kind));
    int err = sla_format_set_body(req, envelope(type, d->fired_ms, sla_format_decision_data(d)));
    return err ? err : sign_headers(rc, now_ms, req);
}

static int json_build_digest(const sla_decision *const *ds, size_t n, const sla_receiver *rc,
                             int64_t now_ms, sla_webhook_request *req)
{
    json_t *data = json_object(), *notices = json_array();
    int64_t latest = ds[0]->fired_ms;
    int err = data && notices ? 0 : -ENOMEM;
    err = err ? err : sla_format_jset_str(data, "receiver", rc->name ? rc->name : "");
    err = err ? err : sla_format_jset_int(data, "count", (int64_t)n);
    for (size_t i = 0; !err && i < n; i++) {
        if (ds[i]->fired_ms > latest)
            latest = ds[i]->fired_ms;
        if (json_array_append_new(notices, sla_format_decision_data(ds[i])) < 0)
            err = -ENOMEM;
    }
    if (!err && json_object_set(data, "notices", notices) < 0)
        err = -ENOMEM;
    json_decref(notices);
    if (err) {
        json_decref(data);
        return err;
    }
    err = sla_format_set_body(req, envelope("sla.digest", latest, data));
    return err ? err : sign_headers(rc, now_ms, req);
}

static int json_check_secret(const char *secret)
{
    return !secret || sla_sign_standard_check(secret) == 0 ? 0 : -1;
}

const sla_format_ops sla_format_json_ops = {
    .name = "json",
    .build = json_build,
    .build_digest = json_build_digest,
    .check_secret = json_check_secret,
};
