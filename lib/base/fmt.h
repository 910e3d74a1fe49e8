/* SPDX-License-Identifier: MIT */
/*
 * fmt.h - formatting into a fixed buffer without stdio, so that messages and
 * statistics can be produced inside malloc itself. The buffer flushes to its
 * fd with write(2) when full.
 */
#ifndef PGA_FMT_H
#define PGA_FMT_H

#include <stddef.h>
#include <stdint.h>

struct pga_fmt {
	int fd;  /* where pga_fmt_flush writes; -1: never flush, truncate */
	int err; /* errno of the first write that failed, 0 if none */
	/* Instead of fd, when set: pga_fmt_flush hands the buffer to sink
	 * (a memory area, a stdio FILE); a nonzero return is the error. */
	int (*sink)(void *arg, const char *buf, size_t len);
	void *sink_arg;
	size_t len;
	char buf[4096];
};

void pga_fmt_init(struct pga_fmt *f, int fd);
/* Flushes go to sink(arg, ...) rather than to a file descriptor. */
void pga_fmt_init_sink(struct pga_fmt *f, int (*sink)(void *arg, const char *buf, size_t len),
                       void *arg);
void pga_fmt_str(struct pga_fmt *f, const char *s);
/* s padded with spaces on the left (width > 0) or right (width < 0). */
void pga_fmt_strw(struct pga_fmt *f, const char *s, int width);
void pga_fmt_u64(struct pga_fmt *f, uint64_t v, int width);
void pga_fmt_i64(struct pga_fmt *f, int64_t v, int width);
void pga_fmt_hex(struct pga_fmt *f, uint64_t v);
void pga_fmt_char(struct pga_fmt *f, char c);
/* Write what is buffered to fd; returns 0, or -1 when this write or an
 * earlier one of f failed (f->err: the errno of the first). */
int pga_fmt_flush(struct pga_fmt *f);

/* Copy what f holds (fd -1: a string builder) into dst as a NUL-terminated
 * string of at most len - 1 characters; nothing when dst is NULL. */
void pga_fmt_copy(const struct pga_fmt *f, char *dst, size_t len);

/* A one-line message to stderr: "pgalloc: " prefix, the parts, a newline. */
void pga_log(const char *a, const char *b, const char *c);

#endif /* PGA_FMT_H */
