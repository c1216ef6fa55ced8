#!/usr/bin/env bash
# Restores a backup made by deploy/backup.sh into this stack: the application database
# (replacing its collections), the data volume and, when the backup has it, the models
# volume (replacing their contents). The site is down meanwhile. Works on a new machine too:
# bring the stack up once with its own .env, then restore.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<USAGE
usage: deploy/restore.sh BACKUP_FOLDER [--yes]
  BACKUP_FOLDER  e.g. /var/backups/modelgallery/20260101T031500Z
  --yes          do not ask before replacing the current data
USAGE
}

backup=""
yes=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --yes) yes=true ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) [[ -z $backup ]] || { usage >&2; exit 2; }; backup=$1 ;;
  esac
  shift
done
[[ -n $backup ]] || { usage >&2; exit 2; }
[[ -f $backup/mongo.archive.gz && -f $backup/data.tar.gz ]] \
  || die "$backup is not a backup folder (no mongo.archive.gz and data.tar.gz)"
require_stack_files

if [[ -f $backup/SHA256SUMS ]]; then
  (cd "$backup" && sha256sum --quiet -c SHA256SUMS) || die "$backup: checksums do not match"
fi
if ! $yes; then
  [[ -t 0 ]] || die "not a terminal: pass --yes to confirm"
  read -r -p "Replace the database and the data of $ROOT with $backup? [y/N] " answer
  [[ $answer == [yY]* ]] || die "nothing changed"
fi

log "stopping the site"
compose stop frontend backend
compose up -d --wait mongo

log "MongoDB <- $backup/mongo.archive.gz"
# shellcheck disable=SC2016
compose exec -T mongo sh -c 'exec mongorestore --quiet --authenticationDatabase admin \
    --username "$MONGO_INITDB_ROOT_USERNAME" --password "$MONGO_INITDB_ROOT_PASSWORD" \
    --nsInclude "$MONGO_APP_DB.*" --drop --archive --gzip' <"$backup/mongo.archive.gz"

volume_restore() {
  local path=$1 archive=$2
  # shellcheck disable=SC2016
  compose run --rm --no-deps -T --entrypoint sh backend -c \
    'find "$1" -mindepth 1 -delete && tar -C "$1" -xzf -' sh "$path" <"$archive"
}
log "data volume <- $backup/data.tar.gz"
volume_restore /data "$backup/data.tar.gz"
if [[ -f $backup/models.tar.gz ]]; then
  log "models volume <- $backup/models.tar.gz"
  volume_restore /models "$backup/models.tar.gz"
fi

log "starting the site"
compose up -d --wait
log "restored $backup"
