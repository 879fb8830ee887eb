/*
 * sla_record — a ticket's durable state as bytes.
 *
 * The record is what slad keeps in Redis (hash `sla:state`, field = ticket
 * id) so that a restarted daemon rebuilds every clock. It holds exactly
 * what cannot be recomputed: the last applied entry id, the ticket's
 * generation, the attributes, for each clock that ever started its times,
 * cycle, state and ladder progress, and for each clock that breached in its
 * current cycle its breach memo (sla_ticket.h). Policies are not stored:
 * they are re-matched on load.
 *
 *   u8 version (5)
 *   varint last_ms, varint last_seq
 *   varint generation (< 2^48)                                    [v3, v4]
 *   varint zigzag(generation - last_ms, modulo 2^64) (the          [v5]
 *      generation < 2^48)
 *   varint attrs_len, attrs bytes (compact, sla_attrpack; in v5 a
 *      value of 2 to 18 decimal digits, the first not 0, is written as
 *      0xff and the varint of the number, and a value beginning with 0xfe
 *      or 0xff behind one more 0xfe; both still end with a NUL)
 *   u8 ticket flags (bit 0: resolved,                             [v2]
 *                    bit 1: the resolution cycle ended once; readers
 *                    before it refuse a record with it)
 *   u8 clock mask (bit k: the clock of slot k follows; a slot is a
 *      metric of the subject's kind, sla_metric.h)
 *   v1 to v4, per clock: varint resume_ms, varint cycle, varint elapsed_ms,
 *              u8 state, u8 flags (warned | acked << 1 | source << 2;
 *              source 5, a reminder's lead, only in customers' records),
 *              u8 fired
 *   v5: u8 fresh mask (bits of the clock mask only): clocks started with
 *              their subject and untouched since (running, cycle 1,
 *              resume_ms = generation, nothing elapsed, warned, acked or
 *              fired, source 0); nothing more of them follows
 *       per other clock: u8 head: state - 1 (bits 0-1) | source << 2
 *              (bits 2-4) | 0x20 | 0x40 | 0x80, then
 *              [0x20] varint cycle (not 1; without it the cycle is 1)
 *              [0x40] varint start: k < 16, the time the k-th attribute
 *                     holds (as the engine reads dates, sla_time_parse,
 *                     clamped to 48 bits; only for source 5, a reminder's
 *                     date), else 16 + zigzag(resume_ms - generation);
 *                     without it resume_ms is the generation
 *              [0x80] varint elapsed_ms, u8 warned | acked << 1, u8 fired;
 *                     without it all are 0
 *   u8 memo mask (bit m: the memo of clock m follows; only clocks     [v3]
 *                 present with fired > 0)
 *   per memo: varint deadline_ms (two's complement, 64 bits),         [v3]
 *             varint recoveries (< 2^32),
 *             varint acked_ms (< 2^48; 0: not acknowledged, or    [v4]
 *               not known when),
 *             u8 by_len (<= SLA_MEMO_BY_MAX), by_len bytes: who        [v4]
 *               acknowledged (UTF-8 without control characters;
 *               acked_ms and by only on a clock flagged acked)
 *             u8 n (<= SLA_MEMO_MAX_RECEIVERS),
 *             n times: u8 len (1..64), len bytes of [A-Za-z0-9_.-]
 *             (a receiver name; the n names distinct)
 *
 * zigzag(d) is 2d for d >= 0 and -2d - 1 for d < 0, so that a small
 * distance either way takes one or two bytes. Version 5 differs from 4
 * only in how it writes the generation and the clocks: what follows from
 * the subject's start or its attributes is left out (a signed customer's
 * five clocks take 4 bytes instead of 61), and nothing is lost: every
 * field decodes to the value written.
 *
 * Versions 1 to 3 lack the fields marked with a later version; they still
 * decode, with generation 0 and no memos (v1, v2), and no acknowledgement
 * time or name (v1 to v3: an acked clock of theirs shows who and when as
 * not known), so a daemon upgraded in place keeps its tickets and, with
 * generation 0, their decision ids. Version 1 had no ticket flags: its
 * ticket is resolved when its resolution clock is met (which only
 * ticket.resolved does). The encoder writes version 5 only; versions 1
 * to 4 decode to the same clocks as before.
 *
 * Varints are LEB128, so the format is independent of the host's byte
 * order; a ticket or a customer just opened encodes in about 15 bytes
 * plus its attributes, a clock moved on since in 2 to 10 more, a breached
 * clock's memo about 10 bytes plus its receivers' names.
 */
#ifndef SLA_RECORD_H
#define SLA_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "sla_attrpack.h"
#include "sla_ticket.h"

/* A decoded breach memo; names are borrowed from the record. */
typedef struct sla_record_memo {
    int64_t deadline_ms;
    uint32_t recoveries;
    int64_t acked_ms;    /* 0 when not acknowledged or not known (v1 to v3) */
    const char *by;      /* who acknowledged, by_len bytes, not NUL-terminated */
    size_t by_len;       /* 0: not known */
    unsigned nreceivers;
    const char *names[SLA_MEMO_MAX_RECEIVERS]; /* not NUL-terminated */
    uint8_t name_len[SLA_MEMO_MAX_RECEIVERS];
} sla_record_memo;

/* A decoded record: clocks by slot (state IDLE for those absent); which
 * metric a slot holds depends on the subject's kind (sla_metric.h), which
 * the record does not say: its id does. */
typedef struct sla_record_view {
    unsigned version;    /* 1 to 5 */
    uint64_t last_ms, last_seq;
    uint64_t generation; /* 0 in version 1 */
    const char *attrs;   /* compact attributes (sla_attrpack), borrowed from the record
                            (v1 to v4) or from attrs_buf (v5) */
    size_t attrs_len;
    int resolved;        /* sla_ticket.resolved */
    int resolution_ended; /* sla_ticket.resolution_ended */
    sla_clock clocks[SLA_SUBJECT_SLOTS];
    unsigned memo_mask;  /* bit m: memos[m] holds clock m's memo */
    sla_record_memo memos[SLA_SUBJECT_SLOTS];
    char attrs_buf[SLA_ATTRPACK_MAX]; /* v5: the attributes expanded */
} sla_record_view;

/* Whether by[0..len) may be stored as who acknowledged: at most
 * SLA_MEMO_BY_MAX bytes of UTF-8 without control characters. */
int sla_record_by_valid(const char *by, size_t len);

/* Upper bound of the encoded size of t. */
size_t sla_record_max_size(const sla_ticket *t);

/* Encode t into buf (at least sla_record_max_size(t) bytes); returns length. */
size_t sla_record_encode(const sla_ticket *t, unsigned char *buf);

/*
 * Decode rec into *out (attrs point into rec). Returns 0, or -1 when the
 * record is truncated, has trailing bytes, an unknown version, malformed
 * attributes, out-of-range values, or a memo of a clock that is absent or
 * has not fired.
 */
int sla_record_decode(const unsigned char *rec, size_t len, sla_record_view *out);

#endif
