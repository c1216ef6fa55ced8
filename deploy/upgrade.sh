#!/usr/bin/env bash
# Upgrades the stack to another release without losing data: backs up first, checks out the
# release, rebuilds the images (pulling newer base images), fetches any new weights into the
# models volume, restarts, and waits until every service is healthy. The volumes (database,
# data, models) are kept. --rollback goes back to the release and images before the last
# upgrade.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<USAGE
usage: deploy/upgrade.sh REF [--skip-backup]
       deploy/upgrade.sh --rollback
  REF            a tag, branch or commit of the repository (fetched from origin)
  --skip-backup  do not run deploy/backup.sh first
  --rollback     check out the previous release again and start its images (kept as
                 IMAGE-previous); the data stays as it is (restore a backup if a release
                 changed it: deploy/restore.sh)
USAGE
}

ref=""
backup=true
rollback=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --skip-backup) backup=false ;;
    --rollback) rollback=true ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) [[ -z $ref ]] || { usage >&2; exit 2; }; ref=$1 ;;
  esac
  shift
done
$rollback || [[ -n $ref ]] || { usage >&2; exit 2; }
! $rollback || [[ -z $ref ]] || { usage >&2; exit 2; }
require_stack_files
need git "to fetch the release"
state=.upgrade-previous

# The images built here (the backend and the frontend), as the compose files name them.
built_images() {
  compose config --images | grep '^modelgallery/' || true
}

wait_healthy() {
  compose up -d --remove-orphans --wait --wait-timeout 900
}

if $rollback; then
  [[ -f $state ]] || die "no $state: nothing to roll back to"
  previous="$(cat "$state")"
  log "rolling back to $previous"
  git -c advice.detachedHead=false checkout --quiet "$previous"
  while read -r image; do
    docker image inspect "$image-previous" >/dev/null 2>&1 || die "$image-previous is gone"
    docker image tag "$image-previous" "$image"
  done < <(built_images)
  wait_healthy
  log "rolled back to $previous; if the newer release changed the data, restore the backup taken before it"
  exit 0
fi

git diff --quiet HEAD -- || die "the working tree has local changes; commit or stash them first"
if $backup; then
  "$ROOT/deploy/backup.sh"
fi

current="$(git rev-parse HEAD)"
log "fetching $ref"
git fetch --quiet --tags origin
target="$(git rev-parse --verify --quiet "origin/$ref^{commit}" || git rev-parse --verify "$ref^{commit}")" \
  || die "$ref is neither a tag, a branch nor a commit of origin"

# Keep the running images for --rollback.
while read -r image; do
  if docker image inspect "$image" >/dev/null 2>&1; then
    docker image tag "$image" "$image-previous"
  fi
done < <(built_images)
printf '%s\n' "$current" >"$state"

git -c advice.detachedHead=false checkout --quiet "$target"
log "now at $(git describe --tags --always): building"
compose build --pull
compose pull --quiet mongo
# New or changed weights of the new registry go into the existing models volume.
compose run --rm --no-deps -T backend modelgallery fetch-models \
  || log "warning: some weights could not be fetched; those models show as unavailable"
if ! wait_healthy; then
  compose ps >&2
  die "the new release is not healthy (docker compose logs backend); deploy/upgrade.sh --rollback goes back"
fi
log "upgraded to $(git describe --tags --always)"
