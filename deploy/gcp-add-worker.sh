#!/usr/bin/env bash
# Adds worker nodes on Google Cloud to a running stack (docs/scaling.md): a managed instance
# group of Ubuntu VMs from an instance template whose startup script (gcp-worker-startup.sh)
# installs Docker and runs only the worker container, reaching the stack's Redis and MongoDB
# at its private address (docker-compose.nodes.yml there), job files in a GCS bucket. Made
# when missing: the nodes' service account, the bucket, a Secret Manager secret with their
# settings (no password in instance metadata), a firewall rule letting only the nodes reach
# ports 6379 and 27017 of the stack. Reads REDIS_PASSWORD, MONGO_APP_* and STORAGE_URL from
# the environment or ./.env. Running it again creates only what is missing, and resizes.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<USAGE
usage: deploy/gcp-add-worker.sh [options]
  --stack NAME              the stack's instance (deploy/gcp-create-vm.sh --name), default: modelgallery
  --stack-ip IP             its private address (default: looked up)
  --storage-url gs://B[/P]  the job files' bucket, default: STORAGE_URL of .env
  --project ID              default: gcloud's current project
  --zone ZONE               default: europe-west1-b (the stack's zone)
  --name NAME               the group's name, default: modelgallery-worker
  --size N                  how many nodes, default: 1 (run again to resize); with
                            --autoscale, the fewest
  --autoscale MAX           let Compute Engine's autoscaler size the group between --size
                            and MAX nodes, following modelgallery_queue_depth of one group
                            (docs/scaling.md, "Autoscaling")
  --autoscale-group GROUP   the worker group whose queue it follows (default: --groups when
                            it names one group)
  --jobs-per-node N         waiting jobs each node is meant to take, default: 4
  --groups LIST             worker groups the nodes serve, default: torch,tf,cpu
  --models LIST             or the models they serve (instead of --groups)
  --machine-type TYPE       default: e2-standard-4; with --gpu: n1-standard-4
  --disk-size GB            boot disk, default: 100
  --gpu TYPE[:COUNT]        attach GPUs, e.g. nvidia-tesla-t4 (default groups: torch)
  --repo URL                repository to clone, default: this checkout's origin
  --ref REF                 tag or branch to deploy, default: the current tag or branch
  --dry-run                 print the gcloud commands, run none (placeholders for look-ups)
USAGE
}

stack=modelgallery
stack_ip=""
storage_url=""
project=""
zone=europe-west1-b
name=modelgallery-worker
size=1
groups=""
models=""
machine_type=""
disk_size=100
gpu=""
repo=""
ref=""
autoscale=""
autoscale_group=""
jobs_per_node=4
dry_run=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --dry-run) dry_run=true ;;
    -h|--help) usage; exit 0 ;;
    --*)
      [[ $# -ge 2 ]] || { usage >&2; exit 2; }
      case $1 in
        --stack) stack=$2 ;;
        --stack-ip) stack_ip=$2 ;;
        --storage-url) storage_url=$2 ;;
        --project) project=$2 ;;
        --zone) zone=$2 ;;
        --name) name=$2 ;;
        --size) size=$2 ;;
        --groups) groups=$2 ;;
        --models) models=$2 ;;
        --machine-type) machine_type=$2 ;;
        --disk-size) disk_size=$2 ;;
        --gpu) gpu=$2 ;;
        --repo) repo=$2 ;;
        --ref) ref=$2 ;;
        --autoscale) autoscale=$2 ;;
        --autoscale-group) autoscale_group=$2 ;;
        --jobs-per-node) jobs_per_node=$2 ;;
        *) usage >&2; exit 2 ;;
      esac
      shift ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
