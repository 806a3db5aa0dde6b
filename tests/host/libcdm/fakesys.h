/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fake sysfs trees for host tests: a temporary directory laid out like
 * /sys/devices/system/node (and memory_tiering), handed to libcdm through
 * CDM_SYSFS_ROOT.
 */
#ifndef FAKESYS_H
#define FAKESYS_H

struct fake_node {
	int id;
	const char *cpus;		/* "" for CPU-less */
	unsigned long mem_mib;
	const char *distance;		/* "10 20 ..." */
};

/* mkdtemp a root; returns its path (static storage, one tree at a time) */
const char *fakesys_new(void);
void fakesys_remove(void);
/* write @content to ROOT/@rel (creating directories); NULL removes it */
void fakesys_write(const char *rel, const char *content);
/* the first line of ROOT/@rel, newline kept ("" when empty; static
 * storage, to the next call), NULL when it cannot be read */
const char *fakesys_read(const char *rel);
/* a symbolic link ROOT/@rel -> @target (creating directories) */
void fakesys_symlink(const char *rel, const char *target);
/* online/has_memory/has_cpu, nodeN/{cpulist,meminfo,distance} */
void fakesys_machine(const struct fake_node *nodes, int nr);
/* nodeN/accessA/initiators/{read,write}_{bandwidth,latency} + nodeI link */
void fakesys_hmat(int node, int access, int initiator, long rbw, long wbw,
		  long rlat, long wlat);

#endif
