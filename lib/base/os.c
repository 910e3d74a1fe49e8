// SPDX-License-Identifier: MIT
/*
 * os.c - every system call pgalloc makes. See os.h for the contract of each
 * primitive. Nothing here allocates with malloc or uses stdio.
 */
#define _GNU_SOURCE
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "compiler.h"
#include "pgalloc.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA           0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Trim an over-sized reservation at base down to [aligned, aligned + size). */
static void *trim_to_alignment(char *base, size_t mapped, size_t size, size_t align)
{
	uintptr_t start = (uintptr_t)base;
	uintptr_t aligned = (start + align - 1) & ~(uintptr_t)(align - 1);
	size_t head = aligned - start;
	size_t tail = mapped - head - size;

	if (head)
		munmap(base, head);
	if (tail)
		munmap((char *)aligned + size, tail);
	return (void *)aligned;
}

void *pga_os_reserve(size_t size, size_t align)
{
	size_t mapped = size + (align > PGA_PAGE_SIZE ? align : 0);
	void *p;

	if (mapped < size)
		return NULL;
	p = mmap(NULL, mapped, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	return trim_to_alignment(p, mapped, size, align);
}

void *pga_os_reserve_below_4g(size_t size, size_t align)
{
	const uintptr_t limit = (uintptr_t)1 << 32;
	/* Start at 1 GiB to stay clear of the program's own low mappings
	 * (text, brk heap); walk up, then below, in steps of the size. */
	uintptr_t step = pga_round_up(size, align);
	static const uintptr_t starts[] = {(uintptr_t)1 << 30, (uintptr_t)1 << 28};

	for (size_t s = 0; s < PGA_ARRAY_SIZE(starts); s++) {
		for (uintptr_t hint = pga_round_up(starts[s], align); hint + size <= limit;
		     hint += step) {
			void *p =
			    mmap((void *)hint, size, PROT_NONE,
			         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
			         -1, 0);
			if (p == MAP_FAILED) {
				if (errno == EEXIST)
					continue;
				return NULL; /* out of address space */
			}
			/* Kernels before 4.17 treat the flag as a hint only. */
			if ((uintptr_t)p == hint)
				return p;
			munmap(p, size);
		}
	}
	return NULL;
}

bool pga_os_commit(void *addr, size_t size)
{
	return mprotect(addr, size, PROT_READ | PROT_WRITE) == 0;
}

void pga_os_discard(void *addr, size_t size)
{
	madvise(addr, size, MADV_DONTNEED);
}

void pga_os_discard_lazy(void *addr, size_t size)
{
	if (madvise(addr, size, MADV_FREE) != 0)
		madvise(addr, size, MADV_DONTNEED);
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

bool pga_os_thp(void *addr, size_t size, enum pga_os_thp advice)
{
	static const int advices[] = {
	    [PGA_OS_THP_ALLOW] = MADV_HUGEPAGE,
	    [PGA_OS_THP_FORBID] = MADV_NOHUGEPAGE,
	    [PGA_OS_THP_COLLAPSE] = MADV_COLLAPSE,
	};
	int saved = errno;
	bool ok = madvise(addr, size, advices[advice]) == 0;

	errno = saved;
	return ok;
}

void pga_os_release(void *addr, size_t size)
{
	munmap(addr, size);
}

void *pga_os_map(size_t size, size_t align)
{
	const int prot = PROT_READ | PROT_WRITE;
	char *base, *aligned;
	size_t slack;

	if (align <= PGA_PAGE_SIZE) {
		void *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	/*
	 * Over-aligned: find an aligned range inside an uncharged PROT_NONE
	 * reservation, map the charged memory over exactly that range, then
	 * trim the rest. Over-mapping with charged memory instead would count
	 * the slack (up to align) against a strict overcommit limit, and fail
	 * spuriously for a large alignment.
	 */
	slack = align - PGA_PAGE_SIZE;
	if (size + slack < size)
		return NULL;
	base =
	    mmap(NULL, size + slack, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	aligned = (char *)pga_round_up((uintptr_t)base, align);
	/* MAP_FIXED replaces our own reservation, nothing else. */
	if (mmap(aligned, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	    MAP_FAILED) {
		int saved = errno;
		munmap(base, size + slack);
		errno = saved;
		return NULL;
	}
	return trim_to_alignment(base, size + slack, size, align);
}

void pga_os_unmap(void *addr, size_t size)
{
	munmap(addr, size);
}

void *pga_os_remap(void *old, size_t old_size, size_t new_size)
{
	void *p = mremap(old, old_size, new_size, MREMAP_MAYMOVE);
	return p == MAP_FAILED ? NULL : p;
}

void *pga_os_remap_aligned(void *old, size_t old_size, size_t new_size, size_t align)
{
	int saved = errno;
	void *dst, *p;

	if (mremap(old, old_size, new_size, 0) != MAP_FAILED) {
		errno = saved; /* a success must not leave the probe's errno */
		return old;
	}
	/*
	 * Reserve the destination first: MREMAP_FIXED replaces whatever is
	 * mapped there, and only a range we hold cannot be another thread's
	 * by the time the pages land.
	 */
	dst = pga_os_reserve(new_size, align);
	if (!dst)
		return NULL;
	p = mremap(old, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	if (p == MAP_FAILED) {
		saved = errno;
		munmap(dst, new_size);
		errno = saved;
		return NULL;
	}
	errno = saved;
	return p;
}

/* Sum of mapped address space from /proc/self/statm (first field, pages). */
static size_t mapped_bytes(void)
{
	char buf[128];
	size_t pages = 0;

	if (pga_os_read_file("/proc/self/statm", buf, sizeof(buf)) <= 0)
		return 0;
	for (const char *c = buf; *c >= '0' && *c <= '9'; c++)
		pages = pages * 10 + (size_t)(*c - '0');
	return pages * (size_t)sysconf(_SC_PAGESIZE);
}

size_t pga_os_address_space_left(void)
{
	struct rlimit rl;
	size_t used;

	if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return SIZE_MAX;
	used = mapped_bytes();
	return rl.rlim_cur > used ? (size_t)(rl.rlim_cur - used) : 0;
}

size_t pga_os_address_space_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= (rlim_t)SIZE_MAX)
		return SIZE_MAX;
	return (size_t)rl.rlim_cur;
}

bool pga_os_map_fixed(void *addr, size_t size)
{
	void *p = mmap(addr, size, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return false;
	if (p != addr) {
		/* Kernels before 4.17 take the flag for a hint. */
		munmap(p, size);
		errno = EEXIST;
		return false;
	}
	return true;
}

long pga_os_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (long)got;
}

int pga_os_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

unsigned pga_os_current_cpu(void)
{
	int cpu = sched_getcpu();
	return cpu < 0 ? 0 : (unsigned)cpu;
}

/* The NUMA system calls, with errno kept: they are made from inside
 * malloc, where the caller's errno must survive. */
static int numa_syscall_result(long rc, int saved)
{
	int err = rc < 0 ? -errno : 0;

	errno = saved;
	return err;
}

int pga_os_mbind(void *addr, size_t len, int mode, const unsigned long *mask, unsigned long maxnode,
                 unsigned flags)
{
	int saved = errno;

	return numa_syscall_result(syscall(SYS_mbind, addr, len, mode, mask, maxnode, flags),
	                           saved);
}

int pga_os_get_mempolicy(int *mode, unsigned long *mask, unsigned long maxnode, const void *addr,
                         unsigned long flags)
{
	int saved = errno;

	return numa_syscall_result(syscall(SYS_get_mempolicy, mode, mask, maxnode, addr, flags),
	                           saved);
}

int pga_os_set_mempolicy(int mode, const unsigned long *mask, unsigned long maxnode)
{
	int saved = errno;

	return numa_syscall_result(syscall(SYS_set_mempolicy, mode, mask, maxnode), saved);
}

int pga_os_page_node(const void *addr)
{
	void *page = (void *)((uintptr_t)addr & ~(uintptr_t)(PGA_PAGE_SIZE - 1));
	int status = -1, saved = errno;
	long rc = syscall(SYS_move_pages, 0, 1UL, &page, NULL, &status, 0);

	if (rc < 0)
		return numa_syscall_result(rc, saved);
	errno = saved;
	return status;
}

long pga_os_gettid(void)
{
	return (long)syscall(SYS_gettid);
}

uint64_t pga_os_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void pga_os_yield(void)
{
	sched_yield();
}

void pga_os_sleep_us(unsigned us)
{
	struct timespec ts = {.tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

bool pga_os_thread_start(void *(*fn)(void *), void *arg)
{
	return pga_os_thread_start_stack(fn, arg, 0);
}

bool pga_os_thread_start_stack(void *(*fn)(void *), void *arg, size_t stack_bytes)
{
	pthread_attr_t attr;
	pthread_t th;
	sigset_t all, old;
	int saved = errno, rc;

	if (pthread_attr_init(&attr) != 0)
		return false;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (stack_bytes)
		pthread_attr_setstacksize(&attr, stack_bytes);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&th, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	errno = saved;
	return rc == 0;
}

void pga_os_futex_wait(_Atomic uint32_t *addr, uint32_t val)
{
	int saved = errno;

	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
	errno = saved;
}

void pga_os_futex_wait_ms(_Atomic uint32_t *addr, uint32_t val, unsigned ms)
{
	int saved = errno;
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
	errno = saved;
}

void pga_os_futex_wake(_Atomic uint32_t *addr, int n)
{
	int saved = errno;

	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
	errno = saved;
}

bool pga_os_membarrier_init(void)
{
	long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return false;
	return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

bool pga_os_membarrier(void)
{
	int saved = errno;
	bool ok = syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;

	errno = saved;
	return ok;
}

int pga_os_dup_cloexec(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

bool pga_os_name_mapping(void *addr, size_t len, const char *name)
{
	int saved = errno;
	bool ok = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)addr, len,
	                (unsigned long)name) == 0;

	errno = saved;
	return ok;
}

size_t pga_os_resident_bytes(const void *addr, size_t len)
{
	/* One byte per page; a stack vector of 4096 covers 16 MiB a call. */
	unsigned char vec[4096];
	uintptr_t p = (uintptr_t)addr, end = p + len;
	size_t pages = 0;
	int saved = errno;

	while (p < end) {
		size_t n = (end - p) >> PGA_PAGE_SHIFT;

		if (n > sizeof(vec))
			n = sizeof(vec);
		if (n == 0)
			break;
		if (mincore((void *)p, n << PGA_PAGE_SHIFT, vec) == 0)
			for (size_t i = 0; i < n; i++)
				pages += vec[i] & 1;
		p += n << PGA_PAGE_SHIFT;
	}
	errno = saved;
	return pages << PGA_PAGE_SHIFT;
}

void *pga_os_map_memfd(const char *name, size_t size, int *fd)
{
	int saved = errno;
	int f = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC);
	void *p = MAP_FAILED;

	if (f >= 0 && fchmod(f, 0600) == 0 && ftruncate(f, (off_t)size) == 0)
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	if (p == MAP_FAILED) {
		if (f >= 0)
			close(f);
		errno = saved;
		return NULL;
	}
	*fd = f;
	errno = saved;
	return p;
}

void pga_os_unmap_memfd(void *addr, size_t size, int fd)
{
	int saved = errno;

	munmap(addr, size);
	close(fd);
	errno = saved;
}

void pga_os_futex_wait_shared(_Atomic uint32_t *addr, uint32_t val, long timeout_ms)
{
	struct timespec ts = {.tv_sec = timeout_ms / 1000,
	                      .tv_nsec = (timeout_ms % 1000) * 1000000L};
	int saved = errno;

	syscall(SYS_futex, addr, FUTEX_WAIT, val, timeout_ms < 0 ? NULL : &ts, NULL, 0);
	errno = saved;
}

void pga_os_futex_wake_shared(_Atomic uint32_t *addr, int n)
{
	int saved = errno;

	syscall(SYS_futex, addr, FUTEX_WAKE, n, NULL, NULL, 0);
	errno = saved;
}

long pga_os_getpid(void)
{
	return (long)getpid();
}

uint64_t pga_os_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int pga_os_open_append(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

void pga_os_log(const char *msg, size_t len)
{
	int saved = errno;

	pga_os_write_all(STDERR_FILENO, msg, len);
	errno = saved;
}

void pga_os_abort(void)
{
	abort();
}

void pga_os_random(void *buf, size_t len)
{
	unsigned char *b = buf;
	size_t got = 0;

	while (got < len) {
		long n = syscall(SYS_getrandom, b + got, len - got, 0x0001 /* GRND_NONBLOCK */);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (got == len)
		return;
	/* No entropy from the kernel yet (early boot) or no getrandom: the 16
	 * bytes the kernel put in the auxiliary vector for the C library's
	 * stack protector, stirred with the clock and this call's addresses. */
	const unsigned char *at = (const unsigned char *)getauxval(AT_RANDOM);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t x =
	    (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uintptr_t)&ts ^ (uintptr_t)buf;
	for (size_t i = got; i < len; i++) {
		x ^= at ? at[i % 16] : 0;
		x = x * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
		b[i] = (unsigned char)(x >> 56);
	}
}

/* Parse a hex number at *p, advancing it. */
static uintptr_t scan_hex(const char **p, const char *end)
{
	uintptr_t v = 0;

	for (; *p < end; (*p)++) {
		char c = **p;
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			break;
		v = v << 4 | d;
	}
	return v;
}

uintptr_t pga_os_find_free_range(size_t size, size_t align, uintptr_t lo, uintptr_t hi)
{
	/* /proc/self/maps lists the mappings in address order, a line
	 * "start-end perms ..." each; only the two addresses matter. Read
	 * it in pieces; a line longer than the buffer (a long path) is
	 * parsed from its start and the rest skipped. */
	char buf[4096];
	size_t have = 0;
	uintptr_t cand = pga_round_up(lo, align);
	int saved = errno, fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	bool eof = false, skipping = false;

	if (fd < 0)
		return 0;
	while (cand) {
		if (!eof && have < sizeof(buf) - 1) {
			ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				eof = true;
			else
				have += (size_t)n;
		}
		if (!have && eof)
			break;
		char *nl = memchr(buf, '\n', have);
		if (!nl && !eof && have < sizeof(buf) - 1)
			continue; /* read the rest of the line */
		size_t line = nl ? (size_t)(nl - buf) + 1 : have;
		if (!skipping) {
			const char *c = buf;
			buf[have] = '\0';
			uintptr_t start = scan_hex(&c, buf + have), end = 0;
			if (*c == '-') {
				c++;
				end = scan_hex(&c, buf + have);
			}
			/* A mapping that overlaps the candidate pushes it past
			 * its end; the ones after it lie higher still. */
			if (end > cand && start < cand + size)
				cand = pga_round_up(end, align);
		}
		skipping = !nl;
		memmove(buf, buf + line, have - line);
		have -= line;
		if (cand + size < cand || cand + size > hi)
			cand = 0;
	}
	close(fd);
	errno = saved;
	return cand;
}

/* One line of /proc/self/maps, [line, end): does it hold a? Then copy its
 * path name (the sixth field, possibly empty) to name. */
static bool maps_line_match(const char *line, const char *end, uintptr_t a, char *name, size_t len)
{
	const char *p = line;
	uintptr_t lo = scan_hex(&p, end);

	if (p >= end || *p != '-')
		return false;
	p++;
	uintptr_t hi = scan_hex(&p, end);
	if (a < lo || a >= hi)
		return false;
	/* Skip perms, offset, dev, inode: four fields. */
	for (int field = 0; field < 4; field++) {
		while (p < end && *p == ' ')
			p++;
		while (p < end && *p != ' ')
			p++;
	}
	while (p < end && *p == ' ')
		p++;
	size_t n = (size_t)(end - p);
	if (len) {
		if (n >= len)
			n = len - 1;
		memcpy(name, p, n);
		name[n] = '\0';
	}
	return true;
}

bool pga_os_find_mapping(const void *addr, char *name, size_t len)
{
	char buf[4096];
	size_t have = 0;
	bool found = false;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		char *line = buf, *nl;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
			if (maps_line_match(line, nl, (uintptr_t)addr, name, len)) {
				found = true;
				goto done;
			}
			line = nl + 1;
		}
		/* Keep the partial line; a line longer than the buffer (a very
		 * long path) is dropped. */
		have -= (size_t)(line - buf);
		if (have == sizeof(buf))
			have = 0;
		memmove(buf, line, have);
	}
done:
	close(fd);
	return found;
}

bool pga_os_guard(void *addr, size_t len)
{
	return mprotect(addr, len, PROT_NONE) == 0;
}
