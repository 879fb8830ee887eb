/*
 * replay — `slad --replay FILE --from D --to D`: what a configuration
 * would have reported over past days, beside what the live one did.
 *
 * A mode of the slad binary, run as its own process (not a request to the
 * running daemon): it loads FILE, builds a fresh engine of its own, reads
 * the input stream from its first entry with XRANGE, a page at a time, on
 * a synchronous connection of its own, and folds the outcomes that end on
 * the days asked for into the same rows `slactl report` shows. It writes
 * nothing to Redis and notifies nobody: no consumer group, no XACK, no
 * state, no outbox, no delivery. The live figures of the same days are
 * read from the day hashes (HGETALL), so the two tables come from one
 * folding and one printing code (lib/sla_report, lib/sla_reportview).
 *
 * Event time, as the live daemon decides: before the first entry of a new
 * millisecond is applied, the engine fires what fell due up to that
 * millisecond minus 1 (the watermark of a caught-up daemon,
 * sla_watermark.h: every entry that reached Redis before it has been
 * applied); entries of one millisecond are applied together, as one read
 * takes them; each is applied with its id's time as `now`. Given the live
 * configuration and a stream that holds every event of the tickets whose
 * cycles end in the range, the replayed table is the live one. Where it
 * can differ: entries written long after their `ts` and read by the live
 * daemon in batches that split a millisecond differently (a deadline
 * between the two halves fires in one run and not the other), a reload
 * during the range (the replay has one configuration), and a `ts` clamped
 * for being in the future (the live daemon clamps to its clock when it
 * read the entry, the replay to the entry's id time).
 *
 * With -c LIVE as well, the targets that differ from LIVE to FILE are
 * named above the change ("chat first_response: target 20s instead of
 * 30s").
 *
 * Why a mode of slad rather than a tool: it needs what slad's start needs
 * (the configuration loader, the key names, report.timezone resolved as
 * the daemon resolves it) and nothing of the event loop; being the same
 * binary, it cannot be a different version of the engine than the daemon.
 */
#ifndef REPLAY_H
#define REPLAY_H

typedef struct replay_args {
    const char *config;  /* FILE */
    const char *live;    /* the live configuration (-c), to name the targets
                            that differ; NULL: not compared */
    const char *from, *to; /* YYYY-MM-DD, local days in FILE's report.timezone */
    const char *by;      /* NULL: by policy */
    const char *metric;  /* NULL: every metric */
} replay_args;

/* Run the replay and print the reports; returns the process exit status
 * (0, 1 for bad arguments or configuration, 2 for Redis trouble). */
int replay_main(const replay_args *a);

#endif
