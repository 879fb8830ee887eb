/*
 * sla_outbox — an escalations-stream record turned back into a decision.
 *
 * The engine writes each decision to the outbox stream as flat field/value
 * pairs (sla_decision_fields: id kind ticket metric policy level receiver
 * deadline_ms fired_ms late_ms cycle, then the ticket's attributes). The
 * delivery reads them back with sla_outbox_parse, so the decision it sends
 * is exactly the one recorded, whoever recorded it and whenever:
 *
 *   sla_decision --sla_decision_fields--> XADD ... --XREADGROUP-->
 *   fields --sla_outbox_parse--> sla_decision (equal to the first)
 *
 * Every field other than the eleven record fields becomes an attribute, in
 * order, except fields whose name starts with "delivery." (the outcome
 * fields a dead-letter record adds), so that a record copied back from the
 * dead deliveries for a replay parses to the same decision.
 *
 * Pure. Ownership: a parsed decision owns its strings; free them with
 * sla_outbox_release().
 */
#ifndef SLA_OUTBOX_H
#define SLA_OUTBOX_H

#include <stddef.h>

#include "sla_engine.h"
#include "sla_event.h"

/* Field names that belong to a dead-letter record's outcome start with this. */
#define SLA_OUTBOX_DELIVERY_PREFIX "delivery."

/*
 * Parse fields[0..n) into *d (overwritten; released on failure). Returns 0,
 * -EINVAL for a record that is not a decision (a required field missing or
 * malformed: err names it), or -ENOMEM.
 */
int sla_outbox_parse(const sla_field *fields, size_t n, sla_decision *d, char *err,
                     size_t errlen);

/* Free what d owns and zero it. */
void sla_outbox_release(sla_decision *d);

#endif
