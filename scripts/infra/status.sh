#!/usr/bin/env bash
# Print whether local PostgreSQL and Kafka are running. Exit status 0 only when both are.
#   scripts/infra/status.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rc=0
"$HERE/postgres.sh" status || rc=3
"$HERE/kafka.sh" status || rc=3
exit "$rc"
