/*
 * test_attrpack — compact attribute storage converts exactly both ways and
 * refuses malformed stored bytes; merging straight into the compact form
 * (sla_attrpack_merge, sla_attrpack_merge_unchanged) gives byte for byte
 * what expanding, sla_attrs_merge and packing give, on random inputs.
 */
#include "attrpack_gen.h"
#include "check.h"

#include <stdlib.h>

#include "sla_attrpack.h"
#include "sla_attrs.h"

#define TEST_RNG_SEED 0x2545f4914f6cdd1dull
#include "test_rng.h"

static char long_key[300], big_value[9000];

static const char *random_key(void)
{
    static const char *const keys[] = {
        "channel", "priority", "category", "tier", "group", "assignee", "customer", "subject",
        "url", "amount", "level", "vip", "x", "chan", "channelx", "Channel", "url.", "risk",
        "owner", "contract_end", "satisfaction", "owners",
    };
    if (rnd(40) == 0)
        return long_key; /* sla_attrs_merge never adds a key this long */
    return keys[rnd(sizeof keys / sizeof keys[0])];
}

static const char *random_value(void)
{
    static const char *const values[] = {"chat", "email", "high", "1", "1000", "ann", "bob",
                                         "\xe6\x98\xaf", "a b", "chat "};
    if (rnd(60) == 0)
        return big_value; /* two of these exceed SLA_ATTRS_MAX */
    return values[rnd(sizeof values / sizeof values[0])];
}

/* Random compact attributes: keys twice, empty values and spelled-out
 * well-known keys now and then (stored records may hold any of them), and
 * rarely more than SLA_ATTRS_MAX plain bytes (never stored: a merge must
 * shrink them to be accepted). */
static size_t random_packed(char *out)
{
    size_t n = rnd(4) ? rnd(7) : 0, len = 0, plain = 0;
    size_t limit = rnd(8) ? SLA_ATTRS_MAX : SLA_ATTRS_MAX + sizeof big_value;
    for (size_t i = 0; i < n; i++) {
        const char *k = random_key(), *v = rnd(15) ? random_value() : "";
        if (plain + strlen(k) + strlen(v) + 2 > limit)
            continue;
        plain += strlen(k) + strlen(v) + 2;
        len = attrpack_put_pair(out, len, k, v, rnd(10) == 0);
    }
    return len;
}

/* Random event fields: often the ticket's own pairs again (no change),
 * else new keys, new values, removals ("") and keys twice. */
static size_t random_fields(sla_field *f, const char *packed, size_t len)
{
    size_t n = 0;
    if (rnd(3) == 0) {
        /* Repeat some of what the ticket has, unchanged. */
        static char plain[2 * SLA_ATTRS_MAX];
        size_t plen = sla_attrpack_plain_size(packed, len);
        sla_attrpack_expand(packed, len, plain);
        size_t pos = 0;
        const char *k, *v;
        while (n < 8 && sla_attrs_next(plain, plen, &pos, &k, &v))
            if (rnd(3))
                f[n++] = (sla_field){k, strlen(k), v, strlen(v)};
        /* Removing a key the ticket lacks changes nothing either. */
        if (rnd(4) == 0)
            f[n++] = (sla_field){"nokey", 5, "", 0};
        if (rnd(3))
            return n;
    }
    size_t more = rnd(6);
    for (size_t i = 0; i < more; i++) {
        const char *k = random_key(), *v = rnd(6) ? random_value() : "";
        f[n++] = (sla_field){k, strlen(k), v, strlen(v)};
    }
    return n;
}

/* The slow path: expand, sla_attrs_merge, pack. -1 when refused. */
static int slow_merge(const char *packed, size_t len, const sla_field *f, size_t n, char *out,
                      size_t *out_len)
{
    size_t plen = sla_attrpack_plain_size(packed, len);
    char *plain = malloc(plen + 1);
    sla_attrpack_expand(packed, len, plain);
    if (sla_attrs_merge(&plain, &plen, f, n) < 0) {
        free(plain);
        return -1;
    }
    *out_len = sla_attrpack_size(plain, plen);
    sla_attrpack_pack(plain, plen, out);
    free(plain);
    return 0;
}

