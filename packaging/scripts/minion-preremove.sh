#!/bin/sh
# Stop the service before its binary goes (not on an upgrade).
case "$1" in upgrade|1) exit 0 ;; esac
if [ -d /run/systemd/system ]; then
    systemctl stop halite-minion.service >/dev/null 2>&1 || true
    systemctl disable halite-minion.service >/dev/null 2>&1 || true
fi
exit 0
