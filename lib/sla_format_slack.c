/*
 * sla_format_slack — the "slack" format: Slack incoming webhooks.
 *
 * Body: {"text": "<mrkdwn>"}; the text is the notice in Slack's mrkdwn
 * (*bold*, <url|text> links, & < > escaped). No signature: the webhook URL
 * is the secret.
 *
 * Mentions: a last line of <@U...> for each user id and <!channel> for
 * everyone; Slack has no mention by mobile number.
 *
 * Response: Slack answers HTTP 200 with the plain-text body "ok"; errors
 * come as plain-text codes ("invalid_payload", "channel_is_archived", ...)
 * with a 4xx status, and rate limiting as HTTP 429 with Retry-After (older
 * answers say "rate_limited"). Workflow webhooks and proxies answer in the
 * Web API's JSON, {"ok": true} or {"ok": false, "error": "code"}: read the
 * same way. The reason names the code, not the body again (the dead letter
 * keeps an excerpt of the body).
 */
#include <stdio.h>
#include <string.h>

#include "sla_format.h"

static int slack_wrap(const char *title, const char *text, const sla_format_mentions *mn,
                      const sla_receiver *rc, int64_t now_ms, sla_webhook_request *req)
{
    (void)title, (void)rc, (void)now_ms; /* the title is the text's first line */
    sla_format_buf all = {0};
    int err = sla_format_text_with_mentions(text, "\n", mn->user_ids, mn->nuser_ids, "<@", ">",
                                            mn->all ? "<!channel>" : NULL, &all);
    const char *const head[] = {"text", all.s, NULL};
    if (!err)
        err = sla_format_set_message(req, head, NULL, NULL);
    sla_format_buf_release(&all);
    return err;
}

/* An error code: what Slack names its errors with ("invalid_payload"). */
static enum sla_body_verdict slack_error(const char *code, size_t len, char *reason,
                                         size_t reason_len)
{
    snprintf(reason, reason_len, "slack error %.*s", (int)(len > 64 ? 64 : len), code);
    return len == 12 && memcmp(code, "rate_limited", 12) == 0 ? SLA_BODY_RATE_LIMITED
                                                              : SLA_BODY_ERROR;
}

static int is_code(const char *s, size_t len)
{
    if (len == 0 || len > 64)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static enum sla_body_verdict slack_check_body(const char *body, size_t len, char *reason,
                                              size_t reason_len)
{
    while (len && (body[len - 1] == '\n' || body[len - 1] == '\r' || body[len - 1] == ' '))
        len--;
    if (len == 2 && memcmp(body, "ok", 2) == 0)
        return SLA_BODY_OK;
    if (len && body[0] == '{') { /* Web API style: {"ok": true} or {"ok": false, "error": ...} */
        json_t *root = json_loadb(body, len, 0, NULL);
        json_t *ok = json_is_object(root) ? json_object_get(root, "ok") : NULL;
        const char *err = json_string_value(json_object_get(root, "error"));
        enum sla_body_verdict v = SLA_BODY_UNKNOWN;
        if (json_is_true(ok))
            v = SLA_BODY_OK;
        else if (json_is_false(ok) && err && is_code(err, strlen(err)))
            v = slack_error(err, strlen(err), reason, reason_len);
        else if (json_is_false(ok))
            v = slack_error("unknown", 7, reason, reason_len);
        json_decref(root);
        return v;
    }
    return is_code(body, len) ? slack_error(body, len, reason, reason_len) : SLA_BODY_UNKNOWN;
}

const sla_format_ops sla_format_slack_ops = {
    .name = "slack",
    .markup = SLA_MARKUP_SLACK,
    .max_text = 12000, /* Slack truncates text past 40,000 characters; stay far below */
    .wrap = slack_wrap,
    .check_body = slack_check_body,
};
