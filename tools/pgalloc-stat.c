// SPDX-License-Identifier: MIT
/*
 * pgalloc-stat - the statistics views of a running process that uses
 * pgalloc, read from outside it (lib/stats/live.h: the shared mapping and
 * its protocol), and the table of configuration keys.
 *
 *   pgalloc-stat PID [VIEW...] [--json] [--watch SECONDS]
 *   pgalloc-stat --list
 *   pgalloc-stat --conf [--markdown]
 *
 * A plain program: stdio and malloc are fine here (whatever allocator it
 * runs under). Exit status: 0, 1 when the process cannot be read (no such
 * process, not using pgalloc, no permission), 2 for a usage error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "live.h"
#include "options.h"

/* How long to wait for the process to answer before showing its last
 * figures. */
#define ANSWER_TIMEOUT_MS 2000

static const struct {
	const char *name, *header;
} views[] = {
    {"buddyinfo", "# /proc/buddyinfo"},
    {"pagetypeinfo", "# /proc/pagetypeinfo"},
    {"zoneinfo", "# /proc/zoneinfo"},
    {"vmstat", "# /proc/vmstat"},
    {"numastat", "# /sys/devices/system/node/node*/numastat"},
    {"slabinfo", "# /proc/slabinfo"},
    {"meminfo", "# meminfo"},
};
#define NR_VIEWS (sizeof(views) / sizeof(views[0]))

static const char *prog = "pgalloc-stat";

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: %s PID [VIEW...] [--json] [--watch SECONDS]\n"
	        "       %s --list\n"
	        "       %s --conf [--markdown]\n"
	        "VIEW: buddyinfo pagetypeinfo zoneinfo vmstat numastat slabinfo meminfo all\n",
	        prog, prog, prog);
}

/* The fd number in /proc/PID/fd whose link is pgalloc's memfd, or -1. */
static int find_live_fd(long pid, int *err)
{
	char dir[64], path[320], link[256];
	DIR *d;
	struct dirent *e;
	int found = -1;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
	d = opendir(dir);
	if (!d) {
		*err = errno;
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		ssize_t n;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "/memfd:" PGA_LIVE_NAME, strlen("/memfd:" PGA_LIVE_NAME)) == 0) {
			found = atoi(e->d_name);
			break;
		}
	}
	closedir(d);
	*err = 0;
	return found;
}

/* Map process pid's live views; NULL with a message. */
static struct pga_live_header *open_live(long pid, bool quiet)
{
	char path[96];
	int err, fdnum, fd;
	struct pga_live_header *h;

	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
		if (!quiet)
			fprintf(stderr, "%s: no process %ld\n", prog, pid);
		return NULL;
	}
	fdnum = find_live_fd(pid, &err);
	if (fdnum < 0) {
		if (quiet)
			return NULL;
		if (err == EACCES || err == EPERM)
			fprintf(stderr,
			        "%s: process %ld: permission denied (only its user and root may "
			        "read its statistics)\n",
			        prog, pid);
		else if (err)
			fprintf(stderr, "%s: process %ld: %s\n", prog, pid, strerror(err));
		else
			fprintf(stderr,
			        "%s: process %ld has no live pgalloc statistics (not using "
			        "pgalloc, stats_live=0, not started yet, or a fork child that "
			        "has not exec'd)\n",
			        prog, pid);
		return NULL;
	}
	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", pid, fdnum);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (!quiet)
			fprintf(stderr, "%s: process %ld: %s%s\n", prog, pid, strerror(errno),
			        errno == EACCES ? " (only its user and root may read it)" : "");
		return NULL;
	}
	h = mmap(NULL, PGA_LIVE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED) {
		if (!quiet)
			fprintf(stderr, "%s: process %ld: mmap: %s\n", prog, pid, strerror(errno));
		return NULL;
	}
	if (memcmp(h->magic, PGA_LIVE_MAGIC, sizeof(PGA_LIVE_MAGIC)) != 0 ||
	    h->version != PGA_LIVE_VERSION) {
		if (!quiet)
			fprintf(stderr,
			        "%s: process %ld: unknown layout (another pgalloc version)\n", prog,
			        pid);
		munmap(h, PGA_LIVE_BYTES);
		return NULL;
	}
	/* A copy inherited from a parent (the child dropped it, or has not
	 * yet): stale, not this process's figures. */
	if (h->pid != pid) {
		if (!quiet)
			fprintf(stderr,
			        "%s: process %ld holds the statistics of process %lld (inherited "
			        "across fork): stale, not shown\n",
			        prog, pid, (long long)h->pid);
		munmap(h, PGA_LIVE_BYTES);
		return NULL;
	}
	return h;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Ask for fresh figures and wait for them; false when the process did
 * not answer in time. */
static bool refresh(struct pga_live_header *h)
{
	uint32_t r = atomic_fetch_add(&h->request, 1) + 1;
	long deadline = now_ms() + ANSWER_TIMEOUT_MS;

	syscall(SYS_futex, &h->request, FUTEX_WAKE, 1, NULL, NULL, 0);
	for (;;) {
		uint32_t s = atomic_load(&h->served);
		long left = deadline - now_ms();
		if ((int32_t)(s - r) >= 0)
			return true;
		if (left <= 0)
			return false;
		struct timespec ts = {left / 1000, (left % 1000) * 1000000L};
		syscall(SYS_futex, &h->served, FUTEX_WAIT, s, &ts, NULL, 0);
	}
}

