/*
 * procns-helper: a recording's hub and every task of its scenario, driven over one line
 * protocol on the hub's own stdin and stdout, so the recorder reaches it through any runner
 * (`runsc do`, `ssh host`, a VM's console): nothing on the far side but this process is needed,
 * and nothing is created on the near side (no FIFO, no file, no directory).
 *
 * Build: gcc -O2 -Wall -Wextra -o procns-helper procns-helper.c   (-static for another machine)
 *
 * Processes
 *   hub   procns_sandbox_enter() (sandbox.h: fresh mount, uts, ipc, net, cgroup and pid
 *         namespaces, a tmpfs root, dies with its parent), then forks task A. The hub runs no
 *         scenario syscall; it relays lines, makes each new task's channel, and keeps the
 *         bookkeeping a recorder would otherwise read from the host's /proc.
 *   A     pid 1 of the sandbox's pid namespace: procns_sandbox_init() (dies with the hub, mounts
 *         the sandbox's /proc), then serves commands. Every other task is forked by a task, as
 *         the scenario says, never by the hub.
 *
 * Channels. Each task talks to the hub over its own socketpair end, held at fd CHAN_BASE +
 * slot (slot 0 is A), so a scenario's fds are numbered exactly as without the recorder (A
 * starts with no other fd, as the emulator's init: a first open gives 0), and a CLONE_FILES
 * child's channel is another high fd in the shared table, not one the scenario's next open
 * would take. A fork/clone: the hub makes the new task's socketpair and hands one end to the
 * parent with its command (SCM_RIGHTS; the parent moves it to the slot's fd at once, so the
 * low fd it arrived at is free again before the scenario's next syscall); the parent forks,
 * the child keeps only its own channel (all of them when it shares the parent's fd table),
 * says hello, and serves. Nothing is opened by path, so a child forked after setuid or
 * capset works as any other.
 *
 * Protocol: one line per command, one line per reply, tagged with the task's name. Node sends
 *   <task> <command...>         a task's syscall, its words as kernel/syscall_table.ts `helper`
 *   <task> fork <new>           fork/clone: the new task's name is the last word
 *   <task> clone <flags> <new>
 *   - handle <path> | - alive <hex> | - nsid <path>
 *                               nsfs queries, run by the hub (root, all caps, the outermost
 *                               pid namespace, the sandbox's /proc); nsid (stat's ino and dev)
 *                               names a namespace where there are no nsfs handles (gVisor)
 * and the hub replies
 *   - hello <sysname> <release> <machine> <missing|->   once, when A serves (uname from inside;
 *                                     missing: what sandbox.h had to leave out)
 *   <task> ok <value...> | <task> err <ERRNAME>   the kernel's answer
 *   <parent> ok <pid> <nspid>          fork/clone: <pid> as the parent sees it, <nspid> the
 *                                     child's pids from the sandbox's pid ns inwards (1,2,...)
 *   <task> ok 0                        exit: sent once the task is a zombie or gone (the kernel
 *                                     has finished do_exit, exit_task_namespaces included)
 *   <task> gone                        the task no longer runs (killed, e.g. by its pid
 *                                     namespace's init exiting): no syscall was made
 *   <task> fail <reason>               a recorder error (unknown task, protocol): never a
 *                                     kernel result
 *   - fail <reason>                    the sandbox could not be made (then the hub exits 3)
 * Malformed commands reply "err EPROTO" (a recorder bug, never written into a trace).
 * Between the hub and a task the same lines go untagged; a task's first line is
 * "hello <pid in the sandbox> <own getpid>", and fork/clone reach the parent as
 * "fork <chanfd>" / "clone <flags> <chanfd>" with the new channel attached.
 *
 * Lifetime: EOF on the hub's stdin -> the hub kills A and waits for it: A is the pid namespace's
 * init, whose exit waits until every task in the namespace is gone (zap_pid_ns_processes), so
 * when the hub exits nothing of the sandbox is left. A hub killed outright still takes A with it
 * (PR_SET_PDEATHSIG), and the namespace dies with A, a moment later. The recorder being killed at
 * any moment closes that stdin, so an interrupted recording leaves no process, mount or file.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "sandbox.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef O_PATH
#define O_PATH 010000000
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef AT_SYMLINK_FOLLOW
#define AT_SYMLINK_FOLLOW 0x400
#endif
#ifndef MNT_DETACH
#define MNT_DETACH 2
#endif
#ifndef MNT_FORCE
#define MNT_FORCE 1
#endif
#ifndef MNT_EXPIRE
#define MNT_EXPIRE 4
#endif
#ifndef UMOUNT_NOFOLLOW
#define UMOUNT_NOFOLLOW 8
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define FD_NSFS_ROOT (-10003)
#define FILEID_NSFS 0xf1
#define MAX_HANDLE_BYTES 128
#define MAX_LINE 8192
#define MAX_ARGS 16
#define MAX_IOBUF (1 << 20)
/* Task channels: fd CHAN_BASE + slot, above anything a scenario opens, below RLIMIT_NOFILE's
 * usual 1024. */
#define CHAN_BASE 900
#define MAX_TASKS 100

/* ------------------------------------------------------------------ */
/* errno -> name                                                       */

