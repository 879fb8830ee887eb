/*
 * sla_format_feishu — the "feishu" format: Feishu / Lark custom bots.
 *
 * Body: {"timestamp": "<seconds>", "sign": "<base64>", "msg_type": "text",
 *        "content": {"text": "..."}}
 * timestamp and sign are present only when the receiver has a secret (the
 * bot's "signature verification" setting); the recipe is in
 * sla_webhook_sign.h. Feishu accepts a timestamp within one hour of its
 * own clock, so it is the sending time. A text message, not a card: it
 * shows the same everywhere and needs no markup escaping.
 *
 * Response: HTTP 200 (sometimes 400) with {"code": 0, "msg": "success"},
 * or from older deployments {"StatusCode": 0, "StatusMessage": "success"}.
 * A non-zero code is an error with msg as the reason; 9499 and 11232 mean
 * the bot is sending too fast and are retried.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "sla_format.h"
#include "sla_webhook_sign.h"

static int feishu_wrap(const char *title, const char *text, const sla_receiver *rc,
                       int64_t now_ms, sla_webhook_request *req)
{
    (void)title; /* a text message has no title */
    const char *const unsigned_head[] = {"msg_type", "text", NULL};
    const char *const inner[] = {"text", text, NULL};
    if (!rc->secret)
        return sla_format_set_message(req, unsigned_head, "content", inner);

    char ts[24], sign[SLA_SIGN_SIZE];
    snprintf(ts, sizeof(ts), "%" PRId64, now_ms / 1000);
    if (sla_sign_feishu(rc->secret, now_ms / 1000, sign) < 0)
        return -EINVAL;
    const char *const head[] = {"timestamp", ts, "sign", sign, "msg_type", "text", NULL};
    return sla_format_set_message(req, head, "content", inner);
}

/* Any plain string signs; only one too long for the message never does. */
static int feishu_check_secret(const char *secret)
{
    return !secret || sla_sign_plain_check(secret) == 0 ? 0 : -1;
}

static const int rate_codes[] = {9499, 11232}; /* "too many request", "frequency limited" */

const sla_format_ops sla_format_feishu_ops = {
    .name = "feishu",
    .markup = SLA_MARKUP_PLAIN,
    .max_text = 18000, /* request bodies are limited to 20 KB */
    .wrap = feishu_wrap,
    .code_key = "code",
    .msg_key = "msg",
    .alt_code_key = "StatusCode",
    .alt_msg_key = "StatusMessage",
    .rate_codes = rate_codes,
    .nrate = sizeof(rate_codes) / sizeof(rate_codes[0]),
    .check_secret = feishu_check_secret,
};
