/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cdmd's Prometheus endpoint (metrics_port in cdmd.conf(5); off unless
 * set): http://127.0.0.1:PORT/metrics and http://[::1]:PORT/metrics in
 * the text exposition format, version 0.0.4. The daemon renders the
 * whole page once per round with the helpers below and publishes it;
 * libmicrohttpd's thread serves the latest page to whoever asks, so a
 * scrape never waits for a round and a slow scraper never delays one.
 *
 * The metrics (counters end in _total and count from cdmd's start;
 * target is the [target NAME] of cdmd.conf, node a NUMA node number):
 *
 *   cdmd_up                                    gauge: 1 while cdmd runs
 *   cdmd_rounds_total                          counter: rounds run
 *   cdmd_target_scans_total                    counter: walks of /proc for the
 *                                              targets (process events
 *                                              spare most: cdmd(8))
 *   cdmd_round_seconds                         gauge: the last round's duration
 *   cdmd_tracker_regions{target}               gauge: regions the tracker watches
 *   cdmd_processes{target}                     gauge: processes the target has
 *   cdmd_promoted_bytes_total{target}          counter: moved to a fast node
 *   cdmd_demoted_bytes_total{target}           counter: moved to a slow node
 *   cdmd_bound_bytes_total{target}             counter: moved onto a bind node
 *   cdmd_batches_total{target}                 counter: moves tried
 *   cdmd_failed_batches_total{target,reason}   counter: moves that failed;
 *                                              reason: the error's name as
 *                                              strerrorname_np(3) gives it
 *                                              (EBUSY, ENOMEM, ...)
 *   cdmd_held_total{target,reason}             counter: moves held back;
 *                                              reason: min_residency,
 *                                              pingpong, rate, watermark,
 *                                              full (cdmd_held_name())
 *   cdmd_held_bytes_total{target,reason}       counter: their bytes
 *   cdmd_pingpong_bound_hits_total{target}     counter: held_total's
 *                                              reason="pingpong", by the
 *                                              name operators look for
 *   cdmd_node_free_bytes{node}                 gauge: the node's free memory
 *   cdmd_node_total_bytes{node}                gauge: the node's memory
 *   cdmd_paused{target}                        gauge: 1 while paused, else 0
 */
#ifndef CDMD_METRICS_H
#define CDMD_METRICS_H

#include <stddef.h>
#include <stdio.h>

struct cdmd_metrics;

/*
 * Listen on 127.0.0.1:@port and [::1]:@port (loopback only; IPv4 alone
 * where the host has no IPv6), @port 0 for a port the kernel picks
 * (tests). 0 and the server in *@m, or -errno after writing
 * "metrics: ADDRESS:PORT: message" to @err (-EADDRINUSE when another
 * program has the port). Requests are served on libmicrohttpd's own
 * thread; until the first cdmd_metrics_publish() they get 503.
 */
int cdmd_metrics_start(unsigned int port, FILE *err, struct cdmd_metrics **m);
/* The port listened on: the one asked for, or the kernel's pick for 0 */
unsigned int cdmd_metrics_port(struct cdmd_metrics *m);
/*
 * Serve @len bytes of @text from now on (copied: the caller's buffer is
 * free again on return). Requests under way finish with the page they
 * started with. 0, or -ENOMEM with the previous page still served.
 */
int cdmd_metrics_publish(struct cdmd_metrics *m, const char *text, size_t len);
/* Close the sockets, end the thread, drop requests under way (NULL: nothing) */
void cdmd_metrics_stop(struct cdmd_metrics *m);

/*
 * Rendering a page, so nothing else writes the format by hand. Start
 * from { 0 }: @buf is NUL-terminated once anything was written. Each
 * call adds whole lines or, on an error, nothing: 0, -EINVAL for a bad
 * name or type (a programming error), -ENOMEM.
 */
struct cdmd_metrics_text {
	char *buf;
	size_t len, cap;
};

/* "# HELP @name @help" (backslash and newline escaped) and
 * "# TYPE @name @type", @type "counter" or "gauge" */
int cdmd_metrics_family(struct cdmd_metrics_text *text, const char *name, const char *type,
			const char *help);
/*
 * A sample: "@name{label="value",...} @value", from pairs of label
 * name and value ended by NULL; label values escaped (backslash, double
 * quote, newline). Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label
 * names [a-zA-Z_][a-zA-Z0-9_]* and do not start with "__" (reserved).
 * The value is a double, as Prometheus keeps every sample: integers up
 * to 2^53 (8 PiB as bytes) print exactly, as integers; others in the
 * fewest digits that read back to the same double; NaN, +Inf, -Inf.
 */
int cdmd_metrics_sample(struct cdmd_metrics_text *text, const char *name, double value, ...)
	__attribute__((sentinel));
/* Free the buffer; @text is { 0 } again */
void cdmd_metrics_text_free(struct cdmd_metrics_text *text);

#endif
