#!/usr/bin/env bash
# Let's Encrypt for the running stack, through nginx's /.well-known/acme-challenge/ (HTTP-01
# on port 80, webroot in the `acme` volume). The certificate is copied to CERTS_DIR, where
# nginx reads it, and nginx reloads.
#   issue   the first time: a self-signed pair lets nginx start, then certbot replaces it
#   renew   what the modelgallery-certbot timer runs twice a day (no-op until 30 days left)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<USAGE
usage: deploy/letsencrypt.sh issue [--staging]
       deploy/letsencrypt.sh renew
  SERVER_NAME, LETSENCRYPT_EMAIL and CERTS_DIR come from .env (or the environment).
  SERVER_NAME must already resolve to this machine, and port 80 be open to the internet.
  --staging  use Let's Encrypt's staging CA (for trying things out; not trusted by browsers)
USAGE
}

[[ $# -ge 1 ]] || { usage >&2; exit 2; }
action=$1
shift
staging=()
case $action in
  issue)
    if [[ ${1-} == --staging ]]; then staging=(--staging); shift; fi ;;
  renew) ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
[[ $# -eq 0 ]] || { usage >&2; exit 2; }

require_stack_files
server_name="$(env_get SERVER_NAME)"
email="$(env_get LETSENCRYPT_EMAIL)"
certs_dir="$(env_get CERTS_DIR ./certs)"
[[ -n $server_name && $server_name != _ ]] || die "set SERVER_NAME in .env to the site's DNS name"

certbot() { compose --profile certbot run --rm "$@"; }

# Copies the live certificate into CERTS_DIR (inside the certbot container, which has both
# mounted), replacing the old pair in one rename each.
install_certificate() {
  # shellcheck disable=SC2016  # expanded by the container's shell
  certbot -e "CERT_NAME=$server_name" --entrypoint sh certbot -c '
    set -eu
    live="/etc/letsencrypt/live/$CERT_NAME"
    cp -L "$live/fullchain.pem" /certs/.fullchain.pem.new
    cp -L "$live/privkey.pem" /certs/.privkey.pem.new
    chmod 600 /certs/.privkey.pem.new
    mv /certs/.fullchain.pem.new /certs/fullchain.pem
    mv /certs/.privkey.pem.new /certs/privkey.pem'
  compose exec -T frontend nginx -s reload
  log "nginx now serves the Let's Encrypt certificate for $server_name"
}

case $action in
  issue)
    [[ -n $email ]] || die "set LETSENCRYPT_EMAIL in .env (Let's Encrypt's expiry notices go there)"
    if [[ ! -s $certs_dir/fullchain.pem || ! -s $certs_dir/privkey.pem ]]; then
      need openssl "for the temporary self-signed certificate"
      log "no certificate in $certs_dir yet: a self-signed one lets nginx start"
      sh nginx/make-self-signed.sh "$certs_dir" "$server_name"
    fi
    compose up -d --wait frontend
    certbot certbot certonly --webroot --webroot-path /var/www/acme \
      --cert-name "$server_name" --domain "$server_name" \
      --email "$email" --agree-tos --no-eff-email --non-interactive --keep-until-expiring \
      "${staging[@]}"
    install_certificate
    ;;
  renew)
    # certbot renew remembers the webroot from the issue step.
    certbot certbot renew --non-interactive
    if certbot --entrypoint test certbot -d "/etc/letsencrypt/live/$server_name"; then
      install_certificate
    else
      log "no Let's Encrypt certificate for $server_name yet: run deploy/letsencrypt.sh issue"
    fi
    ;;
esac
