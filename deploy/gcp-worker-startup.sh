#!/usr/bin/env bash
# A worker node's startup script on Google Cloud (deploy/gcp-add-worker.sh puts it in the
# instance template; it runs as root at every boot). Reads the instance metadata (mg-repo,
# mg-ref, mg-groups or mg-models, mg-gpu, mg-env-secret), clones the release into
# /opt/modelgallery, installs Docker (and with mg-gpu=true the NVIDIA driver, rebooting once,
# and the Container Toolkit), fetches the node's settings from Secret Manager, builds the
# backend image and runs only the worker container: no published port, its own scratch
# folder. Progress: sudo journalctl -u google-startup-scripts.
set -euo pipefail

usage() {
  cat <<USAGE
usage: sudo deploy/gcp-worker-startup.sh
  Run by Google Cloud at boot on a worker node made by deploy/gcp-add-worker.sh; it takes
  its settings from the instance metadata, and does nothing useful elsewhere.
USAGE
}

while [[ $# -gt 0 ]]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "error: run as root" >&2; exit 1; }

metadata=http://metadata.google.internal/computeMetadata/v1
meta() { curl -fsS --max-time 5 -H 'Metadata-Flavor: Google' "$metadata/$1" 2>/dev/null || true; }
attribute() { meta "instance/attributes/$1"; }
log() { printf 'modelgallery-worker: %s\n' "$*" >&2; }

repo="$(attribute mg-repo)"
ref="$(attribute mg-ref)"
groups="$(attribute mg-groups)"
models="$(attribute mg-models)"
gpu="$(attribute mg-gpu)"
secret="$(attribute mg-env-secret)"
[[ -n $repo && -n $secret ]] || { log "no mg-repo or mg-env-secret in the instance metadata"; exit 1; }

if [[ $gpu == true ]] && ! nvidia-smi >/dev/null 2>&1; then
  log "installing the NVIDIA driver, then rebooting (this script runs again)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ubuntu-drivers-common >/dev/null
  ubuntu-drivers install --gpgpu
  version="$(dpkg-query -W -f '${Package}\n' 'nvidia-driver-*-server' 2>/dev/null | sed -n 's/^nvidia-driver-\([0-9]*\)-server$/\1/p' | head -n 1)"
  if [[ -n $version ]]; then
    apt-get install -y -qq --no-install-recommends "nvidia-utils-${version}-server" >/dev/null
  fi
  reboot
  exit 0
fi

dir=/opt/modelgallery
if [[ ! -d $dir/.git ]]; then
  git clone --quiet "$repo" "$dir"
fi
git -C "$dir" fetch --quiet --tags origin
if [[ -n $ref ]]; then
  git -C "$dir" -c advice.detachedHead=false checkout --quiet "$ref"
fi
if [[ $gpu == true ]]; then
  "$dir/deploy/install-docker.sh" --nvidia
else
  "$dir/deploy/install-docker.sh"
fi

# The node's settings (passwords included) from Secret Manager, with the VM's service account.
project="$(meta project/project-id)"
token="$(meta instance/service-accounts/default/token | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
install -d -m 0700 /etc/modelgallery
env_file=/etc/modelgallery/worker.env
umask 077
curl -fsS --max-time 30 -H "Authorization: Bearer $token" \
  "https://secretmanager.googleapis.com/v1/projects/$project/secrets/$secret/versions/latest:access" \
  | python3 -c 'import base64, json, sys; sys.stdout.write(base64.b64decode(json.load(sys.stdin)["payload"]["data"]).decode())' \
  >"$env_file.new"
mv "$env_file.new" "$env_file"
printf 'NODE_NAME=%s\n' "$(hostname)" >>"$env_file"

variant=cpu
run_args=()
if [[ $gpu == true ]]; then
  variant="$(sed -n 's/^TORCH_VARIANT=//p' "$dir/.env.example" | head -n 1)"
  run_args+=(--gpus all)
fi
image="modelgallery/backend:worker-${variant}"
log "building $image (the first build takes a while)"
docker build --quiet --build-arg "TORCH_VARIANT=$variant" -f "$dir/backend/Dockerfile" -t "$image" "$dir" >/dev/null

if [[ -n $models ]]; then
  serves=(--models "$models")
else
  serves=(--groups "${groups:-torch,tf,cpu}")
fi
name=modelgallery-worker
# What the container is made of: the image and the settings (a new secret version counts).
wanted="$(docker image inspect --format '{{.Id}}' "$image") $(sha256sum <"$env_file" | cut -c1-16) ${serves[*]}"
if [[ "$(docker inspect --format '{{index .Config.Labels "mg.made-of"}}' "$name" 2>/dev/null || true)" == "$wanted" ]]; then
  log "the worker runs the current image and settings"
  docker start "$name" >/dev/null
  exit 0
fi
if docker inspect "$name" >/dev/null 2>&1; then
  log "replacing the worker (its running job may finish first: up to 11 minutes)"
  docker stop --time 660 "$name" >/dev/null
  docker rm "$name" >/dev/null
fi
# Scratch: a folder of this VM for the node only (job files themselves are in the bucket).
install -d -o 10001 -g 10001 -m 0750 /var/lib/modelgallery/scratch
docker run --detach --name "$name" \
  --restart unless-stopped --stop-timeout 660 \
  --security-opt no-new-privileges:true \
  --env-file "$env_file" \
  --volume /var/lib/modelgallery/scratch:/data \
  --no-healthcheck \
  --label "mg.made-of=$wanted" \
  --log-driver json-file --log-opt max-size=10m --log-opt max-file=5 \
  "${run_args[@]}" \
  "$image" modelgallery worker "${serves[@]}" >/dev/null
log "worker $(hostname) started: ${serves[*]}"
