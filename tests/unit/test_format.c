/*
 * test_format — the request each format builds for a fixed decision, and
 * digests.
 *
 * Bodies are compared whole, as parsed JSON (jansson's json_equal), against
 * the literal each platform expects; the Chinese subject checks that
 * UTF-8 passes through untouched. Signatures inside requests are checked
 * against sla_webhook_sign, whose recipes test_webhook_sign checks against
 * published and independently computed vectors.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sla_format.h"
#include "sla_webhook.h"
#include "sla_webhook_sign.h"

#define DEADLINE 1795635848000LL /* 2026-11-25T19:44:08Z */
#define NOW 1795635848123LL
#define G_HELD_DEADLINE 1795806000000LL /* 2026-11-27T19:00:00Z, Saturday 03:00 in Shanghai */

static char attrs[] = "channel\0chat\0priority\0high\0group\0billing\0assignee\0alice\0"
                      "subject\0退款没有到账\0url\0https://helpdesk.example/t/T-1001\0";

static sla_decision breach(void)
{
    sla_decision d = {0};
    d.kind = SLA_DECISION_BREACH;
    strcpy(d.id, "esc_0123456789abcdef0123456789abcdef");
    d.ticket = (char *)"T-1001";
    d.metric = SLA_METRIC_FIRST_RESPONSE;
    d.cycle = 1;
    d.level = 1;
    d.policy = (char *)"chat";
    d.receiver = (char *)"team_lead";
    d.deadline_ms = DEADLINE;
    d.fired_ms = DEADLINE + 252000; /* overdue 4m12s */
    d.late_ms = 0;
    d.attrs = attrs;
    d.attrs_len = sizeof(attrs) - 1;
    return d;
}

static sla_receiver receiver(enum sla_format f, const char *secret)
{
    sla_receiver rc = {0};
    rc.name = (char *)"team_lead";
    rc.url = (char *)"https://hook.example/send?access_token=abc";
    rc.format = f;
    rc.secret = (char *)secret;
    rc.ticket_url = (char *)"https://helpdesk.example/t/{ticket}";
    rc.calendar = -1;
    return rc;
}

/* 1 when body parses to the same JSON as expected. */
static int same_json(const char *body, const char *expected)
{
    json_error_t err;
    json_t *a = json_loads(body ? body : "", 0, &err), *b = json_loads(expected, 0, &err);
    int eq = a && b && json_equal(a, b);
    if (!eq)
        fprintf(stderr, "got:      %s\nexpected: %s\n", body ? body : "(null)", expected);
    json_decref(a);
    json_decref(b);
    return eq;
}

static const char *text_of(const sla_webhook_request *r, const char *outer, const char *inner)
{
    static char buf[16384];
    json_t *root = json_loads(r->body, 0, NULL);
    const char *s = json_string_value(json_object_get(json_object_get(root, outer), inner));
    snprintf(buf, sizeof(buf), "%s", s ? s : "");
    json_decref(root);
    return buf;
}

#define DATA_JSON                                                                           \
    "{\"id\":\"esc_0123456789abcdef0123456789abcdef\",\"kind\":\"breach\",\"ticket\":\"T-1001\"," \
    "\"metric\":\"first_response\",\"policy\":\"chat\",\"level\":1,\"receiver\":\"team_lead\","  \
    "\"deadline_ms\":1795635848000,\"fired_ms\":1795636100000,\"late_ms\":0,\"cycle\":1,"       \
    "\"attrs\":{\"channel\":\"chat\",\"priority\":\"high\",\"group\":\"billing\","              \
    "\"assignee\":\"alice\",\"subject\":\"退款没有到账\","                                     \
    "\"url\":\"https://helpdesk.example/t/T-1001\"}}"

static void test_json_signed(void)
{
    sla_decision d = breach();
    sla_receiver rc = receiver(SLA_FORMAT_JSON, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK_STR(r.url, "https://hook.example/send?access_token=abc");
    CHECK(same_json(r.body, "{\"type\":\"sla.breach\",\"timestamp\":\"2026-11-25T19:48:20.000Z\","
                            "\"data\":" DATA_JSON "}"));
    CHECK(strstr(r.body, "退款没有到账") != NULL); /* raw UTF-8, not \u escapes */
    CHECK_INT(r.body_len, strlen(r.body));
    CHECK_STR(sla_webhook_request_header(&r, "content-type"), "application/json");
    CHECK_STR(sla_webhook_request_header(&r, "webhook-id"), "esc_0123456789abcdef0123456789abcdef");
    CHECK_STR(sla_webhook_request_header(&r, "webhook-timestamp"), "1795635848");
    char sig[SLA_SIGN_SIZE];
    CHECK_INT(sla_sign_standard(rc.secret, d.id, 1795635848, r.body, r.body_len, sig), 0);
    CHECK_STR(sla_webhook_request_header(&r, "webhook-signature"), sig);

    /* A retry later: same id and body, new timestamp and signature. */
    sla_webhook_request r2;
    sla_webhook_request_init(&r2);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW + 60000, &r2), 0);
    CHECK_STR(r2.body, r.body);
    CHECK_STR(sla_webhook_request_header(&r2, "webhook-id"), d.id);
    CHECK_STR(sla_webhook_request_header(&r2, "webhook-timestamp"), "1795635908");
    CHECK(strcmp(sla_webhook_request_header(&r2, "webhook-signature"), sig) != 0);
    sla_webhook_request_release(&r2);
    sla_webhook_request_release(&r);
    CHECK(r.body == NULL && r.url == NULL && r.nheaders == 0);
}

