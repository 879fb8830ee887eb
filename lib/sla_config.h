/*
 * sla_config — the whole configuration, loaded from a libconfig file.
 *
 * sla_config_load() builds a complete, validated, immutable configuration
 * or nothing: on SIGHUP the daemon loads a new one and swaps it in only on
 * success (the old one stays on any error). Every error is one line naming
 * the file, line and setting:
 *   "slad.conf:42: policies.[3].first_response.target: bad duration '3x': ..."
 * FILE is the file that holds the setting (an @include'd file by the name
 * written in the @include), list elements are counted from 0 as in
 * libconfig paths. Syntax errors found by libconfig read "FILE:LINE:
 * reason", a main file that cannot be opened "PATH: cannot open: reason".
 * Unknown settings are errors at every level; so are wrong types and
 * values out of range. Secret contents never appear in a message.
 *
 * Settings are described by tables (name -> parser -> field), not by
 * chains of strcmp. Relative paths (secret_file, url_file, password_file, @include)
 * are resolved against the directory of the main file.
 *
 * File layout (see conf/slad.conf for every setting with its default):
 *
 *   log_level = "info";
 *   partitions = 1;
 *   instance = { name; lease_ttl; };
 *   redis   = { host; port; unix_socket; password_file; db; connect_timeout; };
 *             (and reply_timeout; cluster = [ "host:port", ... ]; wait_replicas; wait_timeout)
 *   stream  = { prefix; group; consumer; batch; block; claim_idle;
 *               max_future_skew; max_entry_bytes; max_fields; max_value_bytes; };
 *   control = { socket; max_clients; max_clients_per_uid; };
 *   http    = { listen; max_connections; request_timeout; };
 *   delivery = { group; connect_timeout; timeout; budget; backoff_base;
 *                backoff_cap; max_in_flight; };
 *   clocks  = { ring_seconds; pausable = [ "resolution", ... ]; };
 *   revisit = { satisfied; average; unsatisfied; };
 *   report  = { timezone; dimensions = [ "channel", ... ]; keep_days; };
 *   calendars = ( { name; timezone; hours = { mon = [ "09:00-12:00", ... ]; ... };
 *                   holidays = [ "2026-10-01", ... ]; workdays = [ ... ];
 *                   extra_day_hours = "mon"; } );
 *   receivers = ( { name; url | url_file; format; secret_file; rate_per_second;
 *                   rate_per_minute; resend_interval; runbook_url; locale; timezone;
 *                   ticket_url; mention = { mobiles; user_ids; all; }; calendar; } );
 *   policies  = ( { name; match = { field = "v" | [ "a", "b" ] | ">1000"; }; runbook_url;
 *                   deliver = "at_once" | "working_hours";
 *                   first_response = { target; calendar; warn; warn_notify;
 *                                      escalate = ( { after; notify; repeat;
 *                                                     max_repeats; mention; deliver; } );
 *                                      recovered; };
 *                   ... } );
 *
 * Ownership: the sla_config owns everything reachable from it; free with
 * sla_config_free().
 */
#ifndef SLA_CONFIG_H
#define SLA_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "sla_calendar.h"
#include "sla_duration.h"
#include "sla_event.h"
#include "sla_locale.h"
#include "sla_retention.h"
#include "sla_metric.h"

enum sla_format {
    SLA_FORMAT_JSON = 0,
    SLA_FORMAT_ALERTMANAGER,
    SLA_FORMAT_SLACK,
    SLA_FORMAT_FEISHU,
    SLA_FORMAT_DINGTALK,
    SLA_FORMAT_WECOM,
    SLA_FORMAT_COUNT
};

/*
 * Whom a chat message @-mentions: trusted configuration, never ticket
 * data. Mobiles are [0-9+-], user ids [A-Za-z0-9_.@-], at most
 * SLA_MENTION_MAX of each; each platform uses what it can (sla_format.h).
 */
#define SLA_MENTION_MAX 20
typedef struct sla_mention {
    char **mobiles;        /* owned strings in an owned array */
    size_t nmobiles;
    char **user_ids;       /* owned strings in an owned array */
    size_t nuser_ids;
    int all;               /* everyone in the group */
} sla_mention;

/*
 * When a notice is sent (sla_delivery_hours.h): at once, or held until the
 * working hours of its receiver's calendar. UNSET on a step means "as its
 * policy says"; on a policy, at once.
 */
enum sla_deliver { SLA_DELIVER_UNSET = 0, SLA_DELIVER_AT_ONCE, SLA_DELIVER_WORKING_HOURS };

