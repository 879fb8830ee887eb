/*
 * test_webhook_response — every outcome of sla_webhook_classify, per
 * format, and Retry-After in both its forms.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "sla_config.h"
#include "sla_webhook_response.h"

#define NOW 1445412480000LL /* Wed, 21 Oct 2015 07:28:00 GMT */

static sla_delivery_result res;

static int classify(int format, long status, const char *body, const char *retry_after)
{
    return sla_webhook_classify(format, status, body, body ? strlen(body) : 0, retry_after, NOW,
                                &res);
}

static void test_status_codes(void)
{
    for (int f = 0; f < SLA_FORMAT_COUNT; f++) {
        CHECK_INT(classify(f, 0, NULL, NULL), SLA_DELIVERY_RETRY);
        CHECK_STR(res.reason, "no HTTP response");
        CHECK_INT(classify(f, 500, "oops", NULL), SLA_DELIVERY_RETRY);
        CHECK_INT(classify(f, 502, NULL, NULL), SLA_DELIVERY_RETRY);
        CHECK_INT(classify(f, 503, NULL, NULL), SLA_DELIVERY_RETRY);
        CHECK_INT(classify(f, 408, NULL, NULL), SLA_DELIVERY_RETRY);
        CHECK_INT(classify(f, 429, NULL, NULL), SLA_DELIVERY_RETRY);
        CHECK_INT(classify(f, 429, NULL, "garbage"), SLA_DELIVERY_RETRY);
        CHECK_INT(classify(f, 429, NULL, "30"), SLA_DELIVERY_RETRY_AFTER);
        CHECK_INT(res.retry_after_ms, 30000);
        CHECK_INT(classify(f, 503, NULL, "Wed, 21 Oct 2015 07:28:42 GMT"),
                  SLA_DELIVERY_RETRY_AFTER);
        CHECK_INT(res.retry_after_ms, 42000);
        CHECK_INT(classify(f, 500, NULL, "30"), SLA_DELIVERY_RETRY); /* only 429/503 */
        CHECK_INT(classify(f, 400, "bad", NULL), SLA_DELIVERY_FAILED);
        CHECK_INT(classify(f, 401, NULL, NULL), SLA_DELIVERY_FAILED);
        CHECK_INT(classify(f, 404, NULL, NULL), SLA_DELIVERY_FAILED);
        CHECK_INT(classify(f, 301, NULL, NULL), SLA_DELIVERY_FAILED);
        CHECK_INT(classify(f, 101, NULL, NULL), SLA_DELIVERY_FAILED);
    }
    CHECK_INT(classify(SLA_FORMAT_COUNT, 200, NULL, NULL), -EINVAL);
    CHECK_INT(classify(-1, 200, NULL, NULL), -EINVAL);
}

static void test_machine_formats(void)
{
    CHECK_INT(classify(SLA_FORMAT_JSON, 200, NULL, NULL), SLA_DELIVERY_DELIVERED);
    CHECK_STR(res.reason, "");
    CHECK_INT(classify(SLA_FORMAT_JSON, 204, "whatever", NULL), SLA_DELIVERY_DELIVERED);
    CHECK_INT(classify(SLA_FORMAT_ALERTMANAGER, 200, "", NULL), SLA_DELIVERY_DELIVERED);
    CHECK_INT(classify(SLA_FORMAT_ALERTMANAGER, 400, "{\"code\":400,\"message\":\"bad alert\"}",
                       NULL),
              SLA_DELIVERY_FAILED);
    CHECK_STR(res.reason, "HTTP 400: {\"code\":400,\"message\":\"bad alert\"}");
}

