/*
 * sla_cluster — key slots, slot maps and redirections of a Redis Cluster.
 * See sla_cluster.h for the rules; this file only follows them.
 */
#include "sla_cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CRC16/XMODEM, bit by bit: keys are short and this runs once per link,
 * not per command. */
static uint16_t crc16(const unsigned char *p, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

unsigned sla_cluster_keyslot(const char *key, size_t len)
{
    const unsigned char *k = (const unsigned char *)key;
    size_t open = 0;
    while (open < len && k[open] != '{')
        open++;
    if (open < len) {
        size_t close = open + 1;
        while (close < len && k[close] != '}')
            close++;
        if (close < len && close > open + 1)
            return crc16(k + open + 1, close - open - 1) & (SLA_CLUSTER_SLOTS - 1);
    }
    return len ? crc16(k, len) & (SLA_CLUSTER_SLOTS - 1) : 0;
}

unsigned sla_cluster_partition_slot(int partition)
{
    char tag[24];
    int n = snprintf(tag, sizeof tag, "{p%d}", partition);
    return sla_cluster_keyslot(tag, (size_t)n);
}

/* --- addresses ------------------------------------------------------------- */

static int parse_port(const char *s, size_t len, int *port)
{
    if (len == 0 || len > 5)
        return SLA_CLUSTER_EFORMAT;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return SLA_CLUSTER_EFORMAT;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return SLA_CLUSTER_ERANGE;
    *port = v;
    return 0;
}

/* The last ':' of len bytes at s, NULL when none. */
static const char *last_colon(const char *s, size_t len)
{
    for (size_t i = len; i > 0; i--)
        if (s[i - 1] == ':')
            return s + i - 1;
    return NULL;
}

static int copy_host(char *dst, size_t dstlen, const char *s, size_t len)
{
    if (len + 1 > dstlen)
        return SLA_CLUSTER_ERANGE;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
            return SLA_CLUSTER_EFORMAT;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

int sla_cluster_addr_parse(const char *s, size_t len, char *host, size_t hostlen, int *port)
{
    const char *colon = NULL;
    const char *h = s;
    size_t hlen;
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close || (size_t)(close - s) + 1 >= len || close[1] != ':')
            return SLA_CLUSTER_EFORMAT;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        if (!(colon = last_colon(s, len)))
            return SLA_CLUSTER_EFORMAT;
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0)
        return SLA_CLUSTER_EFORMAT;
    int rc = parse_port(colon + 1, len - (size_t)(colon + 1 - s), port);
    return rc < 0 ? rc : copy_host(host, hostlen, h, hlen);
}

/* --- slot map -------------------------------------------------------------- */

void sla_cluster_map_free(sla_cluster_map *map)
{
    if (!map)
        return;
    free(map->nodes);
    free(map);
}

static int map_find(const sla_cluster_map *map, const char *host, int port)
{
    for (size_t i = 0; i < map->nnodes; i++)
        if (map->nodes[i].port == port && strcmp(map->nodes[i].host, host) == 0)
            return (int)i;
    return -1;
}

static int map_add(sla_cluster_map *map, const sla_cluster_node *node)
{
    if (map->nnodes >= SLA_CLUSTER_SLOTS)
        return SLA_CLUSTER_ERANGE;
    sla_cluster_node *n = realloc(map->nodes, (map->nnodes + 1) * sizeof *n);
    if (!n)
        return SLA_CLUSTER_ENOMEM;
    map->nodes = n;
    map->nodes[map->nnodes] = *node;
    return (int)map->nnodes++;
}

/* [host, port, id?, ...] of a node, host "" or "?" meaning default_host. */
static int read_node(const sla_cluster_value *v, const char *default_host, sla_cluster_node *out)
{
    memset(out, 0, sizeof *out);
    if (v->type != SLA_CV_ARRAY || v->n < 2 || v->elems[0].type != SLA_CV_STRING ||
        v->elems[1].type != SLA_CV_INTEGER)
        return SLA_CLUSTER_EFORMAT;
    const sla_cluster_value *h = &v->elems[0];
    int rc;
    if (h->len == 0 || (h->len == 1 && h->str[0] == '?'))
        rc = default_host ? copy_host(out->host, sizeof out->host, default_host,
                                      strlen(default_host))
                          : SLA_CLUSTER_EFORMAT;
    else
        rc = copy_host(out->host, sizeof out->host, h->str, h->len);
    if (rc < 0)
        return rc;
    if (v->elems[1].integer < 1 || v->elems[1].integer > 65535)
        return SLA_CLUSTER_ERANGE;
    out->port = (int)v->elems[1].integer;
    if (v->n >= 3 && v->elems[2].type == SLA_CV_STRING) {
        if (v->elems[2].len >= sizeof out->id)
            return SLA_CLUSTER_ERANGE;
        memcpy(out->id, v->elems[2].str, v->elems[2].len);
        out->id[v->elems[2].len] = '\0';
    }
    return 0;
}

