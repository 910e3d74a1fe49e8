// SPDX-License-Identifier: MIT
/*
 * topology.c - NUMA nodes, CPU -> node map and distances, from sysfs or made
 * up from numa_fake (the kernel's numa=fake).
 *
 * Sources, all read with pga_os_read_file() into one stack buffer:
 *   /sys/devices/system/cpu/possible          nr_cpus = highest CPU + 1
 *   /sys/devices/system/node/online           the real nodes
 *   /sys/devices/system/node/nodeN/cpulist    CPUs of node N
 *   /sys/devices/system/node/nodeN/distance   row N of the distance matrix
 *   /sys/devices/system/node/nodeN/meminfo    "Node N MemTotal: X kB"
 *   /proc/meminfo                             MemTotal, when sysfs is missing
 *
 * Invariants after pga_topology_init():
 *   1 <= nr_nodes <= PGA_MAX_NUMNODES; nodes are numbered densely 0..nr_nodes-1
 *   even when the real node ids have gaps (real_node[] keeps the real id, the
 *   one mbind() needs); distance[a][b] is 1..255 for a, b < nr_nodes and 0
 *   elsewhere; cpu_to_node[c] < nr_nodes for every c (CPUs that sysfs lists
 *   under no node, such as offline ones, are on node 0); has_cpus[n] is set
 *   for the nodes that CPUs are listed on, and for node 0 when none are.
 */
#include "topology.h"

#include <limits.h>
#include <string.h>

#include "compiler.h"
#include "fmt.h"
#include "os.h"
#include "scan.h"

struct pga_topology pga_topo;

#define SYS_NODE "/sys/devices/system/node/"

/* Real node ids and CPU numbers in sysfs lists are below this; larger ids
 * (some POWER machines number nodes up to 255) are still read correctly. */
#define LIST_BITS PGA_MAX_CPUS

/* Memory assumed when neither sysfs nor /proc/meminfo can be read: enough to
 * run, small enough not to promise what may not exist. */
#define FALLBACK_MEM_BYTES (1ULL << 30)

/* Append s to buf (capacity len, always NUL-terminated); returns the new end. */
static char *path_append(char *p, char *buf_end, const char *s)
{
	while (*s && p + 1 < buf_end)
		*p++ = *s++;
	*p = '\0';
	return p;
}

/* SYS_NODE "node<nid>/<file>" into buf. */
static void node_path(char *buf, size_t len, int nid, const char *file)
{
	char num[12];
	char *n = num + sizeof(num);
	char *p;

	*--n = '\0';
	do {
		*--n = (char)('0' + nid % 10);
		nid /= 10;
	} while (nid);
	p = path_append(buf, buf + len, SYS_NODE "node");
	p = path_append(p, buf + len, n);
	p = path_append(p, buf + len, "/");
	path_append(p, buf + len, file);
}

/* The "MemTotal: X kB" figure of a meminfo file (per node or /proc), in
 * bytes; 0 when the line is missing or malformed. */
static uint64_t memtotal_bytes(const char *buf)
{
	const char *end, *v = pga_scan_field(buf, "MemTotal:", &end);
	long kb;

	if (!v || !pga_scan_long(&v, end, 0, LONG_MAX / 1024, &kb))
		return 0;
	return (uint64_t)kb * 1024;
}

static uint64_t proc_memtotal(char *buf, size_t len)
{
	/* MemTotal is the first line, so a partial read is enough. */
	if (pga_os_read_file("/proc/meminfo", buf, len) <= 0)
		return 0;
	return memtotal_bytes(buf);
}

/* Number of possible CPUs (highest + 1), capped at PGA_MAX_CPUS: CPUs past
 * the cap map to node 0 through pga_cpu_to_node(). */
