/*
 * sla_streamid — Redis stream entry ids ("1732560000000-0").
 */
#ifndef SLA_STREAMID_H
#define SLA_STREAMID_H

#include <stddef.h>
#include <stdint.h>

typedef struct sla_streamid {
    uint64_t ms;
    uint64_t seq;
} sla_streamid;

/* Parse "MS-SEQ" (len bytes). Returns 0 or -1. */
int sla_streamid_parse(const char *s, size_t len, sla_streamid *out);
/* <0, 0, >0 like strcmp. */
int sla_streamid_cmp(const sla_streamid *a, const sla_streamid *b);
/* "MS-SEQ"; buf of at least 42 bytes. Returns length. */
int sla_streamid_format(const sla_streamid *id, char *buf, size_t len);

#endif
