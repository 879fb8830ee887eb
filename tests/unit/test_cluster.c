/*
 * test_cluster — Redis Cluster key slots (against values answered by
 * `redis-cli CLUSTER KEYSLOT` of redis-server 7.0.15), slot maps read from
 * CLUSTER SLOTS replies, and MOVED / ASK / TRYAGAIN / CLUSTERDOWN errors.
 */
#include "check.h"

#include "sla_cluster.h"

#define INT(v) {.type = SLA_CV_INTEGER, .integer = (v)}
#define STR(s) {.type = SLA_CV_STRING, .str = (s), .len = sizeof(s) - 1}
#define ARR(a) {.type = SLA_CV_ARRAY, .elems = (a), .n = sizeof(a) / sizeof((a)[0])}

static unsigned slot_of(const char *k)
{
    return sla_cluster_keyslot(k, strlen(k));
}

static void test_keyslot(void)
{
    /* Recorded from CLUSTER KEYSLOT on redis-server 7.0.15. */
    CHECK_INT(slot_of("123456789"), 12739);
    CHECK_INT(slot_of("foo"), 12182);
    CHECK_INT(slot_of("bar"), 5061);
    CHECK_INT(slot_of("{user1000}.following"), 3443);
    CHECK_INT(slot_of("{user1000}.followers"), 3443);
    CHECK_INT(slot_of("foo{}{bar}"), 8363);     /* empty first tag: whole key */
    CHECK_INT(slot_of("foo{{bar}}zap"), 4015);  /* tag is "{bar" */
    CHECK_INT(slot_of("foo{bar}{zap}"), 5061);  /* first tag only: "bar" */
    CHECK_INT(slot_of("{}"), 15257);
    CHECK_INT(slot_of("{"), 4092);
    CHECK_INT(slot_of("a{b"), 13340);           /* no closing brace */
    CHECK_INT(slot_of(""), 0);
    CHECK_INT(slot_of("sla:{p0}:events"), 15882);
    CHECK_INT(slot_of("sla:{p1}:state"), 11819);
    CHECK_INT(slot_of("sla:{p15}:lease"), 2138);
    CHECK_INT(slot_of("sla:instances"), 530);
    CHECK_INT(slot_of("sla:events"), 8285);
    CHECK_INT(sla_cluster_partition_slot(0), 15882);
    CHECK_INT(sla_cluster_partition_slot(1), 11819);
    CHECK_INT(sla_cluster_partition_slot(15), 2138);
    /* binary-safe: a NUL inside the tag counts */
    CHECK(sla_cluster_keyslot("{a\0b}", 5) != sla_cluster_keyslot("{a}", 3));
}

