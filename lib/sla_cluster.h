/*
 * sla_cluster — the pure parts of talking to a Redis Cluster.
 *
 * Key slots. A key's slot is CRC16 (XMODEM: polynomial 0x1021, initial
 * value 0, no reflection) of the key modulo 16384. When the key holds a
 * '{' followed later by a '}' with at least one byte between them, only
 * the bytes between the first '{' and the first '}' after it are hashed
 * (the hash tag): "sla:{p3}:events" and "sla:{p3}:state" share a slot.
 * "{}" (empty tag) hashes the whole key. This is Redis's own rule; the
 * unit test checks it against values answered by CLUSTER KEYSLOT.
 *
 * Slot map. sla_cluster_map_parse() reads a CLUSTER SLOTS reply, given as
 * plain data (sla_cluster_value: the daemon converts hiredis's reply; the
 * test builds one by hand). Each element is
 *     [ start, end, [host, port, id, ...] (master), [host, port, ...]
 *       (replicas)... ]
 * A master's host may be "" or "?" when the node does not know its own
 * address (Redis 7: "use the address you asked"); default_host is used
 * then. Elements after the id (Redis 7 adds a map of host names) are
 * ignored. The map keeps the masters, how many replicas each has, and for
 * each of the 16384 slots the master serving it (or none).
 *
 * Redirections. sla_cluster_error_parse() reads an error reply:
 *     "MOVED 3999 127.0.0.1:6381"   the slot lives on that node now
 *     "ASK 3999 127.0.0.1:6381"     this one command: ASKING there first
 *     "TRYAGAIN ..."                a multi-key command during a migration
 *     "CLUSTERDOWN ..."             the cluster cannot serve the slot now
 * An address is "host:port" split at the last ':' (so "::1:6381" is host
 * "::1"); an empty host (":6381") means default_host.
 *
 * Addresses in the configuration ("host:port", "[v6]:port") are read by
 * sla_cluster_addr_parse().
 *
 * Pure: no I/O. The map is owned by the caller: free with
 * sla_cluster_map_free(). Errors are negative SLA_CLUSTER_E* codes.
 */
#ifndef SLA_CLUSTER_H
#define SLA_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#define SLA_CLUSTER_SLOTS 16384
#define SLA_CLUSTER_HOST_MAX 256 /* bytes, with the NUL */
#define SLA_CLUSTER_ID_MAX 64    /* node ids are 40 hex digits */

#define SLA_CLUSTER_EFORMAT (-1) /* the reply is not what the command answers */
#define SLA_CLUSTER_ENOMEM (-2)
#define SLA_CLUSTER_ERANGE (-3)  /* a slot or port out of range, a host too long */

/* The slot of a key (binary-safe; key may be NULL when len is 0). */
unsigned sla_cluster_keyslot(const char *key, size_t len);
/* The slot of partition p's keys: the slot of hash tag "{p<p>}". */
unsigned sla_cluster_partition_slot(int partition);

/* A reply as plain data (what RESP2 can say). Borrowed, never freed here. */
enum sla_cluster_value_type {
    SLA_CV_NIL = 0,
    SLA_CV_INTEGER,
    SLA_CV_STRING,
    SLA_CV_ARRAY,
    SLA_CV_ERROR,
    SLA_CV_STATUS,
};

typedef struct sla_cluster_value {
    int type;                                /* enum sla_cluster_value_type */
    long long integer;                       /* SLA_CV_INTEGER */
    const char *str;                         /* STRING, ERROR, STATUS: len bytes */
    size_t len;
    const struct sla_cluster_value *elems;   /* SLA_CV_ARRAY: n elements */
    size_t n;
} sla_cluster_value;

typedef struct sla_cluster_node {
    char host[SLA_CLUSTER_HOST_MAX];
    int port;
    char id[SLA_CLUSTER_ID_MAX];             /* "" when not known (learnt from MOVED) */
    int replicas;                            /* replicas listed with it */
} sla_cluster_node;

typedef struct sla_cluster_map {
    sla_cluster_node *nodes;                 /* the masters */
    size_t nnodes;
    int16_t owner[SLA_CLUSTER_SLOTS];        /* index into nodes; -1: not served */
} sla_cluster_map;

/*
 * A new map from a CLUSTER SLOTS reply; *out is NULL on error. Returns 0
 * or SLA_CLUSTER_EFORMAT / ENOMEM / ERANGE.
 */
int sla_cluster_map_parse(const sla_cluster_value *reply, const char *default_host,
                          sla_cluster_map **out);
void sla_cluster_map_free(sla_cluster_map *map);

/* The master serving slot, NULL when none (or slot out of range). */
const sla_cluster_node *sla_cluster_map_owner(const sla_cluster_map *map, unsigned slot);
/* How many slots have a master. */
unsigned sla_cluster_map_covered(const sla_cluster_map *map);
/*
 * Record that slot is now served by host:port (a MOVED answer), adding the
 * node when the map does not know it. 0 or a negative code.
 */
int sla_cluster_map_move(sla_cluster_map *map, unsigned slot, const char *host, int port);

enum sla_cluster_redirect_kind {
    SLA_REDIRECT_NONE = 0,    /* some other error: the command's own answer */
    SLA_REDIRECT_MOVED,
    SLA_REDIRECT_ASK,
    SLA_REDIRECT_TRYAGAIN,
    SLA_REDIRECT_CLUSTERDOWN,
};

typedef struct sla_cluster_redirect {
    int kind;                            /* enum sla_cluster_redirect_kind */
    unsigned slot;                       /* MOVED, ASK */
    char host[SLA_CLUSTER_HOST_MAX];     /* MOVED, ASK */
    int port;
} sla_cluster_redirect;

/*
 * Classify the error reply text (len bytes, no CRLF). Returns the kind
 * (>= 0, also stored in out->kind) or SLA_CLUSTER_EFORMAT for a MOVED or
 * ASK that cannot be read, SLA_CLUSTER_ERANGE for a slot, port or host
 * out of range.
 */
int sla_cluster_error_parse(const char *err, size_t len, const char *default_host,
                            sla_cluster_redirect *out);

/*
 * "host:port" or "[v6addr]:port" (len bytes) into host (NUL-terminated,
 * hostlen bytes) and *port (1..65535). 0, SLA_CLUSTER_EFORMAT or
 * SLA_CLUSTER_ERANGE.
 */
int sla_cluster_addr_parse(const char *s, size_t len, char *host, size_t hostlen, int *port);

#endif
