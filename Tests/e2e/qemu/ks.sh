# The test installer's "kickstart" (Tests/e2e/qemu-iso.sh), fetched by the ISO's initramfs
# from the build's http_directory: $1 is its own URL. It installs the build's public key
# (from the same server), keeps the vm name given on the kernel command line, and starts
# the SSH server.
base=${1%/*}
mkdir -p /root/.ssh /run
chmod 700 /root /root/.ssh
wget -q -O /root/.ssh/authorized_keys "$base/authorized_keys" || echo "installer: no authorized_keys"
chmod 600 /root/.ssh/authorized_keys
for a in $(cat /proc/cmdline); do case $a in name=*) echo "${a#name=}" >/run/vm-name ;; esac; done
dropbear -R -E -p 22 && echo "installer: ssh server started"
