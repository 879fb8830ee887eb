/*
 * test_ctlproto — control protocol frames: round trips, incremental
 * decoding byte by byte, and every malformed input refused with a reason.
 */
#include "check.h"

#include <stdlib.h>

#include "sla_ctlproto.h"

/* A frame with header length n (whatever the payload really is). */
static unsigned char *frame_of(uint32_t n, const char *payload, size_t plen, size_t *len)
{
    unsigned char *f = malloc(4 + plen + 1);
    f[0] = (unsigned char)(n >> 24);
    f[1] = (unsigned char)(n >> 16);
    f[2] = (unsigned char)(n >> 8);
    f[3] = (unsigned char)n;
    memcpy(f + 4, payload, plen);
    *len = 4 + plen;
    return f;
}

/* Decode a frame whose header states the payload's true length. */
static int decode_text(const char *payload, enum sla_ctl_kind kind, char *err, size_t errlen)
{
    size_t len;
    unsigned char *f = frame_of((uint32_t)strlen(payload), payload, strlen(payload), &len);
    json_t *msg = NULL;
    int rc = sla_ctl_decode(f, len, kind, &msg, err, errlen);
    CHECK((rc == SLA_CTL_MESSAGE) == (msg != NULL));
    json_decref(msg);
    free(f);
    return rc;
}

