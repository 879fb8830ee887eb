/*
 * sla_format_slack — the "slack" format: Slack incoming webhooks.
 *
 * Body: {"text": "<mrkdwn>"}; the text is the notice in Slack's mrkdwn
 * (*bold*, <url|text> links, & < > escaped). No signature: the webhook URL
 * is the secret.
 *
 * Response: Slack answers HTTP 200 with the plain-text body "ok"; errors
 * come as plain-text codes ("invalid_payload", "channel_is_archived", ...)
 * with a 4xx status, and rate limiting as HTTP 429 with Retry-After (older
 * answers say "rate_limited").
 */
#include <stdio.h>
#include <string.h>

#include "sla_format.h"

static int slack_wrap(const char *title, const char *text, const sla_receiver *rc,
                      int64_t now_ms, sla_webhook_request *req)
{
    (void)title, (void)rc, (void)now_ms; /* the title is the text's first line */
    const char *const head[] = {"text", text, NULL};
    return sla_format_set_message(req, head, NULL, NULL);
}

static enum sla_body_verdict slack_check_body(const char *body, size_t len, char *reason,
                                              size_t reason_len)
{
    /* Trailing whitespace is tolerated; anything else than "ok" is an error code. */
    while (len && (body[len - 1] == '\n' || body[len - 1] == '\r' || body[len - 1] == ' '))
        len--;
    if (len == 2 && memcmp(body, "ok", 2) == 0)
        return SLA_BODY_OK;
    if (len == 0)
        return SLA_BODY_UNKNOWN;
    sla_format_buf b = {0};
    sla_format_buf_add_clean(&b, body, len, 0, 200);
    snprintf(reason, reason_len, "slack: %s", b.s && !b.oom ? b.s : "");
    sla_format_buf_release(&b);
    return len == 12 && memcmp(body, "rate_limited", 12) == 0 ? SLA_BODY_RATE_LIMITED
                                                               : SLA_BODY_ERROR;
}

const sla_format_ops sla_format_slack_ops = {
    .name = "slack",
    .markup = SLA_MARKUP_SLACK,
    .max_text = 12000, /* Slack truncates text past 40,000 characters; stay far below */
    .wrap = slack_wrap,
    .check_body = slack_check_body,
};
