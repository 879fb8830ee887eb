/*
 * test_webhook_sign — each platform's signing recipe against a known
 * vector.
 *
 * Standard Webhooks: the example of the specification (secret, msg id,
 * timestamp and body as published, with its published signature).
 * DingTalk and Feishu: fixed inputs whose expected values were computed
 * independently with
 *   printf '1795635848123\nSEC0123456789abcdef' |
 *     openssl dgst -sha256 -hmac 'SEC0123456789abcdef' -binary | base64
 *   printf '' | openssl dgst -sha256 -hmac "$(printf '1795635848\nfeishu-secret')" \
 *     -binary | base64
 */
#include <string.h>

#include "check.h"
#include "sla_webhook_sign.h"

static void test_standard_webhooks_spec_example(void)
{
    const char *body = "{\"test\": 2432232314}";
    char sig[SLA_SIGN_SIZE];
    CHECK_INT(sla_sign_standard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body),
                                sig),
              0);
    CHECK_STR(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

    /* The bare base64 part is the same secret. */
    CHECK_INT(sla_sign_standard("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                1614265330, body, strlen(body), sig),
              0);
    CHECK_STR(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

    /* Any change of id, timestamp or body changes the signature. */
    CHECK_INT(sla_sign_standard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body, strlen(body),
                                sig),
              0);
    CHECK(strcmp(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") != 0);
}

static void test_standard_webhooks_bad_secret(void)
{
    char sig[SLA_SIGN_SIZE];
    CHECK_INT(sla_sign_standard("whsec_not base64!", "m", 1, "{}", 2, sig), -1);
    CHECK_INT(sla_sign_standard("whsec_", "m", 1, "{}", 2, sig), -1);
    CHECK_INT(sla_sign_standard(NULL, "m", 1, "{}", 2, sig), -1);
    CHECK_INT(sla_sign_standard_check("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), 0);
    CHECK_INT(sla_sign_standard_check("whsec_%%%"), -1);
}

static void test_dingtalk(void)
{
    char sig[SLA_SIGN_SIZE];
    CHECK_INT(sla_sign_dingtalk("SEC0123456789abcdef", 1795635848123LL, sig), 0);
    CHECK_STR(sig, "wrWYm3V7D4Nnsmf2PzjMV6qU7j0cpzo0Qj5QXjlnr2o=");
    CHECK_INT(sla_sign_dingtalk(NULL, 1, sig), -1);
}

static void test_feishu(void)
{
    char sig[SLA_SIGN_SIZE];
    CHECK_INT(sla_sign_feishu("feishu-secret", 1795635848LL, sig), 0);
    CHECK_STR(sig, "h4cEHiFgBLiWOAVjMtthYCSWx9Geag24kIZ4gci7Q2k=");
    CHECK_INT(sla_sign_feishu(NULL, 1, sig), -1);
}

int main(void)
{
    test_standard_webhooks_spec_example();
    test_standard_webhooks_bad_secret();
    test_dingtalk();
    test_feishu();
    return CHECK_DONE();
}