static void test_map(void)
{
    /* Shaped as redis-server 7.0 answers CLUSTER SLOTS: three masters, one
     * replica each, a node's fourth element an (empty) map of host names;
     * the third master does not know its own address (""). */
    static const sla_cluster_value meta[1] = {{.type = SLA_CV_ARRAY}};
    static const sla_cluster_value m1[] = {STR("127.0.0.1"), INT(7000),
                                           STR("09dbe9720cda62f7865eabc5fd8857c5d2678366"),
                                           {.type = SLA_CV_ARRAY, .elems = meta, .n = 0}};
    static const sla_cluster_value r1[] = {STR("127.0.0.1"), INT(7004),
                                           STR("821d8ca00d7ccf931ed3ffc7e3db0599d2271abf")};
    static const sla_cluster_value m2[] = {STR("127.0.0.1"), INT(7001), STR("c9d93d9f")};
    static const sla_cluster_value r2[] = {STR("127.0.0.1"), INT(7005), STR("faadb3eb")};
    static const sla_cluster_value m3[] = {STR(""), INT(7002), STR("e7d1eecc")};
    static const sla_cluster_value e1[] = {INT(0), INT(5460), ARR(m1), ARR(r1)};
    static const sla_cluster_value e2[] = {INT(5461), INT(10922), ARR(m2), ARR(r2)};
    static const sla_cluster_value e3[] = {INT(10923), INT(16383), ARR(m3)};
    static const sla_cluster_value e4[] = {INT(100), INT(100), ARR(m2)}; /* a lone slot */
    static const sla_cluster_value top[] = {ARR(e1), ARR(e2), ARR(e3), ARR(e4)};
    static const sla_cluster_value reply = ARR(top);

    sla_cluster_map *map = NULL;
    CHECK_INT(sla_cluster_map_parse(&reply, "10.0.0.9", &map), 0);
    CHECK(map != NULL);
    if (!map)
        return;
    CHECK_INT(map->nnodes, 3);
    CHECK_INT(sla_cluster_map_covered(map), SLA_CLUSTER_SLOTS);
    const sla_cluster_node *n = sla_cluster_map_owner(map, 0);
    CHECK(n && n->port == 7000 && strcmp(n->host, "127.0.0.1") == 0 && n->replicas == 1);
    CHECK_STR(n ? n->id : NULL, "09dbe9720cda62f7865eabc5fd8857c5d2678366");
    n = sla_cluster_map_owner(map, 5460);
    CHECK_INT(n ? n->port : 0, 7000);
    n = sla_cluster_map_owner(map, 100);
    CHECK_INT(n ? n->port : 0, 7001);
    n = sla_cluster_map_owner(map, 5461);
    CHECK_INT(n ? n->port : 0, 7001);
    n = sla_cluster_map_owner(map, 16383);
    CHECK(n && n->port == 7002 && strcmp(n->host, "10.0.0.9") == 0 && n->replicas == 0);
    n = sla_cluster_map_owner(map, sla_cluster_partition_slot(0)); /* 15882 */
    CHECK_INT(n ? n->port : 0, 7002);
    CHECK(sla_cluster_map_owner(map, SLA_CLUSTER_SLOTS) == NULL);

    /* MOVED learnt between refreshes: a known node and a new one. */
    CHECK_INT(sla_cluster_map_move(map, 15882, "127.0.0.1", 7000), 0);
    n = sla_cluster_map_owner(map, 15882);
    CHECK_INT(n ? n->port : 0, 7000);
    CHECK_INT(map->nnodes, 3);
    CHECK_INT(sla_cluster_map_move(map, 15882, "127.0.0.1", 7009), 0);
    n = sla_cluster_map_owner(map, 15882);
    CHECK_INT(n ? n->port : 0, 7009);
    CHECK_INT(map->nnodes, 4);
    CHECK_INT(sla_cluster_map_move(map, 16384, "127.0.0.1", 7009), SLA_CLUSTER_ERANGE);
    sla_cluster_map_free(map);

    /* A cluster with uncovered slots. */
    static const sla_cluster_value half[] = {ARR(e1)};
    static const sla_cluster_value rhalf = ARR(half);
    CHECK_INT(sla_cluster_map_parse(&rhalf, NULL, &map), 0);
    CHECK_INT(sla_cluster_map_covered(map), 5461);
    CHECK(sla_cluster_map_owner(map, 5461) == NULL);
    sla_cluster_map_free(map);

    /* Not a CLUSTER SLOTS reply. */
    static const sla_cluster_value err = {.type = SLA_CV_ERROR, .str = "ERR", .len = 3};
    CHECK_INT(sla_cluster_map_parse(&err, NULL, &map), SLA_CLUSTER_EFORMAT);
    CHECK(map == NULL);
    static const sla_cluster_value bad1[] = {INT(10), INT(5), ARR(m1)}; /* hi < lo */
    static const sla_cluster_value tb1[] = {ARR(bad1)};
    static const sla_cluster_value rb1 = ARR(tb1);
    CHECK_INT(sla_cluster_map_parse(&rb1, NULL, &map), SLA_CLUSTER_ERANGE);
    static const sla_cluster_value bad2[] = {INT(0), INT(16384), ARR(m1)};
    static const sla_cluster_value tb2[] = {ARR(bad2)};
    static const sla_cluster_value rb2 = ARR(tb2);
    CHECK_INT(sla_cluster_map_parse(&rb2, NULL, &map), SLA_CLUSTER_ERANGE);
    static const sla_cluster_value portless[] = {STR("h")};
    static const sla_cluster_value bad3[] = {INT(0), INT(1), ARR(portless)};
    static const sla_cluster_value tb3[] = {ARR(bad3)};
    static const sla_cluster_value rb3 = ARR(tb3);
    CHECK_INT(sla_cluster_map_parse(&rb3, NULL, &map), SLA_CLUSTER_EFORMAT);
    /* "" host without a default */
    static const sla_cluster_value tb4[] = {ARR(e3)};
    static const sla_cluster_value rb4 = ARR(tb4);
    CHECK_INT(sla_cluster_map_parse(&rb4, NULL, &map), SLA_CLUSTER_EFORMAT);
    /* an empty reply: a cluster serving nothing yet */
    static const sla_cluster_value none = {.type = SLA_CV_ARRAY};
    CHECK_INT(sla_cluster_map_parse(&none, NULL, &map), 0);
    CHECK_INT(sla_cluster_map_covered(map), 0);
    sla_cluster_map_free(map);
}

static int parse_err(const char *s, const char *def, sla_cluster_redirect *r)
{
    return sla_cluster_error_parse(s, strlen(s), def, r);
}

