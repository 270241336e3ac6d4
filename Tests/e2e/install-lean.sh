#!/bin/sh
# What `make install` puts on a user's machine (issue 16): every tool stripped, at most
# 20 MB, with no Foundation (ICU) inside and no need for the Swift toolchain — each runs
# from a shell whose environment names nothing of /opt/swift; `make install-unstripped`
# keeps the symbols. Builds the release tools (make all) when they are not built.
set -eu
prog=install-lean.sh
die () { printf '%s: %s\n' "$prog" "$1" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
limit=20000000
# has_symbols FILE — the ELF file keeps its symbol table.
has_symbols () { readelf -S -W "$1" | grep -q ' \.symtab '; }

# No source file brings Foundation back (one import in a module a tool links is enough).
if grep -rlE '^ *(@_exported )?import (Foundation|FoundationNetworking|FoundationXML|FoundationInternationalization)$' "$repo/Sources" >"$work/imports"; then
	die "these files import Foundation (use FoundationEssentials and Support/Essentials*.swift): $(tr '\n' ' ' <"$work/imports")"
fi
make -s -C "$repo" install DESTDIR="$work/root" PREFIX=/usr >"$work/make.out" 2>&1 || { cat "$work/make.out" >&2; die "make install failed"; }
tools=$(sed -n 's/^TOOLS = //p' "$repo/Makefile")
[ -n "$tools" ] || die "no TOOLS line in the Makefile"
for t in $tools; do
	bin="$work/root/usr/bin/$t"
	[ -x "$bin" ] || die "$t was not installed"
	size=$(wc -c <"$bin")
	[ "$size" -le "$limit" ] || die "$t: $size bytes installed, more than $limit"
	! has_symbols "$bin" || die "$t: not stripped"
	if ldd "$bin" 2>/dev/null | grep -q -e swift -e Foundation -e icu; then die "$t: needs a Swift library at run time: $(ldd "$bin" | tr '\n' ' ')"; fi
	# The C++ runtime is linked in (Makefile): loading libstdc++ and libgcc_s slowed every start.
	if ldd "$bin" 2>/dev/null | grep -q -e libstdc++ -e libgcc_s; then die "$t: loads the shared C++ runtime: $(ldd "$bin" | tr '\n' ' ')"; fi
	# The release build, unstripped: not one symbol of Foundation proper (ICU comes with it).
	# shellcheck disable=SC2016 # Swift symbol names, not shell expansions
	if nm "$repo/.build/release/$t" 2>/dev/null | grep -q -e ' T $s10Foundation' -e ' T $s30FoundationInternationalization' -e 'icudt'; then
		die "$t: Foundation is linked in"
	fi
	printf '%s: %s %s bytes\n' "$prog" "$t" "$size"
done

# From a shell with no toolchain: the environment holds only the system's directories.
clean_env () { env -i HOME="$work" PATH=/usr/bin:/bin LANG=C "$@"; }
clean_env "$work/root/usr/bin/ecs-call" --help >"$work/help" 2>&1 || die "ecs-call --help: $(cat "$work/help")"
grep -q -- '--query' "$work/help" || die "ecs-call --help: $(head -3 "$work/help")"
# shellcheck disable=SC2016 # a Packer template, backquotes and all
printf '{"variables":{"who":"lean"},"builders":[{"type":"alicloud-ecs","region":"cn-hangzhou","image_name":"i-{{user `who`}}","source_image":"ubuntu_22_04_x64_20G_alibase_20240130.vhd","instance_type":"ecs.g6.large","ssh_username":"root","access_key":"AK","secret_key":"SK"}]}\n' >"$work/t.json"
clean_env "$work/root/usr/bin/tmpl-render" --query 'builds[0].config.image_name' "$work/t.json" >"$work/q" 2>"$work/err" ||
	die "tmpl-render: $(cat "$work/err")"
[ "$(cat "$work/q")" = i-lean ] || die "tmpl-render: $(cat "$work/q")"
# (the installed wrapper names the final libexec path; from the staging root, the recipe itself)
clean_env sh "$work/root/usr/libexec/alicloud-image-tools/alicloud-build" -h >"$work/ab" 2>&1 || :
grep -q '^usage: alicloud-build' "$work/ab" || die "alicloud-build -h: $(head -3 "$work/ab")"
clean_env ALICLOUD_BUILD_STATE="$work/state" sh "$work/root/usr/libexec/alicloud-image-tools/alicloud-build" ledgers >"$work/ab" 2>&1 ||
	die "alicloud-build ledgers: $(cat "$work/ab")"

# Symbols kept for who wants them.
make -s -C "$repo" install-unstripped DESTDIR="$work/full" PREFIX=/usr >"$work/make.out" 2>&1 || { cat "$work/make.out" >&2; die "make install-unstripped failed"; }
has_symbols "$work/full/usr/bin/ecs-call" || die "install-unstripped stripped ecs-call"
printf '%s: ok\n' "$prog"
