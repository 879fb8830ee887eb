/*
 * test_keys — key names for the default partition and for a Redis Cluster
 * partition (SPEC section 8), and stream entry ids.
 */
#include "check.h"

#include "sla_keys.h"
#include "sla_metric.h"
#include "sla_streamid.h"

int main(void)
{
    sla_keys k;
    CHECK_INT(sla_keys_init(&k, "sla:", -1), 0);
    CHECK_STR(k.events, "sla:events");
    CHECK_STR(k.dead, "sla:dead");
    CHECK_STR(k.state, "sla:state");
    CHECK_STR(k.escalations, "sla:escalations");
    CHECK_STR(k.deliveries_dead, "sla:deliveries:dead");
    CHECK_STR(k.report, "sla:report:");
    CHECK_STR(k.lease, "sla:lease");
    CHECK_STR(k.instances, "sla:instances");
    CHECK_INT(sla_keys_init(&k, "acme:sla:", 3), 0);
    CHECK_STR(k.events, "acme:sla:{p3}:events");
    CHECK_STR(k.deliveries_dead, "acme:sla:{p3}:deliveries:dead");
    CHECK_STR(k.state, "acme:sla:{p3}:state");
    CHECK_STR(k.escalations, "acme:sla:{p3}:escalations");
    CHECK_STR(k.dead, "acme:sla:{p3}:dead");
    CHECK_STR(k.report, "acme:sla:{p3}:report:");
    CHECK_STR(k.lease, "acme:sla:{p3}:lease");
    CHECK_STR(k.lease_epoch, "acme:sla:{p3}:lease:epoch");
    CHECK_STR(k.instances, "acme:sla:instances"); /* one set for all partitions */
    char longp[SLA_KEY_MAX + 1];
    memset(longp, 'x', SLA_KEY_MAX);
    longp[SLA_KEY_MAX] = '\0';
    CHECK_INT(sla_keys_init(&k, longp, -1), -1);

    sla_streamid a, b;
    CHECK_INT(sla_streamid_parse("1767571200000-7", 15, &a), 0);
    CHECK_INT(a.ms, 1767571200000LL);
    CHECK_INT(a.seq, 7);
    CHECK_INT(sla_streamid_parse("1767571200000-10", 16, &b), 0);
    CHECK(sla_streamid_cmp(&a, &b) < 0 && sla_streamid_cmp(&b, &a) > 0);
    CHECK_INT(sla_streamid_cmp(&a, &a), 0);
    char buf[48];
    sla_streamid_format(&b, buf, sizeof buf);
    CHECK_STR(buf, "1767571200000-10");
    CHECK_INT(sla_streamid_parse("17675-", 6, &a), -1);
    CHECK_INT(sla_streamid_parse("-1", 2, &a), -1);
    CHECK_INT(sla_streamid_parse("12", 2, &a), -1);
    CHECK_INT(sla_streamid_parse("1x-2", 4, &a), -1);
    CHECK_INT(sla_streamid_parse("99999999999999999999-0", 22, &a), -1);
    /* Length-delimited: the bytes after len are not read. */
    CHECK_INT(sla_streamid_parse("5-1999", 3, &a), 0);
    CHECK_INT(a.seq, 1);

    for (int m = 0; m < SLA_METRIC_COUNT; m++) {
        const char *name = sla_metric_name(m);
        CHECK(name != NULL);
        CHECK_INT(sla_metric_from_name(name, strlen(name)), m);
    }
    CHECK(sla_metric_name(SLA_METRIC_COUNT) == NULL);
    CHECK_INT(sla_metric_from_name("pickups", 7), -1);
    CHECK_INT(sla_metric_from_name("pickups", 6), SLA_METRIC_PICKUP);
    return CHECK_DONE();
}
