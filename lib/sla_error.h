/*
 * sla_error — the one way lib/ reports a human-readable error.
 *
 * Functions that can fail for a reason a person must read take a buffer
 * (err, errlen) and return -1 through sla_error(), in the spirit of git's
 * error(): the message is formatted into the buffer (when there is one)
 * and the return value is the failure itself.
 */
#ifndef SLA_ERROR_H
#define SLA_ERROR_H

#include <stddef.h>

/* Format the message into err (if err && errlen) and return -1. */
int sla_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
