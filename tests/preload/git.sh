#!/usr/bin/env bash
# git under pgalloc: a repository of a few hundred generated files built in
# several commits (edits, renames, deletions), then gc --aggressive, fsck
# --full, log --stat and other readers. Names and dates are fixed, so commit
# ids are the same in both runs.
# shellcheck source=tests/preload/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pt_need git git

# Only this test's configuration: no system or user git config.
export HOME="$PT_TMP/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
mkdir -p "$HOME"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY

# gen_files ROUND COUNT FIRST [PREFIX]: write COUNT files, numbered from
# FIRST, with contents that depend on ROUND: 20 to 400 lines each, in 8
# directories PREFIX0 to PREFIX7 (default prefix: dir).
gen_files() {
	local prefix="${4:-dir}" i
	for ((i = 0; i < 8; i++)); do
		mkdir -p "$prefix$i"
	done
	awk -v round="$1" -v count="$2" -v first="$3" -v prefix="$prefix" 'BEGIN {
		for (f = first; f < first + count; f++) {
			dir = sprintf("%s%d", prefix, f % 8)
			path = sprintf("%s/file%04d.txt", dir, f)
			x = f * 7919 + 1
			lines = 20 + (f * 37) % 380
			for (l = 0; l < lines; l++) {
				x = (x * 16807) % 2147483647
				# Mostly stable lines, some that change per round.
				if (x % 10 == 0)
					printf "round %d line %d of file %d: %d\n", round, l, f, x > path
				else
					printf "line %d of file %d: %x\n", l, f, x % 65521 > path
			}
			close(path)
		}
	}'
}

commit() {
	local n="$1"
	shift
	GIT_AUTHOR_DATE="2024-01-0${n}T12:00:00Z" GIT_COMMITTER_DATE="2024-01-0${n}T12:30:00Z" \
		git commit -q "$@"
}

scenario() {
	git init -q -b main repo
	cd repo
	git config user.name "Page Allocator"
	git config user.email "pgalloc@example.org"
	git config core.autocrlf false
	git config gc.auto 0

	gen_files 1 300 0
	git add -A
	commit 1 -m "300 files"

	gen_files 2 120 0
	git add -A
	commit 2 -m "edit 120 files"

	gen_files 3 150 300
	git mv dir1 moved1
	git rm -q -r dir2
	git add -A
	commit 3 -m "add 150 files, move dir1, remove dir2"

	gen_files 4 200 150
	git add -A
	commit 4 -m "edit 200 files"

	git checkout -q -b side HEAD~2
	gen_files 5 60 500 side
	git add -A
	commit 5 -m "side: 60 files"
	git checkout -q main
	GIT_COMMITTER_DATE="2024-01-06T12:00:00Z" GIT_AUTHOR_DATE="2024-01-06T12:00:00Z" \
		git merge -q --no-edit -m "merge side" side
	GIT_COMMITTER_DATE="2024-01-07T12:00:00Z" git tag -a -m "v1" v1

	git gc --aggressive --quiet
	git fsck --full --strict --no-progress
	git count-objects -v | grep -E '^(count|in-pack|packs|prune-packable|garbage):'
	git rev-parse HEAD 'HEAD^{tree}' v1
	git log --stat --format='%H %an %ad %s' --date=iso-strict main side
	git log --graph --oneline --all
	git cat-file --batch-all-objects --batch-check
	git ls-tree -r -l HEAD | sha256sum
	git diff --stat HEAD~3 HEAD | tail -n 1
	git diff HEAD~3 HEAD | sha256sum
	git blame --porcelain moved1/file0001.txt | sha256sum
	git grep -c 'round 4' HEAD | sha256sum
	git archive --format=tar HEAD | sha256sum
	git repack -adf -q
	git fsck --full --strict --no-progress
	git rev-list --objects --all | sha256sum
}

# Every git command prints statistics (over twenty in all).
pt_plain_and_preload scenario 20