struct ename { int num; const char *name; };
#define E(x) { x, #x }
static const struct ename errnames[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV),
	E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
	E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK),
	E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
	E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ENOSTR),
	E(ENODATA), E(ETIME), E(ENOSR), E(ENOLINK), E(EPROTO), E(EBADMSG),
	E(EOVERFLOW), E(EILSEQ), E(EUSERS), E(ENOTSOCK), E(EDESTADDRREQ),
	E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT),
	E(EOPNOTSUPP), E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL),
	E(ENETDOWN), E(ENETUNREACH), E(ECONNABORTED), E(ECONNRESET),
	E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ETIMEDOUT), E(ECONNREFUSED),
	E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EDQUOT),
	E(ECANCELED), E(EOWNERDEAD), E(ENOTRECOVERABLE), E(ENOKEY),
	E(EKEYEXPIRED), E(EKEYREVOKED), E(EKEYREJECTED), E(ERFKILL),
	E(EHWPOISON), E(EREMOTE), E(EUCLEAN), E(ENOMEDIUM), E(EMEDIUMTYPE),
	E(ENOTUNIQ), E(EBADFD), E(EREMCHG), E(ELIBACC), E(ELIBBAD),
	E(ESTRPIPE), E(ENOANO), E(EBADR), E(EBADE), E(EBADRQC), E(EBADSLT),
	E(ECHRNG), E(EL2NSYNC), E(EL3HLT), E(EL3RST), E(ELNRNG), E(EUNATCH),
	E(ENOCSI), E(EL2HLT), E(ENONET), E(ENOPKG), E(EADV), E(ESRMNT),
	E(ECOMM), E(EDOTDOT), E(ELIBSCN), E(ELIBMAX), E(ELIBEXEC), E(ERESTART),
	E(ESOCKTNOSUPPORT), E(EPFNOSUPPORT), E(ESHUTDOWN), E(ETOOMANYREFS),
	E(EHOSTDOWN), E(ENAVAIL), E(ENOTNAM), E(EISNAM), E(EREMOTEIO),
	{ 0, NULL }
};
#undef E

static const char *errname(int e, char *buf, size_t n)
{
	for (const struct ename *p = errnames; p->name; p++)
		if (p->num == e)
			return p->name;
	snprintf(buf, n, "E%d", e);
	return buf;
}

/* ------------------------------------------------------------------ */
/* symbolic flag tables                                                */

struct flag { const char *name; unsigned long val; };

static const struct flag open_flags[] = {
	{ "O_RDONLY", O_RDONLY }, { "O_WRONLY", O_WRONLY }, { "O_RDWR", O_RDWR },
	{ "O_PATH", O_PATH }, { "O_DIRECTORY", O_DIRECTORY },
	{ "O_CLOEXEC", O_CLOEXEC }, { "O_NOFOLLOW", O_NOFOLLOW },
	{ "O_CREAT", O_CREAT }, { "O_EXCL", O_EXCL }, { "O_TRUNC", O_TRUNC },
	{ "O_APPEND", O_APPEND }, { "O_NONBLOCK", O_NONBLOCK },
	{ NULL, 0 }
};

static const struct flag clone_flags[] = {
	{ "CLONE_NEWNET", CLONE_NEWNET }, { "CLONE_NEWUTS", CLONE_NEWUTS },
	{ "CLONE_NEWIPC", CLONE_NEWIPC }, { "CLONE_NEWNS", CLONE_NEWNS },
	{ "CLONE_NEWPID", CLONE_NEWPID }, { "CLONE_NEWUSER", CLONE_NEWUSER },
	{ "CLONE_NEWCGROUP", CLONE_NEWCGROUP }, { "CLONE_NEWTIME", CLONE_NEWTIME },
	{ "CLONE_FILES", CLONE_FILES }, { "CLONE_FS", CLONE_FS },
	{ "CLONE_SYSVSEM", CLONE_SYSVSEM }, { "CLONE_VM", CLONE_VM },
	{ "CLONE_SIGHAND", CLONE_SIGHAND }, { "CLONE_THREAD", CLONE_THREAD },
	{ NULL, 0 }
};

static const struct flag umount_flags[] = {
	{ "MNT_FORCE", MNT_FORCE }, { "MNT_DETACH", MNT_DETACH },
	{ "MNT_EXPIRE", MNT_EXPIRE }, { "UMOUNT_NOFOLLOW", UMOUNT_NOFOLLOW },
	{ NULL, 0 }
};

static const struct flag whence_flags[] = {
	{ "SEEK_SET", SEEK_SET }, { "SEEK_CUR", SEEK_CUR }, { "SEEK_END", SEEK_END },
	{ NULL, 0 }
};

static int parse_num(const char *s, long long *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_int(const char *s, int *out)
{
	long long v;
	if (parse_num(s, &v) || v < INT_MIN || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* "A|B|C", "0", or plain numbers (decimal / 0x hex) mixed in */
static int parse_flags(const char *s, const struct flag *tab, unsigned long *out)
{
	char tmp[512];
	if (!s || !*s || strlen(s) >= sizeof tmp)
		return -1;
	strcpy(tmp, s);
	unsigned long v = 0;
	char *save = NULL;
	int n = 0;
	for (char *tok = strtok_r(tmp, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		const struct flag *p;
		n++;
		for (p = tab; p->name; p++)
			if (!strcmp(p->name, tok))
				break;
		if (p->name) {
			v |= p->val;
			continue;
		}
		char *end;
		errno = 0;
		unsigned long x = strtoul(tok, &end, 0);
		if (errno || *end || !*tok || tok[0] == '-')
			return -1;
		v |= x;
	}
	if (!n)
		return -1;
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* I/O                                                                 */

/*
 * Where a command's reply goes: the channel of the task whose command runs (set as each line
 * arrives). A thread task (clone CLONE_VM) shares this memory with its group; the protocol runs
 * one command at a time, so the one global is the running command's. Each task's input, which
 * a blocked read(2) writes into while another task runs, is its own (struct chan, on its stack).
 */
static int out_fd = 1;
struct chan {
	int fd;
	size_t len;
	char buf[MAX_LINE * 2];
};
/* The hub prefixes its own replies ("- ok ..."); tasks reply bare lines. */
static const char *reply_tag;
/* A fd that arrived with the last command (SCM_RIGHTS), or -1. */
static int passed_fd = -1;

/* read(2) on a channel, keeping a fd passed along with the data. */
static ssize_t chan_read(int fd, char *buf, size_t n)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } cm;
	struct iovec iov = { buf, n };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof cm.b };
	ssize_t r = recvmsg(fd, &mh, 0);
	if (r < 0 && errno == ENOTSOCK)
		return read(fd, buf, n);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); r > 0 && c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&passed_fd, CMSG_DATA(c), sizeof(int));
	return r;
}

