/*
 * test_partition — the ticket id hash and partition (README "Partitions"
 * gives the same vectors for the Python, Go, Java and Node versions).
 */
#include "check.h"

#include "sla_partition.h"

static const struct {
    const char *id;
    uint32_t hash;
    int of16;
} vectors[] = {
    {"", 0x811c9dc5u, 5},
    {"a", 0xe40c292cu, 12},         /* the published FNV-1a 32 vectors */
    {"foobar", 0xbf9cf968u, 8},
    {"T-1", 0xd73f0481u, 1},
    {"T-1000", 0xc49c631bu, 11},
    {"\xe5\xb7\xa5\xe5\x8d\x95-42", 0xea691f4eu, 14}, /* "工单-42" in UTF-8: bytes >= 0x80 unsigned */
};

int main(void)
{
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        size_t len = strlen(vectors[i].id);
        CHECK_INT(sla_partition_hash(vectors[i].id, len), vectors[i].hash);
        CHECK_INT(sla_partition_of(vectors[i].id, len, 16), vectors[i].of16);
        CHECK_INT(sla_partition_of(vectors[i].id, len, 1), 0);
    }
    CHECK_INT(sla_partition_hash(NULL, 0), 0x811c9dc5u);
    /* Length-delimited: bytes past len are not hashed. */
    CHECK_INT(sla_partition_hash("T-1000", 3), 0xd73f0481u);
    CHECK_INT(sla_partition_of("T-1", 3, 0), -1);
    CHECK_INT(sla_partition_of("T-1", 3, -4), -1);
    CHECK_INT(sla_partition_of("T-1", 3, SLA_PARTITIONS_MAX + 1), -1);
    CHECK_INT(sla_partition_of("T-1", 3, SLA_PARTITIONS_MAX), 0xd73f0481u % SLA_PARTITIONS_MAX);

    /* Spread: 16000 sequential ids over 16 partitions, each within 10% of 1000. */
    int count[16] = {0};
    for (int i = 0; i < 16000; i++) {
        char id[32];
        int n = snprintf(id, sizeof id, "T-%d", i);
        count[sla_partition_of(id, (size_t)n, 16)]++;
    }
    for (int p = 0; p < 16; p++)
        CHECK(count[p] > 900 && count[p] < 1100);
    return CHECK_DONE();
}