static int printable(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

static void expect_malformed(const char *payload, enum sla_ctl_kind kind, const char *why)
{
    char err[256] = "";
    int rc = decode_text(payload, kind, err, sizeof err);
    CHECK_INT(rc, SLA_CTL_MALFORMED);
    if (strstr(err, why) == NULL)
        fprintf(stderr, "payload %s: reason \"%s\" lacks \"%s\"\n", payload, err, why);
    CHECK(strstr(err, why) != NULL);
    CHECK(printable(err));
}

static void test_request_round_trip(void)
{
    json_t *req = sla_ctl_request_new("ack", json_pack("{s:s, s:s}", "ticket", "T-1", "metric",
                                                       "first_response"));
    unsigned char *f;
    size_t len;
    char err[256];
    CHECK_INT(sla_ctl_encode(req, SLA_CTL_REQUEST, &f, &len, err, sizeof err), 0);
    CHECK((size_t)(f[0] << 24 | f[1] << 16 | f[2] << 8 | f[3]) == len - 4);

    /* Byte by byte: "need more" until the last byte, then the message. */
    json_t *msg = NULL;
    for (size_t i = 0; i < len; i++)
        CHECK_INT(sla_ctl_decode(f, i, SLA_CTL_REQUEST, &msg, err, sizeof err), SLA_CTL_NEED_MORE);
    CHECK_INT(sla_ctl_decode(f, len, SLA_CTL_REQUEST, &msg, err, sizeof err), SLA_CTL_MESSAGE);
    CHECK(json_equal(msg, req));
    CHECK_STR(sla_ctl_request_cmd(msg), "ack");
    CHECK_STR(json_string_value(json_object_get(sla_ctl_request_args(msg), "ticket")), "T-1");
    json_decref(msg);
    free(f);
    json_decref(req);

    /* Without args. */
    req = sla_ctl_request_new("status", NULL);
    CHECK_INT(sla_ctl_encode(req, SLA_CTL_REQUEST, &f, &len, err, sizeof err), 0);
    CHECK_INT(sla_ctl_decode(f, len, SLA_CTL_REQUEST, &msg, err, sizeof err), SLA_CTL_MESSAGE);
    CHECK(sla_ctl_request_args(msg) == NULL);
    json_decref(msg);
    free(f);
    json_decref(req);
}

static void test_response_round_trip(void)
{
    unsigned char *f;
    size_t len;
    char err[256];
    json_t *msg;
    json_t *ok = sla_ctl_response_ok(json_pack("{s:i, s:[s]}", "open", 3, "list", "\xe5\xb7\xa5"));
    CHECK_INT(sla_ctl_encode(ok, SLA_CTL_RESPONSE, &f, &len, err, sizeof err), 0);
    CHECK_INT(sla_ctl_decode(f, len, SLA_CTL_RESPONSE, &msg, err, sizeof err), SLA_CTL_MESSAGE);
    CHECK(sla_ctl_response_is_ok(msg));
    CHECK_INT(json_integer_value(json_object_get(sla_ctl_response_data(msg), "open")), 3);
    json_decref(msg);
    free(f);
    json_decref(ok);

    json_t *no = sla_ctl_response_error("unknown ticket '%s'", "T-9");
    CHECK_INT(sla_ctl_encode(no, SLA_CTL_RESPONSE, &f, &len, err, sizeof err), 0);
    CHECK_INT(sla_ctl_decode(f, len, SLA_CTL_RESPONSE, &msg, err, sizeof err), SLA_CTL_MESSAGE);
    CHECK(!sla_ctl_response_is_ok(msg));
    CHECK_STR(sla_ctl_response_error_text(msg), "unknown ticket 'T-9'");
    json_decref(msg);
    free(f);
    json_decref(no);

    /* ok without data reads as null data. */
    msg = sla_ctl_response_ok(NULL);
    CHECK(json_is_null(sla_ctl_response_data(msg)));
    json_decref(msg);
}

static void test_limits(void)
{
    char err[256];
    json_t *msg = NULL;
    size_t len;

    /* Zero length and lengths over the limit are refused from the header alone. */
    unsigned char *f = frame_of(0, "", 0, &len);
    CHECK_INT(sla_ctl_decode(f, len, SLA_CTL_REQUEST, &msg, err, sizeof err), SLA_CTL_MALFORMED);
    CHECK(strstr(err, "empty") != NULL);
    free(f);
    f = frame_of(SLA_CTL_MAX_REQUEST + 1, "", 0, &len);
    CHECK_INT(sla_ctl_decode(f, len, SLA_CTL_REQUEST, &msg, err, sizeof err), SLA_CTL_MALFORMED);
    CHECK(strstr(err, "over the limit") != NULL);
    /* ... though a response may be that long. */
    CHECK_INT(sla_ctl_decode(f, len, SLA_CTL_RESPONSE, &msg, err, sizeof err), SLA_CTL_NEED_MORE);
    free(f);
    f = frame_of(SLA_CTL_MAX_RESPONSE + 1, "", 0, &len);
    CHECK_INT(sla_ctl_decode(f, len, SLA_CTL_RESPONSE, &msg, err, sizeof err), SLA_CTL_MALFORMED);
    free(f);
    f = frame_of(0xffffffffu, "", 0, &len);
    CHECK_INT(sla_ctl_decode(f, len, SLA_CTL_RESPONSE, &msg, err, sizeof err), SLA_CTL_MALFORMED);
    free(f);

    /* Exactly at the limit is accepted. */
    size_t n = SLA_CTL_MAX_REQUEST;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    memcpy(big, "{\"v\":1,\"cmd\":\"status\"}", 22);
    f = frame_of((uint32_t)n, big, n, &len);
    CHECK_INT(sla_ctl_decode(f, len, SLA_CTL_REQUEST, &msg, err, sizeof err), SLA_CTL_MESSAGE);
    json_decref(msg);
    free(f);
    free(big);

    /* Encoding refuses what the peer would refuse. */
    json_t *args = json_object();
    json_object_set_new(args, "pad", json_string_nocheck(""));
    char *pad = malloc(SLA_CTL_MAX_REQUEST + 1);
    memset(pad, 'x', SLA_CTL_MAX_REQUEST);
    pad[SLA_CTL_MAX_REQUEST] = '\0';
    json_object_set_new(args, "pad", json_string(pad));
    json_t *req = sla_ctl_request_new("status", args);
    unsigned char *out;
    size_t out_len;
    CHECK_INT(sla_ctl_encode(req, SLA_CTL_REQUEST, &out, &out_len, err, sizeof err), -1);
    CHECK(out == NULL);
    CHECK(strstr(err, "over the limit") != NULL);
    CHECK_INT(sla_ctl_encode(req, SLA_CTL_RESPONSE, &out, &out_len, err, sizeof err), 0);
    free(out);
    json_decref(req);
    free(pad);
    CHECK_INT(sla_ctl_encode(json_null(), SLA_CTL_REQUEST, &out, &out_len, err, sizeof err), -1);
}

static void test_truncated_and_trailing(void)
{
    char err[256];
    json_t *msg = NULL;
    json_t *req = sla_ctl_request_new("status", NULL);
    unsigned char *f;
    size_t len;
    sla_ctl_encode(req, SLA_CTL_REQUEST, &f, &len, err, sizeof err);
    json_decref(req);

    /* Truncated: every prefix is "need more", never a message. */
    for (size_t i = 0; i < len; i++) {
        CHECK_INT(sla_ctl_decode(f, i, SLA_CTL_REQUEST, &msg, err, sizeof err), SLA_CTL_NEED_MORE);
        CHECK(msg == NULL);
    }
    /* Trailing bytes, even a second whole request, are malformed. */
    unsigned char *two = malloc(2 * len);
    memcpy(two, f, len);
    memcpy(two + len, f, len);
    CHECK_INT(sla_ctl_decode(two, len + 1, SLA_CTL_REQUEST, &msg, err, sizeof err),
              SLA_CTL_MALFORMED);
    CHECK(strstr(err, "after the message") != NULL);
    CHECK_INT(sla_ctl_decode(two, 2 * len, SLA_CTL_REQUEST, &msg, err, sizeof err),
              SLA_CTL_MALFORMED);
    CHECK(msg == NULL);
    free(two);
    free(f);

    /* Trailing garbage inside the frame, after the JSON value. */
    expect_malformed("{\"v\":1,\"cmd\":\"status\"} x", SLA_CTL_REQUEST, "bad JSON");
    expect_malformed("{\"v\":1,\"cmd\":\"status\"}{}", SLA_CTL_REQUEST, "bad JSON");
    /* Whitespace after the value is fine. */
    CHECK_INT(decode_text("{\"v\":1,\"cmd\":\"status\"}\n ", SLA_CTL_REQUEST, err, sizeof err),
              SLA_CTL_MESSAGE);
}

static void test_malformed_messages(void)
{
    expect_malformed("{\"v\":1,\"cmd\":\"sta", SLA_CTL_REQUEST, "bad JSON");
    expect_malformed("\xff\xfe garbage", SLA_CTL_REQUEST, "bad JSON");
    expect_malformed("{\"v\":1,\"cmd\":\"a\",\"cmd\":\"b\"}", SLA_CTL_REQUEST, "bad JSON");
    expect_malformed("[1,2]", SLA_CTL_REQUEST, "not a JSON object");
    expect_malformed("\"status\"", SLA_CTL_REQUEST, "not a JSON object");
    expect_malformed("{\"cmd\":\"status\"}", SLA_CTL_REQUEST, "missing protocol version");
    expect_malformed("{\"v\":2,\"cmd\":\"status\"}", SLA_CTL_REQUEST,
                     "unsupported protocol version");
    expect_malformed("{\"v\":\"1\",\"cmd\":\"status\"}", SLA_CTL_REQUEST,
                     "unsupported protocol version");
    expect_malformed("{\"v\":1.0,\"cmd\":\"status\"}", SLA_CTL_REQUEST,
                     "unsupported protocol version");
    expect_malformed("{\"v\":1}", SLA_CTL_REQUEST, "\"cmd\" is missing");
    expect_malformed("{\"v\":1,\"cmd\":7}", SLA_CTL_REQUEST, "\"cmd\" is missing");
    expect_malformed("{\"v\":1,\"cmd\":null}", SLA_CTL_REQUEST, "\"cmd\" is missing");
    expect_malformed("{\"v\":1,\"cmd\":\"\"}", SLA_CTL_REQUEST, "\"cmd\" is missing");
    expect_malformed("{\"v\":1,\"cmd\":\"a\\u0000b\"}", SLA_CTL_REQUEST, "bad JSON");
    expect_malformed("{\"v\":1,\"cmd\":\"due\",\"args\":[]}", SLA_CTL_REQUEST, "\"args\"");
    expect_malformed("{\"v\":1}", SLA_CTL_RESPONSE, "\"ok\" is missing");
    expect_malformed("{\"v\":1,\"ok\":1}", SLA_CTL_RESPONSE, "\"ok\" is missing");
    expect_malformed("{\"v\":1,\"ok\":false}", SLA_CTL_RESPONSE, "without a string \"error\"");
    expect_malformed("{\"v\":1,\"ok\":false,\"error\":3}", SLA_CTL_RESPONSE, "\"error\"");
    expect_malformed("{\"v\":3,\"ok\":true}", SLA_CTL_RESPONSE, "unsupported protocol version");

    /* A reason never carries control characters from the input. */
    char err[256];
    CHECK_INT(decode_text("{\"v\":1,\n\x01\x02\"cmd\":1}", SLA_CTL_REQUEST, err, sizeof err),
              SLA_CTL_MALFORMED);
    CHECK(printable(err));
    /* No reason buffer, or a tiny one, is fine. */
    CHECK_INT(decode_text("[]", SLA_CTL_REQUEST, NULL, 0), SLA_CTL_MALFORMED);
    char tiny[4];
    CHECK_INT(decode_text("[]", SLA_CTL_REQUEST, tiny, sizeof tiny), SLA_CTL_MALFORMED);
    CHECK_INT((long long)strlen(tiny), 3);
}

/* A refusal quoting a long Chinese argument is still a valid message. */
static void test_error_text_cut_on_characters(void)
{
    char arg[2048] = "";
    for (int i = 0; i < 400; i++)
        strcat(arg, "\xE5\xB7\xA5"); /* 工, 1200 bytes in all */
    json_t *no = sla_ctl_response_error("unknown ticket '%s'", arg);
    CHECK(no != NULL);
    const char *text = sla_ctl_response_error_text(no);
    size_t len = strlen(text);
    CHECK(len <= 1023 && len > 1000);
    CHECK(len >= 3 && strcmp(text + len - 3, "\xE2\x80\xA6") == 0); /* ends in "…" */
    CHECK(strncmp(text, "unknown ticket '\xE5\xB7\xA5", 19) == 0);
    unsigned char *frame;
    size_t flen;
    char err[128];
    CHECK_INT(sla_ctl_encode(no, SLA_CTL_RESPONSE, &frame, &flen, err, sizeof err), 0);
    free(frame);
    json_decref(no);

    /* Broken UTF-8 in an argument: '?' instead of a refusal nobody can send. */
    no = sla_ctl_response_error("unknown command '%s'", "st\xE5\xB7");
    CHECK(no != NULL);
    CHECK_STR(sla_ctl_response_error_text(no), "unknown command 'st?" "?'");
    json_decref(no);
}

static void test_check_by(void)
{
    char err[128], name[SLA_CTL_BY_MAX + 2];
    CHECK_INT(sla_ctl_check_by("alice", 5, err, sizeof err), 0);
    CHECK_INT(sla_ctl_check_by("\xE5\xBC\xA0\xE4\xB8\x89", 6, err, sizeof err), 0); /* 张三 */
    CHECK_INT(sla_ctl_check_by("", 0, err, sizeof err), -1);
    CHECK_INT(sla_ctl_check_by("a\nb", 3, err, sizeof err), -1);
    CHECK(strstr(err, "control character") != NULL);
    CHECK_INT(sla_ctl_check_by("a\x1b[2J", 5, err, sizeof err), -1);
    CHECK_INT(sla_ctl_check_by("a\x7f", 2, err, sizeof err), -1);
    CHECK_INT(sla_ctl_check_by("a\xC2\x9B", 3, err, sizeof err), -1); /* C1 CSI */
    CHECK_INT(sla_ctl_check_by("a\0b", 3, err, sizeof err), -1);
    CHECK_INT(sla_ctl_check_by("a\xFF", 2, err, sizeof err), -1);
    memset(name, 'x', sizeof name);
    CHECK_INT(sla_ctl_check_by(name, SLA_CTL_BY_MAX, err, sizeof err), 0);
    CHECK_INT(sla_ctl_check_by(name, SLA_CTL_BY_MAX + 1, err, sizeof err), -1);
    CHECK(strstr(err, "128 bytes") != NULL);
}

int main(void)
{
    test_error_text_cut_on_characters();
    test_check_by();
    test_request_round_trip();
    test_response_round_trip();
    test_limits();
    test_truncated_and_trailing();
    test_malformed_messages();
    return CHECK_DONE();
}
