#!/usr/bin/env bash
# Sets up Model Gallery on a fresh Debian or Ubuntu machine from this checkout, as root, and
# can be run again at any time: installs Docker, writes .env when there is none, starts the
# stack (with a self-signed certificate until Let's Encrypt's), installs the backup and
# renewal timers, and obtains the Let's Encrypt certificate when the DNS name already points
# here. deploy/cloud-init.yaml runs it on a new VM.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<USAGE
usage: sudo deploy/bootstrap.sh [--server-name NAME --admin-email EMAIL] [--letsencrypt-email EMAIL]
                               [--gpu] [--no-letsencrypt]
  --server-name, --admin-email, --letsencrypt-email
                    used to write .env when there is none (deploy/make-env.sh)
  --gpu             install the NVIDIA Container Toolkit and use docker-compose.gpu.yml
  --no-letsencrypt  keep the self-signed certificate (deploy/letsencrypt.sh issue later)
USAGE
}

env_args=()
gpu=false
letsencrypt=true
while [[ $# -gt 0 ]]; do
  case $1 in
    --server-name|--admin-email|--letsencrypt-email)
      [[ $# -ge 2 ]] || { usage >&2; exit 2; }
      [[ -z $2 ]] || env_args+=("$1" "$2")
      shift ;;
    --gpu) gpu=true ;;
    --no-letsencrypt) letsencrypt=false ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) -eq 0 ]] || die "run as root (sudo $0)"

if $gpu; then
  # The driver comes with the machine image or the cloud's GPU guide, and needs a reboot.
  nvidia-smi >/dev/null 2>&1 \
    || die "--gpu: nvidia-smi does not work: install the NVIDIA driver (docs/deployment.md, GPU variant), reboot, then run this again"
  "$ROOT/deploy/install-docker.sh" --nvidia
else
  "$ROOT/deploy/install-docker.sh"
fi

if [[ ! -f .env ]]; then
  [[ ${#env_args[@]} -gt 0 ]] \
    || die "no .env: copy .env.example to $ROOT/.env and fill it in (or pass --server-name and --admin-email), then run this again"
  "$ROOT/deploy/make-env.sh" "${env_args[@]}"
fi
if $gpu && ! grep -q '^COMPOSE_FILE=' .env; then
  printf '\nCOMPOSE_FILE=docker-compose.yml:docker-compose.gpu.yml\n' >>.env
fi
require_stack_files

server_name="$(env_get SERVER_NAME)"
[[ -n $server_name ]] || die "SERVER_NAME is empty in .env"
certs_dir="$(env_get CERTS_DIR ./certs)"
if [[ ! -s $certs_dir/fullchain.pem ]]; then
  sh nginx/make-self-signed.sh "$certs_dir" "$server_name"
fi

log "building and starting the stack (the first build takes a while)"
compose up -d --build --wait --wait-timeout 1200

if $letsencrypt && [[ -n $(env_get LETSENCRYPT_EMAIL) ]]; then
  "$ROOT/deploy/install-timers.sh" --certbot
  "$ROOT/deploy/letsencrypt.sh" issue \
    || log "no Let's Encrypt certificate yet (does $server_name's DNS record point here?); the self-signed one stays: run deploy/letsencrypt.sh issue later"
else
  "$ROOT/deploy/install-timers.sh"
fi
log "Model Gallery is up at https://$server_name/ (administrator: see ADMIN_EMAIL and ADMIN_PASSWORD in $ROOT/.env)"