static void write_all(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(out_fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			_exit(1); /* nobody listens anymore */
		}
		s += w;
		n -= (size_t)w;
	}
}

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...)
{
	static char buf[1 << 16];
	va_list ap;
	int t = reply_tag ? snprintf(buf, 64, "%s ", reply_tag) : 0;
	va_start(ap, fmt);
	int n = vsnprintf(buf + t, sizeof buf - 1 - (size_t)t, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	n += t;
	if ((size_t)n > sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	write_all(buf, (size_t)n);
}

static void reply_err(int e)
{
	char b[16];
	reply("err %s", errname(e, b, sizeof b));
}

/* reply either ok <long> or err from a syscall result */
static void reply_rc(long rc)
{
	if (rc < 0)
		reply_err(errno);
	else
		reply("ok %ld", rc);
}

/* Returns line length (without '\n'), -1 on EOF, -2 if the line was too long
 * (it is consumed entirely). */
static long read_line(struct chan *ch, char *line)
{
	char *inbuf = ch->buf;
#define inlen (ch->len)
	int toolong = 0;
	for (;;) {
		char *nl = memchr(inbuf, '\n', inlen);
		if (nl) {
			size_t len = (size_t)(nl - inbuf);
			if (!toolong) {
				if (len >= MAX_LINE)
					toolong = 1;
				else {
					memcpy(line, inbuf, len);
					line[len] = 0;
				}
			}
			memmove(inbuf, nl + 1, inlen - len - 1);
			inlen -= len + 1;
			if (toolong)
				return -2;
			if (len && line[len - 1] == '\r')
				line[--len] = 0;
			return (long)len;
		}
		if (inlen >= MAX_LINE) { /* discard, remember overlong */
			toolong = 1;
			inlen = 0;
		}
		ssize_t r = chan_read(ch->fd, inbuf + inlen, sizeof ch->buf - inlen);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (inlen && !toolong) { /* final line without '\n' */
				memcpy(line, inbuf, inlen);
				line[inlen] = 0;
				long l = (long)inlen;
				inlen = 0;
				return l;
			}
			return -1;
		}
		inlen += (size_t)r;
	}
#undef inlen
}

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static void hexenc(const unsigned char *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static long hexdec(const char *s, unsigned char *out, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int a = hexval(s[2 * i]), b = hexval(s[2 * i + 1]);
		if (a < 0 || b < 0)
			return -1;
		out[i] = (unsigned char)(a << 4 | b);
	}
	return (long)(n / 2);
}

static const char *dtype_name(unsigned char t, char *buf, size_t n)
{
	switch (t) {
	case 0: return "DT_UNKNOWN";
	case 1: return "DT_FIFO";
	case 2: return "DT_CHR";
	case 4: return "DT_DIR";
	case 6: return "DT_BLK";
	case 8: return "DT_REG";
	case 10: return "DT_LNK";
	case 12: return "DT_SOCK";
	case 14: return "DT_WHT";
	}
	snprintf(buf, n, "%u", t);
	return buf;
}

/* append JSON string (escaped) */
static size_t json_str(char *out, size_t cap, const char *s)
{
	size_t o = 0;
#define PUT(c) do { if (o + 1 < cap) out[o++] = (c); } while (0)
	PUT('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			PUT('\\'); PUT((char)*p);
		} else if (*p < 0x20) {
			char e[8];
			snprintf(e, sizeof e, "\\u%04x", *p);
			for (char *q = e; *q; q++) PUT(*q);
		} else
			PUT((char)*p);
	}
	PUT('"');
#undef PUT
	out[o < cap ? o : cap - 1] = 0;
	return o;
}

static void reply_stat(long rc, const struct stat *st)
{
	if (rc < 0) {
		reply_err(errno);
		return;
	}
	reply("ok {\"mode\":%u,\"ino\":%llu,\"dev\":%llu,\"nlink\":%llu}",
	      (unsigned)st->st_mode, (unsigned long long)st->st_ino,
	      (unsigned long long)st->st_dev, (unsigned long long)st->st_nlink);
}

static int drop_caps(void)
{
	/* bounding set first (needs CAP_SETPCAP, which we still have) */
	for (int c = 0; c < 64; c++) {
		if (syscall(SYS_prctl, PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* past CAP_LAST_CAP */
			if (errno != EPERM)
				return -1;
			/* EPERM: no CAP_SETPCAP; keep going with capset */
			break;
		}
	}
	syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof data);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	return 0;
}

static void serve(int fd) __attribute__((noreturn));

/* A task's first line on its channel: its pid in the sandbox's pid namespace (what /proc/self
 * names there) and its own getpid(), so the hub knows it without asking the host. */
static void hello(void)
{
	/* the task's id, not its thread group's: /proc/thread-self is "<tgid>/task/<tid>" as the
	 * sandbox's proc sees it, and gettid() is the id in the task's own pid namespace */
	char self[64] = "";
	ssize_t n = readlink("/proc/thread-self", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	char *tid = strrchr(self, '/');
	reply("hello %s %ld", n > 0 && tid ? tid + 1 : "?", (long)syscall(SYS_gettid));
}

/*
 * Is a child of this thread group (pid, or any for -1) exiting but not yet a zombie? From
 * /proc/self/task/<tid>/children and each child's /proc/<pid>/stat: its state, and PF_EXITING
 * (0x4) in its flags, set by exit_signals at the start of do_exit.
 */
static int child_exiting(int pid)
{
	char path[320], buf[4096];
	DIR *d = opendir("/proc/self/task");
	if (!d) return 0;
	int found = 0;
	for (struct dirent *e; !found && (e = readdir(d));) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) continue;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		for (char *save = NULL, *t = strtok_r(buf, " \n", &save); !found && t; t = strtok_r(NULL, " \n", &save)) {
			long child = strtol(t, NULL, 10);
			if (pid > 0 && child != pid) continue;
			char st[1024];
			snprintf(path, sizeof path, "/proc/%ld/stat", child);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) continue;
			ssize_t m = read(fd, st, sizeof st - 1);
			close(fd);
			st[m > 0 ? m : 0] = 0;
			char state = 0;
			unsigned long flags = 0;
			char *rp = strrchr(st, ')');
			/* after "(comm)": state ppid pgrp session tty_nr tpgid flags */
			if (rp && sscanf(rp + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) == 2)
				found = state != 'Z' && state != 'X' && (flags & 0x4);
		}
	}
	closedir(d);
	return found;
}

