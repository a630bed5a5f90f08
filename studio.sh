#!/usr/bin/env bash
# LoCo Studio: set up (idempotent) and run.  ./studio.sh app | test [pytest args] | setup | <any command in the venv>
set -euo pipefail
cd "$(dirname "$0")"
exec scripts/setup.sh "$@"
