#!/usr/bin/env bash
# Writes .env from .env.example with fresh random secrets (MongoDB and Redis passwords,
# SECRET_KEY, the first administrator's password) and the values given here. Refuses to
# overwrite an existing .env. The generated administrator password is in .env (mode 0600).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<USAGE
usage: deploy/make-env.sh --server-name NAME --admin-email EMAIL [--letsencrypt-email EMAIL]
  --server-name NAME        the site's DNS name, e.g. gallery.example.org
  --admin-email EMAIL       the first administrator (its password is generated into .env)
  --letsencrypt-email EMAIL where Let's Encrypt sends expiry notices (default: the admin's)
USAGE
}

server_name=""
admin_email=""
le_email=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --server-name|--admin-email|--letsencrypt-email)
      [[ $# -ge 2 ]] || { usage >&2; exit 2; }
      case $1 in
        --server-name) server_name=$2 ;;
        --admin-email) admin_email=$2 ;;
        *) le_email=$2 ;;
      esac
      shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
[[ -n $server_name && -n $admin_email ]] || { usage >&2; exit 2; }
[[ $server_name =~ ^[A-Za-z0-9.-]+$ ]] || die "--server-name: '$server_name' is not a DNS name"
[[ $admin_email =~ ^[^[:space:]@]+@[^[:space:]@]+$ ]] || die "--admin-email: '$admin_email' is not an e-mail address"
le_email=${le_email:-$admin_email}
[[ $le_email =~ ^[^[:space:]@]+@[^[:space:]@]+$ ]] || die "--letsencrypt-email: '$le_email' is not an e-mail address"
[[ -e .env ]] && die ".env exists already; edit it, or move it away first"
need openssl "to generate the secrets"

secret() { openssl rand -hex 32; }

# NAME=VALUE for each line of .env.example that assigns NAME; other lines stay as they are.
values=(
  "SERVER_NAME=$server_name"
  "PUBLIC_URL=https://$server_name"
  "ADMIN_EMAIL=$admin_email"
  "LETSENCRYPT_EMAIL=$le_email"
  "MONGO_ROOT_PASSWORD=$(secret)"
  "MONGO_APP_PASSWORD=$(secret)"
  "SECRET_KEY=$(secret)"
  "REDIS_PASSWORD=$(secret)"
  "ADMIN_PASSWORD=$(openssl rand -hex 12)"
)
tmp="$(mktemp .env.XXXXXX)"
trap 'rm -f "$tmp"' EXIT
chmod 600 "$tmp"
awk -v assignments="$(printf '%s\n' "${values[@]}")" '
  BEGIN {
    n = split(assignments, lines, "\n")
    for (i = 1; i <= n; i++) if (lines[i] != "") {
      eq = index(lines[i], "="); set[substr(lines[i], 1, eq - 1)] = substr(lines[i], eq + 1)
    }
  }
  {
    eq = index($0, "=")
    name = eq ? substr($0, 1, eq - 1) : ""
    if (name in set) { print name "=" set[name]; done[name] = 1 } else print
  }
  END { for (name in set) if (!(name in done)) { print "missing " name > "/dev/stderr"; exit 1 } }
' .env.example >"$tmp"
mv "$tmp" .env
trap - EXIT
log "wrote $ROOT/.env (mode 0600); the administrator is $admin_email, its password is ADMIN_PASSWORD there"