static void test_json_unsigned_and_bad_secret(void)
{
    sla_decision d = breach();
    sla_receiver rc = receiver(SLA_FORMAT_JSON, NULL);
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK(sla_webhook_request_header(&r, "webhook-id") != NULL);
    CHECK(sla_webhook_request_header(&r, "webhook-signature") == NULL);
    sla_webhook_request_release(&r);

    rc.secret = (char *)"whsec_***";
    CHECK_INT(sla_webhook_check_secret(&rc), -EINVAL);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), -EINVAL);
    CHECK(r.body == NULL && r.url == NULL && r.nheaders == 0); /* left empty */
    rc.secret = (char *)"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    CHECK_INT(sla_webhook_check_secret(&rc), 0);
    rc.format = SLA_FORMAT_DINGTALK; /* any secret string signs DingTalk */
    rc.secret = (char *)"whsec_***";
    CHECK_INT(sla_webhook_check_secret(&rc), 0);
    rc.format = SLA_FORMAT_COUNT;
    CHECK_INT(sla_webhook_check_secret(&rc), -EINVAL);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), -EINVAL);
}

#define PLAIN_TEXT                                                           \
    "SLA breach: first response, ticket T-1001\n"                            \
    "First response on ticket T-1001 is overdue 4m12s (policy chat).\n"      \
    "Subject: 退款没有到账\n"                                                \
    "Deadline: 2026-11-25 19:44:08 UTC\n"                                    \
    "Priority: high\nChannel: chat\nGroup: billing\nAssignee: alice\n"       \
    "Link: https://helpdesk.example/t/T-1001"

/* The same notice as Feishu's text message shows it (English receiver, UTC). */
#define CHAT_PLAIN_TEXT                                                      \
    "SLA breach: first response, ticket T-1001\n"                            \
    "First response on ticket T-1001: overdue by 4 min (policy chat).\n"     \
    "Subject: 退款没有到账\n"                                                \
    "Deadline: 2026-11-25 19:44 (UTC)\n"                                     \
    "Priority: high\nChannel: chat\nGroup: billing\nAssignee: alice\n"       \
    "Open ticket: https://helpdesk.example/t/T-1001"

static void test_slack(void)
{
    sla_decision d = breach();
    sla_receiver rc = receiver(SLA_FORMAT_SLACK, NULL);
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK(same_json(r.body,
                    "{\"text\":\"*SLA breach: first response, ticket T-1001*\\n"
                    "First response on ticket T-1001: overdue by 4 min (policy chat).\\n"
                    "*Subject:* 退款没有到账\\n*Deadline:* 2026-11-25 19:44 (UTC)\\n"
                    "*Priority:* high\\n*Channel:* chat\\n*Group:* billing\\n*Assignee:* alice\\n"
                    "<https://helpdesk.example/t/T-1001|Open ticket>\"}"));
    sla_webhook_request_release(&r);

    /* mrkdwn control characters in values are escaped; the ticket id is
     * percent-encoded into the receiver's link; the url attribute is no link. */
    char a2[] = "subject\0a <b> & c\0url\0https://x.example/?a=1&b=<2>|3\0";
    d.attrs = a2;
    d.attrs_len = sizeof(a2) - 1;
    d.ticket = (char *)"T<1>|&";
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    json_t *root = json_loads(r.body, 0, NULL);
    const char *text = json_string_value(json_object_get(root, "text"));
    CHECK(text && strstr(text, "*Subject:* a &lt;b&gt; &amp; c\n") != NULL);
    CHECK(text && strstr(text, "<https://helpdesk.example/t/T%3C1%3E%7C%26|Open ticket>") != NULL);
    CHECK(text && strstr(text, "x.example") == NULL);
    json_decref(root);
    sla_webhook_request_release(&r);
}

static void test_feishu(void)
{
    sla_decision d = breach();
    sla_receiver rc = receiver(SLA_FORMAT_FEISHU, "feishu-secret");
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    /* sign: base64(HMAC-SHA256(key "1795635848\nfeishu-secret", "")), see test_webhook_sign. */
    CHECK(same_json(r.body, "{\"timestamp\":\"1795635848\","
                            "\"sign\":\"h4cEHiFgBLiWOAVjMtthYCSWx9Geag24kIZ4gci7Q2k=\","
                            "\"msg_type\":\"text\",\"content\":{\"text\":\"" "SLA breach: first "
                            "response, ticket T-1001\\nFirst response on ticket T-1001: "
                            "overdue by 4 min (policy chat).\\nSubject: 退款没有到账\\nDeadline: "
                            "2026-11-25 19:44 (UTC)\\nPriority: high\\nChannel: chat\\nGroup: "
                            "billing\\nAssignee: alice\\nOpen ticket: "
                            "https://helpdesk.example/t/T-1001\"}}"));
    CHECK_STR(text_of(&r, "content", "text"), CHAT_PLAIN_TEXT);
    CHECK_STR(r.url, rc.url);
    sla_webhook_request_release(&r);

    rc.secret = NULL;
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK(same_json(r.body, "{\"msg_type\":\"text\",\"content\":{\"text\":\"" "SLA breach: first "
                            "response, ticket T-1001\\nFirst response on ticket T-1001: "
                            "overdue by 4 min (policy chat).\\nSubject: 退款没有到账\\nDeadline: "
                            "2026-11-25 19:44 (UTC)\\nPriority: high\\nChannel: chat\\nGroup: "
                            "billing\\nAssignee: alice\\nOpen ticket: "
                            "https://helpdesk.example/t/T-1001\"}}"));
    sla_webhook_request_release(&r);
}

