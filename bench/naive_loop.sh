#!/bin/sh
# The hand-written loop oxzep7 is measured against: for each cell of the bundled example,
# `docker build --no-cache` FROM the same interpreter base (pip install of the pins and
# the project), then `docker run` its tests with networking off; two cells at a time.
#
#   bench/naive_loop.sh BASE39 BASE311 BASE313     (the oxzep7/base:py3.X-... tags)
#
# Exit status 0 whatever the tests say (some cells fail on purpose).
set -eu
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = "--cell" ]; then  # --cell WORK BASE CLICK TAG: one cell
  work=$2 base=$3 click=$4 tag=$5
  dir="$work/$tag"
  mkdir -p "$dir"
  cp -r "$work/project" "$dir/project"
  printf '%s\n' "FROM $base" "COPY project /project" "WORKDIR /project" \
    "RUN pip install click==$click pytest==8.3.5 .[test]" > "$dir/Dockerfile"
  docker build --no-cache -q -t "oxzep7-bench/naive:$tag" "$dir" >/dev/null 2>&1
  docker run --rm --network none "oxzep7-bench/naive:$tag" python -m pytest -q >/dev/null || true
  docker rmi -f "oxzep7-bench/naive:$tag" >/dev/null
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/../examples/sample-app" "$work/project"
rm -rf "$work/project/build" "$work/project/src/"*.egg-info
# Six cells, a pool of two at a time (like -j 2).
n=0
for base in "$1" "$2" "$3"; do
  for click in 7.1.2 8.1.8; do
    n=$((n + 1))
    echo "$base $click c$n"
  done
done | xargs -P 2 -L 1 sh "$here/naive_loop.sh" --cell "$work"
