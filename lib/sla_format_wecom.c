/*
 * sla_format_wecom — the "wecom" format: WeCom (企业微信) group robots.
 *
 * Body: {"msgtype": "markdown", "markdown": {"content": "..."}}; the content
 * is the notice in WeCom's markdown and at most 4096 bytes. No signature:
 * the key in the webhook URL is the secret.
 *
 * Response: HTTP 200 with {"errcode": 0, "errmsg": "ok"}; a non-zero
 * errcode is an error with errmsg as the reason; 45009 ("api freq out of
 * limit") is retried. A robot allows 20 messages a minute.
 */
#include "sla_format.h"

static int wecom_wrap(const char *title, const char *text, const sla_receiver *rc,
                      int64_t now_ms, sla_webhook_request *req)
{
    (void)title, (void)rc, (void)now_ms; /* the title is the content's first line */
    const char *const head[] = {"msgtype", "markdown", NULL};
    const char *const inner[] = {"content", text, NULL};
    return sla_format_set_message(req, head, "markdown", inner);
}

static const int rate_codes[] = {45009}; /* "api freq out of limit" */

const sla_format_ops sla_format_wecom_ops = {
    .name = "wecom",
    .markup = SLA_MARKUP_WECOM,
    .max_text = 4000, /* content is limited to 4096 bytes */
    .wrap = wecom_wrap,
    .code_key = "errcode",
    .msg_key = "errmsg",
    .rate_codes = rate_codes,
    .nrate = sizeof(rate_codes) / sizeof(rate_codes[0]),
};