static void test_dingtalk(void)
{
    sla_decision d = breach();
    sla_receiver rc = receiver(SLA_FORMAT_DINGTALK, "SEC0123456789abcdef");
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    /* sign: urlencode(base64(HMAC-SHA256("SEC...", "1795635848123\nSEC..."))). */
    CHECK_STR(r.url, "https://hook.example/send?access_token=abc&timestamp=1795635848123"
                     "&sign=wrWYm3V7D4Nnsmf2PzjMV6qU7j0cpzo0Qj5QXjlnr2o%3D");
    CHECK(same_json(r.body,
                    "{\"msgtype\":\"markdown\",\"markdown\":{"
                    "\"title\":\"SLA breach: first response, ticket T-1001\","
                    "\"text\":\"#### SLA breach: first response, ticket T-1001\\n\\n"
                    "First response on ticket T-1001: overdue by 4 min (policy chat).\\n\\n"
                    "- **Subject:** 退款没有到账\\n- **Deadline:** 2026-11-25 19:44 (UTC)\\n"
                    "- **Priority:** high\\n- **Channel:** chat\\n- **Group:** billing\\n"
                    "- **Assignee:** alice\\n\\n"
                    "[Open ticket](https://helpdesk.example/t/T-1001)\"}}"));
    sla_webhook_request_release(&r);

    rc.secret = NULL;
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK_STR(r.url, "https://hook.example/send?access_token=abc");
    sla_webhook_request_release(&r);
}

static void test_wecom(void)
{
    sla_decision d = breach();
    d.kind = SLA_DECISION_ESCALATION;
    d.level = 2;
    d.fired_ms = DEADLINE + 3780000; /* 1h03m */
    sla_receiver rc = receiver(SLA_FORMAT_WECOM, NULL);
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK(same_json(r.body,
                    "{\"msgtype\":\"markdown\",\"markdown\":{\"content\":"
                    "\"**SLA escalation (level 2): first response, ticket T-1001**\\n"
                    "First response on ticket T-1001: overdue by 1 h 3 min, escalated to level 2 (policy chat).\\n"
                    "> **Subject:** 退款没有到账\\n> **Deadline:** 2026-11-25 19:44 (UTC)\\n"
                    "> **Priority:** high\\n> **Channel:** chat\\n> **Group:** billing\\n"
                    "> **Assignee:** alice\\n"
                    "[Open ticket](https://helpdesk.example/t/T-1001)\"}}"));
    sla_webhook_request_release(&r);
}

static void test_recovered_text_and_no_attrs(void)
{
    sla_decision d = breach();
    d.kind = SLA_DECISION_RECOVERED;
    d.attrs = NULL;
    d.attrs_len = 0;
    sla_receiver rc = receiver(SLA_FORMAT_FEISHU, NULL);
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK_STR(text_of(&r, "content", "text"),
              "SLA recovered: first response, ticket T-1001\n"
              "First response on ticket T-1001: met 4 min late (policy chat).\n"
              "Deadline: 2026-11-25 19:44 (UTC)\n"
              "Open ticket: https://helpdesk.example/t/T-1001");
    sla_webhook_request_release(&r);
}

static void test_untrusted_values(void)
{
    /* Invalid UTF-8 and a newline in the subject, a non-http url. */
    char a2[] = "subject\0bad \xff\xfe byte\nline\0url\0javascript:alert(1)\0";
    sla_decision d = breach();
    d.attrs = a2;
    d.attrs_len = sizeof(a2) - 1;

    sla_receiver rc = receiver(SLA_FORMAT_DINGTALK, NULL);
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    const char *text = text_of(&r, "markdown", "text");
    CHECK(strstr(text, "- **Subject:** bad \xEF\xBF\xBD\xEF\xBF\xBD byte line\n") != NULL);
    CHECK(strstr(text, "javascript") == NULL); /* no link made of it */
    sla_webhook_request_release(&r);

    rc = receiver(SLA_FORMAT_ALERTMANAGER, NULL);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK(strstr(r.body, "generatorURL") == NULL);
    CHECK(strstr(r.body, "\"url\":\"javascript:alert(1)\"") != NULL); /* kept as data */
    sla_webhook_request_release(&r);

    rc = receiver(SLA_FORMAT_JSON, NULL);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK(strstr(r.body, "\"subject\":\"bad \xEF\xBF\xBD\xEF\xBF\xBD byte\\nline\"") != NULL);
    sla_webhook_request_release(&r);

    /* A huge subject is cut in text (on a character boundary) but kept whole as data. */
    char big[4000 + 64];
    size_t o = 0;
    o += (size_t)sprintf(big, "subject%c", 0);
    while (o < 4000) {
        memcpy(big + o, "退", 3);
        o += 3;
    }
    big[o++] = '\0';
    d.attrs = big;
    d.attrs_len = o;
    rc = receiver(SLA_FORMAT_WECOM, NULL);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    text = text_of(&r, "markdown", "content");
    CHECK(strlen(text) < 1000);
    CHECK(strstr(text, "退…\n") != NULL);
    sla_webhook_request_release(&r);
}

