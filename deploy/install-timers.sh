#!/usr/bin/env bash
# Installs and starts the systemd timers of deploy/systemd/ for this checkout: the nightly
# backup and, with --certbot, the twice-daily certificate renewal. Run as root.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<USAGE
usage: sudo deploy/install-timers.sh [--certbot]
  installs modelgallery-backup.timer (and with --certbot modelgallery-certbot.timer)
USAGE
}

units=(modelgallery-backup)
while [[ $# -gt 0 ]]; do
  case $1 in
    --certbot) units+=(modelgallery-certbot) ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) -eq 0 ]] || die "run as root (sudo $0)"
need systemctl "the timers are systemd units"

for unit in "${units[@]}"; do
  for kind in service timer; do
    sed "s#/opt/modelgallery#${ROOT}#g" "deploy/systemd/$unit.$kind" >"/etc/systemd/system/$unit.$kind"
  done
done
systemctl daemon-reload
for unit in "${units[@]}"; do
  systemctl enable --now "$unit.timer"
done
systemctl list-timers 'modelgallery-*' --no-pager
