/*
 * sla_webhook — requests for receivers. See sla_webhook.h.
 *
 * This file holds the request object and the dispatch by format; what a
 * body says is in the sla_format_* modules. Machine formats build their
 * own bodies; for chat formats the words are written here once (a notice
 * or a digest, in the format's markup, within its size limit) and handed
 * to the format's envelope.
 */
#include "sla_webhook.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "sla_format.h"

static const sla_format_ops *ops_of(const sla_receiver *rc)
{
    return rc ? sla_format_get((int)rc->format) : NULL;
}

/* ---- the request object ----------------------------------------------- */

void sla_webhook_request_init(sla_webhook_request *req)
{
    memset(req, 0, sizeof(*req));
}

void sla_webhook_request_release(sla_webhook_request *req)
{
    free(req->url);
    for (size_t i = 0; i < req->nheaders; i++) {
        free(req->headers[i].name);
        free(req->headers[i].value);
    }
    free(req->headers);
    free(req->body);
    sla_webhook_request_init(req);
}

int sla_webhook_request_add_header(sla_webhook_request *req, const char *name, const char *value)
{
    sla_webhook_header *h = realloc(req->headers, (req->nheaders + 1) * sizeof(*h));
    if (!h)
        return -ENOMEM;
    req->headers = h;
    h += req->nheaders;
    h->name = strdup(name);
    h->value = strdup(value);
    if (!h->name || !h->value) {
        free(h->name);
        free(h->value);
        return -ENOMEM;
    }
    req->nheaders++;
    return 0;
}

const char *sla_webhook_request_header(const sla_webhook_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

int sla_webhook_request_add_query(sla_webhook_request *req, const char *name, const char *value)
{
    if (!req->url)
        return -EINVAL;
    size_t ulen = strlen(req->url);
    const char *hash = strchr(req->url, '#');
    size_t base = hash ? (size_t)(hash - req->url) : ulen;
    size_t nlen = strlen(name), vlen = strlen(value);
    /* Worst case every byte of the value becomes %XX. */
    char *u = malloc(ulen + 1 + nlen + 1 + 3 * vlen + 1);
    if (!u)
        return -ENOMEM;

    size_t o = base;
    memcpy(u, req->url, base);
    const char *q = memchr(req->url, '?', base);
    if (!q)
        u[o++] = '?';
    else if (base > 0 && req->url[base - 1] != '?' && req->url[base - 1] != '&')
        u[o++] = '&';
    memcpy(u + o, name, nlen);
    o += nlen;
    u[o++] = '=';
    for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
        if (unreserved(*c))
            u[o++] = (char)*c;
        else
            o += (size_t)sprintf(u + o, "%%%02X", *c);
    }
    memcpy(u + o, req->url + base, ulen - base + 1); /* fragment and NUL */
    free(req->url);
    req->url = u;
    return 0;
}

/* ---- building --------------------------------------------------------- */

static int start(sla_webhook_request *req, const sla_receiver *rc)
{
    req->url = strdup(rc->url ? rc->url : "");
    if (!req->url || sla_webhook_request_add_header(req, "Content-Type", "application/json"))
        return -ENOMEM;
    return 0;
}

static int finish(sla_webhook_request *req, int err)
{
    if (err)
        sla_webhook_request_release(req);
    return err;
}

/* "dig_" + hex of the first 16 bytes of SHA-256(id "\n" id "\n" ...). */
static int digest_id(const sla_decision *const *ds, size_t n, char *out, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(ctx, ds[i]->id, strnlen(ds[i]->id, sizeof(ds[i]->id))) &&
             EVP_DigestUpdate(ctx, "\n", 1);
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen >= 16;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -ENOMEM;
    int o = snprintf(out, len, "dig_");
    for (int i = 0; i < 16; i++)
        o += snprintf(out + o, len - (size_t)o, "%02x", md[i]);
    return 0;
}

void sla_webhook_context(const sla_config *cfg, const sla_receiver *rc,
                         const sla_decision *const *ds, size_t n, const sla_calendar *system_zone,
                         sla_notice_context *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->zone = rc ? rc->zone : NULL;
    /* A receiver that keeps working hours reads times in their zone. */
    if (!ctx->zone && rc && cfg && rc->calendar >= 0 && (size_t)rc->calendar < cfg->ncalendars)
        ctx->zone = cfg->calendars[rc->calendar];
    if (rc)
        ctx->mentions[ctx->nmentions++] = &rc->mention;
    for (size_t i = 0; cfg && i < n; i++) {
        const sla_decision *d = ds[i];
        const sla_policy *p = sla_config_policy(cfg, d->policy);
        if (!p || d->metric < 0 || d->metric >= SLA_METRIC_COUNT)
            continue;
        const sla_target *t = &p->metrics[d->metric];
        if (i == 0 && !ctx->zone && t->calendar >= 0 && (size_t)t->calendar < cfg->ncalendars)
            ctx->zone = cfg->calendars[t->calendar];
        const sla_step *step = sla_target_step(t, d->level);
        if ((d->kind != SLA_DECISION_BREACH && d->kind != SLA_DECISION_ESCALATION) || !step)
            continue;
        const sla_mention *m = &step->mention;
        int seen = 0;
        for (size_t k = 0; k < ctx->nmentions; k++)
            seen |= ctx->mentions[k] == m;
        if (!seen && ctx->nmentions < SLA_NOTICE_MAX_SOURCES)
            ctx->mentions[ctx->nmentions++] = m;
    }
    if (!ctx->zone)
        ctx->zone = system_zone;
}

