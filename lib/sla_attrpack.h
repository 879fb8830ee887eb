/*
 * sla_attrpack — the compact form of a ticket's attributes, for storage.
 *
 * Attributes travel as plain packed pairs (sla_attrs: "key\0value\0...").
 * A million open tickets store them compact: the well-known keys (channel
 * priority category tier group assignee customer subject url, and the
 * customers' industry owner contract_end renewal upgrade satisfaction)
 * shrink to one code byte, other keys stay spelled out:
 *
 *   entry := code value '\0'            code 1..15: a well-known key
 *          | 0x00 key '\0' value '\0'   any other key (a label)
 *
 * "channel\0chat\0priority\0high\0" (27 bytes) becomes 12 bytes. The compact
 * form is also what the durable record holds, so codes are appended, never
 * renumbered: a record from before a key had a code holds it spelled out,
 * which reads the same. Conversions are exact both ways and keep the order
 * of the pairs.
 *
 * A well-known key shrinks by its length, a label grows by its code byte,
 * so a pair of p >= 2 plain bytes takes at most p + 1 compact bytes: the
 * compact form of a plain form of at most SLA_ATTRS_MAX bytes fits in
 * SLA_ATTRPACK_MAX bytes.
 *
 * sla_attrpack_merge() merges an event's fields straight into the compact
 * form, with exactly the result of expanding, sla_attrs_merge() and packing
 * again, but without the round trip or any allocation; and
 * sla_attrpack_merge_unchanged() tells, reading only, when that merge
 * would give the same bytes back (the common case: an event repeating
 * attributes the ticket already has).
 */
#ifndef SLA_ATTRPACK_H
#define SLA_ATTRPACK_H

#include <stddef.h>

#include "sla_attrs.h"
#include "sla_event.h"

/* Code bytes: 0 introduces a spelled-out key, 1..SLA_ATTRPACK_CODES-1 a well-known one. */
#define SLA_ATTRPACK_CODES 16

/* Bound on the compact size of any plain form of at most SLA_ATTRS_MAX bytes. */
#define SLA_ATTRPACK_MAX (SLA_ATTRS_MAX + SLA_ATTRS_MAX / 2 + 1)

/* The code of key[0..len): 1..SLA_ATTRPACK_CODES-1 for a well-known key, else 0. */
int sla_attrpack_code(const char *key, size_t len);

/* Bytes the compact form of plain[0..len) takes (see above for the bound). */
size_t sla_attrpack_size(const char *plain, size_t len);
/* Write the compact form of plain into out (sla_attrpack_size bytes). */
void sla_attrpack_pack(const char *plain, size_t len, char *out);

/* Bytes the plain form of packed[0..len) takes. */
size_t sla_attrpack_plain_size(const char *packed, size_t len);
/* Write the plain form into out (sla_attrpack_plain_size bytes). */
void sla_attrpack_expand(const char *packed, size_t len, char *out);

/* One pair of the compact form; key and val NUL-terminated, borrowed. */
typedef struct sla_attrpack_pair {
    int code;          /* 0: the key is spelled out in the form */
    const char *key;   /* its name, a well-known key's too */
    size_t key_len;
    const char *val;
    size_t val_len;
} sla_attrpack_pair;

/* The pair at *pos of the (well-formed) compact form packed[0..len),
 * *pos advanced past it: 1, or 0 at the end. Start with *pos = 0. */
int sla_attrpack_next(const char *packed, size_t len, size_t *pos, sla_attrpack_pair *out);

/* The value of key in the compact form, NUL-terminated in packed, or NULL. */
const char *sla_attrpack_get(const char *packed, size_t len, const char *key, size_t key_len);

/* 1 when packed[0..len) is a well-formed compact form (stored records). */
int sla_attrpack_valid(const char *packed, size_t len);

/*
 * Merge fields[0..n) into the compact attributes packed[0..len): the same
 * bytes, and the same refusal, as expanding packed, sla_attrs_merge() and
 * packing the result (keys keep their place, new keys follow in input
 * order, the last occurrence of a key wins, an empty value removes it).
 * Writes the result to out (out_cap bytes; SLA_ATTRPACK_MAX always
 * suffices) and sets *out_len. Returns 0, or -1 when the merge is refused:
 * the plain result would exceed SLA_ATTRS_MAX, it would not fit out_cap,
 * or a key or value holds a NUL byte (sla_event_parse never lets one
 * through; sla_attrs_merge would produce a malformed buffer). packed must
 * be well-formed (sla_attrpack_valid) and must not overlap out.
 */
int sla_attrpack_merge(const char *packed, size_t len, const sla_field *fields, size_t n,
                       char *out, size_t out_cap, size_t *out_len);

/*
 * 1 when sla_attrpack_merge(packed, len, fields, n) would succeed and give
 * packed back byte for byte; 0 when it would change it or be refused, and
 * for more than SLA_EVENT_MAX_FIELDS fields (not examined). Reads only.
 * Cost: O(pairs * n) comparisons of short keys.
 */
int sla_attrpack_merge_unchanged(const char *packed, size_t len, const sla_field *fields,
                                 size_t n);

#endif
