// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the node-list parser (cdm_nodeset_parse/_format), built
 * with AddressSanitizer and UBSan together with the library sources.
 *
 * LLVMFuzzerTestOneInput is the libFuzzer entry point (clang
 * -fsanitize=fuzzer -DCDM_LIBFUZZER). Without libFuzzer, main() is a
 * deterministic driver for make check-host: 1000000 inputs mutated from a
 * seed corpus, printing TAP. Any sanitizer report aborts the run.
 * Properties checked on every input: parse returns 0, -EINVAL or -ERANGE;
 * a failure leaves a message naming the list; a success formats and
 * re-parses to the same set.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libcdm.h>
#include "fakesys.h"

static struct cdm_ctx *ctx;

static const struct fake_node machine[] = {
	{ 0, "0-1", 1024, "10 20 20" },
	{ 1, "", 1024, "20 10 20" },
	{ 2, "", 0, "20 20 10" },
};

static void setup(void)
{
	fakesys_new();
	fakesys_machine(machine, 3);
	if (cdm_new(&ctx))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cdm_nodeset set, back;
	char in[512], out[8192];
	int rc;

	if (!ctx)
		setup();
	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';
	rc = cdm_nodeset_parse(ctx, in, &set);
	if (rc != 0 && rc != -EINVAL && rc != -ERANGE)
		abort();
	if (rc) {
		if (!strstr(cdm_get_last_error(ctx), "node list '"))
			abort();
		return 0;
	}
	if (cdm_nodeset_format(&set, out, sizeof(out)) < 0)
		abort();
	if (!cdm_nodeset_weight(&set))
		return 0;
	if (cdm_nodeset_parse(ctx, out, &back) || memcmp(&set, &back, sizeof(set)))
		abort();
	return 0;
}

#ifndef CDM_LIBFUZZER
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	/* valid on the fake machine, and near misses: node 2 has no memory,
	 * node 3 is not there, a reversed range, a leading zero */
	static const char *const seeds[] = {
		"0", "0-1", "all", "!1", "!0-1", "+1", "+0-1", "!+0", "1,0", "0, 1",
		" 1", "+all", "2", "0-3,7", "3-1", "1023", "0-1023", "007",
	};
	static const char alphabet[] = "0123456789,-!al+ x\n\t";
	long i, iterations = argc > 1 ? atol(argv[1]) : 1000000;
	char buf[64];
	size_t len, j;

	for (i = 0; i < iterations; i++) {
		const char *seed = seeds[next() % (sizeof(seeds) / sizeof(seeds[0]))];

		len = strlen(seed);
		memcpy(buf, seed, len);
		/* a few mutations: replace, insert, truncate, raw bytes */
		for (j = next() % 4; j > 0; j--) {
			size_t at = len ? next() % len : 0;

			switch (next() % 4) {
			case 0:
				if (len)
					buf[at] = alphabet[next() % (sizeof(alphabet) - 1)];
				break;
			case 1:
				if (len < sizeof(buf) - 1) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = alphabet[next() % (sizeof(alphabet) - 1)];
					len++;
				}
				break;
			case 2:
				len = at;
				break;
			default:
				if (len)
					buf[at] = (char)next();
				break;
			}
		}
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	}
	printf("ok 1 - %ld mutated node lists: no crash, no sanitizer report, "
	       "round trips hold\n1..1\n", iterations);
	cdm_unref(ctx);
	fakesys_remove();
	return 0;
}
#endif