int sla_cluster_map_parse(const sla_cluster_value *reply, const char *default_host,
                          sla_cluster_map **out)
{
    *out = NULL;
    if (!reply || reply->type != SLA_CV_ARRAY)
        return SLA_CLUSTER_EFORMAT;
    sla_cluster_map *map = calloc(1, sizeof *map);
    if (!map)
        return SLA_CLUSTER_ENOMEM;
    for (size_t s = 0; s < SLA_CLUSTER_SLOTS; s++)
        map->owner[s] = -1;
    int rc = 0;
    for (size_t i = 0; i < reply->n && rc == 0; i++) {
        const sla_cluster_value *e = &reply->elems[i];
        if (e->type != SLA_CV_ARRAY || e->n < 3 || e->elems[0].type != SLA_CV_INTEGER ||
            e->elems[1].type != SLA_CV_INTEGER) {
            rc = SLA_CLUSTER_EFORMAT;
            break;
        }
        long long lo = e->elems[0].integer, hi = e->elems[1].integer;
        if (lo < 0 || hi < lo || hi >= SLA_CLUSTER_SLOTS) {
            rc = SLA_CLUSTER_ERANGE;
            break;
        }
        sla_cluster_node node;
        if ((rc = read_node(&e->elems[2], default_host, &node)) < 0)
            break;
        for (size_t r = 3; r < e->n; r++) {
            sla_cluster_node replica;
            if ((rc = read_node(&e->elems[r], default_host, &replica)) < 0)
                break;
        }
        if (rc < 0)
            break;
        int idx = map_find(map, node.host, node.port);
        if (idx < 0) {
            node.replicas = (int)(e->n - 3);
            if ((idx = map_add(map, &node)) < 0) {
                rc = idx;
                break;
            }
        }
        for (long long s = lo; s <= hi; s++)
            map->owner[s] = (int16_t)idx;
    }
    if (rc < 0) {
        sla_cluster_map_free(map);
        return rc;
    }
    *out = map;
    return 0;
}

const sla_cluster_node *sla_cluster_map_owner(const sla_cluster_map *map, unsigned slot)
{
    if (!map || slot >= SLA_CLUSTER_SLOTS || map->owner[slot] < 0)
        return NULL;
    return &map->nodes[map->owner[slot]];
}

unsigned sla_cluster_map_covered(const sla_cluster_map *map)
{
    unsigned n = 0;
    for (size_t s = 0; map && s < SLA_CLUSTER_SLOTS; s++)
        n += map->owner[s] >= 0;
    return n;
}

int sla_cluster_map_move(sla_cluster_map *map, unsigned slot, const char *host, int port)
{
    if (slot >= SLA_CLUSTER_SLOTS || port < 1 || port > 65535)
        return SLA_CLUSTER_ERANGE;
    int idx = map_find(map, host, port);
    if (idx < 0) {
        sla_cluster_node node;
        memset(&node, 0, sizeof node);
        int rc = copy_host(node.host, sizeof node.host, host, strlen(host));
        if (rc < 0)
            return rc;
        node.port = port;
        if ((idx = map_add(map, &node)) < 0)
            return idx;
    }
    map->owner[slot] = (int16_t)idx;
    return 0;
}

/* --- redirections ---------------------------------------------------------- */

static int has_word(const char *err, size_t len, const char *word)
{
    size_t w = strlen(word);
    return len >= w && memcmp(err, word, w) == 0 && (len == w || err[w] == ' ');
}

int sla_cluster_error_parse(const char *err, size_t len, const char *default_host,
                            sla_cluster_redirect *out)
{
    memset(out, 0, sizeof *out);
    int kind = has_word(err, len, "MOVED") ? SLA_REDIRECT_MOVED
             : has_word(err, len, "ASK") ? SLA_REDIRECT_ASK
             : has_word(err, len, "TRYAGAIN") ? SLA_REDIRECT_TRYAGAIN
             : has_word(err, len, "CLUSTERDOWN") ? SLA_REDIRECT_CLUSTERDOWN
             : SLA_REDIRECT_NONE;
    if (kind != SLA_REDIRECT_MOVED && kind != SLA_REDIRECT_ASK) {
        out->kind = kind;
        return kind;
    }
    /* "<WORD> <slot> <host>:<port>" */
    const char *p = memchr(err, ' ', len);
    const char *end = err + len;
    if (!p)
        return SLA_CLUSTER_EFORMAT;
    p++;
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    if (!sp || sp == p || sp - p > 5)
        return SLA_CLUSTER_EFORMAT;
    unsigned slot = 0;
    for (const char *q = p; q < sp; q++) {
        if (*q < '0' || *q > '9')
            return SLA_CLUSTER_EFORMAT;
        slot = slot * 10 + (unsigned)(*q - '0');
    }
    if (slot >= SLA_CLUSTER_SLOTS)
        return SLA_CLUSTER_ERANGE;
    const char *addr = sp + 1;
    const char *colon = last_colon(addr, (size_t)(end - addr));
    if (!colon)
        return SLA_CLUSTER_EFORMAT;
    int rc = parse_port(colon + 1, (size_t)(end - colon - 1), &out->port);
    if (rc < 0)
        return rc;
    if (colon == addr)
        rc = default_host ? copy_host(out->host, sizeof out->host, default_host,
                                      strlen(default_host))
                          : SLA_CLUSTER_EFORMAT;
    else
        rc = copy_host(out->host, sizeof out->host, addr, (size_t)(colon - addr));
    if (rc < 0)
        return rc;
    out->slot = slot;
    out->kind = kind;
    return kind;
}