static void test_slack(void)
{
    CHECK_INT(classify(SLA_FORMAT_SLACK, 200, "ok", NULL), SLA_DELIVERY_DELIVERED);
    CHECK_INT(classify(SLA_FORMAT_SLACK, 200, "ok\n", NULL), SLA_DELIVERY_DELIVERED);
    CHECK_INT(classify(SLA_FORMAT_SLACK, 200, "invalid_payload", NULL), SLA_DELIVERY_FAILED);
    CHECK_STR(res.reason, "HTTP 200: slack error invalid_payload");
    CHECK_INT(classify(SLA_FORMAT_SLACK, 200, "", NULL), SLA_DELIVERY_FAILED);
    CHECK_INT(classify(SLA_FORMAT_SLACK, 404, "channel_not_found", NULL), SLA_DELIVERY_FAILED);
    CHECK_STR(res.reason, "HTTP 404: slack error channel_not_found");
    /* The Web API's JSON answer, as workflow webhooks and slad's own sink send it. */
    CHECK_INT(classify(SLA_FORMAT_SLACK, 200, "{\"ok\":true}", NULL), SLA_DELIVERY_DELIVERED);
    CHECK_STR(res.reason, "");
    CHECK_INT(classify(SLA_FORMAT_SLACK, 200, "{\"ok\": true, \"errcode\": 0}\n", NULL),
              SLA_DELIVERY_DELIVERED);
    CHECK_INT(classify(SLA_FORMAT_SLACK, 200, "{\"ok\":false,\"error\":\"invalid_blocks\"}", NULL),
              SLA_DELIVERY_FAILED);
    CHECK_STR(res.reason, "HTTP 200: slack error invalid_blocks");
    CHECK_INT(classify(SLA_FORMAT_SLACK, 200, "{\"ok\":false,\"error\":\"rate_limited\"}", NULL),
              SLA_DELIVERY_RETRY_AFTER);
    CHECK_INT(classify(SLA_FORMAT_SLACK, 200, "{\"okay\":true}", NULL), SLA_DELIVERY_FAILED);
    CHECK_INT(classify(SLA_FORMAT_SLACK, 200, "<html>ok</html>", NULL), SLA_DELIVERY_FAILED);
    CHECK_INT(classify(SLA_FORMAT_SLACK, 410, "channel_is_archived", NULL), SLA_DELIVERY_FAILED);
    CHECK_INT(classify(SLA_FORMAT_SLACK, 429, "rate_limited", "7"), SLA_DELIVERY_RETRY_AFTER);
    CHECK_INT(res.retry_after_ms, 7000); /* the header wins over the body's default */
    CHECK_INT(classify(SLA_FORMAT_SLACK, 429, "rate_limited", NULL), SLA_DELIVERY_RETRY_AFTER);
    CHECK_INT(res.retry_after_ms, 60000);
    CHECK_INT(classify(SLA_FORMAT_SLACK, 500, "rollup_error", NULL), SLA_DELIVERY_RETRY);
}

static void test_feishu(void)
{
    CHECK_INT(classify(SLA_FORMAT_FEISHU, 200, "{\"code\":0,\"data\":{},\"msg\":\"success\"}",
                       NULL),
              SLA_DELIVERY_DELIVERED);
    CHECK_INT(classify(SLA_FORMAT_FEISHU, 200,
                       "{\"Extra\":null,\"StatusCode\":0,\"StatusMessage\":\"success\"}", NULL),
              SLA_DELIVERY_DELIVERED);
    CHECK_INT(classify(SLA_FORMAT_FEISHU, 200,
                       "{\"code\":19021,\"msg\":\"sign match fail or timestamp is not within "
                       "one hour from current time\"}",
                       NULL),
              SLA_DELIVERY_FAILED);
    CHECK_STR(res.reason, "HTTP 200: code 19021: sign match fail or timestamp is not within one "
                          "hour from current time");
    CHECK_INT(classify(SLA_FORMAT_FEISHU, 200, "{\"StatusCode\":19024,\"StatusMessage\":\"Key "
                                               "Words Not Found\"}",
                       NULL),
              SLA_DELIVERY_FAILED);
    CHECK_STR(res.reason, "HTTP 200: StatusCode 19024: Key Words Not Found");
    CHECK_INT(classify(SLA_FORMAT_FEISHU, 200, "{\"code\":9499,\"msg\":\"too many request\"}",
                       NULL),
              SLA_DELIVERY_RETRY_AFTER);
    CHECK_INT(res.retry_after_ms, 60000);
    CHECK_INT(classify(SLA_FORMAT_FEISHU, 400, "{\"code\":11232,\"msg\":\"frequency limited\"}",
                       NULL),
              SLA_DELIVERY_RETRY_AFTER);
    CHECK_INT(classify(SLA_FORMAT_FEISHU, 200, "<html>proxy</html>", NULL), SLA_DELIVERY_FAILED);
    CHECK_STR(res.reason, "HTTP 200: unrecognised answer '<html>proxy</html>'");
}

