#!/bin/bash
# Self-test for procns-helper: proves a set of namespace/procfs facts on the
# running kernel.  Needs root.  Prints PASS/FAIL per check and OBS lines with
# raw observations; exits non-zero if any check fails.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/procns-selftest.XXXXXX)
FAILS=0

cleanup() {
	set +e
	# closing the hub's stdin ends the hub, and its sandbox (every task) with it
	[ -n "${HUB_IN:-}" ] && exec {HUB_IN}>&-
	[ -n "${HUB_PID:-}" ] && wait "$HUB_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

gcc -O2 -Wall -Wextra -Werror -o "$T/procns-helper" "$HERE/procns-helper.c"

# One hub (procns-helper) for the whole test: it makes its sandbox and task A, and every task
# is reached through it with lines "<task> <command>" (the helper's header comment). Paths below
# are the sandbox's: /tmp is its own tmpfs, /proc shows only its tasks.
coproc HUB { exec "$T/procns-helper"; }
HUB_IN=${HUB[1]}
HUB_OUT=${HUB[0]}
IFS= read -r -t 10 HELLO <&"$HUB_OUT" || HELLO="<no greeting>"
echo "OBS: hub: $HELLO"
case $HELLO in "- hello "*) ;; *) echo "FAIL: the hub did not start"; exit 1;; esac

declare -A TP        # task name -> pid in the sandbox
TP[A]=1
R=""                 # last reply, without its task tag
NEXT=0

