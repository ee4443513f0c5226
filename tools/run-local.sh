#!/bin/sh
# run-local.sh BUILD - run bouncetag-milter in the foreground on ./run: a
# SQLite database ./run/bouncetag.db and a unix socket ./run/bouncetag.sock.
# The config is written once to ./run/bouncetag.conf; edit it freely.
set -eu
build=${1:-build}
top=$(pwd)
mkdir -p run
if [ ! -f run/bouncetag.conf ]; then
	sed -e "s|^Socket .*|Socket                unix:$top/run/bouncetag.sock|" \
	    -e "s|^Database .*|Database              $top/run/bouncetag.db|" \
	    -e "s|^RulesFile .*|RulesFile             $top/conf/rules.conf|" \
	    -e "s|^SocketMode .*|SocketMode            0666|" \
	    conf/bouncetag.conf > run/bouncetag.conf
fi
cat <<MSG
bouncetag-milter: socket unix:$top/run/bouncetag.sock, database $top/run/bouncetag.db
Review with:  $build/bouncetag --config $top/run/bouncetag.conf list
Stop with Ctrl-C.
MSG
exec "$build/bouncetag-milter" -f -c "$top/run/bouncetag.conf"
