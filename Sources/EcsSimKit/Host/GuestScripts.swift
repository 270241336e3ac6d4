/// Shell scripts installed in emulated Linux instances (run by busybox ash inside the chroot).
/// They stand in for the distribution tools a provisioner typically calls and leave a trace
/// on the instance's disk, so tests and images can see what ran.
enum GuestScripts {
    /// Shared by yum and apt-get: installs the placeholder commands and unit file of a package.
    static let packageHelpers = #"""
# placeholder_for PKG NAME: creates /usr/bin placeholders and a systemd unit for NAME.
bins_for () {
	case $1 in
	redis) echo redis-server redis-cli redis-benchmark ;;
	redis-server) echo redis-server redis-cli ;;
	nginx) echo nginx ;;
	httpd|apache2) echo "$1" apachectl ;;
	mariadb-server|mysql-server|mariadb|mysql) echo mysqld mysql ;;
	postgresql*) echo postgres psql ;;
	docker|docker-ce|docker.io) echo docker dockerd ;;
	nodejs) echo node npm ;;
	python3*) echo python3 ;;
	*) echo "$1" ;;
	esac
}
count () { echo $#; }
placeholder_for () {
	_files=
	for _b in $(bins_for "$2"); do
		_p=/usr/bin/$_b
		if [ ! -e "$_p" ] && [ ! -L "$_p" ]; then
			printf '#!/bin/sh\n# placeholder installed by ecs-sim for package %s\necho "%s: ecs-sim placeholder from package %s"\nexit 0\n' "$1" "$_b" "$1" > "$_p"
			chmod 755 "$_p"
			_files="$_files $_p"
		fi
	done
	_u=/usr/lib/systemd/system/$2.service
	if [ ! -e "$_u" ]; then
		mkdir -p /usr/lib/systemd/system
		printf '[Unit]\nDescription=%s (ecs-sim placeholder)\n\n[Service]\nExecStart=/usr/bin/%s\n\n[Install]\nWantedBy=multi-user.target\n' "$2" "$(bins_for "$2" | cut -d' ' -f1)" > "$_u"
		_files="$_files $_u"
	fi
	echo "$_files"
}
"""#

    static let yum = #"""
#!/bin/sh
# yum for an ecs-sim instance: records installs in /var/lib/yum/installed/<package>
# and /var/log/yum.log, and adds placeholder commands; it downloads nothing.
\#(packageHelpers)
yes=0 quiet=0 cmd='' pkgs=''
while [ $# -gt 0 ]; do
	case $1 in
	-y|--assumeyes) yes=1 ;;
	-q|--quiet) quiet=1 ;;
	-e|-d|-c|-R|-x|--exclude|--enablerepo|--disablerepo|--setopt|--installroot) shift ;;
	-*) ;;
	*) if [ -z "$cmd" ]; then cmd=$1; else pkgs="$pkgs $1"; fi ;;
	esac
	shift
done
say () { [ "$quiet" = 1 ] || printf '%s\n' "$*"; }
db=/var/lib/yum/installed
mkdir -p "$db" /var/log
name_of () { case $1 in *.x86_64|*.noarch|*.i686|*.aarch64) echo "${1%.*}" ;; *) echo "$1" ;; esac; }
arch_of () { case $1 in *.x86_64|*.noarch|*.i686|*.aarch64) echo "${1##*.}" ;; *) echo x86_64 ;; esac; }
case $cmd in
install|localinstall|groupinstall|reinstall)
	[ -n "$pkgs" ] || { echo "Error: Need to pass a list of pkgs to $cmd" >&2; exit 1; }
	todo=
	for p in $pkgs; do
		p=${p##*/}; p=${p%.rpm}
		if [ -e "$db/$p" ] && [ "$cmd" != reinstall ]; then
			say "Package $(name_of "$p")-1.0-1.el7.$(arch_of "$p") already installed and latest version"
		else
			todo="$todo $p"
		fi
	done
	say "Loaded plugins: fastestmirror"
	if [ -z "$todo" ]; then say "Nothing to do"; exit 0; fi
	say "Resolving Dependencies"
	for p in $todo; do say "---> Package $(name_of "$p").$(arch_of "$p") 0:1.0-1.el7 will be installed"; done
	# shellcheck disable=SC2086 # counting the words of $todo
	say "" "Transaction Summary" "Install  $(count $todo) Package(s)" ""
	if [ "$yes" != 1 ]; then
		printf 'Is this ok [y/d/N]: '
		answer=
		read -r answer || true
		case $answer in
		y|Y|yes) ;;
		*) echo "Exiting on user command"; echo "Your transaction was saved, rerun it with: yum load-transaction"; exit 1 ;;
		esac
	fi
	for p in $todo; do
		n=$(name_of "$p")
		files=$(placeholder_for "$p" "$n")
		printf 'name=%s\narch=%s\nversion=1.0-1.el7\ninstalled=%s\nfiles=%s\n' "$n" "$(arch_of "$p")" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$files" > "$db/$p"
		echo "$(date '+%b %d %H:%M:%S') Installed: $n.$(arch_of "$p")" >> /var/log/yum.log
		say "  Installing : $n-1.0-1.el7.$(arch_of "$p")"
	done
	say "" "Installed:"
	for p in $todo; do say "  $(name_of "$p").$(arch_of "$p") 0:1.0-1.el7"; done
	say "" "Complete!"
	;;