static void test_dingtalk_wecom(void)
{
    CHECK_INT(classify(SLA_FORMAT_DINGTALK, 200, "{\"errcode\":0,\"errmsg\":\"ok\"}", NULL),
              SLA_DELIVERY_DELIVERED);
    CHECK_INT(classify(SLA_FORMAT_DINGTALK, 200,
                       "{\"errcode\":310000,\"errmsg\":\"keywords not in content\"}", NULL),
              SLA_DELIVERY_FAILED);
    CHECK_STR(res.reason, "HTTP 200: errcode 310000: keywords not in content");
    CHECK_INT(classify(SLA_FORMAT_DINGTALK, 200,
                       "{\"errcode\":130101,\"errmsg\":\"send too fast, exceed 20 times per "
                       "minute\"}",
                       NULL),
              SLA_DELIVERY_RETRY_AFTER);
    CHECK_INT(res.retry_after_ms, 60000);
    CHECK_INT(classify(SLA_FORMAT_WECOM, 200, "{\"errcode\":0,\"errmsg\":\"ok\"}", NULL),
              SLA_DELIVERY_DELIVERED);
    CHECK_INT(classify(SLA_FORMAT_WECOM, 200,
                       "{\"errcode\":93000,\"errmsg\":\"invalid webhook url\"}", NULL),
              SLA_DELIVERY_FAILED);
    CHECK_STR(res.reason, "HTTP 200: errcode 93000: invalid webhook url");
    CHECK_INT(classify(SLA_FORMAT_WECOM, 200, "{\"errcode\":45009,\"errmsg\":\"api freq out of "
                                              "limit\"}",
                       NULL),
              SLA_DELIVERY_RETRY_AFTER);
    /* A string errcode or none at all is not success. */
    CHECK_INT(classify(SLA_FORMAT_WECOM, 200, "{\"errcode\":\"0\"}", NULL), SLA_DELIVERY_FAILED);
    CHECK_INT(classify(SLA_FORMAT_WECOM, 200, "{}", NULL), SLA_DELIVERY_FAILED);
    CHECK_INT(classify(SLA_FORMAT_WECOM, 200, NULL, NULL), SLA_DELIVERY_FAILED);
    /* A body's message is cleaned for logs: no control characters, bounded. */
    CHECK_INT(classify(SLA_FORMAT_WECOM, 200, "{\"errcode\":1,\"errmsg\":\"a\\nb\\u0001c\"}",
                       NULL),
              SLA_DELIVERY_FAILED);
    CHECK_STR(res.reason, "HTTP 200: errcode 1: a bc");
}

static void test_retry_after(void)
{
    int64_t d = -1;
    CHECK_INT(sla_retry_after_parse("120", NOW, &d), 0);
    CHECK_INT(d, 120000);
    CHECK_INT(sla_retry_after_parse(" 0 ", NOW, &d), 0);
    CHECK_INT(d, 0);
    CHECK_INT(sla_retry_after_parse("99999999999999999999", NOW, &d), 0);
    CHECK_INT(d, 30LL * 24 * 3600 * 1000); /* clamped, never overflows */
    CHECK_INT(sla_retry_after_parse("Wed, 21 Oct 2015 07:29:00 GMT", NOW, &d), 0);
    CHECK_INT(d, 60000);
    CHECK_INT(sla_retry_after_parse("Wednesday, 21-Oct-15 07:29:00 GMT", NOW, &d), 0);
    CHECK_INT(d, 60000);
    CHECK_INT(sla_retry_after_parse("Wed Oct 21 07:29:00 2015", NOW, &d), 0);
    CHECK_INT(d, 60000);
    CHECK_INT(sla_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", NOW, &d), 0);
    CHECK_INT(d, 0); /* in the past: now */
    /* date -u -d 2024-02-29 +%s = 1709164800 */
    CHECK_INT(sla_retry_after_parse("Thu, 29 Feb 2024 00:00:00 GMT", 1709164800000LL - 5000, &d), 0);
    CHECK_INT(d, 5000);
    CHECK_INT(sla_retry_after_parse("-5", NOW, &d), -1);
    CHECK_INT(sla_retry_after_parse("1.5", NOW, &d), -1);
    CHECK_INT(sla_retry_after_parse("", NOW, &d), -1);
    CHECK_INT(sla_retry_after_parse(NULL, NOW, &d), -1);
    CHECK_INT(sla_retry_after_parse("Wed, 21 Foo 2015 07:29:00 GMT", NOW, &d), -1);
    CHECK_INT(sla_retry_after_parse("Wed, 21 Oct 2015 25:29:00 GMT", NOW, &d), -1);
    CHECK_INT(sla_retry_after_parse("Wed, 21 Oct 2015 07:29:00 GMT trailing", NOW, &d), -1);
    CHECK_STR(sla_delivery_verdict_name(SLA_DELIVERY_RETRY_AFTER), "retry_after");
    CHECK_STR(sla_delivery_verdict_name(9), "unknown");
}

int main(void)
{
    test_status_codes();
    test_machine_formats();
    test_slack();
    test_feishu();
    test_dingtalk_wecom();
    test_retry_after();
    return CHECK_DONE();
}
