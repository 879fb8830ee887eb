/*
 * sla_attrpack — the compact form of a ticket's attributes, for storage.
 *
 * Attributes travel as plain packed pairs (sla_attrs: "key\0value\0...").
 * A million open tickets store them compact: the well-known keys (channel
 * priority category tier group assignee customer subject url) shrink to one
 * code byte, other keys stay spelled out:
 *
 *   entry := code value '\0'            code 1..9: a well-known key
 *          | 0x00 key '\0' value '\0'   any other key (a label)
 *
 * "channel\0chat\0priority\0high\0" (27 bytes) becomes 12 bytes. The compact
 * form is also what the durable record holds. Conversions are exact both
 * ways and keep the order of the pairs.
 */
#ifndef SLA_ATTRPACK_H
#define SLA_ATTRPACK_H

#include <stddef.h>

/* Bytes the compact form of plain[0..len) takes (never more than len). */
size_t sla_attrpack_size(const char *plain, size_t len);
/* Write the compact form of plain into out (sla_attrpack_size bytes). */
void sla_attrpack_pack(const char *plain, size_t len, char *out);

/* Bytes the plain form of packed[0..len) takes. */
size_t sla_attrpack_plain_size(const char *packed, size_t len);
/* Write the plain form into out (sla_attrpack_plain_size bytes). */
void sla_attrpack_expand(const char *packed, size_t len, char *out);

/* The value of key in the compact form, NUL-terminated in packed, or NULL. */
const char *sla_attrpack_get(const char *packed, size_t len, const char *key, size_t key_len);

/* 1 when packed[0..len) is a well-formed compact form (stored records). */
int sla_attrpack_valid(const char *packed, size_t len);

#endif