static void test_query(void)
{
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_webhook_request_add_query(&r, "a", "b"), -EINVAL);
    r.url = strdup("https://h.example/p");
    CHECK_INT(sla_webhook_request_add_query(&r, "a", "x y/+=~"), 0);
    CHECK_STR(r.url, "https://h.example/p?a=x%20y%2F%2B%3D~");
    CHECK_INT(sla_webhook_request_add_query(&r, "b", "2"), 0);
    CHECK_STR(r.url, "https://h.example/p?a=x%20y%2F%2B%3D~&b=2");
    free(r.url);
    r.url = strdup("https://h.example/p?#frag");
    CHECK_INT(sla_webhook_request_add_query(&r, "t", "1"), 0);
    CHECK_STR(r.url, "https://h.example/p?t=1#frag");
    sla_webhook_request_release(&r);
}

static void test_digest(void)
{
    enum { N = 25 };
    sla_decision d[N];
    const sla_decision *ds[N];
    char ids[N][48];
    for (int i = 0; i < N; i++) {
        d[i] = breach();
        snprintf(ids[i], sizeof(ids[i]), "esc_%032d", i);
        strcpy(d[i].id, ids[i]);
        ds[i] = &d[i];
    }
    d[1].kind = SLA_DECISION_WARNING;
    d[1].fired_ms = DEADLINE - 42000;
    d[1].attrs = NULL;
    d[1].attrs_len = 0;

    sla_receiver rc = receiver(SLA_FORMAT_FEISHU, NULL);
    sla_webhook_request r, r2;
    sla_webhook_request_init(&r);
    sla_webhook_request_init(&r2);
    CHECK_INT(sla_webhook_build_digest(ds, 3, &rc, NULL, NOW, &r), 0);
    CHECK_STR(text_of(&r, "content", "text"),
              "3 SLA notices\n"
              "- Breach: first response, ticket T-1001, overdue by 4 min\n"
              "- Warning: first response, ticket T-1001, due in 42 s\n"
              "- Breach: first response, ticket T-1001, overdue by 4 min");
    CHECK(strncmp(r.id, "dig_", 4) == 0 && strlen(r.id) == 36);

    /* Same decisions, same id (a retried digest); other decisions, other id. */
    CHECK_INT(sla_webhook_build_digest(ds, 3, &rc, NULL, NOW + 5000, &r2), 0);
    CHECK_STR(r2.id, r.id);
    sla_webhook_request_release(&r2);
    CHECK_INT(sla_webhook_build_digest(ds + 1, 3, &rc, NULL, NOW, &r2), 0);
    CHECK(strcmp(r2.id, r.id) != 0);
    sla_webhook_request_release(&r2);
    sla_webhook_request_release(&r);

    /* 25 notices: the first 20 listed, then "and 5 more". */
    CHECK_INT(sla_webhook_build_digest(ds, N, &rc, NULL, NOW, &r), 0);
    const char *text = text_of(&r, "content", "text");
    CHECK(strncmp(text, "25 SLA notices\n", 15) == 0);
    int lines = 0;
    for (const char *p = text; (p = strstr(p, "\n- ")) != NULL; p++)
        lines++;
    CHECK_INT(lines, SLA_DIGEST_MAX_LISTED);
    CHECK(strlen(text) > 9 && strcmp(text + strlen(text) - 10, "and 5 more") == 0);
    CHECK(strstr(text, "\n\xE2\x80\xA6" "and 5 more") != NULL);
    sla_webhook_request_release(&r);

    /* WeCom's 4096-byte limit: long ticket ids make fewer lines fit. */
    char longid[200];
    memset(longid, 'X', 199);
    longid[199] = '\0';
    for (int i = 0; i < N; i++)
        d[i].ticket = longid;
    rc = receiver(SLA_FORMAT_WECOM, NULL);
    CHECK_INT(sla_webhook_build_digest(ds, N, &rc, NULL, NOW, &r), 0);
    text = text_of(&r, "markdown", "content");
    CHECK(strlen(text) <= 4000);
    lines = 0;
    for (const char *p = text; (p = strstr(p, "\n> ")) != NULL; p++)
        lines++;
    char tail[32];
    snprintf(tail, sizeof(tail), "and %d more", N - lines);
    CHECK(lines > 0 && lines < SLA_DIGEST_MAX_LISTED);
    CHECK(strcmp(text + strlen(text) - strlen(tail), tail) == 0);
    sla_webhook_request_release(&r);

    /* Machine formats carry every decision in full. */
    rc = receiver(SLA_FORMAT_ALERTMANAGER, NULL);
    CHECK_INT(sla_webhook_build_digest(ds, N, &rc, NULL, NOW, &r), 0);
    json_t *arr = json_loads(r.body, 0, NULL);
    CHECK_INT(json_array_size(arr), N);
    json_decref(arr);
    sla_webhook_request_release(&r);

    rc = receiver(SLA_FORMAT_JSON, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    CHECK_INT(sla_webhook_build_digest(ds, N, &rc, NULL, NOW, &r), 0);
    json_t *root = json_loads(r.body, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(root, "type")), "sla.digest");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(root, "data"), "count")), N);
    CHECK_INT(json_array_size(json_object_get(json_object_get(root, "data"), "notices")), N);
    CHECK_STR(sla_webhook_request_header(&r, "webhook-id"), r.id);
    char sig[SLA_SIGN_SIZE];
    CHECK_INT(sla_sign_standard(rc.secret, r.id, NOW / 1000, r.body, r.body_len, sig), 0);
    CHECK_STR(sla_webhook_request_header(&r, "webhook-signature"), sig);
    json_decref(root);
    sla_webhook_request_release(&r);

    CHECK_INT(sla_webhook_build_digest(ds, 0, &rc, NULL, NOW, &r), -EINVAL);
    const sla_decision *many[SLA_DIGEST_MAX_ITEMS + 1];
    for (int i = 0; i <= SLA_DIGEST_MAX_ITEMS; i++)
        many[i] = &d[0];
    CHECK_INT(sla_webhook_build_digest(many, SLA_DIGEST_MAX_ITEMS + 1, &rc, NULL, NOW, &r), -EINVAL);
    CHECK_INT(sla_webhook_build_digest(many, SLA_DIGEST_MAX_ITEMS, &rc, NULL, NOW, &r), 0);
    sla_webhook_request_release(&r);
}


