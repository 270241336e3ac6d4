# make_iso DIR — builds DIR/installer.iso, a real bootable installer made from Debian's
# packages (sourced by Tests/e2e/qemu-*.sh): GRUB (grub-mkrescue, xorriso) waiting at its
# menu, Debian's kernel, and an initramfs of busybox-static, the virtio modules and
# dropbear. Booted with "ks=URL" on the kernel command line (typed by the boot_command at
# GRUB's prompt), the initramfs brings the network up, fetches URL from the builder's HTTP
# server and runs it: the "kickstart" in the test's http_directory starts the SSH server.
make_iso () {
	_d=$1/iso-build
	_kv=$(ls /lib/modules | sort -V | tail -n 1)
	[ -n "$_kv" ] && [ -f "/boot/vmlinuz-$_kv" ] || { echo "make_iso: no kernel in /boot (linux-image-amd64)" >&2; return 1; }
	rm -rf "$_d"
	mkdir -p "$_d/root/bin" "$_d/root/sbin" "$_d/root/etc" "$_d/root/proc" "$_d/root/sys" "$_d/root/dev" "$_d/root/tmp" \
		"$_d/root/root" "$_d/root/mods" "$_d/root/var/log" "$_d/root/etc/dropbear" "$_d/iso/boot/grub"
	cp /bin/busybox "$_d/root/bin/busybox"
	for _m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk failover net_failover virtio_net; do
		_f=$(modinfo -k "$_kv" -n "$_m") || return 1
		cp "$_f" "$_d/root/mods/"
		printf '%s\n' "$(basename "$_f")" >>"$_d/root/mods/order"
	done
	# dropbear and the shared libraries it needs.
	cp /usr/sbin/dropbear "$_d/root/sbin/dropbear"
	for _l in $(ldd /usr/sbin/dropbear | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
		mkdir -p "$_d/root$(dirname "$_l")"
		cp -L "$_l" "$_d/root$_l"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$_d/root/etc/passwd"
	printf 'root::0:0:99999:7:::\n' >"$_d/root/etc/shadow"
	printf 'root:x:0:\n' >"$_d/root/etc/group"
	printf '/bin/sh\n' >"$_d/root/etc/shells"
	cat >"$_d/root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
for m in $(cat /mods/order); do insmod "/mods/$m"; done
ks=
for a in $(cat /proc/cmdline); do case $a in ks=*) ks=${a#ks=} ;; esac; done
ifconfig lo 127.0.0.1 up
ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
route add default gw 10.0.2.2
echo "installer: kickstart $ks"
if [ -n "$ks" ] && wget -q -O /tmp/ks.sh "$ks"; then sh /tmp/ks.sh "$ks"; else echo "installer: no kickstart"; fi
exec sh
INIT
	chmod 755 "$_d/root/init"
	(cd "$_d/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$_d/iso/boot/initrd.gz" || return 1
	cp "/boot/vmlinuz-$_kv" "$_d/iso/boot/vmlinuz"
	cat >"$_d/iso/boot/grub/grub.cfg" <<'GRUB'
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
set timeout=-1
menuentry "Installer (give ks=URL: press c, then linux/initrd/boot)" {
	linux /boot/vmlinuz console=ttyS0
	initrd /boot/initrd.gz
}
GRUB
	grub-mkrescue --install-modules="linux normal iso9660 serial terminal echo configfile" --fonts= --locales= --themes= \
		-o "$1/installer.iso" "$_d/iso" >"$_d/mkrescue.log" 2>&1 || { cat "$_d/mkrescue.log" >&2; return 1; }
	rm -rf "$_d"
}
