#!/usr/bin/env bash
# perl under pgalloc: workload.pl renders the documentation of Perl's own
# Pod, Test and CPAN modules with Pod::Text, then counts its words in a
# hash, rewrites it with regular expressions, sorts 100,000 records on
# several keys, deep-copies and serialises them (Storable, JSON::PP,
# Data::Dumper: XS and pure Perl), builds strings with closures and pack,
# and churns a hash. (Debian's perl ships without its core test suite.)
# Its output must be the same as without pgalloc.
# shellcheck source=tests/apps/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pt_need perl perl

privlib="$(perl -MConfig -e 'print $Config{privlib}')"
mapfile -t pods < <(find "$privlib/Pod/" "$privlib/Test/" "$privlib/CPAN/" -name '*.pm' 2>/dev/null | sort)
((${#pods[@]} >= 20)) ||
	pt_skip "Perl's modules are not in $privlib (scripts/test installs them as root: apt-get install perl)"

scenario() {
	# Hash order and key perturbation fixed: the same in both runs (the
	# script sorts what it prints in any case).
	PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 timeout -k 5 120 perl "$PA_DIR/workload.pl" "${pods[@]}"
}

pt_plain_and_preload scenario 1