/* The subject from the field report reaches no platform as markup. */
static void test_hostile_subject(void)
{
    static const enum sla_format formats[] = {SLA_FORMAT_FEISHU, SLA_FORMAT_DINGTALK,
                                              SLA_FORMAT_WECOM, SLA_FORMAT_SLACK};
    static const char *const banned[] = {"<at", "<@", "<!", "](", "[", "http://phish",
                                         "phish.example", "@all", "@所有人", "**x**", "<b>"};
    char a2[] = "subject\0<at user_id=\"all\"></at> 请点击 [退款链接](http://phish.example/x) "
                "<@all> @所有人 **x** <b>bold</b>\0assignee\0<!channel>\0";
    sla_decision d = breach();
    d.attrs = a2;
    d.attrs_len = sizeof(a2) - 1;
    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        for (int l = 0; l < SLA_LOCALE_COUNT; l++) {
            sla_receiver rc = receiver(formats[f], NULL);
            rc.locale = (enum sla_locale)l;
            rc.ticket_url = NULL; /* no trusted link either: nothing may be a link */
            sla_webhook_request r;
            sla_webhook_request_init(&r);
            CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
            for (size_t b = 0; b < sizeof banned / sizeof banned[0]; b++) {
                if (strstr(r.body, banned[b]))
                    fprintf(stderr, "%s/%d: '%s' in %s\n", sla_format_name(formats[f]), l,
                            banned[b], r.body);
                CHECK(strstr(r.body, banned[b]) == NULL);
            }
            /* Still readable: the words are there, in look-alike characters. */
            CHECK(strstr(r.body, "请点击 ［退款链接］(http：//phish\xE2\x80\xA4" "example/x)") != NULL);
            sla_webhook_request_release(&r);
        }
    }
    sla_receiver rc = receiver(SLA_FORMAT_SLACK, NULL);
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK(strstr(r.body, "&lt;at user_id=\\\"all\\\"&gt;&lt;/at&gt;") != NULL); /* Slack's own escapes */
    sla_webhook_request_release(&r);

    /* A trailing backslash cannot undo the bold around a field's label. */
    char a3[] = "subject\0ends in \\\0";
    d.attrs = a3;
    d.attrs_len = sizeof(a3) - 1;
    rc = receiver(SLA_FORMAT_WECOM, NULL);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK(strstr(text_of(&r, "markdown", "content"), "> **Subject:** ends in \xEF\xBC\xBC\n") != NULL);
    sla_webhook_request_release(&r);
}

/* Under a second late or early, a notice says so in words, never "0ms" or "0 s". */
static void test_under_a_second(void)
{
    sla_decision d = breach();
    d.fired_ms = d.deadline_ms + 1; /* the breach fires 1 ms after the deadline */
    sla_receiver rc = receiver(SLA_FORMAT_FEISHU, NULL);
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK(strstr(text_of(&r, "content", "text"), ": just overdue (policy chat).") != NULL);
    sla_webhook_request_release(&r);
    rc.locale = SLA_LOCALE_ZH_CN;
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK(strstr(text_of(&r, "content", "text"), "的首次响应刚刚超时（策略 chat）。") != NULL);
    CHECK(strstr(r.body, "0ms") == NULL && strstr(r.body, "0 秒") == NULL);
    sla_webhook_request_release(&r);
    d.kind = SLA_DECISION_RECOVERED;
    d.fired_ms = d.deadline_ms - 5000;
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK(strstr(text_of(&r, "content", "text"), "的首次响应已按时完成") != NULL);
    sla_webhook_request_release(&r);
}

/*
 * A notice held for the receiver's working hours is read hours after it
 * fired: "just overdue" would be wrong then. Its text counts to as_of_ms
 * (the time it is released), the deadline line still shows the deadline,
 * a warning read after its deadline says the deadline passed, and a
 * recovery still says how late the clock was met.
 */