/* Child side of fork/clone: serve on the channel at fd chan. share_files: the fd table is the
 * parent's, so every channel in it stays; otherwise the copies of the others' channels go, so
 * that a task's death closes its channel's last copy. */
static void child_setup(int chan, int share_files)
{
	if (!share_files)
		for (int fd = CHAN_BASE; fd < CHAN_BASE + MAX_TASKS; fd++)
			if (fd != chan)
				close(fd);
	out_fd = chan;
	hello();
	serve(chan);
}

/*
 * A thread task (clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD) shares the helper's memory, out_fd
 * included: it waits until its parent has written the clone's reply before it says hello.
 */
static volatile int thread_go;
#define THREAD_STACK (256 * 1024)

static int thread_main(void *arg)
{
	while (!__atomic_load_n(&thread_go, __ATOMIC_ACQUIRE))
		sched_yield();
	child_setup((int)(long)arg, 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* command dispatch                                                    */

#define NEED(n) do { if (argc != (n)) goto proto; } while (0)

static void handle_cmd(int argc, char **argv)
{
	const char *c = argv[0];
	long rc;
	int fd, fd2;
	unsigned long fl;
	struct stat st;

	if (!strcmp(c, "getpid")) {
		NEED(1);
		reply("ok %ld", (long)syscall(SYS_getpid));
	} else if (!strcmp(c, "open")) {
		NEED(3);
		if (parse_flags(argv[2], open_flags, &fl)) goto proto;
		reply_rc(syscall(SYS_openat, AT_FDCWD, argv[1], (int)fl, 0644));
	} else if (!strcmp(c, "openat")) {
		NEED(4);
		if (parse_int(argv[1], &fd) || parse_flags(argv[3], open_flags, &fl)) goto proto;
		reply_rc(syscall(SYS_openat, fd, argv[2], (int)fl, 0644));
	} else if (!strcmp(c, "close")) {
		NEED(2);
		if (parse_int(argv[1], &fd)) goto proto;
		reply_rc(syscall(SYS_close, fd));
	} else if (!strcmp(c, "dup")) {
		NEED(2);
		if (parse_int(argv[1], &fd)) goto proto;
		reply_rc(syscall(SYS_dup, fd));
	} else if (!strcmp(c, "dup2")) {
		NEED(3);
		if (parse_int(argv[1], &fd) || parse_int(argv[2], &fd2)) goto proto;
		if (fd2 >= CHAN_BASE && fd2 < CHAN_BASE + MAX_TASKS) { /* a channel: would break the protocol */
			reply_err(EBUSY);
			return;
		}
		reply_rc(syscall(SYS_dup2, fd, fd2));
	} else if (!strcmp(c, "unshare")) {
		NEED(2);
		if (parse_flags(argv[1], clone_flags, &fl)) goto proto;
		reply_rc(syscall(SYS_unshare, fl));
	} else if (!strcmp(c, "setns")) {
		NEED(3);
		if (parse_int(argv[1], &fd) || parse_flags(argv[2], clone_flags, &fl)) goto proto;
		reply_rc(syscall(SYS_setns, fd, (int)fl));
	} else if (!strcmp(c, "getdents")) {
		long long sz;
		NEED(3);
		if (parse_int(argv[1], &fd) || parse_num(argv[2], &sz) || sz < 0 || sz > MAX_IOBUF)
			goto proto;
		char *buf = malloc(sz ? (size_t)sz : 1);
		if (!buf) { reply_err(ENOMEM); return; }
		rc = syscall(SYS_getdents64, fd, buf, (unsigned long)sz);
		if (rc < 0) {
			int e = errno;
			free(buf);
			reply_err(e);
			return;
		}
		size_t cap = 64 + (size_t)rc * 8;
		char *js = malloc(cap);
		if (!js) { free(buf); reply_err(ENOMEM); return; }
		size_t o = 0;
		js[o++] = '[';
		for (long pos = 0; pos < rc;) {
			struct {
				uint64_t ino; int64_t off; unsigned short reclen;
				unsigned char type; char name[];
			} *d = (void *)(buf + pos);
			char nb[1024], tb[16];
			json_str(nb, sizeof nb, d->name);
			o += (size_t)snprintf(js + o, cap - o,
				"%s{\"name\":%s,\"ino\":%llu,\"off\":%lld,\"type\":\"%s\",\"reclen\":%u}",
				pos ? "," : "", nb, (unsigned long long)d->ino,
				(long long)d->off, dtype_name(d->type, tb, sizeof tb), d->reclen);
			if (o >= cap) o = cap - 1;
			if (!d->reclen) break;
			pos += d->reclen;
		}
		if (o + 2 <= cap) { js[o++] = ']'; js[o] = 0; }
		reply("ok %ld %s", rc, js);
		free(js);
		free(buf);
	} else if (!strcmp(c, "lseek")) {
		long long off;
		NEED(4);
		if (parse_int(argv[1], &fd) || parse_num(argv[2], &off) ||
		    parse_flags(argv[3], whence_flags, &fl))
			goto proto;
		rc = syscall(SYS_lseek, fd, (off_t)off, (int)fl);
		if (rc < 0) reply_err(errno); else reply("ok %ld", rc);
	} else if (!strcmp(c, "read")) {
		long long n;
		NEED(3);
		if (parse_int(argv[1], &fd) || parse_num(argv[2], &n) || n < 0 || n > MAX_IOBUF)
			goto proto;
		char *buf = malloc(n ? (size_t)n : 1);
		if (!buf) { reply_err(ENOMEM); return; }
		rc = syscall(SYS_read, fd, buf, (size_t)n);
		int e = errno;
		free(buf);
		if (rc < 0) reply_err(e); else reply("ok %ld", rc);
	} else if (!strcmp(c, "stat") || !strcmp(c, "lstat")) {
		NEED(3);
		if (parse_int(argv[1], &fd)) goto proto;
		rc = syscall(SYS_newfstatat, fd, argv[2], &st,
			     c[0] == 'l' ? AT_SYMLINK_NOFOLLOW : 0);
		reply_stat(rc, &st);
	} else if (!strcmp(c, "fstat")) {
		NEED(2);
		if (parse_int(argv[1], &fd)) goto proto;
		rc = syscall(SYS_fstat, fd, &st);
		reply_stat(rc, &st);
	} else if (!strcmp(c, "nsid")) {
		NEED(2);
		rc = syscall(SYS_newfstatat, AT_FDCWD, argv[1], &st, 0);
		if (rc < 0) reply_err(errno);
		else reply("ok %llu %llu", (unsigned long long)st.st_ino,
			   (unsigned long long)st.st_dev);
	} else if (!strcmp(c, "readlink")) {
		char buf[PATH_MAX + 1], esc[2 * PATH_MAX + 2];
		NEED(3);
		if (parse_int(argv[1], &fd)) goto proto;
		rc = syscall(SYS_readlinkat, fd, argv[2], buf, sizeof buf - 1);
		if (rc < 0) { reply_err(errno); return; }
		buf[rc] = 0;
		/* escape '\\' and '\n' so the reply stays one line */
		size_t o = 0;
		for (long i = 0; i < rc; i++) {
			if (buf[i] == '\n') { esc[o++] = '\\'; esc[o++] = 'n'; }
			else if (buf[i] == '\\') { esc[o++] = '\\'; esc[o++] = '\\'; }
			else esc[o++] = buf[i];
		}
		esc[o] = 0;
		reply("ok %s", esc);
	} else if (!strcmp(c, "pipe2")) {
		int pfd[2];
		NEED(2);
		if (parse_flags(argv[1], open_flags, &fl)) goto proto;
		if (syscall(SYS_pipe2, pfd, (int)fl) < 0) reply_err(errno);
		else reply("ok 0 %d %d", pfd[0], pfd[1]);
	} else if (!strcmp(c, "mknod")) {
		NEED(2);
		rc = syscall(SYS_mknodat, AT_FDCWD, argv[1], S_IFREG | 0644, 0);
		reply_rc(rc);
	} else if (!strcmp(c, "mkdir")) {
		NEED(2);
		reply_rc(syscall(SYS_mkdirat, AT_FDCWD, argv[1], 0755));
	} else if (!strcmp(c, "unlink")) {
		NEED(2);
		reply_rc(syscall(SYS_unlinkat, AT_FDCWD, argv[1], 0));
	} else if (!strcmp(c, "rmdir")) {
		NEED(2);
		reply_rc(syscall(SYS_unlinkat, AT_FDCWD, argv[1], AT_REMOVEDIR));
	} else if (!strcmp(c, "mount")) {
		NEED(3);
		reply_rc(syscall(SYS_mount, argv[1], argv[2], NULL, MS_BIND, NULL));
	} else if (!strcmp(c, "mounttmpfs")) {
		NEED(2);
		reply_rc(syscall(SYS_mount, "tmpfs", argv[1], "tmpfs", 0UL, NULL));
	} else if (!strcmp(c, "umount2")) {
		NEED(3);
		if (parse_flags(argv[2], umount_flags, &fl)) goto proto;
		reply_rc(syscall(SYS_umount2, argv[1], (int)fl));
	} else if (!strcmp(c, "sethostname")) {
		NEED(2);
		reply_rc(syscall(SYS_sethostname, argv[1], strlen(argv[1])));
	} else if (!strcmp(c, "gethostname")) {
		char buf[256];
		NEED(1);
		if (gethostname(buf, sizeof buf) < 0) reply_err(errno);
		else { buf[sizeof buf - 1] = 0; reply("ok %s", buf); }
	} else if (!strcmp(c, "setuid")) {
		int id;
		NEED(2);
		if (parse_int(argv[1], &id) || id < 0) goto proto;
		if (syscall(SYS_setresgid, id, id, id) < 0 ||
		    syscall(SYS_setresuid, id, id, id) < 0)
			reply_err(errno);
		else
			reply("ok 0");
	} else if (!strcmp(c, "capdrop")) {
		NEED(1);
		if (drop_caps() < 0) reply_err(errno); else reply("ok 0");
	} else if (!strcmp(c, "fork") || !strcmp(c, "clone")) {
		/* "fork <chanfd>", "clone <flags> <chanfd>": the new task's channel came with the
		 * line (SCM_RIGHTS) and moves to <chanfd> before the clone */
		int isclone = c[0] == 'c', chan, got = passed_fd, share;
		passed_fd = -1;
		fl = 0;
		if (argc != 2 + isclone || (isclone && parse_flags(argv[1], clone_flags, &fl)) ||
		    parse_int(argv[1 + isclone], &chan) || chan < CHAN_BASE || chan >= CHAN_BASE + MAX_TASKS || got < 0) {
			if (got >= 0) close(got);
			goto proto;
		}
		if (dup2(got, chan) < 0) { close(got); goto proto; }
		close(got);
		share = (fl & CLONE_FILES) != 0;
		if (fl & CLONE_VM) {
			/* a thread (or a process sharing our memory): its own stack, and it waits for
			 * this reply (thread_main) */
			char *stack = mmap(NULL, THREAD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
			if (stack == MAP_FAILED) { close(chan); reply_err(errno); return; }
			__atomic_store_n(&thread_go, 0, __ATOMIC_RELEASE);
			rc = clone(thread_main, stack + THREAD_STACK, (int)(fl | SIGCHLD), (void *)(long)chan);
		} else {
			/* raw clone with a NULL stack = fork semantics (no CLONE_VM) */
			rc = syscall(SYS_clone, fl | SIGCHLD, 0UL, 0UL, 0UL, 0UL);
			if (rc == 0)
				child_setup(chan, share);
		}
		if (rc < 0 || !share)
			close(chan);
		if (rc < 0) { reply_err(errno); return; }
		reply("ok %ld", rc);
		__atomic_store_n(&thread_go, 1, __ATOMIC_RELEASE);
	} else if (!strcmp(c, "wait") || !strcmp(c, "waitnohang")) {
		int pid, status = 0, nohang = c[4] != 0;
		NEED(2);
		if (parse_int(argv[1], &pid)) goto proto;
		rc = syscall(SYS_wait4, pid, &status, nohang ? WNOHANG : 0, NULL);
		/* nothing to reap yet, but a child is past do_exit's start (PF_EXITING) and not yet a
		 * zombie (a pid namespace's init in zap_pid_ns_processes, a member being killed): the
		 * emulator's exit has no such window, so wait (bounded) until it is a zombie */
		for (int tries = 0; nohang && rc == 0 && tries < 2000 && child_exiting(pid); tries++) {
			usleep(1000);
			rc = syscall(SYS_wait4, pid, &status, WNOHANG, NULL);
		}
		if (rc < 0) reply_err(errno);
		else if (nohang) reply("ok %ld %d", rc, status);
		else reply("ok %d", status);
	} else if (!strcmp(c, "exit")) {
		int code;
		NEED(2);
		if (parse_int(argv[1], &code)) goto proto;
		/* exit(2), as the emulator's do_exit: this task only; a thread group's others go on */
		syscall(SYS_exit, code);
		_exit(code);
	} else if (!strcmp(c, "handle")) {
		NEED(2);
		struct { unsigned int bytes; int type; unsigned char h[MAX_HANDLE_BYTES]; } fh;
		int mnt = -1;
		memset(&fh, 0, sizeof fh);
		fh.bytes = MAX_HANDLE_BYTES;
		if (!strncmp(argv[1], "fd:", 3)) {
			if (parse_int(argv[1] + 3, &fd)) goto proto;
			rc = syscall(SYS_name_to_handle_at, fd, "", &fh, &mnt, AT_EMPTY_PATH);
		} else
			rc = syscall(SYS_name_to_handle_at, AT_FDCWD, argv[1], &fh, &mnt,
				     AT_SYMLINK_FOLLOW);
		if (rc < 0) { reply_err(errno); return; }
		char hex[2 * MAX_HANDLE_BYTES + 1];
		unsigned n = fh.bytes > MAX_HANDLE_BYTES ? MAX_HANDLE_BYTES : fh.bytes;
		hexenc(fh.h, n, hex);
		if (fh.type == FILEID_NSFS && n >= 16) {
			uint64_t id; uint32_t t, inum;
			memcpy(&id, fh.h, 8);
			memcpy(&t, fh.h + 8, 4);
			memcpy(&inum, fh.h + 12, 4);
			reply("ok %llu %u %u %s", (unsigned long long)id, t, inum, hex);
		} else {
			/* not an nsfs handle: report type instead of ns fields */
			reply("ok 0 0 0 %s type=0x%x", hex, (unsigned)fh.type);
		}
	} else if (!strcmp(c, "alive")) {
		NEED(2);
		struct { unsigned int bytes; int type; unsigned char h[MAX_HANDLE_BYTES]; } fh;
		long n = hexdec(argv[1], fh.h, sizeof fh.h);
		if (n < 0) goto proto;
		fh.bytes = (unsigned)n;
		fh.type = FILEID_NSFS;
		rc = syscall(SYS_open_by_handle_at, FD_NSFS_ROOT, &fh, O_RDONLY);
		if (rc >= 0) {
			syscall(SYS_close, (int)rc);
			reply("ok alive");
		} else if (errno == ESTALE)
			reply("ok dead");
		else
			reply_err(errno);
	} else {
		goto proto;
	}
	return;
proto:
	reply("err EPROTO");
}

static void serve(int fd)
{
	struct chan ch = { .fd = fd, .len = 0 };
	char line[MAX_LINE];
	for (;;) {
		long n = read_line(&ch, line);
		out_fd = fd;
		if (n == -1)
			_exit(0);
		if (n < 0) {
			reply("err EPROTO");
			continue;
		}
		char *argv[MAX_ARGS + 1];
		int argc = 0;
		char *save = NULL;
		int toomany = 0;
		for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
			if (argc == MAX_ARGS) { toomany = 1; break; }
			argv[argc++] = t;
		}
		if (argc == 0 || toomany) {
			reply("err EPROTO");
			continue;
		}
		argv[argc] = NULL;
		handle_cmd(argc, argv);
	}
}

/* ------------------------------------------------------------------ */
/* the hub                                                             */

struct task {
	char name[32];
	int fd;            /* the hub's end of the task's channel; -1 once gone */
	int slot;
	long nspid[33];    /* pid in the sandbox's pid ns, then in each nested one */
	int levels;
	char buf[MAX_LINE];
	size_t len;
};
static struct task tasks[MAX_TASKS];
static int ntasks;

static struct task *task_named(const char *name)
{
	for (int i = 0; i < ntasks; i++)
		if (!strcmp(tasks[i].name, name))
			return &tasks[i];
	return NULL;
}

/* 'R', 'S', 'Z', ... of a sandbox pid, from the sandbox's /proc; 0 when it is gone. */
static char proc_state(long pid)
{
	char p[64], b[512];
	snprintf(p, sizeof p, "/proc/%ld/stat", pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return 0;
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0) return 0;
	b[n] = 0;
	char *r = strrchr(b, ')');
	return r && r[1] == ' ' ? r[2] : 0;
}

static int task_dead(const struct task *t)
{
	char st = proc_state(t->nspid[0]);
	return st == 0 || st == 'Z' || st == 'X' || st == 'x';
}

/* The task's NSpid (/proc/<pid>/status); without one (older kernels, gVisor), the sandbox pid
 * and the task's own getpid. */
static void read_nspid(struct task *t, long own)
{
	char p[64], b[4096];
	snprintf(p, sizeof p, "/proc/%ld/status", t->nspid[0]);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
	if (fd >= 0) close(fd);
	t->levels = 1;
	if (n > 0) {
		b[n] = 0;
		char *l = strstr(b, "\nNSpid:");
		if (l) {
			char *e;
			l += 7;
			t->levels = 0;
			for (long v = strtol(l, &e, 10); e != l && t->levels < 33; v = strtol(l, &e, 10)) {
				t->nspid[t->levels++] = v;
				l = e;
			}
			if (t->levels) return;
			t->levels = 1;
		}
	}
	if (own != t->nspid[0]) t->nspid[t->levels++] = own;
}

/* While the hub waits for a task, its own stdin may end (the recorder was interrupted and a
 * runner such as `runsc do` or ssh, which no death signal reaches, only closes it): then the
 * hub exits at once, and the sandbox with it. Data that arrives early is kept for read_line. */
static struct chan hub_in = { .fd = 0, .len = 0 };

/* Task A, the sandbox's pid 1 (the hub's only child). */
static pid_t task_a = -1;

/* The recorder is gone: end the sandbox, and only then the hub (see Lifetime above). */
static void hub_gone(void)
{
	if (task_a > 0) {
		kill(task_a, SIGKILL);
		while (waitpid(task_a, NULL, __WALL) < 0 && errno == EINTR)
			;
	}
	_exit(0);
}

static void hub_stdin_check(void)
{
	struct pollfd pf = { 0, POLLIN, 0 };
	if (poll(&pf, 1, 0) <= 0 || hub_in.len >= sizeof hub_in.buf) return;
	ssize_t n = chan_read(0, hub_in.buf + hub_in.len, sizeof hub_in.buf - hub_in.len);
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) hub_gone();
	if (n > 0) hub_in.len += (size_t)n;
}

/* One line from a task's channel: 1, or 0 when the task no longer runs (EOF, or its process is
 * a zombie or gone while its channel stays open in a shared fd table). Waits as long as the
 * task lives: the recorder's own timeout bounds it. */
static int task_line(struct task *t, char *line)
{
	for (;;) {
		char *nl = memchr(t->buf, '\n', t->len);
		if (nl) {
			size_t l = (size_t)(nl - t->buf);
			memcpy(line, t->buf, l);
			line[l] = 0;
			memmove(t->buf, nl + 1, t->len - l - 1);
			t->len -= l + 1;
			return 1;
		}
		if (t->len == sizeof t->buf) t->len = 0; /* overlong: drop */
		struct pollfd pf = { t->fd, POLLIN, 0 };
		int r = poll(&pf, 1, 20);
		if (r < 0 && errno != EINTR) return 0;
		if (r <= 0) {
			hub_stdin_check();
			if (t->nspid[0] > 0 && task_dead(t)) return 0;
			continue;
		}
		ssize_t n = read(t->fd, t->buf + t->len, sizeof t->buf - t->len);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) return 0;
		t->len += (size_t)n;
	}
}

