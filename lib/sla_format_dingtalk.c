/*
 * sla_format_dingtalk — the "dingtalk" format: DingTalk custom robots.
 *
 * Body: {"msgtype": "markdown", "markdown": {"title": "...", "text": "..."}}
 * The title is what the conversation list shows; the text is the notice in
 * DingTalk's markdown. A robot with the "keywords" security setting only
 * accepts messages containing one of them: every notice contains "SLA".
 *
 * Signing ("加签", when the receiver has a secret, the robot's "SEC..."
 * string): "&timestamp=<ms>&sign=<urlencoded base64>" is appended to the
 * URL (recipe in sla_webhook_sign.h). DingTalk accepts a timestamp within
 * one hour of its clock, so it is the sending time.
 *
 * Response: HTTP 200 with {"errcode": 0, "errmsg": "ok"}; a non-zero
 * errcode is an error with errmsg as the reason; 130101 ("send too fast")
 * is retried. A robot allows 20 messages a minute: the receiver's
 * rate_per_minute should say so.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "sla_format.h"
#include "sla_webhook_sign.h"

static int dingtalk_wrap(const char *title, const char *text, const sla_receiver *rc,
                         int64_t now_ms, sla_webhook_request *req)
{
    if (rc->secret) {
        char ts[24], sign[SLA_SIGN_SIZE];
        snprintf(ts, sizeof(ts), "%" PRId64, now_ms);
        if (sla_sign_dingtalk(rc->secret, now_ms, sign) < 0)
            return -EINVAL;
        int err = sla_webhook_request_add_query(req, "timestamp", ts);
        err = err ? err : sla_webhook_request_add_query(req, "sign", sign);
        if (err)
            return err;
    }
    const char *const head[] = {"msgtype", "markdown", NULL};
    const char *const inner[] = {"title", title, "text", text, NULL};
    return sla_format_set_message(req, head, "markdown", inner);
}

/* Any plain string signs; only one too long for the message never does. */
static int dingtalk_check_secret(const char *secret)
{
    return !secret || sla_sign_plain_check(secret) == 0 ? 0 : -1;
}

static const int rate_codes[] = {130101}; /* "send too fast" */

const sla_format_ops sla_format_dingtalk_ops = {
    .name = "dingtalk",
    .markup = SLA_MARKUP_DINGTALK,
    .max_text = 18000, /* messages are limited to 20,000 bytes */
    .wrap = dingtalk_wrap,
    .code_key = "errcode",
    .msg_key = "errmsg",
    .rate_codes = rate_codes,
    .nrate = sizeof(rate_codes) / sizeof(rate_codes[0]),
    .check_secret = dingtalk_check_secret,
};
