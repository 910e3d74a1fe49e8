// SPDX-License-Identifier: MIT
/*
 * test_conffile.c - the sources of the configuration: /etc/pgalloc.conf
 * (pointed elsewhere here), the file PGALLOC_CONF_FILE names, then
 * PGALLOC_CONF, later entries winning; files with comments and one entry a
 * line; each message naming its source, the key and what is allowed; the
 * load-time report not repeated at start-up when nothing changed; the new
 * statistics keys.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "check.h"
#include "child.h"
#include "options.h"

static char sys_path[256], user_path[256];

static void write_file(char *path, size_t len, const char *name, const char *text)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, len, "%s/pgalloc-%s-XXXXXX", dir && *dir ? dir : "/tmp", name);
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* Load with stderr captured; returns the messages (malloc'd). */
static char *load(struct pga_options *o, int *errors)
{
	struct t_redirect r;

	t_redirect_begin(&r, STDERR_FILENO);
	*errors = pga_options_load(o);
	return t_redirect_end(&r, NULL);
}

static void case_sources(void)
{
	struct pga_options o;
	int errors;

	write_file(sys_path, sizeof(sys_path), "sys",
	           "# system-wide\n dma32_mb = 8 \nsection_mb=32,pcp_batch=7\n"
	           "nosuchkey=1   # a mistake\n");
	write_file(user_path, sizeof(user_path), "user",
	           "dma32_mb=16\npcp_batch=9\nstats_interval_ms=5\nstats_file=/tmp/x.stats\n");
	pga_options_system_file = sys_path;
	setenv("PGALLOC_CONF_FILE", user_path, 1);
	setenv("PGALLOC_CONF", "dma32_mb=32,stats_print=slabinfo:meminfo:json", 1);

	char *msg = load(&o, &errors);
	CHECK_EQ(o.dma32_mb, 32);         /* the environment wins */
	CHECK_EQ(o.pcp_batch, 9);         /* the user's file over the system's */
	CHECK_EQ(o.section_mb, 32);       /* the system's, not overridden */
	CHECK_EQ(o.stats_interval_ms, 0); /* 5 is out of range: the default */
	CHECK(strcmp(o.stats_file, "/tmp/x.stats") == 0);
	CHECK_EQ(o.stats_print, PGA_STATS_SLABINFO | PGA_STATS_MEMINFO | PGA_STATS_JSON);
	CHECK(o.stats_live);
	CHECK_EQ(errors, 2);
	/* Each message names its source and the key. */
	char want[400];
	snprintf(want, sizeof(want), "pgalloc: %s: unknown key 'nosuchkey'", sys_path);
	CHECK(strstr(msg, want) != NULL);
	snprintf(want, sizeof(want), "pgalloc: %s: bad value '5' for key 'stats_interval_ms'",
	         user_path);
	CHECK(strstr(msg, want) != NULL);
	CHECK(strstr(msg, "10..86400000") != NULL);
	if (errors != 2)
		fprintf(stderr, "messages:\n%s\n", msg);
	free(msg);

	/* The same sources again: already reported, so quiet, same result. */
	struct pga_options o2;
	msg = load(&o2, &errors);
	CHECK_EQ(errors, 2);
	CHECK(msg[0] == '\0');
	CHECK(memcmp(&o, &o2, sizeof(o)) == 0);
	free(msg);

	/* Changed: reported again. A file that cannot be read is named. */
	setenv("PGALLOC_CONF_FILE", "/nonexistent/pgalloc.conf", 1);
	setenv("PGALLOC_CONF", "stats_print=buddyinfo:nosuchview,stats_live=0", 1);
	msg = load(&o, &errors);
	CHECK(strstr(msg, "PGALLOC_CONF_FILE: cannot read '/nonexistent/pgalloc.conf'") != NULL);
	CHECK(strstr(msg, "pgalloc: PGALLOC_CONF: bad value 'buddyinfo:nosuchview' for key "
	                  "'stats_print'") != NULL);
	CHECK(strstr(msg, "slabinfo") != NULL); /* what is allowed */
	CHECK_EQ(o.stats_print, 0);
	CHECK(!o.stats_live);
	CHECK_EQ(o.pcp_batch, 7); /* the system file alone now */
	free(msg);
	unlink(sys_path);
	unlink(user_path);
}

static void case_doc(void)
{
	struct pga_option_doc d;
	int n = 0;

	/* Every key documented: type, values, default, layer, effect. */
	for (int i = 0; pga_option_doc(i, &d); i++, n++) {
		CHECK(d.name && *d.name && d.type && *d.type && d.values && *d.values);
		CHECK(d.def && *d.def && d.layer && *d.layer && d.effect && *d.effect);
		if (!*d.def || !*d.layer || !*d.effect)
			fprintf(stderr, "key %s lacks its documentation\n", d.name);
	}
	CHECK(n >= 23);
	CHECK(!pga_option_doc(n, &d));
}

int main(void)
{
	t_run_with_conf("sources", NULL, case_sources);
	case_doc();
	return t_done("conffile");
}
