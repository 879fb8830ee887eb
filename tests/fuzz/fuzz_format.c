/*
 * fuzz_format — the chat formats (feishu, dingtalk, wecom, slack) in both
 * locales, for a notice and a digest, with hostile ticket values.
 *
 * Input: one byte choosing the kind and level, four bytes of how late the
 * notice fires (signed, ms), then NUL-separated values of the ticket id,
 * subject, assignee, customer, group, priority and channel (any bytes,
 * invalid UTF-8 included). The receivers have no ticket_url and mention
 * nobody, so nothing in a body may come out as markup.
 *
 * What is checked on every body:
 *   - it is JSON, and the message fits the platform (WeCom markdown 4096
 *     bytes, DingTalk and Feishu 20000, Slack 40000);
 *   - no string in it holds mention or link syntax: no '<' (Feishu
 *     <at user_id>, WeCom <@userid>, Slack <@U..>/<!channel>/<url|x>, HTML
 *     tags), no '[' (markdown links and images), no '@' (@all, @所有人,
 *     @mobile), no "://" and no ASCII letter or digit, '.', letter or
 *     digit (a URL or bare domain a client would link), no backslash
 *     (it could escape the markup around a value). slad's own text
 *     has none of these, so any that appears came from a ticket value.
 */
#include "fuzz.h"
#include "sla_format.h"
#include "sla_webhook.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                 \
    do {                                                                              \
        if (!(cond))                                                                  \
            abort();                                                                  \
    } while (0)

static int alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void check_text(const char *s)
{
    REQUIRE(!strchr(s, '<') && !strchr(s, '[') && !strchr(s, '@') && !strstr(s, "://"));
    REQUIRE(!strchr(s, '\\')); /* a backslash could escape slad's own markup */
    for (size_t i = 1; s[i] && s[i + 1]; i++)
        REQUIRE(!(s[i] == '.' && alnum((unsigned char)s[i - 1]) && alnum((unsigned char)s[i + 1])));
}

static void check_strings(json_t *v)
{
    const char *key;
    json_t *x;
    size_t i;
    if (json_is_string(v))
        check_text(json_string_value(v));
    else if (json_is_object(v))
        json_object_foreach(v, key, x) check_strings(x);
    else if (json_is_array(v))
        json_array_foreach(v, i, x) check_strings(x);
}

static void check_body(const sla_webhook_request *r, enum sla_format f)
{
    json_t *root = json_loadb(r->body, r->body_len, 0, NULL);
    REQUIRE(root != NULL);
    check_strings(root);
    const char *text = NULL;
    size_t limit = 20000;
    switch (f) {
    case SLA_FORMAT_WECOM:
        text = json_string_value(json_object_get(json_object_get(root, "markdown"), "content"));
        limit = 4096;
        break;
    case SLA_FORMAT_SLACK:
        text = json_string_value(json_object_get(root, "text"));
        limit = 40000;
        break;
    case SLA_FORMAT_DINGTALK:
        text = json_string_value(json_object_get(json_object_get(root, "markdown"), "text"));
        break;
    default:
        text = json_string_value(json_object_get(json_object_get(root, "content"), "text"));
        REQUIRE(r->body_len <= 20000); /* Feishu limits the whole request */
    }
    REQUIRE(text && strlen(text) <= limit);
    json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"subject", "assignee", "customer", "group", "priority",
                                       "channel"};
    static const enum sla_format formats[] = {SLA_FORMAT_FEISHU, SLA_FORMAT_DINGTALK,
                                              SLA_FORMAT_WECOM, SLA_FORMAT_SLACK};
    if (size < 5)
        return 0;
    uint8_t sel = data[0];
    int32_t late = (int32_t)((uint32_t)data[1] | (uint32_t)data[2] << 8 |
                             (uint32_t)data[3] << 16 | (uint32_t)data[4] << 24);
    data += 5;
    size -= 5;

    /* Ticket id up to the first NUL, then the values: packed as "key\0value\0". */
    const uint8_t *end = data + size, *p = data;
    const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
    size_t tlen = nul ? (size_t)(nul - p) : (size_t)(end - p);
    char *ticket = malloc(tlen + 1);
    char *attrs = malloc(size + 64 * 6 + 1);
    REQUIRE(ticket && attrs);
    memcpy(ticket, p, tlen);
    ticket[tlen] = '\0';
    p = nul ? nul + 1 : end;
    size_t alen = 0;
    for (size_t k = 0; k < 6 && p < end; k++) {
        nul = memchr(p, 0, (size_t)(end - p));
        size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);
        if (n) {
            memcpy(attrs + alen, keys[k], strlen(keys[k]) + 1);
            alen += strlen(keys[k]) + 1;
            memcpy(attrs + alen, p, n);
            alen += n;
            attrs[alen++] = '\0';
        }
        p = nul ? nul + 1 : end;
    }

    sla_decision d;
    memset(&d, 0, sizeof d);
    d.kind = (enum sla_decision_kind)(sel & 3);
    d.level = 1 + ((sel >> 2) & 3);
    strcpy(d.id, "esc_0123456789abcdef0123456789abcdef");
    d.ticket = ticket;
    d.metric = (sel >> 4) % 7;
    d.policy = (char *)"p";
    d.receiver = (char *)"r";
    d.deadline_ms = 1795635848000LL;
    d.fired_ms = d.deadline_ms + late;
    d.attrs = alen ? attrs : NULL;
    d.attrs_len = alen;
    const sla_decision *ds[3] = {&d, &d, &d};

    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        for (int l = 0; l < SLA_LOCALE_COUNT; l++) {
            sla_receiver rc;
            memset(&rc, 0, sizeof rc);
            rc.name = (char *)"r";
            rc.url = (char *)"https://hook.example/x";
            rc.format = formats[f];
            rc.locale = (enum sla_locale)l;
            sla_webhook_request r;
            sla_webhook_request_init(&r);
            REQUIRE(sla_webhook_build(&d, &rc, NULL, 1795635848123LL, &r) == 0);
            check_body(&r, formats[f]);
            sla_webhook_request_release(&r);
            REQUIRE(sla_webhook_build_digest(ds, 1 + (sel >> 7) * 2, &rc, NULL,
                                             1795635848123LL, &r) == 0);
            check_body(&r, formats[f]);
            sla_webhook_request_release(&r);
        }
    }
    free(ticket);
    free(attrs);
    return 0;
}
