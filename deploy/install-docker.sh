#!/usr/bin/env bash
# Installs Docker Engine and the Compose plugin from Docker's apt repository on Debian or
# Ubuntu, and with --nvidia the NVIDIA Container Toolkit (the NVIDIA driver must be there
# already). Safe to run again. Run as root.
set -euo pipefail

usage() {
  cat <<USAGE
usage: sudo deploy/install-docker.sh [--nvidia] [--user NAME]
  --nvidia     also install the NVIDIA Container Toolkit (for docker-compose.gpu.yml)
  --user NAME  add NAME to the docker group (runs docker without sudo after a new login)
USAGE
}

nvidia=false
user=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --nvidia) nvidia=true ;;
    --user) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; user=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done

[[ $(id -u) -eq 0 ]] || { echo "error: run as root (sudo $0)" >&2; exit 1; }
[[ -r /etc/os-release ]] || { echo "error: /etc/os-release is missing" >&2; exit 1; }
# shellcheck source=/dev/null
. /etc/os-release
case ${ID:-} in
  debian|ubuntu) ;;
  *) echo "error: this script knows Debian and Ubuntu, not '${ID:-unknown}'; see https://docs.docker.com/engine/install/" >&2; exit 1 ;;
esac
codename=${UBUNTU_CODENAME:-${VERSION_CODENAME:-}}
[[ -n $codename ]] || { echo "error: no release codename in /etc/os-release" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }

if docker compose version >/dev/null 2>&1; then
  echo "Docker and Compose are installed: $(docker compose version)"
else
  apt-get update -qq
  apt_install ca-certificates curl openssl git
  install -m 0755 -d /etc/apt/keyrings
  curl -fsSL "https://download.docker.com/linux/${ID}/gpg" -o /etc/apt/keyrings/docker.asc
  chmod a+r /etc/apt/keyrings/docker.asc
  echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/${ID} ${codename} stable" \
    >/etc/apt/sources.list.d/docker.list
  apt-get update -qq
  apt_install docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
  systemctl enable --now docker
  echo "installed $(docker --version) and $(docker compose version)"
fi

if $nvidia; then
  if command -v nvidia-ctk >/dev/null 2>&1; then
    echo "the NVIDIA Container Toolkit is installed"
  else
    command -v nvidia-smi >/dev/null 2>&1 || echo "warning: nvidia-smi not found: install the NVIDIA driver too" >&2
    apt_install gnupg
    keyring=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg
    curl -fsSL https://nvidia.github.io/libnvidia-container/gpgkey | gpg --dearmor --yes -o "$keyring"
    curl -fsSL https://nvidia.github.io/libnvidia-container/stable/deb/nvidia-container-toolkit.list \
      | sed "s#deb https://#deb [signed-by=${keyring}] https://#" \
      >/etc/apt/sources.list.d/nvidia-container-toolkit.list
    apt-get update -qq
    apt_install nvidia-container-toolkit
  fi
  nvidia-ctk runtime configure --runtime=docker >/dev/null
  systemctl restart docker
  echo "Docker can use the GPUs (check: docker run --rm --gpus all ubuntu:24.04 nvidia-smi)"
fi

if [[ -n $user ]]; then
  usermod -aG docker "$user"
  echo "$user is in the docker group (takes effect at the next login)"
fi
