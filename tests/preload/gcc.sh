#!/usr/bin/env bash
# gcc under pgalloc: compile a generated C file of a few thousand functions
# (the driver, cc1, as, collect2 and ld all run preloaded), compare the
# object (bytes, nm, size) and the output of the program it links to.
# shellcheck source=tests/preload/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pt_need gcc gcc
pt_need nm binutils
pt_need size binutils

# prog.c: 3,000 functions of a few shapes (loops, switches, structs, string
# tables), a table of pointers to them and a main that runs them all.
awk -v n=3000 'BEGIN {
	print "#include <stdio.h>"
	print "#include <string.h>"
	print "struct pair { unsigned a, b; };"
	for (i = 0; i < n; i++) {
		k = (i * 2654435761) % 4294967296
		shape = i % 4
		printf "static unsigned f%d(unsigned x)\n{\n", i
		if (shape == 0) {
			printf "\tunsigned a = x * %uu + %du;\n", k, i
			printf "\tfor (int i = 0; i < %d; i++) {\n", 1 + i % 7
			print "\t\ta ^= a << 13;\n\t\ta ^= a >> 17;\n\t\ta ^= a << 5;"
			printf "\t\ta += (unsigned)i * %du;\n\t}\n\treturn a;\n}\n", i % 1000 + 1
		} else if (shape == 1) {
			print "\tswitch (x % 6) {"
			for (c = 0; c < 5; c++)
				printf "\tcase %d: return x * %du + %du;\n", c, c + i % 13 + 1, (k + c) % 65536
			printf "\tdefault: return ~x ^ %uu;\n\t}\n}\n", k
		} else if (shape == 2) {
			printf "\tstruct pair p[%d];\n", 4 + i % 12
			printf "\tfor (unsigned i = 0; i < %d; i++) {\n", 4 + i % 12
			printf "\t\tp[i].a = x + i * %du;\n\t\tp[i].b = p[i].a >> %d;\n\t}\n", i % 97 + 1, 1 + i % 9
			printf "\tunsigned s = 0;\n\tfor (unsigned i = 0; i < %d; i++)\n", 4 + i % 12
			print "\t\ts += p[i].a ^ p[i].b;\n\treturn s;\n}"
		} else {
			printf "\tstatic const char *const w[] = {\"f%d-alpha\", \"f%d-beta\", \"gamma%d\"};\n", i, i, i % 50
			print "\tconst char *s = w[x % 3];"
			print "\tunsigned h = 2166136261u;"
			print "\tfor (size_t i = 0; i < strlen(s); i++)"
			print "\t\th = (h ^ (unsigned char)s[i]) * 16777619u;"
			print "\treturn h ^ x;\n}"
		}
	}
	print "static unsigned (*const table[])(unsigned) = {"
	for (i = 0; i < n; i++)
		printf "\tf%d,\n", i
	print "};"
	print "int main(void)\n{\n\tunsigned x = 1, sum = 0;"
	print "\tfor (unsigned r = 0; r < 20; r++)"
	print "\t\tfor (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {"
	print "\t\t\tx = table[i](x + r);\n\t\t\tsum += x;"
	print "\t\t\tif (i % 500 == 0)\n\t\t\t\tprintf(\"%u %zu %u\\n\", r, i, x);\n\t\t}"
	print "\tprintf(\"sum %u\\n\", sum);\n\treturn 0;\n}"
}' >"$PT_TMP/prog.c"

scenario() {
	cp "$PT_TMP/prog.c" prog.c
	gcc -O1 -Wall -Werror -c prog.c -o prog.o
	gcc -O0 -g -c prog.c -o prog-g.o
	gcc -o prog prog.o
	./prog
	sha256sum <prog.o
	nm prog.o | sha256sum
	nm prog.o | sed -n '1,5p'
	size prog.o prog-g.o
}

# Per compilation: gcc, cc1, as (and collect2, ld, nm, size).
pt_plain_and_preload scenario 6