[[ $size =~ ^[0-9]+$ ]] || die "--size: '$size' is not a number"
[[ $disk_size =~ ^[0-9]+$ ]] || die "--disk-size: '$disk_size' is not a number of GB"
[[ -z $autoscale || $autoscale =~ ^[1-9][0-9]*$ ]] || die "--autoscale: '$autoscale' is not a number of nodes"
[[ -z $autoscale || $autoscale -ge $size ]] || die "--autoscale $autoscale: fewer than --size $size"
[[ $jobs_per_node =~ ^[1-9][0-9]*$ ]] || die "--jobs-per-node: '$jobs_per_node' is not a number"
[[ -z $groups || -z $models ]] || die "--groups or --models, not both"
list='^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$'
[[ -z $groups || $groups =~ $list ]] || die "--groups: '$groups' is not a comma-separated list"
[[ -z $models || $models =~ $list ]] || die "--models: '$models' is not a comma-separated list"
[[ -z $stack_ip || $stack_ip =~ ^[0-9]+(\.[0-9]+){3}$ ]] || die "--stack-ip: '$stack_ip' is not an IPv4 address"
storage_url=${storage_url:-$(env_get STORAGE_URL)}
[[ $storage_url =~ ^gs://[a-z0-9][a-z0-9._-]+[a-z0-9](/.*)?$ ]] \
  || die "the nodes keep job files in a GCS bucket: pass --storage-url gs://BUCKET[/PREFIX] (and set STORAGE_URL to it in the stack's .env)"
bucket=${storage_url#gs://}
bucket=gs://${bucket%%/*}

redis_password="$(env_get REDIS_PASSWORD)"
mongo_user="$(env_get MONGO_APP_USER modelgallery)"
mongo_password="$(env_get MONGO_APP_PASSWORD)"
mongo_db="$(env_get MONGO_APP_DB modelgallery)"
if $dry_run; then
  redis_password=${redis_password:-REDIS_PASSWORD}
  mongo_password=${mongo_password:-MONGO_APP_PASSWORD}
else
  [[ -n $redis_password ]] || die "REDIS_PASSWORD is empty: run this where the stack's .env is, or export it"
  [[ -n $mongo_password ]] || die "MONGO_APP_PASSWORD is empty: run this where the stack's .env is, or export it"
  need gcloud "install the Google Cloud CLI and run gcloud auth login"
fi

if [[ -z $project ]]; then
  if $dry_run; then project=PROJECT; else project="$(gcloud config get-value project 2>/dev/null)"; fi
fi
[[ -n $project ]] || die "no project: pass --project or run gcloud config set project ID"
repo=${repo:-$(git remote get-url origin 2>/dev/null || true)}
[[ -n $repo ]] || die "no repository URL: pass --repo"
ref=${ref:-$(git describe --tags --exact-match 2>/dev/null || git rev-parse --abbrev-ref HEAD)}
if [[ -n $gpu ]]; then
  machine_type=${machine_type:-n1-standard-4}
  [[ -n $models ]] || groups=${groups:-torch}
else
  machine_type=${machine_type:-e2-standard-4}
  [[ -n $models ]] || groups=${groups:-torch,tf,cpu}
fi
if [[ -n $autoscale ]]; then
  [[ -n $autoscale_group || $groups =~ ^[A-Za-z0-9_.-]+$ ]] \
    || die "--autoscale follows one group's queue: pass --autoscale-group (one of the groups its nodes serve)"
  autoscale_group=${autoscale_group:-$groups}
fi
region=${zone%-*}
node_tag=modelgallery-worker
stack_tag=modelgallery-stack
account="modelgallery-worker@${project}.iam.gserviceaccount.com"
secret="${name}-env"
gc=(gcloud --project "$project" --quiet)

# run COMMAND...: runs it, or with --dry-run prints it (shell-quoted, one line).
run() {
  if $dry_run; then
    printf '%q ' "$@"
    printf '\n'
  else
    "$@"
  fi
}
# exists COMMAND...: whether a `describe` succeeds; with --dry-run nothing exists.
exists() { ! $dry_run && "$@" >/dev/null 2>&1; }
# retry COMMAND...: run, tried again for a minute (a new service account takes a while to
# be known to IAM).
retry() {
  local attempt
  for attempt in 1 2 3 4 5 6; do
    if run "$@"; then return 0; fi
    log "not yet (attempt $attempt), trying again in 10 s"
    sleep 10
  done
  run "$@"
}
# lookup PLACEHOLDER COMMAND...: the command's output, or with --dry-run the placeholder.
lookup() {
  local placeholder=$1
  shift
  if $dry_run; then printf '%s' "$placeholder"; else "$@"; fi
}

network="$(lookup NETWORK "${gc[@]}" compute instances describe "$stack" --zone "$zone" --format 'value(networkInterfaces[0].network.basename())')"
stack_ip=${stack_ip:-$(lookup STACK_IP "${gc[@]}" compute instances describe "$stack" --zone "$zone" --format 'value(networkInterfaces[0].networkIP)')}
[[ -n $network && -n $stack_ip ]] || die "no private address for instance $stack in $zone (--stack, --zone)"

log "the nodes' Redis and MongoDB: $stack ($stack_ip) on network $network"
run "${gc[@]}" compute instances add-tags "$stack" --zone "$zone" --tags "$stack_tag"
rule=modelgallery-nodes-to-stack  # one for every group: they share the tag
if exists "${gc[@]}" compute firewall-rules describe "$rule"; then
  log "firewall rule $rule exists"
else
  log "creating firewall rule $rule (tcp:6379,27017 from the nodes only)"
  run "${gc[@]}" compute firewall-rules create "$rule" --network "$network" --direction INGRESS \
    --allow tcp:6379,tcp:27017 --source-tags "$node_tag" --target-tags "$stack_tag" \
    --description "Model Gallery: worker nodes to the stack's Redis and MongoDB"
fi

if ! exists "${gc[@]}" iam service-accounts describe "$account"; then
  log "creating service account $account"
  run "${gc[@]}" iam service-accounts create modelgallery-worker \
    --display-name "Model Gallery worker nodes"
fi
if ! exists "${gc[@]}" storage buckets describe "$bucket"; then
  log "creating bucket $bucket in $region"
  run "${gc[@]}" storage buckets create "$bucket" --location "$region" --uniform-bucket-level-access
fi
retry "${gc[@]}" storage buckets add-iam-policy-binding "$bucket" \
  --member "serviceAccount:$account" --role roles/storage.objectUser

# The nodes' settings; a new version on each run (a changed password reaches them at boot).
node_env="$(printf '%s\n' \
  "EXECUTOR=celery" \
  "REDIS_URL=redis://:${redis_password}@${stack_ip}:6379/0" \
  "MONGODB_URI=mongodb://${mongo_user}:${mongo_password}@${stack_ip}:27017/${mongo_db}" \
  "MONGODB_DB=${mongo_db}" \
  "STORAGE_URL=${storage_url}")"
run "${gc[@]}" services enable secretmanager.googleapis.com
if ! exists "${gc[@]}" secrets describe "$secret"; then
  run "${gc[@]}" secrets create "$secret" --replication-policy automatic
fi
if $dry_run; then
  run "${gc[@]}" secrets versions add "$secret" --data-file=-
  printf "  (standard input: the nodes' settings, %s lines, not shown)\n" "$(wc -l <<<"$node_env")"
else
  "${gc[@]}" secrets versions add "$secret" --data-file=- <<<"$node_env" >/dev/null
fi
retry "${gc[@]}" secrets add-iam-policy-binding "$secret" \
  --member "serviceAccount:$account" --role roles/secretmanager.secretAccessor

gpu_args=()
gpu_flag=false
if [[ -n $gpu ]]; then
  gpu_type=${gpu%%:*}
  gpu_count=1
  [[ $gpu == *:* ]] && gpu_count=${gpu#*:}
  gpu_args=(--accelerator "type=$gpu_type,count=$gpu_count" --maintenance-policy TERMINATE)
  gpu_flag=true
fi
# Templates cannot change: one per configuration, named after its digest.
# `^;^` makes `;` gcloud's separator, since the lists hold commas.
metadata="^;^mg-repo=$repo;mg-ref=$ref;mg-groups=$groups;mg-models=$models;mg-gpu=$gpu_flag;mg-env-secret=$secret"
digest="$(printf '%s|' "$machine_type" "$disk_size" "$gpu" "$network" "$metadata" \
  "$(cat "$ROOT/deploy/gcp-worker-startup.sh")" | sha256sum | cut -c1-8)"
template="${name}-${digest}"
if exists "${gc[@]}" compute instance-templates describe "$template"; then
  log "instance template $template exists"
else
  log "creating instance template $template ($machine_type, ${disk_size} GB, groups: ${groups:-models $models})"
  run "${gc[@]}" compute instance-templates create "$template" \
    --machine-type "$machine_type" \
    --image-family ubuntu-2404-lts-amd64 --image-project ubuntu-os-cloud \
    --boot-disk-size "${disk_size}GB" --boot-disk-type pd-balanced \
    --network "$network" --tags "$node_tag" \
    --service-account "$account" --scopes cloud-platform \
    --metadata-from-file "startup-script=$ROOT/deploy/gcp-worker-startup.sh" \
    --metadata "$metadata" \
    "${gpu_args[@]}"
fi

if exists "${gc[@]}" compute instance-groups managed describe "$name" --zone "$zone"; then
  log "group $name exists: template $template (new nodes), $size nodes"
  run "${gc[@]}" compute instance-groups managed set-instance-template "$name" --zone "$zone" --template "$template"
  if [[ -z $autoscale ]]; then
    run "${gc[@]}" compute instance-groups managed stop-autoscaling "$name" --zone "$zone" || true
    run "${gc[@]}" compute instance-groups managed resize "$name" --zone "$zone" --size "$size"
  fi
else
  log "creating group $name in $zone with $size nodes"
  run "${gc[@]}" compute instance-groups managed create "$name" --zone "$zone" \
    --template "$template" --size "$size" --base-instance-name "$name"
fi
if [[ -n $autoscale ]]; then
  # A per-group metric (its resource is the scraped API, not a node): the autoscaler keeps
  # about one node per $jobs_per_node waiting jobs of the group, between --size and MAX. The
  # stack's Ops Agent sends /metrics to Cloud Monitoring (deploy/gcp-ops-agent.yaml).
  log "autoscaling $name: $size to $autoscale nodes, one per $jobs_per_node jobs waiting in $autoscale_group"
  run "${gc[@]}" compute instance-groups managed set-autoscaling "$name" --zone "$zone" \
    --min-num-replicas "$size" --max-num-replicas "$autoscale" --cool-down-period 300 \
    --update-stackdriver-metric prometheus.googleapis.com/modelgallery_queue_depth/gauge \
    --stackdriver-metric-filter "resource.type = \"prometheus_target\" AND metric.labels.group = \"$autoscale_group\"" \
    --stackdriver-metric-single-instance-assignment "$jobs_per_node"
fi

cat <<DONE
Worker group $name: $size node(s) in $zone, job files in $storage_url.
  1. On $stack, .env needs STORAGE_URL=$storage_url, NODES_BIND_IP=$stack_ip and
     COMPOSE_FILE=docker-compose.yml:docker-compose.scale.yml:docker-compose.nodes.yml,
     and the VM write access to the bucket (docs/scaling.md); then docker compose up -d.
  2. Follow a node's set-up: gcloud compute ssh NODE --zone $zone -- sudo journalctl -u google-startup-scripts -f
  3. The nodes show on the admin models page once they have loaded their models.
  Resize: deploy/gcp-add-worker.sh --size N (the same options); remove: gcloud compute instance-groups managed delete $name --zone $zone
DONE
