# shellcheck shell=bash
# Sourced by the deploy/ scripts: moves to the repository root and gives them logging, .env
# look-ups and `compose`. Not meant to be run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is needed: $2"; }

# env_get NAME [DEFAULT]: NAME from the environment, else from .env (its last assignment,
# quotes and a trailing " # comment" removed), else DEFAULT. The scripts never source .env:
# compose's .env syntax is not shell syntax (JSON values, spaces).
env_get() {
  local name=$1 default=${2-} line value
  if [[ -n ${!name-} ]]; then
    printf '%s' "${!name}"
    return
  fi
  line="$(grep -E "^[[:space:]]*${name}=" .env 2>/dev/null | tail -n 1 || true)"
  value="${line#*=}"
  if [[ $value == \"*\" || $value == \'*\' ]]; then
    value="${value:1:${#value}-2}"
  else
    value="${value%%[[:space:]]#*}"
  fi
  printf '%s' "${value:-$default}"
}

compose() { docker compose "$@"; }

require_stack_files() {
  [[ -f docker-compose.yml ]] || die "no docker-compose.yml in $ROOT"
  [[ -f .env ]] || die "no .env in $ROOT: copy .env.example (or run deploy/make-env.sh)"
  need docker "install Docker first (deploy/install-docker.sh)"
  docker compose version >/dev/null 2>&1 || die "the Docker Compose plugin is missing (deploy/install-docker.sh)"
}
