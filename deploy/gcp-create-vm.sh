#!/usr/bin/env bash
# Creates a Google Cloud VM running Model Gallery: a firewall rule for HTTP and HTTPS, an
# optional static address, and an Ubuntu 24.04 instance whose cloud-init (deploy/cloud-init.yaml)
# installs Docker, clones the release and starts the stack. Run where gcloud is logged in.
# Running it again creates only what is missing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<USAGE
usage: deploy/gcp-create-vm.sh --server-name NAME --admin-email EMAIL [options]
  --server-name NAME        the site's DNS name (point its A record at the address printed)
  --admin-email EMAIL       the first administrator; also Let's Encrypt's contact
  --project ID              default: gcloud's current project
  --zone ZONE               default: europe-west1-b
  --name NAME               instance name, default: modelgallery
  --machine-type TYPE       default: e2-standard-4 (4 vCPUs, 16 GB); with --gpu: n1-standard-4
  --disk-size GB            boot disk (images, volumes, backups), default: 100
  --repo URL                repository to clone, default: this checkout's origin
  --ref REF                 tag or branch to deploy, default: the current tag or branch
  --gpu TYPE[:COUNT]        attach GPUs, e.g. nvidia-tesla-t4 or nvidia-l4:1 (see docs/deployment.md)
  --static-ip               reserve a static external address named after the instance
USAGE
}

project=""
zone=europe-west1-b
name=modelgallery
machine_type=""
disk_size=100
repo=""
ref=""
gpu=""
static_ip=false
server_name=""
admin_email=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --static-ip) static_ip=true ;;
    -h|--help) usage; exit 0 ;;
    --*)
      [[ $# -ge 2 ]] || { usage >&2; exit 2; }
      case $1 in
        --server-name) server_name=$2 ;;
        --admin-email) admin_email=$2 ;;
        --project) project=$2 ;;
        --zone) zone=$2 ;;
        --name) name=$2 ;;
        --machine-type) machine_type=$2 ;;
        --disk-size) disk_size=$2 ;;
        --repo) repo=$2 ;;
        --ref) ref=$2 ;;
        --gpu) gpu=$2 ;;
        *) usage >&2; exit 2 ;;
      esac
      shift ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
[[ -n $server_name && -n $admin_email ]] || { usage >&2; exit 2; }
[[ $disk_size =~ ^[0-9]+$ ]] || die "--disk-size: '$disk_size' is not a number of GB"
need gcloud "install the Google Cloud CLI and run gcloud auth login"

project=${project:-$(gcloud config get-value project 2>/dev/null)}
[[ -n $project ]] || die "no project: pass --project or run gcloud config set project ID"
repo=${repo:-$(git remote get-url origin 2>/dev/null || true)}
[[ -n $repo ]] || die "no repository URL: pass --repo"
ref=${ref:-$(git describe --tags --exact-match 2>/dev/null || git rev-parse --abbrev-ref HEAD)}
if [[ -n $gpu ]]; then
  machine_type=${machine_type:-n1-standard-4}
else
  machine_type=${machine_type:-e2-standard-4}
fi
region=${zone%-*}
tag=modelgallery-web
gc=(gcloud --project "$project" --quiet)

if "${gc[@]}" compute firewall-rules describe "$tag" >/dev/null 2>&1; then
  log "firewall rule $tag exists"
else
  log "creating firewall rule $tag (tcp:80,443 from anywhere to instances tagged $tag)"
  "${gc[@]}" compute firewall-rules create "$tag" --network default --direction INGRESS \
    --allow tcp:80,tcp:443 --source-ranges 0.0.0.0/0 --target-tags "$tag" \
    --description "Model Gallery: HTTP (Let's Encrypt, redirect) and HTTPS"
fi

address_args=()
if $static_ip; then
  if ! "${gc[@]}" compute addresses describe "$name" --region "$region" >/dev/null 2>&1; then
    log "reserving static address $name in $region"
    "${gc[@]}" compute addresses create "$name" --region "$region"
  fi
  address_args=(--address "$("${gc[@]}" compute addresses describe "$name" --region "$region" --format 'value(address)')")
fi

gpu_args=()
gpu_flag=false
if [[ -n $gpu ]]; then
  gpu_type=${gpu%%:*}
  gpu_count=1
  [[ $gpu == *:* ]] && gpu_count=${gpu#*:}
  gpu_args=(--accelerator "type=$gpu_type,count=$gpu_count" --maintenance-policy TERMINATE)
  gpu_flag=true
fi

if "${gc[@]}" compute instances describe "$name" --zone "$zone" >/dev/null 2>&1; then
  log "instance $name exists in $zone: nothing to create"
else
  log "creating instance $name ($machine_type, ${disk_size} GB) in $zone, deploying $repo at $ref"
  "${gc[@]}" compute instances create "$name" --zone "$zone" \
    --machine-type "$machine_type" \
    --image-family ubuntu-2404-lts-amd64 --image-project ubuntu-os-cloud \
    --boot-disk-size "${disk_size}GB" --boot-disk-type pd-balanced \
    --tags "$tag" \
    --metadata-from-file "user-data=$ROOT/deploy/cloud-init.yaml" \
    --metadata "mg-repo=$repo,mg-ref=$ref,mg-server-name=$server_name,mg-admin-email=$admin_email,mg-letsencrypt-email=$admin_email,mg-gpu=$gpu_flag" \
    "${address_args[@]}" "${gpu_args[@]}"
fi

ip="$("${gc[@]}" compute instances describe "$name" --zone "$zone" --format 'value(networkInterfaces[0].accessConfigs[0].natIP)')"
cat <<DONE
Instance $name is at $ip.
  1. Point the DNS A record of $server_name at $ip.
  2. Follow the set-up: gcloud compute ssh $name --zone $zone -- sudo tail -f /var/log/cloud-init-output.log
  3. If the certificate came before the DNS record did:
       gcloud compute ssh $name --zone $zone -- sudo /opt/modelgallery/deploy/letsencrypt.sh issue
  4. The administrator's password: sudo grep ^ADMIN_PASSWORD= /opt/modelgallery/.env
DONE
