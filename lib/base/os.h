/* SPDX-License-Identifier: MIT */
/*
 * os.h - the boundary to the operating system. os.c is the only file in
 * pgalloc that makes system calls; everything above it is plain computation
 * on memory these primitives hand out. None of them allocates through malloc,
 * so all are safe inside the LD_PRELOAD shim.
 */
#ifndef PGA_OS_H
#define PGA_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

/*
 * Reserve size bytes of address space aligned to align (a power of two, at
 * least a page), inaccessible (PROT_NONE) and not charged to overcommit
 * (MAP_NORESERVE). Returns NULL when the address space is exhausted
 * (ulimit -v); callers shrink the request and try again.
 */
void *pga_os_reserve(size_t size, size_t align);

/*
 * Reserve like pga_os_reserve, but at an address below 4 GiB: tries hints
 * with MAP_FIXED_NOREPLACE and accepts only a range that ends at or below
 * 4 GiB. Returns NULL when no such range is free.
 */
void *pga_os_reserve_below_4g(size_t size, size_t align);

/* Make [addr, addr + size) of a reservation readable and writable. Pages
 * read as zero until first written. Returns false on failure. */
bool pga_os_commit(void *addr, size_t size);

/* Give the pages of [addr, addr + size) back to the kernel; they stay
 * mapped and read as zero afterwards. */
void pga_os_discard(void *addr, size_t size);

/* The same, lazily (MADV_FREE): the kernel takes the pages when it needs
 * memory, and until then they may keep their contents; RSS drops only
 * then. Falls back to pga_os_discard where the kernel lacks MADV_FREE. */
void pga_os_discard_lazy(void *addr, size_t size);

/* Transparent huge pages for [addr, addr + size), page aligned:
 * PGA_OS_THP_ALLOW (MADV_HUGEPAGE), PGA_OS_THP_FORBID (MADV_NOHUGEPAGE),
 * PGA_OS_THP_COLLAPSE (MADV_COLLAPSE, Linux 6.1: make huge pages of the
 * range now, copying its pages). False when the kernel refused (a kernel
 * without THP, or one older than the advice). */
enum pga_os_thp { PGA_OS_THP_ALLOW, PGA_OS_THP_FORBID, PGA_OS_THP_COLLAPSE };
bool pga_os_thp(void *addr, size_t size, enum pga_os_thp advice);

/* Unmap a reservation. */
void pga_os_release(void *addr, size_t size);

/*
 * Map size bytes (a multiple of the page size) of readable, writable,
 * zero-filled anonymous memory (MAP_PRIVATE) aligned to align (a power of
 * two; at most a page means page alignment). Unlike a reservation the
 * mapping is charged to overcommit up front, like glibc's mmapped chunks, so
 * that a strict-overcommit system refuses it here rather than by SIGSEGV on
 * first touch. Returns NULL on failure (errno from mmap).
 */
void *pga_os_map(size_t size, size_t align);

/* Unmap [addr, addr + size) of a pga_os_map mapping (the whole of it, or a
 * page-aligned head or tail). */
void pga_os_unmap(void *addr, size_t size);

/*
 * Resize the mapping [old, old + old_size) to new_size bytes (both multiples
 * of the page size), moving it if it cannot grow in place (mremap with
 * MREMAP_MAYMOVE): the pages move, their contents are not copied. Returns
 * the new address, or NULL on failure, in which case the old mapping is
 * untouched. A moved mapping keeps only page alignment.
 */
void *pga_os_remap(void *old, size_t old_size, size_t new_size);

/*
 * Resize like pga_os_remap, but keep the mapping aligned to align (a power
 * of two above the page size): resize in place when the pages after it are
 * free (shrinking always is), otherwise move the pages into a fresh aligned
 * reservation (mremap with MREMAP_FIXED). Either way nothing is copied.
 * Returns the new address, or NULL on failure (old mapping untouched).
 */
void *pga_os_remap_aligned(void *old, size_t old_size, size_t new_size, size_t align);

/* The soft RLIMIT_AS minus the address space already mapped, or SIZE_MAX
 * when there is no limit. */
