/* SPDX-License-Identifier: MIT */
/*
 * child.h - run a piece of a test in a child process and find out how it
 * ended: its wait status, and what it wrote to stdout, to stderr and to a
 * data channel (t_child_send). Tests run cases in children because pgalloc
 * reads its configuration (PGALLOC_CONF) once, at its first use, so each
 * configuration needs a fresh process; because some cases must crash (bad
 * frees abort); and because fork itself is under test.
 *
 * The child counts its own checks from zero and exits 1 when one failed,
 * 0 otherwise; a failed REQUIRE exits 1 on the spot.
 */
#ifndef PGA_TEST_CHILD_H
#define PGA_TEST_CHILD_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "check.h"

/* What the child gets. */
struct t_child_opts {
	const char *conf;   /* PGALLOC_CONF in the child; NULL: none */
	bool inherit_conf;  /* leave PGALLOC_CONF as it is (conf is not used) */
	bool capture_out;   /* collect stdout, else it is the parent's */
	bool capture_err;   /* collect stderr, else it is the parent's */
	bool no_core;       /* it is meant to crash: no core file */
	bool run_atexit;    /* end with exit(), so that atexit handlers run
	                     * (stats_print=1 prints from one), not _exit() */
	unsigned timeout_s; /* kill it (SIGKILL) when it runs longer, so that a
	                     * hang, even in a fork handler before fn runs, is a
	                     * failure; 0: wait as long as it takes */
};

/* How it ended. The strings are NUL-terminated and never NULL (empty when
 * not captured); t_child_release frees them. */
struct t_child {
	bool ran;       /* forked and waited for */
	bool timed_out; /* killed after opts.timeout_s */
	int status;     /* as waitpid gives it */
	char how[96];   /* the status in words, for messages */
	char *out;      /* stdout */
	char *err;      /* stderr */
	char *data;     /* what it sent with t_child_send */
	size_t out_len, err_len, data_len;
};

/* In the child: where t_child_send writes. */
static int t_child_data_fd = -1;

/* In the child: pass bytes back to the parent (struct t_child data). */
static inline bool t_child_send(const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(t_child_data_fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Exited with status 0. */
static inline bool t_child_ok(const struct t_child *r)
{
	return r->ran && !r->timed_out && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
}

static inline void t_child_describe(struct t_child *r, int fork_errno, unsigned timeout_s)
{
	if (r->timed_out)
		snprintf(r->how, sizeof(r->how), "still running after %u s: killed", timeout_s);
	else if (!r->ran)
		snprintf(r->how, sizeof(r->how), "not run: %s", strerror(fork_errno));
	else if (WIFEXITED(r->status))
		snprintf(r->how, sizeof(r->how), "exit status %d", WEXITSTATUS(r->status));
	else if (WIFSIGNALED(r->status))
		snprintf(r->how, sizeof(r->how), "killed by signal %d (%s)", WTERMSIG(r->status),
		         strsignal(WTERMSIG(r->status)));
	else
		snprintf(r->how, sizeof(r->how), "status %#x", r->status);
}

/* In the child, before fn: what opts ask for. */
static inline void t_child_setup(const struct t_child_opts *opts, int out, int err, int data)
{
	t_checks = 0;
	t_failures = 0;
	if (opts->no_core) {
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
	}
	if (!opts->inherit_conf) {
		if (opts->conf)
			setenv("PGALLOC_CONF", opts->conf, 1);
		else
			unsetenv("PGALLOC_CONF");
	}
	if (out >= 0) {
		t_need(dup2(out, STDOUT_FILENO) == STDOUT_FILENO, "dup2");
		close(out);
	}
	if (err >= 0) {
		t_need(dup2(err, STDERR_FILENO) == STDERR_FILENO, "dup2");
		close(err);
	}
	t_child_data_fd = data;
}

/* Wait for pid; past timeout_s (when not 0), kill it first. */
static inline pid_t t_child_wait(pid_t pid, int *status, unsigned timeout_s, bool *timed_out)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t w = waitpid(pid, status, timeout_s ? WNOHANG : 0);
		if (w == pid || (w < 0 && errno != EINTR))
			return w;
		if (w != 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)timeout_s) {
			kill(pid, SIGKILL);
			*timed_out = true;
			timeout_s = 0;
			continue;
		}
		usleep(2000);
	}
}

/* Run fn in a child as opts say and wait for it; fills *r. Returns whether
 * the child exited with status 0. */
static inline bool t_child_run(void (*fn)(void), struct t_child_opts opts, struct t_child *r)
{
	int out = opts.capture_out ? t_capture_open() : -1;
	int err = opts.capture_err ? t_capture_open() : -1;
	int data = t_capture_open();
	int fork_errno = 0;

	memset(r, 0, sizeof(*r));
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		t_child_setup(&opts, out, err, data);
		fn();
		fflush(NULL);
		if (opts.run_atexit)
			exit(t_failures ? 1 : 0);
		_exit(t_failures ? 1 : 0);
	}
	if (pid < 0) {
		fork_errno = errno;
	} else {
		pid_t w = t_child_wait(pid, &r->status, opts.timeout_s, &r->timed_out);
		if (w != pid)
			fork_errno = errno;
		r->ran = w == pid;
	}
	t_child_describe(r, fork_errno, opts.timeout_s);
	r->out = out >= 0 ? t_capture_take(out, &r->out_len) : calloc(1, 1);
	r->err = err >= 0 ? t_capture_take(err, &r->err_len) : calloc(1, 1);
	r->data = t_capture_take(data, &r->data_len);
	t_need(r->out && r->err, "calloc");
	return t_child_ok(r);
}

static inline bool t_child_killed_by(const struct t_child *r, int sig)
{
	return r->ran && WIFSIGNALED(r->status) && WTERMSIG(r->status) == sig;
}

static inline void t_child_release(struct t_child *r)
{
	free(r->out);
	free(r->err);
	free(r->data);
	r->out = r->err = r->data = NULL;
}

/* Run fn as opts say, when only whether it passed matters: true when it
 * exited with status 0, else false, after saying how it ended under what. */
static inline bool t_child_passes(void (*fn)(void), struct t_child_opts opts, const char *what)
{
	struct t_child r;
	bool ok = t_child_run(fn, opts, &r);

	if (!ok)
		fprintf(stderr, "%s failed (%s)\n", what, r.how);
	t_child_release(&r);
	return ok;
}

/* ---- a case in a child of its own ---------------------------------------- */

static const char *t_case_name;
static void (*t_case_fn)(void);

static inline void t_case_main(void)
{
	t_case_fn();
	printf("  %s: %d checks, %d failed\n", t_case_name, t_checks, t_failures);
}

/*
 * Run fn in a child process with PGALLOC_CONF=conf (NULL: unset). The child
 * counts its own checks from zero, prints them under name, and exits with
 * its tally. Returns true when the child passed; a failure or a crash
 * counts as one failed check here.
 */
static inline int t_run_with_conf(const char *name, const char *conf, void (*fn)(void))
{
	size_t len = strlen(name) + (conf ? strlen(conf) : 0) + 32;
	char *what = malloc(len);

	t_need(what != NULL, "malloc");
	snprintf(what, len, "case '%s' (PGALLOC_CONF=%s)", name, conf ? conf : "");
	t_case_name = name;
	t_case_fn = fn;
	bool ok = t_child_passes(t_case_main, (struct t_child_opts){.conf = conf}, what);
	free(what);
	t_checks++;
	if (!ok)
		t_failures++;
	return ok;
}

#endif /* PGA_TEST_CHILD_H */
