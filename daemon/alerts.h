/*
 * alerts — keeps the Alertmanager alerts of breached clocks alive, and
 * ends them when the breach is over (sla_alertmanager.h: the lifecycle).
 *
 * Holds an index of the active alerts, one per (receiver of format
 * alertmanager, ticket, clock, cycle), learnt from two sources:
 *   - every breach and escalation delivered to such a receiver
 *     (deliver_observe); a recovered notice delivered removes its alert
 *     (it was resolved by that notice);
 *   - after the engine is (re)built from Redis, a scan of its breached
 *     clocks and the receivers their breach memos name, in slices, so a
 *     restart keeps every alert alive.
 * Partitioned, each partition this instance runs is such an engine
 * (pipelines.c tells of it); an alert belongs to the partition of its
 * subject's id. While a partition's state loads, its alerts' resends wait
 * one interval; once the partition is lost its alerts are forgotten, not
 * resolved: the new owner's scan takes them over, so Alertmanager sees one
 * alert go on firing.
 * Every receiver's resend_interval, each alert is checked against the
 * engine (one lookup) and sent again through deliver_post with endsAt a
 * few intervals ahead while its clock is still breached; once met,
 * acknowledged, stopped, in a new cycle or the ticket gone, it is sent once
 * resolved and forgotten. Resends are not escalation records.
 *
 * Nothing holds the loop: each run handles at most ALERTS_SLICE_US of
 * work (a slice of the scan, then due alerts, at most SLA_AM_MAX_BATCH per
 * request) and continues at the next turn of the loop.
 *
 * Ownership: the configuration and the engine are borrowed until the next
 * alerts_set_config / alerts_engine or alerts_finish.
 */
#ifndef ALERTS_H
#define ALERTS_H

#include <stddef.h>

#include <event2/event.h>

#include "sla_config.h"
#include "sla_engine.h"

int alerts_init(struct event_base *base, const sla_config *cfg);
void alerts_set_config(const sla_config *cfg);
/* The engine is ready (scan it for breached clocks) or gone (NULL). */
void alerts_engine(sla_engine *e);
/* Partitioned: the same for partition p's engine. lost = 1 when this
 * instance stopped running p: its alerts are forgotten at once, neither
 * sent again nor resolved (the new owner rebuilds them from the breach
 * memos, as after a restart). */
void alerts_partition_engine(int partition, sla_engine *e, int lost);
/* deliver_observe's callback: a record was delivered. */
void alerts_on_delivered(const sla_decision *d, void *arg);
/* Active alerts held. */
size_t alerts_count(void);
void alerts_finish(void);

#endif
