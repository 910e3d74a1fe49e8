// SPDX-License-Identifier: MIT
/*
 * fmt.c - formatting into a fixed buffer without stdio or malloc.
 *
 * Everything funnels through fmt_put(), which copies bytes into f->buf and,
 * when the buffer is full, either flushes it to f->fd (fd >= 0) or drops the
 * rest (fd < 0: the buffer is a bounded string builder). Invariant:
 * f->len <= sizeof(f->buf) at all times; the buffer is not NUL-terminated.
 */
#include "fmt.h"

#include <errno.h>
#include <string.h>

#include "os.h"

void pga_fmt_init(struct pga_fmt *f, int fd)
{
	f->fd = fd;
	f->err = 0;
	f->len = 0;
	f->sink = NULL;
	f->sink_arg = NULL;
}

void pga_fmt_init_sink(struct pga_fmt *f, int (*sink)(void *arg, const char *buf, size_t len),
                       void *arg)
{
	pga_fmt_init(f, 0);
	f->sink = sink;
	f->sink_arg = arg;
}

int pga_fmt_flush(struct pga_fmt *f)
{
	int rc;

	/* Without an fd the buffer is the result: keep it for the caller. */
	if (f->fd < 0)
		return 0;
	if (f->len == 0 || f->err) {
		/* After a failed write the rest is dropped, not written to a
		 * broken fd again and again. */
		f->len = 0;
		return f->err ? -1 : 0;
	}
	/* errno is the caller's: flushes happen inside malloc. */
	int saved = errno;
	errno = 0;
	if (f->sink) {
		rc = f->sink(f->sink_arg, f->buf, f->len);
		if (rc != 0)
			f->err = rc;
		errno = saved;
		f->len = 0;
		return f->err ? -1 : 0;
	}
	rc = pga_os_write_all(f->fd, f->buf, f->len);
	/* write(2) returning 0 leaves errno alone: call it EIO. */
	if (rc != 0)
		f->err = errno ? errno : EIO;
	errno = saved;
	/* Drop the bytes even when the write failed: retrying a broken fd
	 * would loop forever, and later output must still find room. */
	f->len = 0;
	return f->err ? -1 : 0;
}

static void fmt_put(struct pga_fmt *f, const char *s, size_t n)
{
	while (n) {
		size_t room = sizeof(f->buf) - f->len;

		if (room == 0) {
			if (f->fd < 0)
				return; /* truncate silently */
			pga_fmt_flush(f);
			room = sizeof(f->buf);
		}
		if (room > n)
			room = n;
		memcpy(f->buf + f->len, s, room);
		f->len += room;
		s += room;
		n -= room;
	}
}

static void fmt_pad(struct pga_fmt *f, int n)
{
	while (n-- > 0)
		fmt_put(f, " ", 1);
}

/* Append s[0..n) padded to |width|: right-aligned when width > 0,
 * left-aligned when width < 0. */
static void fmt_padded(struct pga_fmt *f, const char *s, size_t n, int width)
{
	size_t w = width < 0 ? (size_t) - (long)width : (size_t)width;
	int pad = w > n ? (int)(w - n) : 0;

	if (width > 0)
		fmt_pad(f, pad);
	fmt_put(f, s, n);
	if (width < 0)
		fmt_pad(f, pad);
}

void pga_fmt_str(struct pga_fmt *f, const char *s)
{
	if (!s)
		s = "(null)";
	fmt_put(f, s, strlen(s));
}

void pga_fmt_strw(struct pga_fmt *f, const char *s, int width)
{
	if (!s)
		s = "(null)";
	fmt_padded(f, s, strlen(s), width);
}

void pga_fmt_char(struct pga_fmt *f, char c)
{
	fmt_put(f, &c, 1);
}

/* Digits of v, filled from the end of tmp[24]; returns the first digit.
 * 20 digits hold UINT64_MAX, one more for a sign. */
static char *u64_digits(char tmp[24], uint64_t v)
{
	char *p = tmp + 24;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

void pga_fmt_u64(struct pga_fmt *f, uint64_t v, int width)
{
	char tmp[24];
	char *p = u64_digits(tmp, v);

	fmt_padded(f, p, (size_t)(tmp + 24 - p), width);
}

void pga_fmt_i64(struct pga_fmt *f, int64_t v, int width)
{
	char tmp[24];
	/* Negate in unsigned arithmetic so that INT64_MIN does not overflow. */
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	char *p = u64_digits(tmp, mag);

	if (v < 0)
		*--p = '-';
	fmt_padded(f, p, (size_t)(tmp + 24 - p), width);
}

void pga_fmt_hex(struct pga_fmt *f, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[18];
	char *p = tmp + sizeof(tmp);

	do {
		*--p = digits[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	fmt_put(f, p, (size_t)(tmp + sizeof(tmp) - p));
}

void pga_fmt_copy(const struct pga_fmt *f, char *dst, size_t len)
{
	if (!dst || !len)
		return;
	size_t n = f->len < len - 1 ? f->len : len - 1;
	memcpy(dst, f->buf, n);
	dst[n] = '\0';
}

void pga_log(const char *a, const char *b, const char *c)
{
	/* A message must not change errno: pga_log runs inside malloc, whose
	 * callers may be inspecting errno from an earlier call. */
	int saved = errno;
	struct pga_fmt f;

	pga_fmt_init(&f, 2);
	pga_fmt_str(&f, "pgalloc: ");
	if (a)
		pga_fmt_str(&f, a);
	if (b)
		pga_fmt_str(&f, b);
	if (c)
		pga_fmt_str(&f, c);
	pga_fmt_char(&f, '\n');
	/* One write(2) for the whole line (up to the buffer size), so lines
	 * from concurrent threads do not interleave. */
	pga_fmt_flush(&f);
	errno = saved;
}