/* Style, mentions and text limit of a chat message to rc. */
static size_t chat_setup(const sla_format_ops *ops, const sla_receiver *rc,
                         const sla_notice_context *ctx, const sla_decision *const *ds, size_t n,
                         sla_format_style *st, sla_format_mentions *mn)
{
    memset(mn, 0, sizeof *mn);
    for (size_t i = 0; ctx && i < ctx->nmentions; i++)
        sla_format_mentions_add(mn, ctx->mentions[i]);
    /* Good news and early warnings ping nobody, whatever the receiver says. */
    int pings = 0;
    for (size_t i = 0; i < n; i++)
        pings |= ds[i]->kind == SLA_DECISION_BREACH || ds[i]->kind == SLA_DECISION_ESCALATION;
    if (!pings)
        memset(mn, 0, sizeof *mn);
    int plain = ops->plain_for && ops->plain_for(mn);
    st->markup = plain ? SLA_MARKUP_PLAIN : ops->markup;
    st->words = sla_locale_get((int)rc->locale);
    st->zone = ctx ? ctx->zone : NULL;
    st->as_of_ms = ctx ? ctx->as_of_ms : 0;
    st->ticket_url = rc->ticket_url;
    size_t max = plain ? ops->plain_max_text : ops->max_text, room = sla_format_mentions_room(mn);
    return max > room + 256 ? max - room : 256;
}

int sla_webhook_build(const sla_decision *d, const sla_receiver *rc,
                      const sla_notice_context *ctx, int64_t now_ms, sla_webhook_request *req)
{
    const sla_format_ops *ops = ops_of(rc);
    if (!ops || !d)
        return -EINVAL;
    int err = start(req, rc);
    snprintf(req->id, sizeof(req->id), "%.*s", (int)sizeof(d->id), d->id);
    if (err || ops->build)
        return finish(req, err ? err : ops->build(d, rc, now_ms, req));

    sla_format_style st;
    sla_format_mentions mn;
    size_t max = chat_setup(ops, rc, ctx, &d, 1, &st, &mn);
    sla_format_buf title = {0}, text = {0};
    sla_format_chat_title(d, &st, &title);
    sla_format_chat_text(d, &st, &text);
    sla_format_buf_truncate(&text, max);
    err = title.oom || text.oom ? -ENOMEM : ops->wrap(title.s, text.s, &mn, rc, now_ms, req);
    sla_format_buf_release(&title);
    sla_format_buf_release(&text);
    return finish(req, err);
}

int sla_webhook_build_digest(const sla_decision *const *ds, size_t n, const sla_receiver *rc,
                             const sla_notice_context *ctx, int64_t now_ms,
                             sla_webhook_request *req)
{
    const sla_format_ops *ops = ops_of(rc);
    if (!ops || !ds || n == 0 || n > SLA_DIGEST_MAX_ITEMS)
        return -EINVAL;
    int err = start(req, rc);
    err = err ? err : digest_id(ds, n, req->id, sizeof(req->id));
    if (err || ops->build_digest)
        return finish(req, err ? err : ops->build_digest(ds, n, rc, now_ms, req));

    sla_format_style st;
    sla_format_mentions mn;
    size_t max = chat_setup(ops, rc, ctx, ds, n, &st, &mn);
    sla_format_buf title = {0}, text = {0};
    sla_format_chat_digest_title(n, &st, &title);
    sla_format_chat_digest(ds, n, &st, max, &text);
    err = title.oom || text.oom ? -ENOMEM : ops->wrap(title.s, text.s, &mn, rc, now_ms, req);
    sla_format_buf_release(&title);
    sla_format_buf_release(&text);
    return finish(req, err);
}

int sla_webhook_check_secret(const sla_receiver *rc)
{
    const sla_format_ops *ops = ops_of(rc);
    if (!ops)
        return -EINVAL;
    return !ops->check_secret || ops->check_secret(rc->secret) == 0 ? 0 : -EINVAL;
}
