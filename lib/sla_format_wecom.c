/*
 * sla_format_wecom — the "wecom" format: WeCom (企业微信) group robots.
 *
 * Body: {"msgtype": "markdown", "markdown": {"content": "..."}}; the content
 * is the notice in WeCom's markdown and at most 4096 bytes. No signature:
 * the key in the webhook URL is the secret.
 *
 * Mentions: WeCom markdown can only mention single members, as <@userid>
 * (on a last line). Mentioning by mobile or everyone needs a text message:
 * {"msgtype": "text", "text": {"content": "...", "mentioned_list":
 * ["userid", "@all"], "mentioned_mobile_list": ["138..."]}}, whose content
 * is plain text of at most 2048 bytes; that is what is sent then.
 *
 * Response: HTTP 200 with {"errcode": 0, "errmsg": "ok"}; a non-zero
 * errcode is an error with errmsg as the reason; 45009 ("api freq out of
 * limit") is retried. A robot allows 20 messages a minute.
 */
#include <errno.h>

#include "sla_format.h"

static int wecom_plain_for(const sla_format_mentions *mn)
{
    return mn->nmobiles > 0 || mn->all;
}

static int wecom_text(const char *text, const sla_format_mentions *mn, sla_webhook_request *req)
{
    const char *ids[SLA_FORMAT_MENTIONS_MAX + 1];
    size_t nids = 0;
    for (size_t i = 0; i < mn->nuser_ids; i++)
        ids[nids++] = mn->user_ids[i];
    if (mn->all)
        ids[nids++] = "@all";
    const char *const head[] = {"msgtype", "text", NULL};
    const char *const inner[] = {"content", text, NULL};
    json_t *root = sla_format_message(head, "text", inner);
    json_t *in = root ? json_object_get(root, "text") : NULL;
    int err = in ? 0 : -ENOMEM;
    if (!err && nids && json_object_set_new(in, "mentioned_list", sla_format_jstr_array(ids, nids)))
        err = -ENOMEM;
    if (!err && mn->nmobiles &&
        json_object_set_new(in, "mentioned_mobile_list",
                            sla_format_jstr_array(mn->mobiles, mn->nmobiles)))
        err = -ENOMEM;
    if (err) {
        json_decref(root);
        return err;
    }
    return sla_format_set_body(req, root);
}

static int wecom_wrap(const char *title, const char *text, const sla_format_mentions *mn,
                      const sla_receiver *rc, int64_t now_ms, sla_webhook_request *req)
{
    (void)title, (void)rc, (void)now_ms; /* the title is the content's first line */
    if (wecom_plain_for(mn))
        return wecom_text(text, mn, req);
    sla_format_buf all = {0};
    int err = sla_format_text_with_mentions(text, "\n", mn->user_ids, mn->nuser_ids, "<@", ">",
                                            NULL, &all);
    const char *const head[] = {"msgtype", "markdown", NULL};
    const char *const inner[] = {"content", all.s, NULL};
    if (!err)
        err = sla_format_set_message(req, head, "markdown", inner);
    sla_format_buf_release(&all);
    return err;
}

static const int rate_codes[] = {45009}; /* "api freq out of limit" */

const sla_format_ops sla_format_wecom_ops = {
    .name = "wecom",
    .markup = SLA_MARKUP_WECOM,
    .max_text = 4000, /* markdown content is limited to 4096 bytes */
    .plain_for = wecom_plain_for,
    .plain_max_text = 2000, /* text content is limited to 2048 bytes */
    .wrap = wecom_wrap,
    .code_key = "errcode",
    .msg_key = "errmsg",
    .rate_codes = rate_codes,
    .nrate = sizeof(rate_codes) / sizeof(rate_codes[0]),
};