static void test_redirects(void)
{
    sla_cluster_redirect r;
    CHECK_INT(parse_err("MOVED 3999 127.0.0.1:6381", NULL, &r), SLA_REDIRECT_MOVED);
    CHECK_INT(r.kind, SLA_REDIRECT_MOVED);
    CHECK_INT(r.slot, 3999);
    CHECK_STR(r.host, "127.0.0.1");
    CHECK_INT(r.port, 6381);
    CHECK_INT(parse_err("ASK 15882 10.1.2.3:7002", NULL, &r), SLA_REDIRECT_ASK);
    CHECK_INT(r.slot, 15882);
    CHECK_STR(r.host, "10.1.2.3");
    CHECK_INT(r.port, 7002);
    CHECK_INT(parse_err("MOVED 0 ::1:7000", NULL, &r), SLA_REDIRECT_MOVED);
    CHECK_STR(r.host, "::1");
    CHECK_INT(parse_err("MOVED 12 :7001", "192.168.0.4", &r), SLA_REDIRECT_MOVED);
    CHECK_STR(r.host, "192.168.0.4");
    CHECK_INT(r.port, 7001);
    CHECK_INT(parse_err("TRYAGAIN Multiple keys request during rehashing of slot", NULL, &r),
              SLA_REDIRECT_TRYAGAIN);
    CHECK_INT(parse_err("CLUSTERDOWN The cluster is down", NULL, &r), SLA_REDIRECT_CLUSTERDOWN);
    CHECK_INT(parse_err("CLUSTERDOWN Hash slot not served", NULL, &r), SLA_REDIRECT_CLUSTERDOWN);
    CHECK_INT(parse_err("ERR wrong number of arguments", NULL, &r), SLA_REDIRECT_NONE);
    CHECK_INT(parse_err("MOVEDX 1 h:1", NULL, &r), SLA_REDIRECT_NONE);
    CHECK_INT(parse_err("ASKING", NULL, &r), SLA_REDIRECT_NONE);
    CHECK_INT(parse_err("CROSSSLOT Keys in request don't hash to the same slot", NULL, &r),
              SLA_REDIRECT_NONE);
    CHECK_INT(parse_err("MOVED 16384 h:1", NULL, &r), SLA_CLUSTER_ERANGE);
    CHECK_INT(parse_err("MOVED 1 h:70000", NULL, &r), SLA_CLUSTER_ERANGE);
    CHECK_INT(parse_err("MOVED 1 h:0", NULL, &r), SLA_CLUSTER_ERANGE);
    CHECK_INT(parse_err("MOVED x h:1", NULL, &r), SLA_CLUSTER_EFORMAT);
    CHECK_INT(parse_err("MOVED 1 hostonly", NULL, &r), SLA_CLUSTER_EFORMAT);
    CHECK_INT(parse_err("MOVED 1", NULL, &r), SLA_CLUSTER_EFORMAT);
    CHECK_INT(parse_err("MOVED", NULL, &r), SLA_CLUSTER_EFORMAT);
    CHECK_INT(parse_err("ASK 1 :7001", NULL, &r), SLA_CLUSTER_EFORMAT);
}

static void test_addr(void)
{
    char host[SLA_CLUSTER_HOST_MAX];
    int port = 0;
#define ADDR(s) sla_cluster_addr_parse(s, strlen(s), host, sizeof host, &port)
    CHECK_INT(ADDR("127.0.0.1:7000"), 0);
    CHECK_STR(host, "127.0.0.1");
    CHECK_INT(port, 7000);
    CHECK_INT(ADDR("redis-a.example:6379"), 0);
    CHECK_STR(host, "redis-a.example");
    CHECK_INT(ADDR("[::1]:7001"), 0);
    CHECK_STR(host, "::1");
    CHECK_INT(port, 7001);
    CHECK_INT(ADDR("127.0.0.1"), SLA_CLUSTER_EFORMAT);
    CHECK_INT(ADDR(":7000"), SLA_CLUSTER_EFORMAT);
    CHECK_INT(ADDR("h:"), SLA_CLUSTER_EFORMAT);
    CHECK_INT(ADDR("h:0"), SLA_CLUSTER_ERANGE);
    CHECK_INT(ADDR("h:65536"), SLA_CLUSTER_ERANGE);
    CHECK_INT(ADDR("h:12a"), SLA_CLUSTER_EFORMAT);
    CHECK_INT(ADDR("[::1]7000"), SLA_CLUSTER_EFORMAT);
    CHECK_INT(ADDR("a b:1"), SLA_CLUSTER_EFORMAT);
    char small[4];
    CHECK_INT(sla_cluster_addr_parse("abcd:1", 6, small, sizeof small, &port), SLA_CLUSTER_ERANGE);
#undef ADDR
}

int main(void)
{
    test_keyslot();
    test_map();
    test_redirects();
    test_addr();
    return CHECK_DONE();
}