typedef struct sla_receiver {
    char *name;
    char *url;             /* url, or the contents of url_file (a secret) */
    enum sla_format format;
    char *secret;          /* contents of secret_file, trailing newline removed; NULL if none */
    int rate_per_second;   /* 0 = unlimited; default per format */
    int rate_per_minute;   /* 0 = unlimited; default per format */
    /* format alertmanager: active alerts are sent again this often, each
     * valid for SLA_AM_HOLD_INTERVALS of it (sla_alertmanager.h) */
    int64_t resend_interval_ms; /* default 60000 */
    char *runbook_url;     /* annotation runbook_url unless the policy sets one; NULL */
    /* Chat formats (slack, feishu, dingtalk, wecom) only: */
    enum sla_locale locale; /* default zh-CN for feishu, dingtalk, wecom; en otherwise */
    sla_calendar *zone;    /* owned, hours-less: `timezone`; NULL = the policy's
                              calendar zone, else the system zone */
    char *ticket_url;      /* owned "https://.../{ticket}"; NULL = no link */
    sla_mention mention;   /* on breaches and escalations sent here */
    int calendar;          /* index into calendars: the working hours notices of a
                              "working_hours" policy wait for; -1 = none, never held */
    int line;
} sla_receiver;

enum sla_match_op {
    SLA_MATCH_EQUAL = 0, /* equal to any of values[] */
    SLA_MATCH_GT,
    SLA_MATCH_GE,
    SLA_MATCH_LT,
    SLA_MATCH_LE,
};

typedef struct sla_match {
    char *field;
    enum sla_match_op op;
    char **values; /* SLA_MATCH_EQUAL; integers and booleans as text ("2", "true") */
    size_t nvalues;
    double number; /* numeric ops: the ticket field must parse as a number */
} sla_match;

typedef struct sla_step {
    sla_span after;   /* delay from the deadline; not decreasing along the ladder */
    int *notify;      /* receiver indices into sla_config.receivers */
    size_t nnotify;
    sla_span repeat;  /* zero span: no repeat; only the last step repeats */
    int max_repeats;  /* with repeat: how many times; 0 = until acknowledged */
    sla_mention mention; /* whom this step's chat messages @-mention */
    enum sla_deliver deliver; /* UNSET: the policy's */
} sla_step;

typedef struct sla_target {
    int defined;        /* the policy sets this metric */
    sla_span target;    /* > 0; rings only for pickup; zero for a callback without
                           one (its deadline is the event's `due`) */
    int calendar;       /* index into calendars, -1 = wall-clock time */
    int warn_percent;   /* 1..99, or 0 */
    sla_span warn_before; /* used when warn_percent == 0 and non-zero */
    int *warn_notify;   /* receiver indices, non-empty iff a warning is set;
                           defaults to the first step's */
    size_t nwarn_notify;
    sla_step *steps;    /* the ladder, in order of `after` */
    size_t nsteps;
    int recovered;      /* send `recovered` to those notified when met late */
} sla_target;

typedef struct sla_policy {
    char *name;         /* unique; default "policy-<index from 0>" */
    sla_match *match;   /* all must hold; none = matches every ticket */
    size_t nmatch;
    sla_target metrics[SLA_METRIC_COUNT];
    char *runbook_url;  /* alertmanager annotation runbook_url; NULL */
    enum sla_deliver deliver; /* its notices: AT_ONCE (also when UNSET) or WORKING_HOURS */
    int line;
} sla_policy;

#define SLA_REPORT_MAX_DIMENSIONS 4

/* At most this many policies (the engine stores a policy index in 8 bits). */
#define SLA_MAX_POLICIES 250
/* Names of receivers, calendars and policies: 1..SLA_NAME_MAX bytes. */
#define SLA_NAME_MAX 64

enum sla_revisit { SLA_REVISIT_SATISFIED = 0, SLA_REVISIT_AVERAGE, SLA_REVISIT_UNSATISFIED,
                   SLA_REVISIT_COUNT };

