/*
 * sla_webhook_sign — the signing recipes of the webhook platforms. See
 * sla_webhook_sign.h for the recipes themselves.
 *
 * The HMAC is OpenSSL's one-shot HMAC(), which is not deprecated in 3.0
 * (the HMAC_CTX family is). The messages are short and bounded except the
 * Standard Webhooks body, which is fed through an EVP_MAC context in three
 * pieces so that it is never copied.
 */
#include "sla_webhook_sign.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sla_base64.h"

#define MAC_LEN 32

static int encode_mac(const unsigned char mac[MAC_LEN], const char *prefix, char *out)
{
    size_t plen = strlen(prefix);
    memcpy(out, prefix, plen);
    return sla_base64_encode(mac, MAC_LEN, out + plen, SLA_SIGN_SIZE - plen) < 0 ? -1 : 0;
}

static int hmac_once(const void *key, size_t key_len, const void *msg, size_t msg_len,
                     unsigned char mac[MAC_LEN])
{
    unsigned int n = 0;
    /* HMAC() with a NULL key pointer would mean "no key"; an empty one is fine. */
    static const unsigned char empty;
    if (!HMAC(EVP_sha256(), key_len ? key : &empty, (int)key_len, msg_len ? msg : &empty,
              msg_len, mac, &n) ||
        n != MAC_LEN)
        return -1;
    return 0;
}

/* The key of a Standard Webhooks secret; returns its length or -1. */
static int standard_key(const char *secret, unsigned char key[SLA_SIGN_MAX_KEY])
{
    if (!secret)
        return -1;
    if (strncmp(secret, "whsec_", 6) == 0)
        secret += 6;
    size_t len = strlen(secret);
    if (len == 0)
        return -1;
    int n = sla_base64_decode(secret, len, key, SLA_SIGN_MAX_KEY);
    return n > 0 ? n : -1;
}

int sla_sign_standard_check(const char *secret)
{
    unsigned char key[SLA_SIGN_MAX_KEY];
    int n = standard_key(secret, key);
    OPENSSL_cleanse(key, sizeof(key));
    return n < 0 ? -1 : 0;
}

int sla_sign_standard(const char *secret, const char *msg_id, int64_t ts_s, const char *body,
                      size_t body_len, char *out)
{
    unsigned char key[SLA_SIGN_MAX_KEY], mac[MAC_LEN];
    char ts[24];
    int rc = -1;
    int key_len = standard_key(secret, key);
    if (key_len < 0)
        return -1;
    int tl = snprintf(ts, sizeof(ts), ".%" PRId64 ".", ts_s);

    EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = alg ? EVP_MAC_CTX_new(alg) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    size_t n = 0;
    if (ctx && EVP_MAC_init(ctx, key, (size_t)key_len, params) &&
        EVP_MAC_update(ctx, (const unsigned char *)msg_id, strlen(msg_id)) &&
        EVP_MAC_update(ctx, (const unsigned char *)ts, (size_t)tl) &&
        (body_len == 0 || EVP_MAC_update(ctx, (const unsigned char *)body, body_len)) &&
        EVP_MAC_final(ctx, mac, &n, sizeof(mac)) && n == MAC_LEN)
        rc = encode_mac(mac, "v1,", out);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(alg);
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

int sla_sign_plain_check(const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    return n == 0 || n > SLA_SIGN_MAX_PLAIN ? -1 : 0;
}

/* "<ts>\n<secret>" into buf; returns its length or -1 when it does not fit. */
static int ts_and_secret(char *buf, size_t len, int64_t ts, const char *secret)
{
    if (!secret)
        return -1;
    int n = snprintf(buf, len, "%" PRId64 "\n%s", ts, secret);
    return n < 0 || (size_t)n >= len ? -1 : n;
}

/* The message buffers hold "<int64>\n<secret>" for every usable secret. */
_Static_assert(20 + 1 + SLA_SIGN_MAX_PLAIN + 1 <= 512, "SLA_SIGN_MAX_PLAIN too large");

int sla_sign_dingtalk(const char *secret, int64_t ts_ms, char *out)
{
    char msg[512];
    unsigned char mac[MAC_LEN];
    int n = ts_and_secret(msg, sizeof(msg), ts_ms, secret);
    int rc = n < 0 || hmac_once(secret, strlen(secret), msg, (size_t)n, mac) < 0
                 ? -1
                 : encode_mac(mac, "", out);
    OPENSSL_cleanse(msg, sizeof(msg));
    return rc;
}

int sla_sign_feishu(const char *secret, int64_t ts_s, char *out)
{
    char key[512];
    unsigned char mac[MAC_LEN];
    int n = ts_and_secret(key, sizeof(key), ts_s, secret);
    int rc = n < 0 || hmac_once(key, (size_t)n, "", 0, mac) < 0 ? -1 : encode_mac(mac, "", out);
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}
