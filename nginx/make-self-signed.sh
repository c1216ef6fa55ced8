#!/usr/bin/env sh
# A self-signed certificate for local use: ./make-self-signed.sh [DIR] [NAME]
# writes DIR/fullchain.pem and DIR/privkey.pem (default DIR ./certs, NAME localhost).
# On a public server, use Let's Encrypt instead (see deploy/).
set -eu
dir=${1:-certs}
name=${2:-localhost}
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 365 \
  -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem" \
  -subj "/CN=$name" -addext "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1" 2>/dev/null
chmod 600 "$dir/privkey.pem"
echo "wrote $dir/fullchain.pem and $dir/privkey.pem for $name"
