#!/usr/bin/env bash
# Stop local infrastructure started by scripts/infra/up.sh (Kafka first, then PostgreSQL). Keeps data.
#   scripts/infra/down.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rc=0
"$HERE/kafka.sh" down || rc=1
"$HERE/postgres.sh" down || rc=1
exit "$rc"