static void test_merge_random(void)
{
    memset(long_key, 'k', sizeof long_key - 1);
    memset(big_value, 'v', sizeof big_value - 1);
    static char packed[2 * SLA_ATTRPACK_MAX], slow[SLA_ATTRPACK_MAX], fast[SLA_ATTRPACK_MAX];
    static sla_field f[SLA_EVENT_MAX_FIELDS + 64];
    int unchanged = 0, changed = 0, refused = 0, opened = 0, failures = 0;
    for (int r = 0; r < 200000; r++) {
        size_t len = random_packed(packed);
        size_t n = random_fields(f, packed, len);
        if (r % 500 == 0) /* more fields than an event holds: not examined by unchanged */
            while (n < SLA_EVENT_MAX_FIELDS + 20)
                n += random_fields(f + n, packed, len);
        size_t slen = 0, flen = 0;
        int src = slow_merge(packed, len, f, n, slow, &slen);
        int frc = sla_attrpack_merge(packed, len, f, n, fast, sizeof fast, &flen);
        int same = src == 0 && slen == len && memcmp(slow, packed, len) == 0;
        int unch = sla_attrpack_merge_unchanged(packed, len, f, n);
        int ok = frc == src && (src < 0 || (flen == slen && memcmp(fast, slow, slen) == 0)) &&
                 (unch == same || (n > SLA_EVENT_MAX_FIELDS && !unch));
        if (!ok && failures++ < 5)
            fprintf(stderr, "merge differs: round %d slow %d/%zu fast %d/%zu unchanged %d/%d\n",
                    r, src, slen, frc, flen, unch, same);
        CHECK(ok);
        unchanged += same;
        changed += src == 0 && !same;
        refused += src < 0;
        opened += len == 0 && src == 0 && slen > 0;
    }
    /* Every kind of case occurred often enough to mean something. */
    CHECK(unchanged > 10000);
    CHECK(changed > 10000);
    CHECK(refused > 100);
    CHECK(opened > 1000);
}

static void test_merge_cases(void)
{
    char out[64];
    size_t olen = 0;
    /* Opening: fields straight into the compact form. */
    sla_field open[] = {{"channel", 7, "chat", 4}, {"vip", 3, "1", 1}, {"tier", 4, "", 0}};
    CHECK_INT(sla_attrpack_merge("", 0, open, 3, out, sizeof out, &olen), 0);
    CHECK_INT(olen, 6 + 7);
    CHECK(memcmp(out, "\x01" "chat\0" "\0vip\0" "1\0", olen) == 0);
    CHECK(!sla_attrpack_merge_unchanged("", 0, open, 3));
    CHECK(sla_attrpack_merge_unchanged("", 0, open + 2, 1)); /* removing nothing */
    CHECK(sla_attrpack_merge_unchanged(out, olen, open, 2));
    CHECK(sla_attrpack_merge_unchanged(out, olen, open + 1, 1));
    CHECK(sla_attrpack_merge_unchanged(out, olen, NULL, 0));
    /* A spelled-out well-known key comes out coded: a change. */
    static const char spelled[] = "\0channel\0chat\0";
    CHECK(!sla_attrpack_merge_unchanged(spelled, sizeof spelled - 1, open, 1));
    CHECK_INT(sla_attrpack_merge(spelled, sizeof spelled - 1, open, 1, out, sizeof out, &olen), 0);
    CHECK(olen == 6 && memcmp(out, "\x01" "chat", 6) == 0);
    /* Too small an output buffer refuses; so does a NUL inside a field. */
    CHECK_INT(sla_attrpack_merge("", 0, open, 3, out, 5, &olen), -1);
    sla_field nul[] = {{"vip", 3, "a\0b", 3}};
    CHECK_INT(sla_attrpack_merge("", 0, nul, 1, out, sizeof out, &olen), -1);
    CHECK(!sla_attrpack_merge_unchanged("", 0, nul, 1));
    /* Codes of the well-known keys only. */
    CHECK_INT(sla_attrpack_code("channel", 7), 1);
    CHECK_INT(sla_attrpack_code("url", 3), 9);
    CHECK_INT(sla_attrpack_code("channel", 6), 0);
    CHECK_INT(sla_attrpack_code("amount", 6), 0);
    CHECK_INT(sla_attrpack_code("", 0), 0);
}

/*
 * Codes are stored in records: each key keeps its number forever. The
 * customers' keys came later; a customer record packed before they had
 * codes (bytes below, as that encoder wrote them) still reads the same,
 * and its next merge codes them.
 */