/* A consistent copy of the text (json false) or the JSON document. */
static char *snapshot(struct pga_live_header *h, bool json, uint64_t *time_ms)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t s1 = atomic_load_explicit(&h->seq, memory_order_acquire);
		if (s1 & 1) {
			usleep(1000);
			continue;
		}
		uint64_t off = json ? h->json_off : h->text_off;
		uint64_t len = json ? h->json_len : h->text_len;
		*time_ms = h->time_ms;
		if (off + len > PGA_LIVE_BYTES)
			continue;
		char *buf = malloc(len + 1);
		if (!buf)
			return NULL;
		memcpy(buf, (char *)h + off, len);
		buf[len] = '\0';
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&h->seq, memory_order_relaxed) == s1)
			return buf;
		free(buf);
	}
	return NULL;
}

static bool is_section_start(const char *line)
{
	for (size_t i = 0; i < NR_VIEWS; i++)
		if (strncmp(line, views[i].header, strlen(views[i].header)) == 0 &&
		    (line[strlen(views[i].header)] == '\n' ||
		     line[strlen(views[i].header)] == '\0'))
			return true;
	return false;
}

/* The sections of text whose views are set in want (all when 0). */
static void print_views(const char *text, unsigned want)
{
	bool on = want == 0;

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line + 1) : strlen(line);

		if (want && is_section_start(line)) {
			on = false;
			for (size_t i = 0; i < NR_VIEWS; i++)
				if ((want & (1u << i)) &&
				    strncmp(line, views[i].header, strlen(views[i].header)) == 0 &&
				    line[strlen(views[i].header)] == '\n')
					on = true;
		}
		if (on)
			fwrite(line, 1, n, stdout);
		line += n;
	}
}

static int show(long pid, unsigned want, bool json, bool watch_mode, double every)
{
	struct pga_live_header *h = open_live(pid, false);

	if (!h)
		return 1;
	for (int round = 0;; round++) {
		uint64_t t = 0;
		bool fresh = refresh(h);
		char *data = snapshot(h, json, &t);

		if (!data) {
			fprintf(stderr, "%s: process %ld: no consistent copy of its statistics\n",
			        prog, pid);
			munmap(h, PGA_LIVE_BYTES);
			return 1;
		}
		if (watch_mode && round)
			printf("\n");
		if (!fresh)
			fprintf(stderr,
			        "%s: process %ld did not answer in %d ms (stopped?): its last "
			        "figures, from %llu ms since the epoch\n",
			        prog, pid, ANSWER_TIMEOUT_MS, (unsigned long long)t);
		if (!t) {
			fprintf(stderr, "%s: process %ld has written no figures yet\n", prog, pid);
			free(data);
			munmap(h, PGA_LIVE_BYTES);
			return 1;
		}
		if (json)
			fputs(data, stdout);
		else
			print_views(data, want);
		free(data);
		fflush(stdout);
		if (!watch_mode)
			break;
		usleep((useconds_t)(every * 1e6));
		if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
			fprintf(stderr, "%s: process %ld has exited\n", prog, pid);
			break;
		}
	}
	munmap(h, PGA_LIVE_BYTES);
	return 0;
}

static int list_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d) {
		perror("/proc");
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		int err;
		if (*end || pid <= 0 || find_live_fd(pid, &err) < 0)
			continue;
		char path[64], comm[64] = "?";
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		FILE *f = fopen(path, "r");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		struct pga_live_header *h = open_live(pid, true);
		printf("%ld %s%s\n", pid, comm, h ? "" : " (stale: inherited across fork)");
		if (h)
			munmap(h, PGA_LIVE_BYTES);
	}
	closedir(d);
	return 0;
}

/* The table of every PGALLOC_CONF key, from the code's own table. */
static int print_conf(bool markdown)
{
	struct pga_option_doc d;

	if (markdown) {
		printf("| key | type | values | default | layer | effect |\n");
		printf("|-----|------|--------|---------|-------|--------|\n");
	}
	for (int i = 0; pga_option_doc(i, &d); i++) {
		if (markdown)
			printf("| [`%s`](#%s) | %s | %s | %s | %s | %s |\n", d.name, d.anchor,
			       d.type, d.values, d.def, d.layer, d.effect);
		else
			printf("%s\n  type: %s\n  values: %s\n  default: %s\n  layer: %s\n  %s\n",
			       d.name, d.type, d.values, d.def, d.layer, d.effect);
	}
	return 0;
}

int main(int argc, char **argv)
{
	long pid = -1;
	unsigned want = 0;
	bool json = false, watch_mode = false, conf = false, markdown = false, list = false;
	double every = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--watch") || !strcmp(a, "-w")) {
			char *end;
			if (i + 1 >= argc || (every = strtod(argv[++i], &end)) <= 0 || *end) {
				fprintf(stderr, "%s: --watch needs a number of seconds above 0\n",
				        prog);
				return 2;
			}
			watch_mode = true;
		} else if (!strcmp(a, "--conf")) {
			conf = true;
		} else if (!strcmp(a, "--markdown")) {
			markdown = true;
		} else if (!strcmp(a, "--list")) {
			list = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (pid < 0 && a[0] >= '0' && a[0] <= '9') {
			char *end;
			pid = strtol(a, &end, 10);
			if (*end || pid <= 0) {
				fprintf(stderr, "%s: bad process id '%s'\n", prog, a);
				return 2;
			}
		} else {
			bool found = !strcmp(a, "all");
			for (size_t v = 0; v < NR_VIEWS; v++)
				if (!strcmp(a, views[v].name)) {
					want |= 1u << v;
					found = true;
				}
			if (!found) {
				fprintf(stderr, "%s: unknown view or option '%s'\n", prog, a);
				usage(stderr);
				return 2;
			}
		}
	}
	if (conf)
		return print_conf(markdown);
	if (list)
		return list_processes();
	if (pid < 0) {
		usage(stderr);
		return 2;
	}
	return show(pid, want, json, watch_mode, every);
}
