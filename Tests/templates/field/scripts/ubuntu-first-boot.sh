#!/bin/sh
# User data of the Ubuntu field templates (cloud-init runs it once, at first boot).
# Ubuntu's periodic apt jobs start right after boot and hold the dpkg lock, which makes an
# early "apt-get install" from a provisioner fail; stop them for the life of the build.
systemctl stop apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service 2>/dev/null || true
printf 'first boot of a field template build: %s\n' "$(date -u)" >>/var/log/field-first-boot.log