static void test_codes_stable(void)
{
    static const char *const keys[] = {"channel", "priority", "category", "tier", "group",
                                       "assignee", "customer", "subject", "url", "industry",
                                       "owner", "contract_end", "renewal", "upgrade",
                                       "satisfaction"};
    for (int c = 1; c <= 15; c++)
        CHECK_INT(sla_attrpack_code(keys[c - 1], strlen(keys[c - 1])), c);
    CHECK_INT(sla_attrpack_code("contract_en", 11), 0);
    CHECK_INT(sla_attrpack_code("contract_endx", 13), 0);

    static const char old[] = "\x04vip\0" "\0industry\0retail\0" "\0owner\0am-7\0"
                              "\0contract_end\0" "1767571200000\0";
    size_t olen = sizeof old - 1;
    static const char plain[] = "tier\0vip\0industry\0retail\0owner\0am-7\0"
                                "contract_end\0" "1767571200000\0";
    CHECK(sla_attrpack_valid(old, olen));
    char back[128];
    CHECK_INT(sla_attrpack_plain_size(old, olen), sizeof plain - 1);
    sla_attrpack_expand(old, olen, back);
    CHECK(memcmp(back, plain, sizeof plain - 1) == 0);
    CHECK_STR(sla_attrpack_get(old, olen, "owner", 5), "am-7");
    CHECK_STR(sla_attrpack_get(old, olen, "contract_end", 12), "1767571200000");

    /* Packed today: coded, 25 bytes shorter; the old bytes merge to the same. */
    static const char coded[] = "\x04vip\0" "\x0aretail\0" "\x0b" "am-7\0"
                                "\x0c" "1767571200000\0";
    size_t clen = sizeof coded - 1;
    CHECK_INT(sla_attrpack_size(plain, sizeof plain - 1), clen);
    char out[128];
    sla_attrpack_pack(plain, sizeof plain - 1, out);
    CHECK(memcmp(out, coded, clen) == 0);
    sla_field same[] = {{"owner", 5, "am-7", 4}};
    CHECK(!sla_attrpack_merge_unchanged(old, olen, same, 1));
    size_t mlen = 0;
    CHECK_INT(sla_attrpack_merge(old, olen, same, 1, out, sizeof out, &mlen), 0);
    CHECK_INT(mlen, clen);
    CHECK(memcmp(out, coded, clen) == 0);
    CHECK(sla_attrpack_merge_unchanged(coded, clen, same, 1));
}

int main(void)
{
    static const char plain[] = "channel\0chat\0amount\0" "1200\0url\0https://x/1\0vip\0\xe6\x98\xaf\0";
    size_t plen = sizeof plain - 1;
    size_t clen = sla_attrpack_size(plain, plen);
    /* channel, url: 1 byte each; amount and vip stay spelled out. */
    CHECK_INT(clen, (1 + 5) + (1 + 7 + 5) + (1 + 12) + (1 + 4 + 4));
    char packed[128], back[128];
    sla_attrpack_pack(plain, plen, packed);
    CHECK(sla_attrpack_valid(packed, clen));
    CHECK_INT(sla_attrpack_plain_size(packed, clen), plen);
    sla_attrpack_expand(packed, clen, back);
    CHECK(memcmp(back, plain, plen) == 0);
    CHECK_STR(sla_attrpack_get(packed, clen, "channel", 7), "chat");
    CHECK_STR(sla_attrpack_get(packed, clen, "amount", 6), "1200");
    CHECK_STR(sla_attrpack_get(packed, clen, "vip", 3), "\xe6\x98\xaf");
    CHECK(sla_attrpack_get(packed, clen, "chan", 4) == NULL);
    CHECK(sla_attrpack_get(packed, clen, "priority", 8) == NULL);
    /* Empty. */
    CHECK_INT(sla_attrpack_size("", 0), 0);
    CHECK(sla_attrpack_valid("", 0));
    /* Malformed: unknown code, missing terminator, empty label key. */
    CHECK(!sla_attrpack_valid("\x10" "x\0", 3));
    CHECK(!sla_attrpack_valid("\x01" "chat", 5));
    CHECK(!sla_attrpack_valid("\x00\x00v\0", 4));
    CHECK(!sla_attrpack_valid("\x00k\0", 3));
    CHECK(!sla_attrpack_valid("\x01", 1));
    test_merge_cases();
    test_codes_stable();
    test_merge_random();
    return CHECK_DONE();
}