static void test_held_text(void)
{
    char err[256];
    sla_calendar *sh = sla_calendar_new("Asia/Shanghai", err, sizeof err);
    CHECK(sh != NULL);
    sla_decision d = breach();
    d.deadline_ms = G_HELD_DEADLINE;      /* Saturday 2026-11-28 03:00 in Shanghai */
    d.fired_ms = d.deadline_ms + 1;
    const sla_decision *ds[1] = {&d};
    sla_receiver rc = receiver(SLA_FORMAT_FEISHU, NULL);
    rc.locale = SLA_LOCALE_ZH_CN;
    rc.zone = sh;
    sla_notice_context ctx;
    sla_webhook_request r;
    sla_webhook_request_init(&r);

    sla_webhook_context(NULL, &rc, ds, 1, NULL, &ctx);
    ctx.as_of_ms = d.deadline_ms + (2 * 24 + 6) * 3600000LL; /* Monday 09:00 */
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, ctx.as_of_ms, &r), 0);
    const char *t = text_of(&r, "content", "text");
    CHECK(strstr(t, "的首次响应已超时 2 天 6 小时（策略 chat）。") != NULL);
    CHECK(strstr(t, "刚刚超时") == NULL);
    CHECK(strstr(t, "截止时间：2026-11-28 03:00（UTC+08:00）") != NULL);
    sla_webhook_request_release(&r);

    d.kind = SLA_DECISION_WARNING;
    d.level = 0;
    d.fired_ms = d.deadline_ms - 600000; /* 10 minutes before */
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, ctx.as_of_ms, &r), 0);
    t = text_of(&r, "content", "text");
    CHECK(strstr(t, "的首次响应已过截止时间（策略 chat）。") != NULL);
    sla_webhook_request_release(&r);
    ctx.as_of_ms = d.deadline_ms - 120000; /* released 2 minutes before the deadline */
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, ctx.as_of_ms, &r), 0);
    CHECK(strstr(text_of(&r, "content", "text"), "将在 2 分钟后超时") != NULL);
    sla_webhook_request_release(&r);
    ctx.as_of_ms = 0; /* not held: as before */
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(text_of(&r, "content", "text"), "将在 10 分钟后超时") != NULL);
    sla_webhook_request_release(&r);

    rc.locale = SLA_LOCALE_EN;
    ctx.as_of_ms = d.deadline_ms + 3600000;
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, ctx.as_of_ms, &r), 0);
    CHECK(strstr(text_of(&r, "content", "text"), ": deadline passed (policy chat).") != NULL);
    sla_webhook_request_release(&r);

    d.kind = SLA_DECISION_RECOVERED;
    d.level = 1;
    d.fired_ms = d.deadline_ms + 300000; /* met 5 minutes late, held until later */
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, ctx.as_of_ms, &r), 0);
    CHECK(strstr(text_of(&r, "content", "text"), "met 5 min late") != NULL);
    sla_webhook_request_release(&r);
    sla_calendar_free(sh);
}

/*
 * Mentions come from the receiver and the ladder step of the decision's
 * level, only for breaches and escalations; each platform gets its form.
 */
static void test_mentions(void)
{
    char *m1[] = {(char *)"13800000001"}, *u1[] = {(char *)"lead01"}, *u2[] = {(char *)"boss"};
    sla_step steps[2] = {{.mention = {.user_ids = u1, .nuser_ids = 1}},
                         {.mention = {.mobiles = m1, .nmobiles = 1, .user_ids = u2,
                                      .nuser_ids = 1, .all = 1}}};
    sla_policy pol = {.name = (char *)"chat"};
    pol.metrics[SLA_METRIC_FIRST_RESPONSE] =
        (sla_target){.defined = 1, .calendar = -1, .steps = steps, .nsteps = 2};
    sla_config cfg = {0};
    cfg.policies = &pol;
    cfg.npolicies = 1;

    sla_decision d = breach();
    const sla_decision *ds[1] = {&d};
    sla_receiver rc = receiver(SLA_FORMAT_DINGTALK, NULL);
    sla_notice_context ctx;
    sla_webhook_request r;
    sla_webhook_request_init(&r);

    /* Level 1 is the first step: its user id only. */
    sla_webhook_context(&cfg, &rc, ds, 1, NULL, &ctx);
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(r.body, "\"at\":{\"atUserIds\":[\"lead01\"],\"isAtAll\":false}") != NULL);
    CHECK(strstr(text_of(&r, "markdown", "text"), "\n\n@lead01") != NULL);
    sla_webhook_request_release(&r);

    /* Level 3, a repeat of the last step: the second step's people and everyone. */
    d.kind = SLA_DECISION_ESCALATION;
    d.level = 3;
    sla_webhook_context(&cfg, &rc, ds, 1, NULL, &ctx);
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(r.body, "\"at\":{\"atMobiles\":[\"13800000001\"],\"atUserIds\":[\"boss\"],"
                         "\"isAtAll\":true}") != NULL);
    sla_webhook_request_release(&r);

    rc = receiver(SLA_FORMAT_FEISHU, NULL);
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(text_of(&r, "content", "text"),
                 "\n<at user_id=\"boss\"></at> <at user_id=\"all\"></at>") != NULL);
    sla_webhook_request_release(&r);

    rc = receiver(SLA_FORMAT_SLACK, NULL);
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(r.body, "\\n<@boss> <!channel>\"") != NULL);
    sla_webhook_request_release(&r);

    /* WeCom: mobiles and everyone need a text message. */
    rc = receiver(SLA_FORMAT_WECOM, NULL);
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(r.body, "\"msgtype\":\"text\"") != NULL);
    CHECK(strstr(r.body, "\"mentioned_list\":[\"boss\",\"@all\"],"
                         "\"mentioned_mobile_list\":[\"13800000001\"]") != NULL);
    CHECK(strstr(text_of(&r, "text", "content"), "Open ticket: https://helpdesk") != NULL);
    sla_webhook_request_release(&r);
    /* ... user ids alone stay in markdown as <@userid>. */
    d.level = 1;
    d.kind = SLA_DECISION_BREACH;
    sla_webhook_context(&cfg, &rc, ds, 1, NULL, &ctx);
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(r.body, "\"msgtype\":\"markdown\"") != NULL);
    CHECK(strstr(text_of(&r, "markdown", "content"), ")\n<@lead01>") != NULL);
    sla_webhook_request_release(&r);

    /* The receiver's own list joins in; warnings and recoveries ping nobody. */
    rc.mention = (sla_mention){.user_ids = u2, .nuser_ids = 1};
    sla_webhook_context(&cfg, &rc, ds, 1, NULL, &ctx);
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(text_of(&r, "markdown", "content"), "\n<@boss> <@lead01>") != NULL);
    sla_webhook_request_release(&r);
    d.kind = SLA_DECISION_RECOVERED;
    sla_webhook_context(&cfg, &rc, ds, 1, NULL, &ctx);
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(r.body, "<@") == NULL);
    sla_webhook_request_release(&r);
}

