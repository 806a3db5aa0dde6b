// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakesys.h"

static char root[PATH_MAX];

static void die(const char *what, const char *path)
{
	fprintf(stderr, "Bail out! fakesys: %s %s: %s\n", what, path, strerror(errno));
	printf("Bail out! fakesys: %s %s\n", what, path);
	exit(1);
}

static void mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			die("mkdir", path);
		*p = '/';
	}
}

const char *fakesys_new(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/libcdm-sysfs.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(root))
		die("mkdtemp", root);
	setenv("CDM_SYSFS_ROOT", root, 1);
	return root;
}

void fakesys_remove(void)
{
	char cmd[PATH_MAX + 32];

	if (!root[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "fakesys: could not remove %s\n", root);
	root[0] = '\0';
}

void fakesys_write(const char *rel, const char *content)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (!content) {
		unlink(path);
		return;
	}
	mkdirs(path);
	f = fopen(path, "w");
	if (!f)
		die("open", path);
	fputs(content, f);
	if (fclose(f))
		die("write", path);
}

const char *fakesys_read(const char *rel)
{
	static char buf[256];
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf;
}

void fakesys_symlink(const char *rel, const char *target)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkdirs(path);
	if (symlink(target, path) && errno != EEXIST)
		die("symlink", path);
}

void fakesys_machine(const struct fake_node *nodes, int nr)
{
	char online[256] = "", mem[256] = "", cpu[256] = "", rel[128], buf[1024];
	int i;

	for (i = 0; i < nr; i++) {
		snprintf(online + strlen(online), sizeof(online) - strlen(online), "%s%d",
			 i ? "," : "", nodes[i].id);
		if (nodes[i].mem_mib)
			snprintf(mem + strlen(mem), sizeof(mem) - strlen(mem), "%s%d",
				 *mem ? "," : "", nodes[i].id);
		if (*nodes[i].cpus)
			snprintf(cpu + strlen(cpu), sizeof(cpu) - strlen(cpu), "%s%d",
				 *cpu ? "," : "", nodes[i].id);

		snprintf(rel, sizeof(rel), "devices/system/node/node%d/cpulist", nodes[i].id);
		snprintf(buf, sizeof(buf), "%s\n", nodes[i].cpus);
		fakesys_write(rel, buf);
		snprintf(rel, sizeof(rel), "devices/system/node/node%d/distance", nodes[i].id);
		snprintf(buf, sizeof(buf), "%s\n", nodes[i].distance);
		fakesys_write(rel, buf);
		/* the kernel's layout, including the alignment padding */
		snprintf(rel, sizeof(rel), "devices/system/node/node%d/meminfo", nodes[i].id);
		snprintf(buf, sizeof(buf),
			 "Node %d MemTotal:       %8lu kB\n"
			 "Node %d MemFree:        %8lu kB\n"
			 "Node %d MemUsed:        %8lu kB\n",
			 nodes[i].id, nodes[i].mem_mib * 1024,
			 nodes[i].id, nodes[i].mem_mib * 1024 * 3 / 4,
			 nodes[i].id, nodes[i].mem_mib * 1024 / 4);
		fakesys_write(rel, buf);
	}
	strcat(online, "\n");
	strcat(mem, "\n");
	strcat(cpu, "\n");
	fakesys_write("devices/system/node/online", online);
	fakesys_write("devices/system/node/possible", online);
	fakesys_write("devices/system/node/has_memory", mem);
	fakesys_write("devices/system/node/has_normal_memory", mem);
	fakesys_write("devices/system/node/has_cpu", cpu);
}

void fakesys_hmat(int node, int access, int initiator, long rbw, long wbw,
		  long rlat, long wlat)
{
	char rel[128], buf[32], path[PATH_MAX + 128], target[64];
	const char *names[] = { "read_bandwidth", "write_bandwidth", "read_latency",
				"write_latency" };
	long vals[] = { rbw, wbw, rlat, wlat };
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(rel, sizeof(rel), "devices/system/node/node%d/access%d/initiators/%s",
			 node, access, names[i]);
		snprintf(buf, sizeof(buf), "%ld\n", vals[i]);
		fakesys_write(rel, buf);
	}
	snprintf(path, sizeof(path), "%s/devices/system/node/node%d/access%d/initiators/node%d",
		 root, node, access, initiator);
	snprintf(target, sizeof(target), "../../../node%d", initiator);
	if (symlink(target, path) && errno != EEXIST)
		die("symlink", path);
}