static void task_gone(struct task *t)
{
	if (t->fd >= 0) close(t->fd);
	t->fd = -1;
}

static void out_line(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_line(const char *tag, const char *fmt, ...)
{
	char b[MAX_LINE + 128];
	int n = snprintf(b, sizeof b, "%s ", tag);
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(b + n, sizeof b - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if ((size_t)n > sizeof b - 2) n = (int)sizeof b - 2;
	b[n++] = '\n';
	write_all(b, (size_t)n);
}

/* Send a line to a task, with a fd (SCM_RIGHTS) when fd >= 0. */
static int task_send(struct task *t, const char *line, int fd)
{
	char b[MAX_LINE + 2];
	size_t n = (size_t)snprintf(b, sizeof b, "%s\n", line);
	union { struct cmsghdr h; char c[CMSG_SPACE(sizeof(int))]; } cm;
	struct iovec iov = { b, n };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&cm, 0, sizeof cm);
		mh.msg_control = cm.c;
		mh.msg_controllen = sizeof cm.c;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (n) {
		ssize_t w = sendmsg(t->fd, &mh, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) return -1;
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		iov.iov_base = (char *)iov.iov_base + w;
		iov.iov_len -= (size_t)w;
		n -= (size_t)w;
	}
	return 0;
}

/* Register a task from its hello line. */
static int task_hello(struct task *t, const char *line)
{
	long sb, own;
	if (sscanf(line, "hello %ld %ld", &sb, &own) != 2) return -1;
	t->nspid[0] = sb;
	read_nspid(t, own);
	return 0;
}

/* "<parent> fork <new>" / "<parent> clone <flags> <new>" */
static void hub_fork(struct task *p, int argc, char **argv)
{
	char line[MAX_LINE], cmd[MAX_LINE];
	int sv[2];
	const char *name = argv[argc - 1];
	if (argc != (argv[0][0] == 'c' ? 3 : 2) || strlen(name) >= sizeof tasks[0].name || task_named(name)) {
		out_line(p->name, "fail fork: a new task needs a fresh name");
		return;
	}
	if (ntasks == MAX_TASKS) { out_line(p->name, "fail fork: more than %d tasks", MAX_TASKS); return; }
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) { out_line(p->name, "fail socketpair: %s", strerror(errno)); return; }
	struct task *c = &tasks[ntasks];
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	c->fd = sv[0];
	c->slot = ntasks;
	if (argc == 3) snprintf(cmd, sizeof cmd, "clone %s %d", argv[1], CHAN_BASE + c->slot);
	else snprintf(cmd, sizeof cmd, "fork %d", CHAN_BASE + c->slot);
	/* the passed end must not be close-on-exec in the task (no exec happens; kept plain) */
	fcntl(sv[1], F_SETFD, 0);
	int sent = task_send(p, cmd, sv[1]);
	close(sv[1]);
	if (sent < 0 || !task_line(p, line)) {
		close(sv[0]);
		task_gone(p);
		out_line(p->name, "gone");
		return;
	}
	if (strncmp(line, "ok ", 3)) { /* the kernel refused: no task */
		close(sv[0]);
		out_line(p->name, "%s", line);
		return;
	}
	long pid = atol(line + 3);
	c->nspid[0] = -1;
	if (!task_line(c, line) || task_hello(c, line) < 0) {
		close(sv[0]);
		out_line(p->name, "fail fork: the child (pid %ld) did not say hello", pid);
		return;
	}
	ntasks++;
	char ns[33 * 12] = "";
	for (int i = 0, o = 0; i < c->levels; i++) o += snprintf(ns + o, sizeof ns - (size_t)o, "%s%ld", i ? "," : "", c->nspid[i]);
	out_line(p->name, "ok %ld %s", pid, ns);
}