/* Times in the receiver's zone, else the policy's calendar zone, else the system's. */
static void test_zones(void)
{
    char err[256];
    sla_calendar *sh = sla_calendar_new("Asia/Shanghai", err, sizeof err),
                 *ny = sla_calendar_new("America/New_York", err, sizeof err),
                 *ber = sla_calendar_new("Europe/Berlin", err, sizeof err);
    CHECK(sh && ny && ber);
    char *names[] = {(char *)"ny"};
    sla_calendar *cals[] = {ny};
    sla_policy pol = {.name = (char *)"chat"};
    pol.metrics[SLA_METRIC_FIRST_RESPONSE] = (sla_target){.defined = 1, .calendar = 0};
    sla_config cfg = {0};
    cfg.policies = &pol;
    cfg.npolicies = 1;
    cfg.calendars = cals;
    cfg.calendar_names = names;
    cfg.ncalendars = 1;
    sla_decision d = breach(); /* deadline 2026-11-25T19:44:08Z */
    const sla_decision *ds[1] = {&d};
    sla_receiver rc = receiver(SLA_FORMAT_FEISHU, NULL);
    sla_notice_context ctx;
    sla_webhook_request r;
    sla_webhook_request_init(&r);

    sla_webhook_context(&cfg, &rc, ds, 1, ber, &ctx);
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(r.body, "Deadline: 2026-11-25 14:44 (UTC-05:00)") != NULL);
    sla_webhook_request_release(&r);

    rc.zone = sh;
    sla_webhook_context(&cfg, &rc, ds, 1, ber, &ctx);
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(r.body, "Deadline: 2026-11-26 03:44 (UTC+08:00)") != NULL);
    sla_webhook_request_release(&r);

    rc.zone = NULL;
    pol.metrics[SLA_METRIC_FIRST_RESPONSE].calendar = -1;
    sla_webhook_context(&cfg, &rc, ds, 1, ber, &ctx);
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(r.body, "Deadline: 2026-11-25 20:44 (UTC+01:00)") != NULL);
    sla_webhook_request_release(&r);

    /* A receiver that keeps working hours reads times in its calendar's
     * zone, before the policy's. */
    rc.calendar = 0;
    pol.metrics[SLA_METRIC_FIRST_RESPONSE].calendar = -1;
    sla_webhook_context(&cfg, &rc, ds, 1, ber, &ctx);
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(r.body, "Deadline: 2026-11-25 14:44 (UTC-05:00)") != NULL);
    sla_webhook_request_release(&r);
    rc.zone = sh; /* its own timezone still comes first */
    sla_webhook_context(&cfg, &rc, ds, 1, ber, &ctx);
    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
    CHECK(strstr(r.body, "Deadline: 2026-11-26 03:44 (UTC+08:00)") != NULL);
    sla_webhook_request_release(&r);
    sla_calendar_free(sh);
    sla_calendar_free(ny);
    sla_calendar_free(ber);
}

/* --- golden bodies ------------------------------------------------------------
 *
 * tests/unit/golden/<format>.<locale>.<case>.txt: the body each chat format
 * sends for a breach, an escalation (with mentions), a recovery and a
 * digest, as pretty JSON followed by the message text as people see it.
 * They are read by people when the wording changes: run the test with
 * SLA_GOLDEN_UPDATE=1 to rewrite them, then review the diff.
 */
#define G_DEADLINE 1795589048000LL /* 2026-11-25T06:44:08Z, 14:44 in Shanghai */

static char golden_attrs[] = "channel\0在线客服\0priority\0P1\0group\0售后二组\0"
                             "assignee\0王芳\0customer\0李先生\0"
                             "subject\0退款三天了还没到账，请尽快处理\0";

