/*
 * sla_attrs — a ticket's attributes and labels, packed.
 *
 * A ticket keeps its attributes (channel, priority, ... and any label) as
 * one packed buffer of NUL-terminated pairs:
 *
 *   "channel\0chat\0priority\0high\0amount\01200\0"
 *
 * Keys are [A-Za-z0-9_.-] and values never hold control characters (the
 * event parser guarantees both), so NUL is a safe separator. One buffer per
 * ticket costs one allocation and no per-field pointers; lookups are linear,
 * which is the fastest thing for the handful of fields a ticket has.
 *
 * Ownership: the caller owns the buffer; sla_attrs_merge() reallocates it.
 */
#ifndef SLA_ATTRS_H
#define SLA_ATTRS_H

#include <stddef.h>

#include "sla_event.h"

/* Longest packed buffer a ticket may have; merges beyond it are refused. */
#define SLA_ATTRS_MAX 16384

/*
 * The value of key (len bytes) in buf[0..len), NUL-terminated inside buf,
 * or NULL when absent.
 */
const char *sla_attrs_get(const char *buf, size_t buf_len, const char *key, size_t key_len);

/*
 * Set each field of fields[0..n) in *buf (replacing an existing key, keeping
 * the order of first appearance); an empty value removes the key. *buf may
 * be NULL. Returns 0, or -1 on allocation failure or when the result would
 * exceed SLA_ATTRS_MAX (then *buf is unchanged).
 */
int sla_attrs_merge(char **buf, size_t *buf_len, const sla_field *fields, size_t n);

/*
 * Iterate: *pos starts at 0; returns 1 with *key and *val set (both
 * NUL-terminated inside buf) until the end, then 0.
 */
int sla_attrs_next(const char *buf, size_t buf_len, size_t *pos, const char **key,
                   const char **val);

#endif
