#!/bin/sh
# Provisioning step of the field templates: installs the packages named as arguments (or
# in $PACKAGES) with whichever package manager the image has, then records what it did in
# /root/field-provisioned so that a test can read it back from the image.
set -eu
pkgs=${*:-${PACKAGES:-}}
if [ -z "$pkgs" ]; then
	printf 'install-packages: no package named (arguments or PACKAGES)\n' >&2
	exit 64
fi
if command -v apt-get >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive
	export DEBIAN_FRONTEND
	apt-get -q update
	# shellcheck disable=SC2086 # one package a word
	apt-get -q -y install $pkgs
elif command -v yum >/dev/null 2>&1; then
	# shellcheck disable=SC2086 # one package a word
	yum -q -y install $pkgs
else
	printf 'install-packages: neither apt-get nor yum on this image\n' >&2
	exit 69
fi
# shellcheck disable=SC1091 # the image's own file
. /etc/os-release
printf 'release=%s %s\npackages=%s\n' "$ID" "$VERSION_ID" "$pkgs" >/root/field-provisioned
printf 'install-packages: %s installed on %s %s\n' "$pkgs" "$ID" "$VERSION_ID"