static sla_decision golden_decision(int kind)
{
    sla_decision d = breach();
    d.kind = kind;
    d.ticket = (char *)"T-20261125-0042";
    d.policy = (char *)"vip-chat";
    d.attrs = golden_attrs;
    d.attrs_len = sizeof(golden_attrs) - 1;
    d.deadline_ms = G_DEADLINE;
    d.fired_ms = G_DEADLINE + 5 * 60000 + 12000; /* 5 min 12 s late */
    if (kind == SLA_DECISION_ESCALATION) {
        d.level = 2;
        d.fired_ms = G_DEADLINE + 80 * 60000; /* 1 h 20 min */
    } else if (kind == SLA_DECISION_RECOVERED) {
        d.level = 2;
        d.fired_ms = G_DEADLINE + 95 * 60000 + 30000;
    }
    return d;
}

/* The body pretty-printed, then every multi-line string of it as shown. */
static void golden_render(const char *body, sla_format_buf *out)
{
    json_t *root = json_loads(body, 0, NULL);
    char *pretty = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    sla_format_buf_puts(out, pretty ? pretty : "(not JSON)");
    sla_format_buf_puts(out, "\n");
    free(pretty);
    json_t *stack[4] = {root};
    for (int depth = 0; depth < 3 && stack[depth]; depth++) {
        const char *key;
        json_t *v;
        stack[depth + 1] = NULL;
        json_object_foreach(stack[depth], key, v) {
            if (json_is_object(v))
                stack[depth + 1] = v;
            else if (json_is_string(v) && strchr(json_string_value(v), '\n'))
                sla_format_buf_printf(out, "---- %s, as shown ----\n%s\n", key,
                                      json_string_value(v));
        }
    }
    json_decref(root);
}

static void golden_check(const char *name, const char *body)
{
    char path[1024];
    const char *src = getenv("SLA_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/unit/golden/%s.txt", src ? src : ".", name);
    sla_format_buf got = {0};
    golden_render(body, &got);
    if (getenv("SLA_GOLDEN_UPDATE")) {
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (f) {
            fwrite(got.s, 1, got.len, f);
            fclose(f);
        }
        sla_format_buf_release(&got);
        return;
    }
    static char want[65536];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(want, 1, sizeof want - 1, f) : 0;
    if (f)
        fclose(f);
    want[n] = '\0';
    if (!f || strcmp(got.s, want) != 0)
        fprintf(stderr, "golden %s differs (SLA_GOLDEN_UPDATE=1 rewrites it):\n%s\n", path, got.s);
    CHECK(f != NULL && strcmp(got.s, want) == 0);
    sla_format_buf_release(&got);
}

static void test_golden(void)
{
    static const enum sla_format formats[] = {SLA_FORMAT_FEISHU, SLA_FORMAT_DINGTALK,
                                              SLA_FORMAT_WECOM, SLA_FORMAT_SLACK};
    static const char *const cases[] = {"breach", "escalation", "recovered", "digest"};
    char err[256];
    sla_calendar *zone = sla_calendar_new("Asia/Shanghai", err, sizeof err);
    CHECK(zone != NULL);
    /* The second ladder step names the manager to mention. */
    char *mobiles[] = {(char *)"13800138000"}, *managers[] = {(char *)"manager.li"};
    sla_mention step = {.mobiles = mobiles, .nmobiles = 1, .user_ids = managers, .nuser_ids = 1};

    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        for (int l = 0; l < SLA_LOCALE_COUNT; l++) {
            sla_receiver rc = receiver(formats[f], NULL);
            rc.locale = (enum sla_locale)l;
            rc.zone = zone;
            for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
                sla_notice_context ctx = {.zone = zone};
                sla_webhook_request r;
                sla_webhook_request_init(&r);
                if (c == 3) {
                    enum { N = 23 };
                    sla_decision d[N];
                    const sla_decision *ds[N];
                    for (int i = 0; i < N; i++) {
                        d[i] = golden_decision(i % 3 == 1 ? SLA_DECISION_WARNING
                                                          : SLA_DECISION_BREACH);
                        if (i % 3 == 1)
                            d[i].fired_ms = G_DEADLINE - 10 * 60000;
                        ds[i] = &d[i];
                    }
                    d[2] = golden_decision(SLA_DECISION_RECOVERED);
                    d[2].ticket = (char *)"T-20261125-0007";
                    CHECK_INT(sla_webhook_build_digest(ds, N, &rc, &ctx, NOW, &r), 0);
                } else {
                    static const int kinds[] = {SLA_DECISION_BREACH, SLA_DECISION_ESCALATION,
                                                SLA_DECISION_RECOVERED};
                    sla_decision d = golden_decision(kinds[c]);
                    if (c == 1)
                        ctx.mentions[ctx.nmentions++] = &step;
                    CHECK_INT(sla_webhook_build(&d, &rc, &ctx, NOW, &r), 0);
                }
                char name[64];
                snprintf(name, sizeof name, "%s.%s.%s", sla_format_name(formats[f]),
                         sla_locale_name(l), cases[c]);
                golden_check(name, r.body);
                sla_webhook_request_release(&r);
            }
        }
    }
    sla_calendar_free(zone);
}

int main(void)
{
    test_json_signed();
    test_json_unsigned_and_bad_secret();
    test_slack();
    test_feishu();
    test_dingtalk();
    test_wecom();
    test_recovered_text_and_no_attrs();
    test_untrusted_values();
    test_query();
    test_digest();
    test_hostile_subject();
    test_under_a_second();
    test_held_text();
    test_mentions();
    test_zones();
    test_golden();
    return CHECK_DONE();
}