size_t pga_os_address_space_left(void);

/* The soft RLIMIT_AS in bytes, or SIZE_MAX when there is none. */
size_t pga_os_address_space_limit(void);

/*
 * The lowest address at or above lo, aligned to align (a power of two, at
 * least a page), where size bytes are free of any mapping now (from
 * /proc/self/maps) and end at or below hi; 0 when there is none or the
 * file cannot be read. Nothing is mapped: the range is only free until
 * someone maps into it, so its user maps it piece by piece with
 * pga_os_map_fixed and copes with a piece that is taken.
 */
uintptr_t pga_os_find_free_range(size_t size, size_t align, uintptr_t lo, uintptr_t hi);

/*
 * Map [addr, addr + size) (page aligned) readable and writable, like a
 * committed part of a reservation (zero-filled, MAP_NORESERVE), only if
 * nothing is mapped there (MAP_FIXED_NOREPLACE). Returns true when the
 * range is now ours; false with errno EEXIST when something else holds part
 * of it (or the kernel, older than 4.17, would have put it elsewhere), or
 * with the kernel's errno (ENOMEM: the address space or memory is
 * exhausted).
 */
bool pga_os_map_fixed(void *addr, size_t size);

/* Read up to len - 1 bytes of a file into buf, NUL-terminated. Returns the
 * number of bytes read, or -1 when the file cannot be opened. */
long pga_os_read_file(const char *path, char *buf, size_t len);

/* Write all of buf to fd, retrying short writes. Returns 0 or -1. */
int pga_os_write_all(int fd, const char *buf, size_t len);

/* The CPU the calling thread runs on (getcpu, through the vDSO), or 0. */
unsigned pga_os_current_cpu(void);

/*
 * NUMA memory policy, raw system calls (libnuma is never used: its
 * constructor allocates). Node masks are in the kernel's node ids, as
 * arrays of unsigned long, PGA_OS_NODE_WORDS of them (the kernel's largest
 * MAX_NUMNODES, 1024); maxnode follows the system calls' convention (one
 * more than the bits). Modes and flags are the kernel's (MPOL_*, numaif.h).
 * Each returns 0 or -errno (-ENOSYS without NUMA support, -EPERM where a
 * seccomp filter forbids them) and leaves errno alone.
 */
#define PGA_OS_NODE_WORDS 16
#define PGA_OS_MAXNODE    (PGA_OS_NODE_WORDS * 64 + 1)

/* mbind(addr, len, mode, mask, maxnode, flags): the policy of a mapped
 * range, applied to the pages faulted in later (flags MPOL_MF_MOVE, 2:
 * and moving those already there); addr is page aligned. */
int pga_os_mbind(void *addr, size_t len, int mode, const unsigned long *mask, unsigned long maxnode,
                 unsigned flags);

/* get_mempolicy(mode, mask, maxnode, addr, flags). */
int pga_os_get_mempolicy(int *mode, unsigned long *mask, unsigned long maxnode, const void *addr,
                         unsigned long flags);

/* set_mempolicy(mode, mask, maxnode): the calling thread's policy. */
int pga_os_set_mempolicy(int mode, const unsigned long *mask, unsigned long maxnode);

/* The kernel node of the page holding addr (move_pages in query mode), or
 * -errno: -ENOENT when the page is not faulted in, -EFAULT when unmapped. */
int pga_os_page_node(const void *addr);

/* Thread id of the caller. */
long pga_os_gettid(void);

/* Monotonic coarse clock in milliseconds (vDSO, no system call). */
uint64_t pga_os_now_ms(void);

/* Futexes, private to the process: sleep while *addr == val (or until a
 * wake; spurious returns are allowed), and wake up to n sleepers. errno is
 * left alone. */
void pga_os_futex_wait(_Atomic uint32_t *addr, uint32_t val);
void pga_os_futex_wake(_Atomic uint32_t *addr, int n);
/* pga_os_futex_wait for at most ms milliseconds. */
void pga_os_futex_wait_ms(_Atomic uint32_t *addr, uint32_t val, unsigned ms);

/* Start a detached thread running fn(arg), with every signal blocked (it
 * must not take a program's signals). Returns false when it cannot. */
bool pga_os_thread_start(void *(*fn)(void *), void *arg);
/* The same with a stack of stack_bytes (0: the default, 8 MiB mostly): for
 * a thread that must not take much of the address space. */
bool pga_os_thread_start_stack(void *(*fn)(void *), void *arg, size_t stack_bytes);

/* Yield the CPU (sched_yield). */
void pga_os_yield(void);

/* Sleep for the given number of microseconds. */
void pga_os_sleep_us(unsigned us);

/*
 * Asymmetric fence: register once (pga_os_membarrier_init: false when the
 * kernel lacks MEMBARRIER_CMD_PRIVATE_EXPEDITED), then pga_os_membarrier()
 * makes every thread of the process execute a full memory barrier before
 * it returns true. false: the call failed (a seccomp filter, a kernel
 * that refuses it now), and no thread was fenced: the caller must not
 * rely on it. errno is kept.
 */
bool pga_os_membarrier_init(void);
bool pga_os_membarrier(void);

/* A duplicate of fd, close-on-exec, or -1. */
int pga_os_dup_cloexec(int fd);

/*
 * Name the anonymous mapping [addr, addr + len) (page aligned) name, as
 * /proc/PID/maps and smaps show it ("[anon:NAME]"): PR_SET_VMA_ANON_NAME,
 * Linux 5.17 with CONFIG_ANON_VMA_NAME. The kernel copies name. Returns
 * false where the kernel cannot (nothing changes then).
 */
bool pga_os_name_mapping(void *addr, size_t len, const char *name);

/* Bytes of [addr, addr + len) (page aligned) resident in memory (mincore),
 * 0 where the range is not mapped. */
size_t pga_os_resident_bytes(const void *addr, size_t len);

/*
 * A shared mapping of size bytes for other processes of the same user to
 * read: an anonymous file (memfd_create, close-on-exec, mode 0600) called
 * name, mapped MAP_SHARED read-write. Returns the address and *fd, or NULL
 * (errno left alone).
 */
void *pga_os_map_memfd(const char *name, size_t size, int *fd);

/* Undo pga_os_map_memfd (also in a fork child, for the parent's). */
void pga_os_unmap_memfd(void *addr, size_t size, int fd);

/* Futexes on memory shared between processes: wait while *addr == val, at
 * most timeout_ms (-1: no limit); wake up to n waiters. errno left alone. */
void pga_os_futex_wait_shared(_Atomic uint32_t *addr, uint32_t val, long timeout_ms);
void pga_os_futex_wake_shared(_Atomic uint32_t *addr, int n);

/* The process id (getpid). */
long pga_os_getpid(void);

/* Wall-clock time in milliseconds since the epoch (CLOCK_REALTIME). */
uint64_t pga_os_realtime_ms(void);

/* Open path for writing (created 0600 if need be, appended to, close-on-exec):
 * the fd, or -1 with errno. */
int pga_os_open_append(const char *path);

/* Print a message on stderr with write(2). */
void pga_os_log(const char *msg, size_t len);

/* Abort the process (SIGABRT), like glibc on heap corruption. */
__attribute__((noreturn)) void pga_os_abort(void);

/* Fill buf with len random bytes: getrandom(2), without blocking; where
 * the kernel has none to give, the auxiliary vector's AT_RANDOM bytes
 * mixed with the clock and addresses (never fails). */
void pga_os_random(void *buf, size_t len);

/* Find the mapping addr lies in, as the kernel lists it (/proc/self/maps):
 * true when there is one, with its path name in name ("" for anonymous
 * memory, "[heap]" for the brk heap, "[stack]", "[anon:NAME]"...),
 * truncated to len. Reads the file with no allocation; O(mappings). */
bool pga_os_find_mapping(const void *addr, char *name, size_t len);

/* Make [addr, addr + len) inaccessible (mprotect PROT_NONE): a guard. */
bool pga_os_guard(void *addr, size_t len);

#endif /* PGA_OS_H */
