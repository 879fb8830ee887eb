/*
 * test_attrs — packed attribute buffers: set, replace, remove, order.
 */
#include "check.h"

#include <stdlib.h>

#include "sla_attrs.h"

#define F(k, v) {k, sizeof k - 1, v, sizeof v - 1}

static char big_value[SLA_ATTRS_MAX / 2 + 100];

int main(void)
{
    memset(big_value, 'b', sizeof big_value - 1);
    char *buf = NULL;
    size_t len = 0;
    sla_field a[] = {F("channel", "chat"), F("priority", "low"), F("priority", "high")};
    CHECK_INT(sla_attrs_merge(&buf, &len, a, 3), 0);
    CHECK_STR(sla_attrs_get(buf, len, "channel", 7), "chat");
    CHECK_STR(sla_attrs_get(buf, len, "priority", 8), "high"); /* last one wins */
    CHECK(sla_attrs_get(buf, len, "prio", 4) == NULL);
    CHECK(sla_attrs_get(buf, len, "chat", 4) == NULL); /* values are not keys */
    CHECK_INT(len, strlen("channel") + strlen("chat") + strlen("priority") + strlen("high") + 4);

    sla_field b[] = {F("assignee", "ann"), F("channel", "email"), F("priority", "")};
    CHECK_INT(sla_attrs_merge(&buf, &len, b, 3), 0);
    CHECK_STR(sla_attrs_get(buf, len, "channel", 7), "email");
    CHECK_STR(sla_attrs_get(buf, len, "assignee", 8), "ann");
    CHECK(sla_attrs_get(buf, len, "priority", 8) == NULL); /* empty value removes */

    /* Order: existing keys keep their place, new ones follow. */
    size_t pos = 0;
    const char *k, *v;
    CHECK(sla_attrs_next(buf, len, &pos, &k, &v) && strcmp(k, "channel") == 0);
    CHECK(sla_attrs_next(buf, len, &pos, &k, &v) && strcmp(k, "assignee") == 0);
    CHECK(!sla_attrs_next(buf, len, &pos, &k, &v));

    /* Beyond the size bound the merge is refused and nothing changes. */
    static char big[SLA_ATTRS_MAX];
    memset(big, 'x', sizeof big);
    sla_field c[] = {{"subject", 7, big, sizeof big}};
    size_t before = len;
    CHECK_INT(sla_attrs_merge(&buf, &len, c, 1), -1);
    CHECK_INT(len, before);
    CHECK_STR(sla_attrs_get(buf, len, "channel", 7), "email");

    /* A key held twice (a hand-made stored record) takes the new value at
     * both places: the result outgrows the old buffer plus the fields. */
    {
        static char dup[] = "tier\0a\0tier\0b\0";
        char *d = malloc(sizeof dup - 1);
        memcpy(d, dup, sizeof dup - 1);
        size_t dlen = sizeof dup - 1;
        static char dv[6000];
        memset(dv, 'v', sizeof dv - 1);
        sla_field e[] = {{"tier", 4, dv, sizeof dv - 1}};
        CHECK_INT(sla_attrs_merge(&d, &dlen, e, 1), 0);
        CHECK_INT(dlen, 2 * (5 + sizeof dv));
        sla_field g[] = {{"tier", 4, dv, sizeof dv - 1}, {"tier", 4, "x", 1}, {"vip", 3, dv, sizeof dv - 1}};
        CHECK_INT(sla_attrs_merge(&d, &dlen, g, 3), 0); /* x twice, then vip */
        CHECK_INT(dlen, 2 * 7 + 4 + sizeof dv);
        sla_field h[] = {{"tier", 4, dv, sizeof dv - 1}, {"vip", 3, "", 0}};
        CHECK_INT(sla_attrs_merge(&d, &dlen, h, 2), 0);
        CHECK_INT(dlen, 2 * (5 + sizeof dv));
        sla_field over[] = {{"tier", 4, big_value, sizeof big_value - 1}};
        CHECK_INT(sla_attrs_merge(&d, &dlen, over, 1), -1); /* twice over the bound */
        CHECK_INT(dlen, 2 * (5 + sizeof dv));
        CHECK(memcmp(d, "tier\0vvv", 8) == 0);
        free(d);
    }

    /* Removing everything leaves an empty buffer. */
    sla_field d[] = {F("channel", ""), F("assignee", "")};
    CHECK_INT(sla_attrs_merge(&buf, &len, d, 2), 0);
    CHECK_INT(len, 0);
    free(buf);
    return CHECK_DONE();
}