/* Whether a task has passed exit_task_namespaces: its ns entries name nothing any more. */
static int task_ns_released(const struct task *t)
{
	char p[64];
	struct stat st;
	snprintf(p, sizeof p, "/proc/%ld/ns/net", t->nspid[0]);
	return stat(p, &st) < 0 && errno == ENOENT;
}

/* "<task> exit <code>": no reply from the task; ours once it is a zombie or gone, so the kernel
 * has finished do_exit. One exit never gets there: a pid namespace's init whose members are
 * zombies of a parent outside it sleeps in zap_pid_ns_processes until they are reaped. It is
 * past exit_task_namespaces by then (exit_notify comes after it), so after a second of waiting
 * an init whose ns entries give ENOENT has exited as far as any namespace can tell. */
static void hub_exit(struct task *t, const char *line)
{
	if (task_send(t, line, -1) < 0 && task_dead(t)) { task_gone(t); out_line(t->name, "gone"); return; }
	for (int ms = 0; !task_dead(t); ms++) {
		if (ms >= 1000 && t->levels > 1 && t->nspid[t->levels - 1] == 1 && task_ns_released(t))
			break;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
		hub_stdin_check();
	}
	task_gone(t);
	out_line(t->name, "ok 0");
}

static void hub_serve(void)
{
	static char line[MAX_LINE], copy[MAX_LINE], rep[MAX_LINE];
	for (;;) {
		long n = read_line(&hub_in, line);
		if (n == -1)
			hub_gone(); /* the recorder is gone */
		if (n < 0) { out_line("-", "fail EPROTO: line too long"); continue; }
		memcpy(copy, line, (size_t)n + 1);
		char *argv[MAX_ARGS + 1], *save = NULL;
		int argc = 0;
		for (char *w = strtok_r(line, " \t", &save); w && argc < MAX_ARGS; w = strtok_r(NULL, " \t", &save))
			argv[argc++] = w;
		argv[argc] = NULL;
		if (argc < 2) { out_line("-", "fail EPROTO: '<task> <command>' expected"); continue; }
		if (!strcmp(argv[0], "-")) {
			/* the hub's own queries: nsfs handles, never a scenario syscall */
			if (strcmp(argv[1], "handle") && strcmp(argv[1], "alive") && strcmp(argv[1], "nsid")) {
				out_line("-", "fail EPROTO: the hub runs only handle, alive and nsid");
				continue;
			}
			reply_tag = "-";
			handle_cmd(argc - 1, argv + 1);
			reply_tag = NULL;
			continue;
		}
		struct task *t = task_named(argv[0]);
		if (!t) { out_line(argv[0], "fail no such task"); continue; }
		if (t->fd < 0 || task_dead(t)) { task_gone(t); out_line(t->name, "gone"); continue; }
		const char *cmd = copy + strlen(argv[0]) + 1;
		if (!strcmp(argv[1], "fork") || !strcmp(argv[1], "clone")) { hub_fork(t, argc - 1, argv + 1); continue; }
		if (!strcmp(argv[1], "exit")) { hub_exit(t, cmd); continue; }
		if (task_send(t, cmd, -1) < 0 || !task_line(t, rep)) { task_gone(t); out_line(t->name, "gone"); continue; }
		out_line(t->name, "%s", rep);
	}
}

