/*
 * retention — trimming slad's streams by age and count, never past what a
 * consumer group has not finished.
 *
 * Every retention.interval, on the command link when it is up, one pass
 * over sla:events, sla:escalations, sla:dead and sla:deliveries:dead trims
 * each by its rule (retention.<stream>.max_age, .max_count) with
 *   XTRIM <key> MINID ~ <id> LIMIT <retention.step>
 * where <id> is chosen by sla_retention.h from the rules and the stream's
 * consumer groups. A pass that trimmed something is followed at once by
 * another, so a large backlog is removed in small steps.
 *
 * With partitions > 1 the streams are the partitions' (sla:{pK}:events,
 * ...), of the partitions this instance runs a pipeline for now
 * (pipelines_store), with the same rules and groups; the other partitions
 * are trimmed by their owners. The unpartitioned keys are not trimmed.
 *
 * Ownership: the link and keys are borrowed and must outlive
 * retention_finish(); group names are copied; settings are copied at init
 * and by retention_set_config().
 */
#ifndef RETENTION_H
#define RETENTION_H

#include <stdint.h>

#include <event2/event.h>

#include "redis_link.h"
#include "sla_config.h"
#include "sla_keys.h"

int retention_init(struct event_base *base, redis_link *command, const sla_keys *keys,
                   const sla_config *cfg);
/* Follow a reloaded configuration (rules, interval, step; not the groups). */
void retention_set_config(const sla_config *cfg);
void retention_finish(void);

/* Entries trimmed since start, over all streams. */
uint64_t retention_trimmed(void);

#endif