remove|erase|autoremove)
	[ -n "$pkgs" ] || { echo "Error: Need to pass a list of pkgs to remove" >&2; exit 1; }
	for p in $pkgs; do
		for r in "$db/$p" "$db/$p".*; do
			[ -e "$r" ] || continue
			# shellcheck disable=SC2013 # the list is space-separated paths without blanks
			for f in $(sed -n 's/^files=//p' "$r"); do rm -f "$f"; done
			rm -f "$r"
			echo "$(date '+%b %d %H:%M:%S') Erased: $p" >> /var/log/yum.log
			say "Removed: $p"
		done
	done
	say "Complete!"
	;;
list)
	say "Installed Packages"
	for r in "$db"/*; do [ -e "$r" ] && printf '%s\t1.0-1.el7\t@base\n' "${r##*/}"; done
	;;
update|upgrade|check-update|makecache|clean|repolist|history|info|search|provides|group|groups|deplist)
	say "Loaded plugins: fastestmirror"
	case $cmd in
	update|upgrade) say "No packages marked for update" ;;
	makecache) say "Metadata Cache Created" ;;
	esac
	;;
"") echo "You need to give some command" >&2; exit 1 ;;
*) echo "No such command: $cmd. Please use /usr/bin/yum --help" >&2; exit 1 ;;
esac
exit 0
"""#

    static let aptGet = #"""
#!/bin/sh
# apt-get for an ecs-sim instance: records installs in /var/lib/dpkg/status and
# /var/log/apt/history.log, and adds placeholder commands; it downloads nothing.
\#(packageHelpers)
quiet=0 cmd='' pkgs=''
while [ $# -gt 0 ]; do
	case $1 in
	-y|--yes|--assume-yes) ;;  # installs never prompt here: no extra packages are pulled in
	-q|-qq|--quiet) quiet=1 ;;
	-o|-t|-c) shift ;;
	-*) ;;
	*) if [ -z "$cmd" ]; then cmd=$1; else pkgs="$pkgs $1"; fi ;;
	esac
	shift
done
say () { [ "$quiet" = 1 ] || printf '%s\n' "$*"; }
status=/var/lib/dpkg/status
mkdir -p /var/lib/dpkg /var/log/apt
touch "$status"
name_of () { _n=${1%%=*}; echo "${_n%%:*}"; }
case $cmd in
update)
	say "Hit:1 http://mirrors.cloud.aliyuncs.com/ubuntu jammy InRelease" "Reading package lists... Done"
	;;
install|reinstall)
	say "Reading package lists... Done" "Building dependency tree... Done" "Reading state information... Done"
	todo=
	for p in $pkgs; do
		n=$(name_of "$p")
		if grep -qx "Package: $n" "$status"; then
			say "$n is already the newest version (1.0-1)."
		else
			todo="$todo $n"
		fi
	done
	if [ -z "$todo" ]; then say "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."; exit 0; fi
	say "The following NEW packages will be installed:" " $todo"
	# shellcheck disable=SC2086 # counting the words of $todo
	say "0 upgraded, $(count $todo) newly installed, 0 to remove and 0 not upgraded."
	for n in $todo; do
		files=$(placeholder_for "$n" "$n")
		printf 'Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\nDescription: ecs-sim placeholder\nX-Ecs-Sim-Files:%s\n\n' "$n" "$files" >> "$status"
		say "Setting up $n (1.0-1) ..."
	done
	printf '\nStart-Date: %s\nCommandline: apt-get %s\nInstall:%s\nEnd-Date: %s\n' "$(date '+%Y-%m-%d  %H:%M:%S')" "$cmd$pkgs" "$todo" "$(date '+%Y-%m-%d  %H:%M:%S')" >> /var/log/apt/history.log
	;;
