#!/bin/sh
# Starts JupyterLab for supervisord's [program:jupyter], or exits 0 (off) without a token.
#   JUPYTER_TOKEN     required to turn it on; read by Jupyter from the environment, so it never
#                     shows in `ps`
#   JUPYTER_IP        address to bind (0.0.0.0 in the container, 127.0.0.1 by default)
#   JUPYTER_PORT      default 8888
#   NOTEBOOK_DIR      the working directory: the bundled notebooks (default ./notebooks)
set -eu
if [ -z "${JUPYTER_TOKEN:-}" ]; then
    echo "JupyterLab is off (set JUPYTER_TOKEN to turn it on)"
    exit 0
fi
export JUPYTER_TOKEN
# The image runs as an unprivileged user; only a test run as root (a CI container) needs this.
if [ "$(id -u)" = 0 ]; then set -- --allow-root; else set --; fi
exec jupyter lab "$@" \
    --no-browser \
    --ip="${JUPYTER_IP:-127.0.0.1}" \
    --port="${JUPYTER_PORT:-8888}" \
    --ServerApp.port_retries=0 \
    --ServerApp.base_url=/jupyter/ \
    --ServerApp.root_dir="${NOTEBOOK_DIR:-notebooks}" \
    --ServerApp.allow_remote_access=True \
    --ServerApp.trust_xheaders=True \
    --ServerApp.open_browser=False \
    --LabApp.news_url=None \
    --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate
