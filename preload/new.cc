// SPDX-License-Identifier: MIT
/*
 * new.cc - the replaceable C++ allocation functions ([new.delete]), on
 * pgalloc: every operator new and operator delete, plain, array, nothrow,
 * sized and aligned (std::align_val_t). libstdc++'s own versions would reach
 * pgalloc through malloc too; these save a call, and pass the size of a
 * sized delete on to pga_free_sized.
 *
 * operator new follows the standard: on failure it calls the new_handler
 * and tries again, until the allocation succeeds or there is no handler,
 * then throws std::bad_alloc; the nothrow forms return nullptr instead (and
 * when the handler throws). This file is compiled with exceptions for that.
 *
 * The C++ runtime, weakly
 * -----------------------
 * libpgalloc.so does not depend on libstdc++: every C program preloading it
 * would otherwise load and start the C++ library for nothing (1,700 more
 * relocations and libstdc++'s constructors in every process). So every runtime symbol used here is
 * a weak reference, and the linker (--as-needed) records no dependency. In a C++ program the
 * runtime is in the global scope and the references bind to it: libstdc++ or libc++abi alike, since
 * only Itanium C++ ABI names are used. Without it, nobody calls operator new, except C++ code
 * loaded with RTLD_LOCAL into a C program (a C++ Python extension): its failures take the path of
 * new_fail_unbound(), which finds libstdc++ with dlopen.
 */
#include <cstddef>
#include <cstdlib>
#include <new>

#include <dlfcn.h>

extern "C" {
#include "fmt.h"
#include "pgalloc.h"
}

#define PGA_CXX_EXPORT __attribute__((visibility("default")))

/* What `throw std::bad_alloc()` and `catch (...)` compile to (clang adds
 * std::terminate), and the unwinder: weak, see above. std::get_new_handler
 * is also redeclared weak, so that the compiler keeps the test of its
 * address. */
__asm__(".weak _ZSt15get_new_handlerv\n"
        ".weak _ZTISt9bad_alloc\n"
        ".weak _ZTVSt9bad_alloc\n"
        ".weak _ZNSt9bad_allocD1Ev\n"
        ".weak __cxa_allocate_exception\n"
        ".weak __cxa_throw\n"
        ".weak __cxa_begin_catch\n"
        ".weak __cxa_end_catch\n"
        ".weak __gxx_personality_v0\n"
        ".weak _Unwind_Resume\n"
        ".weak _ZSt9terminatev\n");

namespace std
{
new_handler get_new_handler() noexcept __attribute__((weak));
}

namespace
{

void *alloc(std::size_t size, std::size_t align)
{
	return align ? pga_memalign(align, size) : pga_malloc(size);
}

/* The C++ runtime is bound: this is a C++ program. */
bool cxx_runtime_bound()
{
	return &std::get_new_handler != nullptr;
}

/*
 * An allocation failed in C++ code that the runtime is not bound for (loaded
 * RTLD_LOCAL). The new_handler and the exception must come from that code's
 * runtime: libstdc++, found with dlopen(RTLD_NOLOAD) and looked up afresh at
 * each failure (no shared state to race on; this is the rarest of paths).
 * Without it the process aborts, as an exception no runtime can catch would.
 */
[[gnu::cold, gnu::noinline]] void *new_fail_unbound(std::size_t size, std::size_t align)
{
	using get_handler_fn = std::new_handler() noexcept;
	using throw_fn = void();
	get_handler_fn *get_handler = nullptr;
	throw_fn *throw_bad_alloc = nullptr;

	if (void *lib = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_NOLOAD)) {
		get_handler =
		    reinterpret_cast<get_handler_fn *>(dlsym(lib, "_ZSt15get_new_handlerv"));
		throw_bad_alloc =
		    reinterpret_cast<throw_fn *>(dlsym(lib, "_ZSt17__throw_bad_allocv"));
		/* The caller's own dependency keeps the library loaded. */
		dlclose(lib);
	}
	if (!get_handler || !throw_bad_alloc) {
		pga_log("operator new: out of memory, and no C++ runtime to throw std::bad_alloc",
		        nullptr, nullptr);
		std::abort();
	}
	for (;;) {
		std::new_handler handler = get_handler();

		if (!handler) {
			throw_bad_alloc();
			__builtin_unreachable();
		}
		handler();
		void *p = alloc(size, align);
		if (p)
			return p;
	}
}

