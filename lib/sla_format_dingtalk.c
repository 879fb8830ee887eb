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
 * Mentions: "at": {"atMobiles": [...], "atUserIds": [...], "isAtAll": true}
 * next to "markdown", and a last line "@138... @userid" in the text, which
 * DingTalk needs to show whom a markdown message mentions. The object is
 * present only when someone is mentioned.
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

/* "at" of mn, or no change to root when nobody is mentioned. 0 or -ENOMEM. */
static int add_at(json_t *root, const sla_format_mentions *mn)
{
    if (!mn->nmobiles && !mn->nuser_ids && !mn->all)
        return 0;
    json_t *at = json_object();
    int err = at ? 0 : -ENOMEM;
    if (!err && mn->nmobiles &&
        json_object_set_new(at, "atMobiles", sla_format_jstr_array(mn->mobiles, mn->nmobiles)))
        err = -ENOMEM;
    if (!err && mn->nuser_ids &&
        json_object_set_new(at, "atUserIds",
                            sla_format_jstr_array(mn->user_ids, mn->nuser_ids)))
        err = -ENOMEM;
    if (!err && json_object_set_new(at, "isAtAll", json_boolean(mn->all)))
        err = -ENOMEM;
    if (!err && json_object_set(root, "at", at) < 0)
        err = -ENOMEM;
    json_decref(at);
    return err;
}

static int dingtalk_wrap(const char *title, const char *text, const sla_format_mentions *mn,
                         const sla_receiver *rc, int64_t now_ms, sla_webhook_request *req)
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
    /* Mobiles and user ids alike are shown as "@..." in the text. */
    const char *ids[2 * SLA_FORMAT_MENTIONS_MAX];
    size_t nids = 0;
    for (size_t i = 0; i < mn->nmobiles; i++)
        ids[nids++] = mn->mobiles[i];
    for (size_t i = 0; i < mn->nuser_ids; i++)
        ids[nids++] = mn->user_ids[i];
    sla_format_buf all = {0};
    int err = sla_format_text_with_mentions(text, "\n\n", ids, nids, "@", "", NULL, &all);
    const char *const head[] = {"msgtype", "markdown", NULL};
    const char *const inner[] = {"title", title, "text", all.s, NULL};
    json_t *root = err ? NULL : sla_format_message(head, "markdown", inner);
    sla_format_buf_release(&all);
    if (!root || add_at(root, mn) < 0) {
        json_decref(root);
        return -ENOMEM;
    }
    return sla_format_set_body(req, root);
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
