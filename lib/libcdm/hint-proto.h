/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Application hints, libcdm to cdmd (cdm_hint(), daemon/hints.c): one
 * request and one reply per connection on a SOCK_SEQPACKET unix socket,
 * each a single fixed-size message in the machine's own byte order (both
 * ends run on the same machine). The hinted range is the sender's own:
 * cdmd takes the process from the socket's peer credentials, never from
 * the message. Private to the source tree: not installed.
 */
#ifndef _LIBCDM_HINT_PROTO_H_
#define _LIBCDM_HINT_PROTO_H_

#include <stdint.h>

/* mode 0666: any process may hint its own memory; $CDM_HINT_SOCKET
 * overrides the path (tests) */
#define CDM_HINT_SOCKET		"/run/cdmd/hints.sock"
#define CDM_HINT_MAGIC		0x48444d43u	/* "CDMH" read as little endian */
#define CDM_HINT_VERSION	1u

/* hint: enum cdm_hint (libcdm.h); node: CDM_HINT_NODE's, else -1 */
struct cdm_hint_request {
	uint32_t magic, version;
	uint32_t hint;
	int32_t node;
	uint64_t start, len;		/* bytes, page aligned, len > 0 */
};

/* err: 0, or a negative errno: -ESRCH the sender is no process cdmd
 * manages, -ENOSPC too many hinted ranges, -EINVAL a malformed range or
 * hint, -EPROTO a message of another size, magic or version */
struct cdm_hint_reply {
	uint32_t magic, version;
	int32_t err;
};

#endif
