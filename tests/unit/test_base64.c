/*
 * test_base64 — RFC 4648 test vectors both ways, and the strictness rules.
 */
#include <string.h>

#include "check.h"
#include "sla_base64.h"

static void test_rfc4648_vectors(void)
{
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                                      "Zm9vYmFy"};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        char out[16];
        unsigned char dec[16];
        CHECK_INT(sla_base64_encode(plain[i], strlen(plain[i]), out, sizeof(out)),
                  (int)strlen(enc[i]));
        CHECK_STR(out, enc[i]);
        int n = sla_base64_decode(enc[i], strlen(enc[i]), dec, sizeof(dec));
        CHECK_INT(n, (int)strlen(plain[i]));
        CHECK(n >= 0 && memcmp(dec, plain[i], (size_t)n) == 0);
    }
}

static void test_unpadded_and_binary(void)
{
    unsigned char dec[8];
    CHECK_INT(sla_base64_decode("Zm9vYg", 6, dec, sizeof(dec)), 4);
    CHECK(memcmp(dec, "foob", 4) == 0);

    const unsigned char bin[] = {0xFB, 0xFF, 0x00, 0x3E};
    char out[16];
    CHECK_INT(sla_base64_encode(bin, sizeof(bin), out, sizeof(out)), 8);
    CHECK_STR(out, "+/8APg==");
    CHECK_INT(sla_base64_decode(out, 8, dec, sizeof(dec)), 4);
    CHECK(memcmp(dec, bin, 4) == 0);
}

static void test_rejects(void)
{
    unsigned char dec[16];
    char out[16];
    CHECK_INT(sla_base64_decode("Zm9v!", 5, dec, sizeof(dec)), -1);  /* bad character */
    CHECK_INT(sla_base64_decode("Z", 1, dec, sizeof(dec)), -1);      /* lone character */
    CHECK_INT(sla_base64_decode("Zm 9v", 5, dec, sizeof(dec)), -1);  /* whitespace */
    CHECK_INT(sla_base64_decode("Zh==", 4, dec, sizeof(dec)), -1);   /* non-zero spare bits */
    CHECK_INT(sla_base64_decode("Z===", 4, dec, sizeof(dec)), -1);   /* too much padding */
    CHECK_INT(sla_base64_decode("Zm=v", 4, dec, sizeof(dec)), -1);   /* padding inside */
    CHECK_INT(sla_base64_decode("Zm9v", 4, dec, 2), -2);             /* output too small */
    CHECK_INT(sla_base64_encode("foobar", 6, out, 8), -1);           /* needs 9 bytes */
    CHECK_INT(sla_base64_encode("foobar", 6, out, 9), 8);
    CHECK_INT(SLA_BASE64_ENCODED_SIZE(32), 45);
}

int main(void)
{
    test_rfc4648_vectors();
    test_unpadded_and_binary();
    test_rejects();
    return CHECK_DONE();
}
