// SPDX-License-Identifier: MIT
/*
 * bug.c - assertion failures and misuse reports; see bug.h.
 */
#include "bug.h"

#include "fmt.h"
#include "os.h"

void pga_assert_fail(const char *expr, const char *file, int line)
{
	struct pga_fmt f;

	pga_fmt_init(&f, 2);
	pga_fmt_str(&f, "pgalloc: assertion failed: ");
	pga_fmt_str(&f, expr);
	pga_fmt_str(&f, " at ");
	pga_fmt_str(&f, file);
	pga_fmt_char(&f, ':');
	pga_fmt_i64(&f, line, 0);
	pga_fmt_char(&f, '\n');
	pga_fmt_flush(&f);
	pga_os_abort();
}

void pga_report_abort(const char *what, const void *addr, const char *label, uint64_t detail)
{
	struct pga_fmt f;

	pga_fmt_init(&f, 2);
	pga_fmt_str(&f, "pgalloc: ");
	pga_fmt_str(&f, what);
	pga_fmt_str(&f, ": ");
	pga_fmt_hex(&f, (uintptr_t)addr);
	if (label) {
		pga_fmt_str(&f, " (");
		pga_fmt_str(&f, label);
		pga_fmt_char(&f, ' ');
		pga_fmt_u64(&f, detail, 0);
		pga_fmt_char(&f, ')');
	}
	pga_fmt_char(&f, '\n');
	pga_fmt_flush(&f);
	pga_os_abort();
}