remove|purge)
	for p in $pkgs; do
		n=$(name_of "$p")
		grep -qx "Package: $n" "$status" || { say "Package '$n' is not installed, so not removed"; continue; }
		# shellcheck disable=SC2013 # the list is space-separated paths without blanks
		for f in $(awk -v n="$n" '$0=="Package: " n {on=1} on && /^X-Ecs-Sim-Files:/ {sub(/^X-Ecs-Sim-Files:/, ""); print; exit}' "$status"); do rm -f "$f"; done
		awk -v n="$n" 'BEGIN{RS=""; ORS="\n\n"} $0 !~ ("^Package: " n "\n")' "$status" > "$status.new" && mv "$status.new" "$status"
		say "Removing $n (1.0-1) ..."
	done
	;;
upgrade|dist-upgrade|full-upgrade|autoremove|clean|autoclean|check|source|download)
	say "Reading package lists... Done" "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."
	;;
"") echo "E: No command given" >&2; exit 100 ;;
*) echo "E: Invalid operation $cmd" >&2; exit 100 ;;
esac
exit 0
"""#

    static let systemctl = #"""
#!/bin/sh
# systemctl for an ecs-sim instance: keeps unit states under /var/lib/ecs-sim/systemd;
# units are the files in /usr/lib/systemd/system and /etc/systemd/system.
state=/var/lib/ecs-sim/systemd
wants=/etc/systemd/system/multi-user.target.wants
mkdir -p "$state" "$wants"
now=0 cmd='' units=''
for a in "$@"; do
	case $a in
	--now) now=1 ;;
	-*) ;;
	*) if [ -z "$cmd" ]; then cmd=$a; else units="$units $a"; fi ;;
	esac
done
unit () { case $1 in *.*) echo "$1" ;; *) echo "$1.service" ;; esac; }
file_of () {
	for d in /etc/systemd/system /usr/lib/systemd/system /lib/systemd/system; do
		[ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 1
}
need () { file_of "$1" >/dev/null || { echo "Failed to $2 $1: Unit $1 not found." >&2; exit 5; }; }
rc=0
case $cmd in
start|restart|reload|try-restart|reload-or-restart)
	for u in $units; do u=$(unit "$u"); need "$u" "$cmd"; touch "$state/$u.active"; done ;;
stop)
	for u in $units; do u=$(unit "$u"); rm -f "$state/$u.active"; done ;;
enable|disable|reenable)
	for u in $units; do
		u=$(unit "$u"); need "$u" "$cmd"
		if [ "$cmd" = disable ]; then
			[ -e "$wants/$u" ] && echo "Removed $wants/$u."
			rm -f "$wants/$u"
			[ "$now" = 1 ] && rm -f "$state/$u.active"
		else
			[ -e "$wants/$u" ] || { ln -s "$(file_of "$u")" "$wants/$u"; echo "Created symlink $wants/$u → $(file_of "$u")."; }
			[ "$now" = 1 ] && touch "$state/$u.active"
		fi
	done ;;
is-active)
	for u in $units; do u=$(unit "$u"); if [ -e "$state/$u.active" ]; then echo active; else echo inactive; rc=3; fi; done ;;
is-enabled)
	for u in $units; do u=$(unit "$u"); if [ -e "$wants/$u" ]; then echo enabled; else echo disabled; rc=1; fi; done ;;
status)
	for u in $units; do
		u=$(unit "$u")
		file_of "$u" >/dev/null || { echo "Unit $u could not be found." >&2; rc=4; continue; }
		if [ -e "$state/$u.active" ]; then a="active (running)"; else a="inactive (dead)"; rc=3; fi
		if [ -e "$wants/$u" ]; then e=enabled; else e=disabled; fi
		printf '● %s\n     Loaded: loaded (%s; %s)\n     Active: %s\n' "$u" "$(file_of "$u")" "$e" "$a"
	done ;;