int main(void)
{
	char missing[128], line[MAX_LINE];
	struct utsname u;
	int hub[2], sv[2];
	signal(SIGPIPE, SIG_IGN);  /* writes to a dead reader -> EPIPE -> the writer sees it */
	signal(SIGCHLD, SIG_DFL);  /* keep zombies around until "wait" */
	/* a VM's serial console (qemu -serial stdio, init=procns-helper): no echo, no line editing,
	 * no "\r" added, so the recorder reads exactly the hub's lines */
	struct termios tio;
	if (isatty(0) && tcgetattr(0, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(0, TCSANOW, &tio);
	}
	if (procns_sandbox_enter(missing, sizeof missing) < 0) {
		out_line("-", "fail %s", procns_sandbox_error);
		return 3;
	}
	if (pipe2(hub, O_CLOEXEC) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		out_line("-", "fail sandbox: pipe: %s", strerror(errno));
		return 3;
	}
	pid_t a = fork();
	if (a < 0) { out_line("-", "fail sandbox: fork A: %s", strerror(errno)); return 3; }
	if (a > 0) task_a = a;
	if (a == 0) {
		/* task A: pid 1 of the sandbox, its fd table empty but for its channel at CHAN_BASE
		 * (the hub's stdio stays the hub's), as the emulator's init has no fd: a first open
		 * gives 0 (scenarios/task-fds.json) */
		close(hub[1]);
		close(sv[0]);
		if (procns_sandbox_init(hub[0]) < 0) { dprintf(2, "%s\n", procns_sandbox_error); _exit(3); }
		close(hub[0]);
		if (dup2(sv[1], CHAN_BASE) < 0) _exit(3);
		close(sv[1]);
		close(0);
		close(1);
		close(2);
		out_fd = CHAN_BASE;
		hello();
		serve(CHAN_BASE);
	}
	close(hub[0]);
	close(sv[1]);
	struct task *t = &tasks[ntasks++];
	snprintf(t->name, sizeof t->name, "A");
	t->fd = sv[0];
	t->nspid[0] = -1;
	if (!task_line(t, line) || task_hello(t, line) < 0) {
		out_line("-", "fail sandbox: task A did not start");
		return 3;
	}
	if (uname(&u) < 0) memset(&u, 0, sizeof u);
	out_line("-", "hello %s %s %s %s", u.sysname, u.release, u.machine, missing[0] ? missing : "-");
	hub_serve();
}
