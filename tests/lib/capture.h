/* SPDX-License-Identifier: MIT */
/*
 * capture.h - collect what is written to a file descriptor and read it back
 * as a string: an anonymous file (memfd, or an unlinked temporary file where
 * there is none) that a child process or the code under test writes to, and
 * that is read from the start once the writing is done. A file rather than a
 * pipe: the writer never blocks, so nothing has to read while it runs.
 */
#ifndef PGA_TEST_CAPTURE_H
#define PGA_TEST_CAPTURE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* A new, empty anonymous file, open for reading and writing. */
static inline int t_capture_open(void)
{
	int fd = memfd_create("pgalloc-test", 0);

	if (fd < 0) {
		const char *dir = getenv("TMPDIR");
		char path[4096];

		snprintf(path, sizeof(path), "%s/pgalloc-test-XXXXXX", dir && *dir ? dir : "/tmp");
		fd = mkstemp(path);
		t_need(fd >= 0, "a capture file");
		unlink(path);
	}
	return fd;
}

/* Everything written to fd, NUL-terminated, malloc'd; its length in *len
 * when len is not NULL. Closes fd. */
static inline char *t_capture_take(int fd, size_t *len)
{
	struct stat st;
	size_t got = 0;

	t_need(fstat(fd, &st) == 0, "fstat of a capture file");
	char *buf = malloc((size_t)st.st_size + 1);
	t_need(buf != NULL, "malloc");
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	if (len)
		*len = got;
	return buf;
}

/* Send what this process writes to target (STDERR_FILENO, say) into a
 * capture file, until t_redirect_end. */
struct t_redirect {
	int target, saved, file;
};

static inline void t_redirect_begin(struct t_redirect *r, int target)
{
	fflush(NULL);
	r->target = target;
	r->file = t_capture_open();
	r->saved = dup(target);
	t_need(r->saved >= 0, "dup");
	t_need(dup2(r->file, target) == target, "dup2");
}

/* Put target back; returns what was written meanwhile (t_capture_take). */
static inline char *t_redirect_end(struct t_redirect *r, size_t *len)
{
	fflush(NULL);
	t_need(dup2(r->saved, r->target) == r->target, "dup2");
	close(r->saved);
	return t_capture_take(r->file, len);
}

#endif /* PGA_TEST_CAPTURE_H */