static int read_nr_cpus(char *buf, size_t len)
{
	static const char *const files[] = {"/sys/devices/system/cpu/possible",
	                                    "/sys/devices/system/cpu/online"};
	uint64_t bits[LIST_BITS / 64];

	for (size_t i = 0; i < PGA_ARRAY_SIZE(files); i++) {
		long n = pga_os_read_file(files[i], buf, len);
		long max;

		if (n <= 0 || !pga_parse_bitlist(buf, buf + n, bits, LIST_BITS, false, &max) ||
		    max < 0)
			continue;
		return max >= PGA_MAX_CPUS ? PGA_MAX_CPUS : (int)max + 1;
	}
	return 1;
}

/* The kernel's default when firmware gives no SLIT: 10 local, 20 remote. */
static void default_distance_row(struct pga_topology *topo, int a, int nr)
{
	for (int b = 0; b < nr; b++)
		topo->distance[a][b] = a == b ? PGA_LOCAL_DISTANCE : PGA_REMOTE_DISTANCE;
}

/* Row nid of the distance matrix from "10 21 ..."; false when it is short or
 * holds a value that does not fit the matrix. */
static bool parse_distance_row(const char *p, const char *end, uint8_t *row, int nr)
{
	for (int j = 0; j < nr; j++) {
		long d;

		while (p < end && pga_is_space(*p))
			p++;
		if (!pga_scan_long(&p, end, 1, 255, &d))
			return false;
		if (p < end && !pga_is_space(*p))
			return false;
		row[j] = (uint8_t)d;
	}
	/* Columns past nr belong to nodes beyond PGA_MAX_NUMNODES: ignored. */
	return true;
}

/*
 * The real topology from sysfs. Returns false, leaving topo to the caller's
 * fallback, when the node list cannot be read.
 */
static bool read_sysfs_nodes(struct pga_topology *topo, char *buf, size_t len)
{
	uint64_t bits[LIST_BITS / 64];
	char path[96];
	bool any_cpus = false;
	bool dropped = false;
	uint64_t fallback_mem = 0;
	long n, max;
	int nr = 0;

	n = pga_os_read_file(SYS_NODE "online", buf, len);
	if (n <= 0 || !pga_parse_bitlist(buf, buf + n, bits, LIST_BITS, false, &max))
		return false;
	/* Renumber densely: node ids may have gaps (offlined nodes, POWER). */
	for (unsigned id = 0; id < LIST_BITS; id++) {
		if (!pga_bit_test(bits, id))
			continue;
		if (nr == PGA_MAX_NUMNODES) {
			dropped = true;
			break;
		}
		topo->real_node[nr++] = (int)id;
	}
	if (max >= LIST_BITS)
		dropped = true;
	if (nr == 0)
		return false;
	if (dropped)
		pga_log("more than 64 NUMA nodes online or node ids above 1023; ",
		        "the extra nodes are ignored and their CPUs count as node 0", NULL);
	topo->nr_nodes = nr;

	for (int i = 0; i < nr; i++) {
		int id = topo->real_node[i];

		node_path(path, sizeof(path), id, "cpulist");
		n = pga_os_read_file(path, buf, len);
		if (n >= 0 && pga_parse_bitlist(buf, buf + n, bits, LIST_BITS, false, NULL)) {
			for (unsigned c = 0; c < PGA_MAX_CPUS; c++) {
				if (!pga_bit_test(bits, c))
					continue;
				topo->cpu_to_node[c] = (int16_t)i;
				topo->has_cpus[i] = true;
				any_cpus = true;
			}
		}

		node_path(path, sizeof(path), id, "distance");
		n = pga_os_read_file(path, buf, len);
		if (n <= 0 || !parse_distance_row(buf, buf + n, topo->distance[i], nr))
			default_distance_row(topo, i, nr);

		node_path(path, sizeof(path), id, "meminfo");
		n = pga_os_read_file(path, buf, len);
		if (n > 0) {
			/* A node without memory (CPU-only) legitimately reads 0. */
			topo->node_mem_bytes[i] = memtotal_bytes(buf);
		} else {
			/* Unreadable: assume an even share of the machine. */
			if (!fallback_mem) {
				fallback_mem = proc_memtotal(buf, len) / (uint64_t)nr;
				if (!fallback_mem)
					fallback_mem = FALLBACK_MEM_BYTES;
			}
			topo->node_mem_bytes[i] = fallback_mem;
		}
	}
	/* CPUs listed under no node (offline ones, or unreadable cpulists)
	 * stay on node 0, so node 0 must be marked as having them. */
	if (!any_cpus)
		topo->has_cpus[0] = true;
	return true;
}