/* The allocation failed: the standard's new_handler loop. align 0 means
 * the default alignment. */
[[gnu::cold, gnu::noinline]] void *new_fail(std::size_t size, std::size_t align)
{
	if (!cxx_runtime_bound())
		return new_fail_unbound(size, align);
	for (;;) {
		std::new_handler handler = std::get_new_handler();

		if (!handler)
			throw std::bad_alloc();
		handler();
		void *p = alloc(size, align);
		if (p)
			return p;
	}
}

/* The nothrow forms: as if calling the throwing form and catching, which
 * is what libstdc++ does. Unbound, there is nothing to catch with: no
 * new_handler is called, and the answer is nullptr. */
[[gnu::cold, gnu::noinline]] void *new_fail_nothrow(std::size_t size, std::size_t align) noexcept
{
	if (!cxx_runtime_bound())
		return nullptr;
	try {
		return new_fail(size, align);
	} catch (...) {
		return nullptr;
	}
}

inline void *new_impl(std::size_t size)
{
	void *p = pga_malloc(size);

	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_fail(size, 0);
}

inline void *new_nothrow(std::size_t size) noexcept
{
	void *p = pga_malloc(size);

	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_fail_nothrow(size, 0);
}

inline void *new_aligned(std::size_t size, std::align_val_t align)
{
	void *p = pga_memalign(static_cast<std::size_t>(align), size);

	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_fail(size, static_cast<std::size_t>(align));
}

inline void *new_aligned_nothrow(std::size_t size, std::align_val_t align) noexcept
{
	void *p = pga_memalign(static_cast<std::size_t>(align), size);

	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_fail_nothrow(size, static_cast<std::size_t>(align));
}

} // namespace

PGA_CXX_EXPORT void *operator new(std::size_t size)
{
	return new_impl(size);
}

PGA_CXX_EXPORT void *operator new[](std::size_t size)
{
	return new_impl(size);
}

PGA_CXX_EXPORT void *operator new(std::size_t size, const std::nothrow_t &) noexcept
{
	return new_nothrow(size);
}

PGA_CXX_EXPORT void *operator new[](std::size_t size, const std::nothrow_t &) noexcept
{
	return new_nothrow(size);
}

PGA_CXX_EXPORT void *operator new(std::size_t size, std::align_val_t align)
{
	return new_aligned(size, align);
}

PGA_CXX_EXPORT void *operator new[](std::size_t size, std::align_val_t align)
{
	return new_aligned(size, align);
}

PGA_CXX_EXPORT void *operator new(std::size_t size, std::align_val_t align,
                                  const std::nothrow_t &) noexcept
{
	return new_aligned_nothrow(size, align);
}

PGA_CXX_EXPORT void *operator new[](std::size_t size, std::align_val_t align,
                                    const std::nothrow_t &) noexcept
{
	return new_aligned_nothrow(size, align);
}

PGA_CXX_EXPORT void operator delete(void *p) noexcept
{
	pga_free(p);
}

PGA_CXX_EXPORT void operator delete[](void *p) noexcept
{
	pga_free(p);
}

PGA_CXX_EXPORT void operator delete(void *p, const std::nothrow_t &) noexcept
{
	pga_free(p);
}

PGA_CXX_EXPORT void operator delete[](void *p, const std::nothrow_t &) noexcept
{
	pga_free(p);
}

PGA_CXX_EXPORT void operator delete(void *p, std::size_t size) noexcept
{
	pga_free_sized(p, size);
}

PGA_CXX_EXPORT void operator delete[](void *p, std::size_t size) noexcept
{
	pga_free_sized(p, size);
}

PGA_CXX_EXPORT void operator delete(void *p, std::align_val_t) noexcept
{
	pga_free(p);
}

PGA_CXX_EXPORT void operator delete[](void *p, std::align_val_t) noexcept
{
	pga_free(p);
}

PGA_CXX_EXPORT void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept
{
	pga_free(p);
}

PGA_CXX_EXPORT void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept
{
	pga_free(p);
}

PGA_CXX_EXPORT void operator delete(void *p, std::size_t size, std::align_val_t align) noexcept
{
	pga_free_aligned_sized(p, static_cast<std::size_t>(align), size);
}

PGA_CXX_EXPORT void operator delete[](void *p, std::size_t size, std::align_val_t align) noexcept
{
	pga_free_aligned_sized(p, static_cast<std::size_t>(align), size);
}
