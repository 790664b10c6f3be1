#!/bin/sh
# make run: start porticod on its embedded defaults (SQLite and media in
# ./portico-data, the built-in upstream simulator), with a fresh API key
# and a curl example ready to paste.
set -e
build=${1:-build}
listen=${PORTICO_LISTEN:-127.0.0.1:8080}
data=${PORTICO_DATA_DIR:-./portico-data}
key=$("$build/porticod" keys create --data-dir "$data" --customer demo 2>/dev/null)
cat <<MSG

  Portico is starting on http://$listen  (data in $data, upstream: built-in simulator)
  A new API key for customer "demo":  $key

  Try it (in another terminal):

    curl -s -X POST 'http://$listen/v1/portrait/?Action=CreateAssetGroup&Version=2024-01-01' \\
      -H 'Authorization: Bearer $key' -H 'Content-Type: application/json' \\
      -d '{"Name":"my first group","GroupType":"AIGC"}'

  Stop with Ctrl-C.

MSG
exec "$build/porticod" --listen "$listen" --data-dir "$data"