typedef struct sla_config {
    char *path;            /* as given to sla_config_load */
    int log_level;         /* LOG_ERR .. LOG_DEBUG; default LOG_INFO */
    int partitions;        /* 1..SLA_PARTITIONS_MAX (sla_partition.h), default 1 */

    struct {
        char *name;        /* lease holder's name (sla_lease.h); default the host name */
        int lease_ttl_ms;  /* partition leases and heartbeat, default 5000 */
    } instance;

    struct {
        char *host;        /* default "127.0.0.1" */
        int port;          /* default 6379 */
        char *unix_socket; /* when set, used instead of host/port */
        char *password;    /* contents of password_file; NULL if none */
        int db;            /* default 0 */
        int connect_timeout_ms; /* default 2000 */
        int reply_timeout_ms;   /* command connection: reset when a reply waits longer; 5000 */
        /* Redis Cluster seed nodes, "host:port" each (checked by
         * sla_cluster_addr_parse); ncluster == 0: a single Redis at
         * host/port or unix_socket. With seeds, host, port and unix_socket
         * are not used and db must be 0. */
        char **cluster;
        size_t ncluster;
        int wait_replicas;      /* WAIT for this many replicas before delivering; 0: none */
        int wait_timeout_ms;    /* WAIT's timeout; default 1000 */
    } redis;

    struct {
        char *prefix;      /* default "sla:" */
        char *group;       /* default "slad" */
        char *consumer;    /* default "slad-<hostname>" */
        int batch;         /* XREADGROUP COUNT, default 500, 1..10000 */
        int block_ms;      /* XREADGROUP BLOCK, default 2000 */
        int claim_idle_ms; /* XAUTOCLAIM min-idle-time, default 60000 */
        int64_t max_future_skew_ms; /* default 300000 */
        sla_event_limits limits;
    } stream;

    char *control_socket;  /* default "/run/slad/slad.sock" */
    char *http_listen;     /* default "127.0.0.1:9464"; "" disables */

    struct {
        int max_clients;         /* served at once, default 32 */
        int max_clients_per_uid; /* of one uid (not root, not slad's), default 8 */
    } control;

    struct {
        int max_connections;     /* open at once, default 64 */
        int request_timeout_ms;  /* accept to answer written, default 5000 */
    } http;

    struct {
        char *group;            /* default "<stream.group>-deliver" (set after loading) */
        int connect_timeout_ms; /* default 5000 */
        int timeout_ms;         /* whole attempt, default 10000 */
        int64_t budget_ms;      /* give up past fired_ms + budget, default 24 h */
        int backoff_base_ms;    /* default 1000 */
        int backoff_cap_ms;     /* >= backoff_base_ms, default 600000 */
        int max_in_flight;      /* requests at once, default 32 */
    } delivery;

    /* Stream retention (sla_retention.h); a bound of 0 is off. */
    struct {
        int64_t interval_ms;                 /* between passes, default 60000 */
        int step;                            /* XTRIM ... LIMIT, default 10000 */
        sla_retention_rule events;           /* default 7 d, 10,000,000 entries */
        sla_retention_rule escalations;      /* default 30 d, 1,000,000 */
        sla_retention_rule dead;             /* default 30 d, 10,000 */
        sla_retention_rule deliveries_dead;  /* default 30 d, 100,000 */
    } retention;

    /* Outcome reports (sla_report.h). */
    struct {
        char *timezone;    /* days are counted in this zone; "" (default): the system's */
        char **dimensions; /* ticket fields counted apart, at most SLA_REPORT_MAX_DIMENSIONS */
        size_t ndimensions;
        int keep_days;     /* a day's counts expire this long after it; default 400 */
    } report;

    int64_t ring_ms;       /* clocks.ring_seconds * 1000, default 5000 */
    unsigned pausable_mask; /* bit (1u << metric); default resolution|periodic_update */
    sla_span revisit[SLA_REVISIT_COUNT]; /* default 90d, 7d, 24h */

    char **calendar_names;
    sla_calendar **calendars;
    size_t ncalendars;

    sla_receiver *receivers;
    size_t nreceivers;

    sla_policy *policies;
    size_t npolicies;

    /* Lines "FILE:LINE: SETTING: reason" about a loaded configuration that
     * works but should be fixed (a token in a file others may read). */
    char **warnings;
    size_t nwarnings;
} sla_config;

/*
 * Load and validate path. On success returns 0 and *out owns a new
 * configuration, whose warnings the caller shows (log, --check-config). On failure returns -1, *out is NULL and err holds one line
 * "FILE:LINE: SETTING: reason".
 */
int sla_config_load(const char *path, sla_config **out, char *err, size_t errlen);
void sla_config_free(sla_config *cfg);

/* Index of the receiver or calendar with that name, -1 when none. */
int sla_config_receiver_index(const sla_config *cfg, const char *name);
int sla_config_calendar_index(const sla_config *cfg, const char *name);

/* The policy named name (borrowed from cfg), NULL when none. */
const sla_policy *sla_config_policy(const sla_config *cfg, const char *name);
/* The ladder step of t that a record of `level` (1 breach, 2.. escalations
 * and repeats: those past the last step are the last step's) fired from;
 * NULL for level < 1 (a warning) or a target without a ladder. */
const sla_step *sla_target_step(const sla_target *t, int level);

/* "json", "alertmanager", ... and back (-1 when unknown). */
const char *sla_format_name(int format);
int sla_format_from_name(const char *name);

#endif