poweroff|halt|reboot) exec "/usr/bin/$cmd" ;;
daemon-reload|daemon-reexec|mask|unmask|list-units|list-unit-files|reset-failed|set-default|get-default|show) ;;
"") echo "systemctl: no command given" >&2; exit 1 ;;
*) echo "Unknown command verb $cmd." >&2; exit 1 ;;
esac
exit $rc
"""#

    /// shutdown: signals the instance's pid 1 as busybox's poweroff (USR2), halt (USR1) and
    /// reboot (TERM) do; pid 1 records the request in /.ecs-sim/poweroff (the emulator polls
    /// it) and ends the instance's sshd, as a real power-off ends sessions.
    static let shutdown = #"""
#!/bin/sh
# shutdown for an ecs-sim instance.
signal=USR2 delay=1
for a in "$@"; do
	case $a in
	-r|--reboot) signal=TERM ;;
	-h|-P|--poweroff) signal=USR2 ;;
	-H|--halt) signal=USR1 ;;
	-c) rm -f /.ecs-sim/shutdown-scheduled; echo "Shutdown cancelled."; exit 0 ;;
	now) delay=1 ;;
	+[0-9]*) delay=$(( ${a#+} * 60 )); [ "$delay" -gt 0 ] || delay=1 ;;
	esac
done
mkdir -p /.ecs-sim
date +%s > /.ecs-sim/shutdown-scheduled
[ "$delay" -gt 1 ] && echo "Shutdown scheduled, use 'shutdown -c' to cancel."
# Leave the caller's command time to finish first.
setsid sh -c "sleep $delay; [ -e /.ecs-sim/shutdown-scheduled ] && rm -f /.ecs-sim/shutdown-scheduled && kill -$signal 1" </dev/null >/dev/null 2>&1 &
exit 0
"""#

    static let sudo = #"""
#!/bin/sh
# sudo for an ecs-sim instance: everyone here is root already; runs the command.
login=0
while [ $# -gt 0 ]; do
	case $1 in
	-u|-g|-p|-C|-h|-r|-t|-U) shift ;;
	-i|-s) login=1 ;;
	--) shift; break ;;
	-*) ;;
	*) break ;;
	esac
	shift
done
[ $# -gt 0 ] || { [ "$login" = 1 ] && exec /bin/sh -l; echo "usage: sudo command" >&2; exit 1; }
while [ $# -gt 0 ]; do case $1 in *=*) export "${1?}"; shift ;; *) break ;; esac; done
exec "$@"
"""#

    static let bash = #"""
#!/bin/sh
# bash stand-in for an ecs-sim instance: busybox ash runs bash scripts that keep to POSIX sh.
n=$#
while [ $n -gt 0 ]; do
	a=$1; shift; n=$((n - 1))
	case $a in --login) set -- "$@" -l ;; --norc|--noprofile|--posix) ;; *) set -- "$@" "$a" ;; esac
done
exec /bin/sh "$@"
"""#

    /// python3 for an ecs-sim instance: the host's interpreter, which SSHHosts mounts read-only
    /// (nosuid, nodev) at /usr/lib/ecs-sim/host, run with its own loader and libraries, so
    /// Ansible modules (copy, file, lineinfile, command...) work in a busybox guest.
    static let python3 = #"""
#!/bin/sh
# python3 for an ecs-sim instance: the emulator host's Python, mounted read-only.
h=/usr/lib/ecs-sim/host
for ld in "$h"/lib/*-linux-gnu/ld-linux*.so.[0-9]; do
	if [ -x "$h/bin/python3" ] && [ -f "$ld" ]; then
		exec "$ld" --library-path "${ld%/*}" "$h/bin/python3" "$@"
	fi
done
echo "python3: not available in this emulated instance (the ecs-sim host has no /usr/bin/python3)" >&2
exit 127
"""#

    static let hostnamectl = #"""
#!/bin/sh
# hostnamectl for an ecs-sim instance.
case ${1:-status} in
set-hostname) [ -n "${2:-}" ] || { echo "hostnamectl: missing hostname" >&2; exit 1; }; echo "$2" > /etc/hostname ;;
*) echo "   Static hostname: $(cat /etc/hostname)" ;;
esac
"""#

    static let cloudInit = #"""
#!/bin/sh
# cloud-init for an ecs-sim instance: initialisation finished before sshd started.
case ${1:-} in
status) echo "status: done" ;;
*) echo "cloud-init: ecs-sim instance, nothing to do" ;;
esac
"""#

    static let profile = #"""
# /etc/profile (ecs-sim instance)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=${HOME:-/root}
PS1='[\u@\h \W]\$ '
"""#
}
