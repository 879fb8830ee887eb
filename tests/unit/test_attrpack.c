/*
 * test_attrpack — compact attribute storage converts exactly both ways and
 * refuses malformed stored bytes.
 */
#include "check.h"

#include <stdlib.h>

#include "sla_attrpack.h"
#include "sla_attrs.h"

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
    CHECK(!sla_attrpack_valid("\x0a" "x\0", 3));
    CHECK(!sla_attrpack_valid("\x01" "chat", 5));
    CHECK(!sla_attrpack_valid("\x00\x00v\0", 4));
    CHECK(!sla_attrpack_valid("\x00k\0", 3));
    CHECK(!sla_attrpack_valid("\x01", 1));
    return CHECK_DONE();
}
