/* SPDX-License-Identifier: MIT */
/* units.h - sizes in the units the tests speak in. */
#ifndef PGA_TEST_UNITS_H
#define PGA_TEST_UNITS_H

#include <stddef.h>

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

#endif /* PGA_TEST_UNITS_H */