# c TASK CMD... : send one command, wait for one reply (in $R, also echoed)
c() {
	local n=$1; shift
	echo "$n $*" >&"$HUB_IN"
	if IFS= read -r -t 10 R <&"$HUB_OUT"; then R=${R#"$n "}; else R="<no reply>"; fi
	echo "$R"
}
# fork_task PARENT CHILD [CLONEFLAGS] : fork PARENT; the hub names the new task CHILD
fork_task() {
	local p=$1 n=$2
	if [ $# -gt 2 ]; then c "$p" clone "$3" "$n" >/dev/null; else c "$p" fork "$n" >/dev/null; fi
	case $R in ok\ *) ;; *) echo "fork failed: $R"; exit 1;; esac
	local ns=${R#ok * }
	TP[$n]=${ns%%,*}
	TPOWN[$n]=${ns##*,}
}
declare -A TPOWN     # task name -> its pid in its own pid namespace
TPOWN[A]=1
# exit TASK CODE: the hub replies once the task is a zombie
send_exit() { c "$1" exit "$2" >/dev/null; }

check() { # check DESC ACTUAL EXPECTED
	if [ "$2" = "$3" ]; then echo "PASS: $1"
	else echo "FAIL: $1 (got '$2', expected '$3')"; FAILS=$((FAILS+1)); fi
}
obs() { echo "OBS: $*"; }

handle_of() { # handle_of TASK PATH -> sets H (hex bytes); the hub asks, with TASK's /proc/<pid> for /proc/self
	if [ "${2#fd:}" != "$2" ]; then c "$1" handle "$2" >/dev/null
	else c - handle "${2/#\/proc\/self\//\/proc\/${TP[$1]}\/}" >/dev/null; fi
	H=$(echo "$R" | awk '{print $5}')
	HINUM=$(echo "$R" | awk '{print $4}')
}
# poll_dead : poll alive $H until dead; sets POLLS
poll_dead() {
	POLLS=0
	c - alive "$H" >/dev/null
	while [ "$R" = "ok alive" ] && [ $POLLS -lt 50 ]; do
		sleep 0.1; POLLS=$((POLLS+1)); c - alive "$H" >/dev/null
	done
}

c A open /proc/self/ns/net O_RDONLY >/dev/null; ORIGNET=${R#ok }
echo "== helper basics"
c A bogus >/dev/null;       check "unknown command -> EPROTO" "$R" "err EPROTO"
c Z getpid >/dev/null;      check "unknown task -> fail" "${R%% *}" "fail"
c - open /x O_RDONLY >/dev/null; check "the hub runs no scenario syscall" "${R%%:*}" "fail EPROTO"
c A open >/dev/null;        check "missing args -> EPROTO" "$R" "err EPROTO"
c A open /x O_BOGUS >/dev/null; check "bad flag -> EPROTO" "$R" "err EPROTO"

echo "== 1. unshared netns kept alive by an fd"
c A unshare CLONE_NEWNET >/dev/null;         check "unshare CLONE_NEWNET" "$R" "ok 0"
handle_of A /proc/self/ns/net;               obs "handle: $R"
c - alive "$H" >/dev/null;                   check "1: new netns alive" "$R" "ok alive"
c A open /proc/self/ns/net O_RDONLY >/dev/null; NFD=${R#ok }
c A setns "$ORIGNET" CLONE_NEWNET >/dev/null; check "1: setns back to original" "$R" "ok 0"
c - alive "$H" >/dev/null;                   check "1: alive while only the fd holds it" "$R" "ok alive"
c A close "$NFD" >/dev/null
poll_dead;                                 check "1: dead after close" "$R" "ok dead"
obs "1: polls (x100ms) until dead after close: $POLLS"

echo "== 2. bind mount keeps netns alive"
c A mkdir /tmp/x >/dev/null
c A mknod /tmp/x/netfile >/dev/null;         check "2: mknod" "$R" "ok 0"
c A unshare CLONE_NEWNET >/dev/null
handle_of A /proc/self/ns/net
c A mount /proc/self/ns/net /tmp/x/netfile >/dev/null; check "2: bind mount" "$R" "ok 0"
c A setns "$ORIGNET" CLONE_NEWNET >/dev/null
c - alive "$H" >/dev/null;                   check "2: alive via bind mount" "$R" "ok alive"
c A nsid /tmp/x/netfile >/dev/null;          check "2: nsid of mount = inum" "${R#ok }" "$HINUM 4"
c A umount2 /tmp/x/netfile 0 >/dev/null;     check "2: umount2 0" "$R" "ok 0"
poll_dead;                                 check "2: dead after umount" "$R" "ok dead"
obs "2: polls until dead after umount: $POLLS"
# with an fd open through the mount
c A unshare CLONE_NEWNET >/dev/null
handle_of A /proc/self/ns/net
c A mount /proc/self/ns/net /tmp/x/netfile >/dev/null
c A setns "$ORIGNET" CLONE_NEWNET >/dev/null
c A open /tmp/x/netfile O_RDONLY >/dev/null; MFD=${R#ok }
c A umount2 /tmp/x/netfile 0 >/dev/null;     check "2: umount with fd open -> EBUSY" "$R" "err EBUSY"
c A umount2 /tmp/x/netfile MNT_DETACH >/dev/null; check "2: umount2 MNT_DETACH" "$R" "ok 0"
c - alive "$H" >/dev/null;                   check "2: alive after detach while fd open" "$R" "ok alive"
c A close "$MFD" >/dev/null
poll_dead;                                 check "2: dead after closing fd" "$R" "ok dead"
obs "2: polls until dead after close (detached): $POLLS"

echo "== 3. zombie's netns is dead before reap"
fork_task A C
c C unshare CLONE_NEWNET >/dev/null
CP=${TP[C]}
handle_of A "/proc/$CP/ns/net"
c - alive "$H" >/dev/null;                   check "3: child's netns alive" "$R" "ok alive"
send_exit C 0;                               check "3: child is zombie (the hub says so)" "$R" "ok 0"
poll_dead;                                 check "3: netns dead while child is zombie" "$R" "ok dead"
obs "3: polls until dead: $POLLS"

echo "== 4. lookups on a zombie"
c A open "/proc/$CP" O_RDONLY\|O_DIRECTORY >/dev/null; PFD=${R#ok }
c A stat -100 "/proc/$CP/ns/net" >/dev/null;      check "4: zombie stat ns/net" "$R" "err ENOENT"
c A lstat -100 "/proc/$CP/ns/net" >/dev/null;     obs "4: zombie lstat: $R"
case $R in ok\ *) X=ok;; *) X=$R;; esac;     check "4: zombie lstat succeeds" "$X" "ok"
c A readlink -100 "/proc/$CP/ns/net" >/dev/null;  check "4: zombie readlink" "$R" "err ENOENT"
c A openat "$PFD" ns/net O_RDONLY >/dev/null; obs "4: zombie openat(pidfd-dir, ns/net): $R"
c A wait "$CP" >/dev/null;                   check "4: reap" "$R" "ok 0"
c A stat -100 "/proc/$CP/ns/net" >/dev/null;      check "4: after reap stat" "$R" "err ENOENT"
c A lstat -100 "/proc/$CP/ns/net" >/dev/null;     check "4: after reap lstat" "$R" "err ENOENT"
c A readlink -100 "/proc/$CP/ns/net" >/dev/null;  check "4: after reap readlink" "$R" "err ENOENT"
c A openat "$PFD" ns/net O_RDONLY >/dev/null; check "4: after reap openat dirfd ns/net" "$R" "err ESRCH"
c A openat "$PFD" ns O_RDONLY\|O_DIRECTORY >/dev/null; obs "4: after reap openat dirfd ns: $R"
c A close "$PFD" >/dev/null

echo "== 5. getdents /proc/self/ns"
c A open /proc/self/ns O_RDONLY\|O_DIRECTORY >/dev/null; DFD=${R#ok }
ALL=""
while :; do
	c A getdents "$DFD" 64 >/dev/null
	obs "5: getdents 64: $R"
	[ "${R%% *}" = ok ] || break
	[ "$(echo "$R" | awk '{print $2}')" = 0 ] && break
	ALL="$ALL$(echo "$R" | cut -d' ' -f3- | sed 's/^\[//; s/\]$//'),"
done
SUM=$(echo "$ALL" | grep -o '"name":"[^"]*","ino":[0-9]*,"off":[0-9]*,"type":"[A-Z_]*","reclen":[0-9]*' |
	sed 's/"name":"\([^"]*\)","ino":[0-9]*,"off":\([0-9]*\),"type":"\([A-Z_]*\)","reclen":\([0-9]*\)/\1:\2:\3:\4/' | tr '\n' ' ')
check "5: names/off/type/reclen" "$SUM" ".:1:DT_DIR:24 ..:2:DT_DIR:24 net:3:DT_LNK:24 uts:4:DT_LNK:24 ipc:5:DT_LNK:24 pid:6:DT_LNK:24 pid_for_children:7:DT_LNK:40 user:8:DT_LNK:24 mnt:9:DT_LNK:24 cgroup:10:DT_LNK:32 time:11:DT_LNK:24 time_for_children:12:DT_LNK:40 "
c A lseek "$DFD" 0 SEEK_SET >/dev/null
c A getdents "$DFD" 1 >/dev/null;            check "5: 1-byte buffer" "$R" "err EINVAL"
c A lseek "$DFD" 3 SEEK_SET >/dev/null
c A getdents "$DFD" 24 >/dev/null;           obs "5: lseek 3 then getdents 24: $R"
c A close "$DFD" >/dev/null

echo "== 6. ns fd properties"
c A open /proc/self/ns/net O_RDONLY >/dev/null; NFD=${R#ok }
handle_of A "fd:$NFD"
c A fstat "$NFD" >/dev/null;                 obs "6: fstat: $R"
MODE=$(echo "$R" | sed 's/.*"mode":\([0-9]*\).*/\1/'); INO=$(echo "$R" | sed 's/.*"ino":\([0-9]*\).*/\1/')
check "6: fstat mode 0100444" "$(printf '0%o' "$MODE")" "0100444"
check "6: fstat ino = handle inum" "$INO" "$HINUM"
c A lstat -100 /proc/self/ns/net >/dev/null;      obs "6: lstat: $R"
MODE=$(echo "$R" | sed 's/.*"mode":\([0-9]*\).*/\1/')
check "6: lstat mode 0120777" "$(printf '0%o' "$MODE")" "0120777"
c A readlink -100 /proc/self/ns/net >/dev/null;   check "6: readlink" "$R" "ok net:[$INO]"
c A lseek "$NFD" 0 SEEK_SET >/dev/null;      check "6: lseek" "$R" "err ESPIPE"
c A read "$NFD" 16 >/dev/null;               check "6: read" "$R" "err EINVAL"
c A open /proc/self/ns/net O_RDWR >/dev/null; check "6: open O_RDWR" "$R" "err EPERM"
c A open /proc/self/ns/net O_WRONLY >/dev/null; obs "6: open O_WRONLY: $R"
c A open /proc/self/ns/net O_PATH >/dev/null; obs "6: open O_PATH: $R"
c A open /proc/self/ns/net O_RDONLY\|O_NOFOLLOW >/dev/null; obs "6: open O_NOFOLLOW: $R"
c A open /proc/self/ns/net O_RDONLY\|O_DIRECTORY >/dev/null; obs "6: open O_DIRECTORY: $R"
c A close "$NFD" >/dev/null

echo "== 7. setns check order after capdrop"
fork_task A D
c D open /proc/self/ns/net O_RDONLY >/dev/null; DN=${R#ok }
c D mknod /tmp/regular >/dev/null
c D open /tmp/regular O_RDONLY >/dev/null; DR=${R#ok }
c D capdrop >/dev/null;                      check "7: capdrop" "$R" "ok 0"
c D setns -1 CLONE_NEWNET >/dev/null;        check "7: setns(-1)" "$R" "err EBADF"
c D setns "$DR" 0 >/dev/null;                check "7: setns(regular file)" "$R" "err EINVAL"
c D setns "$DN" CLONE_NEWUTS >/dev/null;     check "7: setns(netfd, NEWUTS)" "$R" "err EINVAL"
c D setns "$DN" 0 >/dev/null;                check "7: setns(netfd, 0) no caps" "$R" "err EPERM"
send_exit D 0
c A wait "${TP[D]}" >/dev/null

echo "== 8. pid_for_children after unshare(CLONE_NEWPID)"
fork_task A P
c P readlink -100 /proc/self/ns/pid >/dev/null;   PIDNS=$R
c P unshare CLONE_NEWPID >/dev/null;         check "8: unshare CLONE_NEWPID" "$R" "ok 0"
c P readlink -100 /proc/self/ns/pid_for_children >/dev/null; check "8: pid_for_children before fork" "$R" "err ENOENT"
c P stat -100 /proc/self/ns/pid_for_children >/dev/null; obs "8: stat pid_for_children before fork: $R"
c P lstat -100 /proc/self/ns/pid_for_children >/dev/null; obs "8: lstat pid_for_children before fork: $R"
c P readlink -100 /proc/self/ns/pid >/dev/null;   check "8: own pid ns unchanged" "$R" "$PIDNS"
fork_task P G
c G getpid >/dev/null; GP=${R#ok }
obs "8: grandchild getpid in new pidns: $GP (sandbox pid ${TP[G]})"
check "8: grandchild is pid 1" "$GP" "1"
c P readlink -100 /proc/self/ns/pid_for_children >/dev/null; obs "8: after fork: $R (own: $PIDNS)"
case $R in ok\ pid:\[*) X=ok;; *) X=$R;; esac; check "8: pid_for_children after fork" "$X" "ok"
c G readlink -100 /proc/self/ns/pid >/dev/null;   obs "8: grandchild's own pid ns: $R"
send_exit G 0
c P wait -1 >/dev/null;                      check "8: reap pid 1" "$R" "ok 0"
c P readlink -100 /proc/self/ns/pid_for_children >/dev/null; obs "8: pid_for_children after pid 1 reaped: $R"
c P fork H2 >/dev/null; obs "8: fork after pid 1 died: $R"
send_exit P 0
c A wait "${TP[P]}" >/dev/null

echo "== done"
if [ "$FAILS" -ne 0 ]; then echo "$FAILS check(s) FAILED"; exit 1; fi
echo "all checks passed"
