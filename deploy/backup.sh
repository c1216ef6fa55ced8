#!/usr/bin/env bash
# Backs up the running stack into BACKUP_DIR/<UTC time>/:
#   mongo.archive.gz  mongodump of the application database (--archive --gzip)
#   data.tar.gz       the data volume (job inputs and results)
#   models.tar.gz     the models volume (weights; --skip-models leaves it out)
#   SHA256SUMS
# and removes backups older than BACKUP_KEEP_DAYS. The stack keeps running. Restore with
# deploy/restore.sh. The modelgallery-backup timer runs this every night.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<USAGE
usage: deploy/backup.sh [--dir DIR] [--keep-days N] [--skip-models]
  --dir DIR       where backups go (default: BACKUP_DIR from .env, else /var/backups/modelgallery)
  --keep-days N   remove backups older than N days (default: BACKUP_KEEP_DAYS, else 14; 0 keeps all)
  --skip-models   leave the models volume out (only when no model version was uploaded from
                  the dashboard: the models.toml weights can be fetched again, those cannot)
USAGE
}

dir=""
keep=""
models=true
while [[ $# -gt 0 ]]; do
  case $1 in
    --dir) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; dir=$2; shift ;;
    --keep-days) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; keep=$2; shift ;;
    --skip-models) models=false ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done

require_stack_files
dir=${dir:-$(env_get BACKUP_DIR /var/backups/modelgallery)}
keep=${keep:-$(env_get BACKUP_KEEP_DAYS 14)}
[[ $keep =~ ^[0-9]+$ ]] || die "--keep-days: '$keep' is not a number of days"

umask 077
target="$dir/$(date -u +%Y%m%dT%H%M%SZ)"
partial="$target.partial"
mkdir -p "$partial"
trap 'rm -rf "$partial"' EXIT

log "MongoDB -> $target/mongo.archive.gz"
# The root account's credentials are read inside the container, from its own environment.
# shellcheck disable=SC2016
compose exec -T mongo sh -c 'exec mongodump --quiet --authenticationDatabase admin \
    --username "$MONGO_INITDB_ROOT_USERNAME" --password "$MONGO_INITDB_ROOT_PASSWORD" \
    --db "$MONGO_APP_DB" --archive --gzip' >"$partial/mongo.archive.gz"

# A throwaway container of the backend image with the service's volumes. GNU tar exits 1
# when a file changed while it was read (a job writing its results): that is not a failure.
volume_tar() {
  local path=$1 out=$2
  # shellcheck disable=SC2016
  compose run --rm --no-deps -T --entrypoint sh backend -c \
    'tar -C "$1" --warning=no-file-changed -czf - .; rc=$?; [ "$rc" -le 1 ]' sh "$path" >"$out"
}
log "data volume -> $target/data.tar.gz"
volume_tar /data "$partial/data.tar.gz"
if $models; then
  log "models volume -> $target/models.tar.gz"
  volume_tar /models "$partial/models.tar.gz"
fi

for file in "$partial"/*.gz; do
  gzip -t "$file" || die "$file is damaged"
done
(cd "$partial" && sha256sum -- *.gz >SHA256SUMS)
mv "$partial" "$target"
trap - EXIT
log "backup written: $target ($(du -sh "$target" | cut -f1))"
bucket=$(env_get STORAGE_URL "")
if [[ -n $bucket ]]; then
  # The data volume then holds working copies only; the bucket is the jobs' files.
  log "not included: the job files in $bucket (STORAGE_URL); copy the bucket with the" \
    "provider's tools (aws s3 sync, gcloud storage rsync) or rely on its versioning"
fi

if [[ $keep -gt 0 ]]; then
  find "$dir" -mindepth 1 -maxdepth 1 -type d -name '20*Z' -mtime "+$keep" -print -exec rm -rf {} + |
    while read -r old; do log "removed old backup $old"; done
fi
