/*
 * test_varint — the varints and zigzag codes of the stored formats
 * (lib/sla_varint.h): known bytes, round trips at the edges, and input
 * that ends too soon or runs past 64 bits.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "sla_varint.h"

static void test_known_bytes(void)
{
    unsigned char buf[16];
    unsigned char *e = sla_varint_put(buf, 300);
    CHECK_INT(e - buf, 2);
    CHECK_INT(buf[0], 0xac);
    CHECK_INT(buf[1], 0x02);
    CHECK_INT(sla_varint_len(0), 1);
    CHECK_INT(sla_varint_len(127), 1);
    CHECK_INT(sla_varint_len(128), 2);
    CHECK_INT(sla_varint_len(UINT64_MAX), 10);
}

static void test_round_trip(void)
{
    static const uint64_t vals[] = {0, 1, 127, 128, 16383, 16384, UINT32_MAX,
                                    (UINT64_C(1) << 48) - 1, UINT64_MAX - 1, UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        unsigned char buf[16];
        unsigned char *e = sla_varint_put(buf, vals[i]);
        CHECK_INT((size_t)(e - buf), sla_varint_len(vals[i]));
        const unsigned char *p = buf;
        uint64_t got = 0;
        CHECK_INT(sla_varint_get(&p, e, &got), 0);
        CHECK(got == vals[i]);
        CHECK(p == e);
    }
}

static void test_bad_input(void)
{
    /* Ends inside a varint. */
    unsigned char cut[] = {0x80, 0x80};
    const unsigned char *p = cut;
    uint64_t got = 7;
    CHECK_INT(sla_varint_get(&p, cut + sizeof cut, &got), -1);
    CHECK(got == 7);
    /* Nothing at all. */
    p = cut;
    CHECK_INT(sla_varint_get(&p, cut, &got), -1);
    /* Ten continuation bytes: past 64 bits. */
    unsigned char longer[11];
    memset(longer, 0x80, sizeof longer);
    p = longer;
    CHECK_INT(sla_varint_get(&p, longer + sizeof longer, &got), -1);
}

static void test_zigzag(void)
{
    CHECK(sla_zigzag(0) == 0);
    CHECK(sla_zigzag(-1) == 1);
    CHECK(sla_zigzag(1) == 2);
    CHECK(sla_zigzag(-2) == 3);
    CHECK(sla_zigzag(INT64_MAX) == UINT64_MAX - 1);
    CHECK(sla_zigzag(INT64_MIN) == UINT64_MAX);
    static const int64_t vals[] = {0, 1, -1, 63, -64, 1000000, -1000000, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        CHECK(sla_unzigzag(sla_zigzag(vals[i])) == vals[i]);
}

int main(void)
{
    test_known_bytes();
    test_round_trip();
    test_bad_input();
    test_zigzag();
    return CHECK_DONE();
}
