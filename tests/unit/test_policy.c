/*
 * test_policy — first match per metric, equality, any-of lists and numeric
 * comparisons (SPEC section 4), on compact attributes.
 */
#include "check.h"
#include "engine_fixture.h"

#include "sla_attrpack.h"
#include "sla_attrs.h"
#include "sla_policy.h"

/* Compact attributes from NULL-terminated key, value pairs. */
static size_t attrs(char *out, ...)
{
    sla_field f[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, out);
    const char *k;
    while ((k = va_arg(ap, const char *)) && n < 16) {
        const char *v = va_arg(ap, const char *);
        f[n++] = (sla_field){k, strlen(k), v, strlen(v)};
    }
    va_end(ap);
    char *plain = NULL;
    size_t plen = 0;
    sla_attrs_merge(&plain, &plen, f, n);
    size_t len = sla_attrpack_size(plain, plen);
    sla_attrpack_pack(plain, plen, out);
    free(plain);
    return len;
}

int main(void)
{
    sla_config *cfg = fx_config(
        "policies = (\n"
        "  { name = \"vip-chat\"; match = { channel = \"chat\"; tier = [ \"gold\", \"platinum\" ]; };\n"
        "    first_response = { target = \"10s\"; escalate = ( { notify = [ \"manager\" ]; } ); }; },\n"
        "  { name = \"big\"; match = { amount = \">1000\"; };\n"
        "    resolution = { target = \"24h\"; escalate = ( { notify = [ \"manager\" ]; } ); }; },\n"
        "  { name = \"repeat\"; match = { complaint_count = \">=2\"; };\n"
        "    resolution = { target = \"12h\"; escalate = ( { notify = [ \"manager\" ]; } ); }; },\n"
        "  { name = \"small\"; match = { amount = \"<=10\"; };\n"
        "    resolution = { target = \"48h\"; escalate = ( { notify = [ \"team_lead\" ]; } ); }; },\n"
        "  { name = \"chat\"; match = { channel = \"chat\"; };\n"
        "    first_response = { target = \"30s\"; escalate = ( { notify = [ \"team_lead\" ]; } ); }; },\n"
        "  { name = \"all\";\n"
        "    first_response = { target = \"1h\"; escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
        "    resolution = { target = \"72h\"; escalate = ( { notify = [ \"team_lead\" ]; } ); }; } );\n");
    CHECK(cfg != NULL);
    if (!cfg)
        return CHECK_DONE();
    unsigned char pol[SLA_METRIC_COUNT];
    char a[256];
    size_t n;
#define RESOLVE(...) (n = attrs(a, __VA_ARGS__, NULL), sla_policy_resolve(cfg, a, n, pol))
#define NAME(m) (pol[m] == SLA_POLICY_NONE ? "none" : cfg->policies[pol[m]].name)

    RESOLVE("channel", "chat", "tier", "gold");
    CHECK_STR(NAME(SLA_METRIC_FIRST_RESPONSE), "vip-chat");
    CHECK_STR(NAME(SLA_METRIC_RESOLUTION), "all");
    CHECK_STR(NAME(SLA_METRIC_PICKUP), "none");

    RESOLVE("channel", "chat", "tier", "silver"); /* not in the list */
    CHECK_STR(NAME(SLA_METRIC_FIRST_RESPONSE), "chat");

    RESOLVE("tier", "gold"); /* all conditions must hold */
    CHECK_STR(NAME(SLA_METRIC_FIRST_RESPONSE), "all");

    RESOLVE("amount", "1000.01");
    CHECK_STR(NAME(SLA_METRIC_RESOLUTION), "big");
    RESOLVE("amount", "1000");
    CHECK_STR(NAME(SLA_METRIC_RESOLUTION), "all");
    RESOLVE("amount", "1e4");
    CHECK_STR(NAME(SLA_METRIC_RESOLUTION), "big");
    RESOLVE("amount", "-5");
    CHECK_STR(NAME(SLA_METRIC_RESOLUTION), "small");
    RESOLVE("amount", "10");
    CHECK_STR(NAME(SLA_METRIC_RESOLUTION), "small");
    RESOLVE("amount", "12 EUR"); /* not a number: numeric conditions fail */
    CHECK_STR(NAME(SLA_METRIC_RESOLUTION), "all");
    RESOLVE("amount", "nan");
    CHECK_STR(NAME(SLA_METRIC_RESOLUTION), "all");

    /* First match in file order: "big" before "repeat". */
    RESOLVE("amount", "5000", "complaint_count", "3");
    CHECK_STR(NAME(SLA_METRIC_RESOLUTION), "big");
    RESOLVE("complaint_count", "2");
    CHECK_STR(NAME(SLA_METRIC_RESOLUTION), "repeat");
    RESOLVE("complaint_count", "1");
    CHECK_STR(NAME(SLA_METRIC_RESOLUTION), "all");

    /* A missing field fails its condition; a policy without match matches. */
    n = 0;
    sla_policy_resolve(cfg, "", 0, pol);
    CHECK_STR(NAME(SLA_METRIC_FIRST_RESPONSE), "all");
    CHECK(sla_policy_matches(&cfg->policies[5], "", 0));
    CHECK(!sla_policy_matches(&cfg->policies[4], "", 0));
    sla_config_free(cfg);
    return CHECK_DONE();
}