/* No sysfs: one node holding every CPU and all of MemTotal. */
static void single_node(struct pga_topology *topo, char *buf, size_t len)
{
	uint64_t mem = proc_memtotal(buf, len);

	topo->nr_nodes = 1;
	topo->real_node[0] = 0;
	topo->distance[0][0] = PGA_LOCAL_DISTANCE;
	memset(topo->cpu_to_node, 0, sizeof(topo->cpu_to_node));
	topo->has_cpus[0] = true;
	topo->node_mem_bytes[0] = mem ? mem : FALLBACK_MEM_BYTES;
}

/*
 * numa=fake: replace the real nodes with opts->numa_fake fake ones. Fake
 * node f sits on real node f * nr_real / N (spreading the fake nodes evenly
 * over the real ones, in order) and gets an equal share of that node's
 * memory. opts was validated by pga_options_parse(); the bounds are checked
 * again so that a hand-made opts cannot index out of the arrays.
 */
static void make_fake(struct pga_topology *topo, const struct pga_options *opts)
{
	int nr_real = topo->nr_nodes;
	int nr = opts->numa_fake > PGA_MAX_NUMNODES ? PGA_MAX_NUMNODES : opts->numa_fake;
	int real_id[PGA_MAX_NUMNODES];
	uint64_t real_mem[PGA_MAX_NUMNODES];
	int sharing[PGA_MAX_NUMNODES] = {0};
	int on_real[PGA_MAX_NUMNODES];

	memcpy(real_id, topo->real_node, sizeof(real_id));
	memcpy(real_mem, topo->node_mem_bytes, sizeof(real_mem));
	for (int f = 0; f < nr; f++) {
		on_real[f] = f * nr_real / nr;
		sharing[on_real[f]]++;
	}

	topo->nr_nodes = nr;
	topo->fake = true;
	memset(topo->real_node, 0, sizeof(topo->real_node));
	memset(topo->node_mem_bytes, 0, sizeof(topo->node_mem_bytes));
	memset(topo->distance, 0, sizeof(topo->distance));
	memset(topo->cpu_to_node, 0, sizeof(topo->cpu_to_node));
	memset(topo->has_cpus, 0, sizeof(topo->has_cpus));

	for (int f = 0; f < nr; f++) {
		topo->real_node[f] = real_id[on_real[f]];
		topo->node_mem_bytes[f] = real_mem[on_real[f]] / (uint64_t)sharing[on_real[f]];
	}

	if (opts->nr_distance == nr * nr) {
		for (int a = 0; a < nr; a++)
			for (int b = 0; b < nr; b++)
				topo->distance[a][b] = opts->distance[a * nr + b];
	} else {
		for (int a = 0; a < nr; a++)
			default_distance_row(topo, a, nr);
	}

	for (int c = 0; c < topo->nr_cpus; c++) {
		int nid = c % nr;

		if (c < opts->nr_cpu_map && opts->cpu_map[c] >= 0 && opts->cpu_map[c] < nr)
			nid = opts->cpu_map[c];
		topo->cpu_to_node[c] = (int16_t)nid;
		topo->has_cpus[nid] = true;
	}
}

void pga_topology_init(struct pga_topology *topo, const struct pga_options *opts)
{
	/* One buffer for every file: the lists and rows are small, and
	 * MemTotal is on the first line of the meminfo files. */
	char buf[4096];

	memset(topo, 0, sizeof(*topo));
	topo->nr_cpus = read_nr_cpus(buf, sizeof(buf));
	/* read_sysfs_nodes() writes nothing into topo before it can fail. */
	if (!read_sysfs_nodes(topo, buf, sizeof(buf)))
		single_node(topo, buf, sizeof(buf));
	if (opts && opts->numa_fake >= 1)
		make_fake(topo, opts);
}
