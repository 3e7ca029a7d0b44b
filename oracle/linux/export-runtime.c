/* ---- procns export --as c: the runtime (oracle/linux/export-runtime.c) -------------------------
 *
 * The hub runs the scenario: it sends each step to the process of the step's task, reads back what
 * the call returned and observed, checks it against the expectation and prints a TAP line. The
 * tasks are processes forked by the scenario's own fork and clone steps (task A by the hub, as pid 1
 * of the sandbox); each waits on its command channel, runs the steps it is sent (run_step, below
 * the scenario) and writes each result back on its result channel. The channels are pipes made
 * before task A, moved to the top of the fd table, so the scenario's fds are numbered as they are
 * without the harness, and a CLONE_FILES child, sharing its parent's table, still has its own.
 * Namespaces are named and their liveness observed through nsfs file handles (name_to_handle_at:
 * type 0xf1, {u64 ns_id; u32 ns_type; u32 inum}; open_by_handle_at(FD_NSFS_ROOT) gives ESTALE once
 * the namespace is dead), by the hub for @ns, @alive and @same, and by the task for its own fds.
 */
#include <dirent.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/capability.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef AT_SYMLINK_FOLLOW
#define AT_SYMLINK_FOLLOW 0x400
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef SYS_name_to_handle_at
#define SYS_name_to_handle_at __NR_name_to_handle_at
#endif
#ifndef SYS_open_by_handle_at
#define SYS_open_by_handle_at __NR_open_by_handle_at
#endif
/* @@FALLBACKS@@ */

/* The nsfs root as a dirfd for open_by_handle_at (include/uapi/linux/fcntl.h, 6.13+) and the
 * handle type of a namespace file (include/linux/exportfs.h, FILEID_NSFS). */
#define FD_NSFS_ROOT (-10003)
#define FILEID_NSFS 0xf1
#define HANDLE_BYTES 128
/* kselftest exit codes (tools/testing/selftests/kselftest.h) */
#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 4
/* How long a task may take to answer one step, and how long a user or pid namespace may take to
 * die after its last holder (they are freed asynchronously; oracle/linux/FACTS.md). */
#define REPLY_TIMEOUT_MS 10000
#define ASYNC_DEATH_MS 300
#define MAX_TEXT 256
#define MAX_DENTS 32
#define MAX_NAME 64
#define MAX_VARS 4
#define MAX_LEVELS 8

/* What a step is: a syscall (some the hub follows up), or an @-check (from K_NS on). */
enum kind { K_CALL, K_FORK, K_EXIT, K_WAIT, K_SKIP, K_NS, K_FDNS, K_FDIS, K_ALIVE, K_SAME };
enum ret_kind { R_ZERO, R_COUNT, R_FD, R_FDS, R_TASK, R_REAPED, R_PID };
enum obs_kind { O_NONE, O_STAT, O_TEXT, O_DIRENTS };
/* A "$name" in a step's arguments: a task's pid as the step's task sees it (a pid argument), a
 * task's pid in the sandbox's /proc (in a path), or a value an earlier step saved (a fd). */
enum var_how { V_PID, V_PROCPID, V_SAVED };

struct var { enum var_how how; int which; };

enum tristate { ANY, NO, YES };

/* What a step must produce: every field given is checked (scenarios/format.ts, Expect); a NULL
 * list or ANY is not checked. */
struct expect {
	int ok;
	int has_ret;
	long ret;
	const char *ret_name;                    /* the task a fork, wait or getpid names */
	const char *err, *mode, *text, *text_match, *oops;
	int nnames, ntypes, noffs, nreclens;
	const char *const *names, *const *types, *const *offs, *const *reclens;  /* numbers as text */
	enum tristate alive, same;
};

struct step {
	const char *title;      /* the step as the TAP line names it */
	int task;               /* the task that runs it (an index into TASKS) */
	enum kind kind;
	enum ret_kind ret;
	enum obs_kind obs;
	int nvars;
	struct var vars[MAX_VARS];
	int save;               /* the saved-value slot its result goes to (pipe2: save, save + 1), or NO_SAVE */
	int child;              /* fork, clone: the new task (never A, so 0 is none) */
	int ns;                 /* @ns, @fdns: the name it saves; @fdis, @alive, @same: the name it reads; or NO_NS */
	const char *nstype;     /* @ns, @same: the entry under /proc/<pid>/ns */
	const char *skip;       /* why it cannot run here */
	struct expect e;
};

struct dent {
	unsigned long long ino;
	long long off;
	unsigned short reclen;
	unsigned char type;
	char name[MAX_NAME];
};

/* One step's result, as a task writes it back (and a new task's hello: its pids). */
struct result {
	long ret;
	int err;
	unsigned mode;
	unsigned long long ino, dev;
	int has_stat, has_text, ndents;
	char text[MAX_TEXT];
	struct dent dents[MAX_DENTS];
	int fds[2];
	int htype;
	unsigned hbytes;
	unsigned char handle[HANDLE_BYTES];
	int nlevels;
	long nspid[MAX_LEVELS];
};

struct command { int step; long v[MAX_VARS]; };

struct nsfs_handle {
	unsigned int bytes;
	int type;
	unsigned char h[HANDLE_BYTES];
};

static const char *const ERRNO_NAMES[] = {
#define E(x) [x] = #x
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC), E(EBADF),
	E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST),
	E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
	E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE), E(EDOM),
	E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS), E(ENOTEMPTY), E(ELOOP),
	E(EPROTO), E(EOVERFLOW), E(EUSERS), E(ENOTSOCK), E(EOPNOTSUPP), E(ESTALE), E(ECANCELED),
#undef E
};

static const char *errno_name(int e)
{
	static char buf[16];
	if (e > 0 && (size_t)e < sizeof ERRNO_NAMES / sizeof ERRNO_NAMES[0] && ERRNO_NAMES[e])
		return ERRNO_NAMES[e];
	snprintf(buf, sizeof buf, "E%d", e);
	return buf;
}

static const char *dtype_name(unsigned char t)
{
	static char buf[8];
	switch (t) {
	case DT_UNKNOWN: return "DT_UNKNOWN";
	case DT_FIFO: return "DT_FIFO";
	case DT_CHR: return "DT_CHR";
	case DT_DIR: return "DT_DIR";
	case DT_BLK: return "DT_BLK";
	case DT_REG: return "DT_REG";
	case DT_LNK: return "DT_LNK";
	case DT_SOCK: return "DT_SOCK";
	}
	snprintf(buf, sizeof buf, "%u", t);
	return buf;
}

/* ---- what the tasks run (a scenario uses some of these, so the rest are marked unused) ---- */
#define MAYBE_UNUSED __attribute__((unused))

/* capset with every set empty, after dropping the bounding and ambient sets, as procns-helper's
 * capdrop: the scenario's "capset" with "caps": []. */
MAYBE_UNUSED static int capset_drop_all(void)
{
	for (int c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			break;  /* EINVAL: past CAP_LAST_CAP */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof data);
	return (int)syscall(SYS_capset, &hdr, data);
}

/* The nsfs handle of what fd refers to (@fdns, @fdis): the task's own view of its fd. */
MAYBE_UNUSED static long fd_handle(long fd, struct result *r)
{
	struct nsfs_handle fh;
	int mnt = -1;
	memset(&fh, 0, sizeof fh);
	fh.bytes = HANDLE_BYTES;
	if (syscall(SYS_name_to_handle_at, (int)fd, "", &fh, &mnt, AT_EMPTY_PATH) < 0)
		return -1;
	r->htype = fh.type;
	r->hbytes = fh.bytes > HANDLE_BYTES ? HANDLE_BYTES : fh.bytes;
	memcpy(r->handle, fh.h, r->hbytes);
	return 0;
}

/* What a call observed besides its return value (kernel/syscall_table.ts: obs). */
MAYBE_UNUSED static void observe_stat(struct result *r, const struct stat *st)
{
	r->has_stat = 1;
	r->mode = st->st_mode;
	r->ino = st->st_ino;
	r->dev = st->st_dev;
}

MAYBE_UNUSED static void observe_text(struct result *r, const char *buf, size_t n)
{
	r->has_text = 1;
	if (n >= MAX_TEXT)
		n = MAX_TEXT - 1;
	memcpy(r->text, buf, n);
	r->text[n] = 0;
}

MAYBE_UNUSED static void observe_dirents(struct result *r, const char *buf, long n)
{
	for (long pos = 0; pos < n && r->ndents < MAX_DENTS;) {
		const struct {
			uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[];
		} *d = (const void *)(buf + pos);
		struct dent *o = &r->dents[r->ndents++];
		o->ino = d->ino;
		o->off = d->off;
		o->reclen = d->reclen;
		o->type = d->type;
		snprintf(o->name, sizeof o->name, "%s", d->name);
		if (!d->reclen)
			break;
		pos += d->reclen;
	}
}

static void run_step(int n, const long *v, struct result *r);

static int chan_top;  /* the highest fd: task i's channels sit below it */
#define CMD_R(i) (chan_top - 1 - 4 * (i))
#define CMD_W(i) (chan_top - 2 - 4 * (i))
#define RES_R(i) (chan_top - 3 - 4 * (i))
#define RES_W(i) (chan_top - 4 - 4 * (i))

/* All n bytes read from fd (or written to it): 0, or -1 at end of file or on an error. */
static int transfer(int fd, void *p, size_t n, int writing)
{
	for (size_t done = 0; done < n;) {
		ssize_t k = writing ? write(fd, (char *)p + done, n - done) : read(fd, (char *)p + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}
#define read_full(fd, p, n) transfer(fd, p, n, 0)
#define write_full(fd, p, n) transfer(fd, p, n, 1)

/* A task's life: say hello (its pids, as /proc/self/status's NSpid gives them, outermost first),
 * then run each step it is sent. It ends in a step (exit) or when the hub goes. */
static void task_main(int self) __attribute__((noreturn));
static void task_main(int self)
{
	struct result r;
	memset(&r, 0, sizeof r);
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	const char *p = strstr(buf, "\nNSpid:");
	if (p)
		for (char *end; r.nlevels < MAX_LEVELS; p = end) {
			long x = strtol(p + (r.nlevels ? 0 : 7), &end, 10);
			if (end == p + (r.nlevels ? 0 : 7))
				break;
			r.nspid[r.nlevels++] = x;
		}
	if (!r.nlevels)
		r.nspid[r.nlevels++] = getpid();
	if (write_full(RES_W(self), &r, sizeof r) < 0)
		_exit(1);
	for (;;) {
		struct command c;
		if (read_full(CMD_R(self), &c, sizeof c) < 0)
			_exit(0);
		memset(&r, 0, sizeof r);
		errno = 0;
		run_step(c.step, c.v, &r);
		if (write_full(RES_W(self), &r, sizeof r) < 0)
			_exit(1);
	}
}

/* ================================ the scenario (generated) ================================ */
/* @@SCENARIO@@ */
/* ================================ the hub ================================ */

struct task_state {
	pid_t hub_pid;          /* task A: the hub's child */
	int started, gone;
	int stuck;              /* the step it never answered: its channel is out of step from then on */
	int nlevels;
	long nspid[MAX_LEVELS];
};

struct ns_name {
	int set;
	char skip[96];          /* why it cannot be observed here */
	unsigned long long id;
	unsigned type;
	struct nsfs_handle fh;
};

static struct task_state tasks[NTASKS];
static long saved[NSAVED];
static int saved_set[NSAVED];
static struct ns_name names[NNAMES];
/* The inode numbers named so far, each within its space (scenarios/vocabulary.ts, observeResult):
 * a stat's with its device, a readlink's "net:[N]" as a namespace's, a dirent's as a dirent's. */
enum ino_space { INO_STAT, INO_NS, INO_DIRENT };
static struct { enum ino_space space; unsigned long long dev, ino; } inos[1024];
static int ninos;
/* Why namespaces cannot be named or watched on this kernel, or "" when they can. */
static char no_handles[96], no_alive[96];

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

/* "ino#k", numbered in order of first appearance, as a procns trace names inode numbers. */
static int ino_symbol(enum ino_space space, unsigned long long dev, unsigned long long ino)
{
	for (int i = 0; i < ninos; i++)
		if (inos[i].space == space && inos[i].dev == dev && inos[i].ino == ino)
			return i + 1;
	if (ninos < (int)(sizeof inos / sizeof inos[0])) {
		inos[ninos].space = space;
		inos[ninos].dev = dev;
		inos[ninos++].ino = ino;
	}
	return ninos;
}

/* The state letter of a sandbox pid (/proc/<pid>/stat), 0 when it is gone. */
static char proc_state(long pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : 0;
}

static int task_dead(int t)
{
	char s = proc_state(tasks[t].nspid[0]);
	return s == 0 || s == 'Z' || s == 'X';
}

/* Read task t's next result: 0, or -1 with why set (it died, or took too long). */
static int await_result(int t, struct result *r, char *why, size_t whylen)
{
	long deadline = now_ms() + REPLY_TIMEOUT_MS;
	for (;;) {
		struct pollfd pfd = { .fd = RES_R(t), .events = POLLIN };
		int k = poll(&pfd, 1, 20);
		if (k > 0)
			return read_full(RES_R(t), r, sizeof *r) < 0 ? (snprintf(why, whylen, "task %s: its channel broke", TASKS[t]), -1) : 0;
		if (k < 0 && errno != EINTR) {
			snprintf(why, whylen, "poll: %s", strerror(errno));
			return -1;
		}
		if (tasks[t].started && task_dead(t)) {
			/* it may have answered just before it was killed */
			if (poll(&pfd, 1, 0) > 0)
				continue;
			tasks[t].gone = 1;
			snprintf(why, whylen, "task %s died (killed?) before it answered", TASKS[t]);
			return -1;
		}
		if (now_ms() > deadline) {
			tasks[t].stuck = 1;
			snprintf(why, whylen, "no answer from task %s within %d ms (blocked?)", TASKS[t], REPLY_TIMEOUT_MS);
			return -1;
		}
	}
}

/* The value of a step's "$name" as the step's task needs it; -1 with why when it has none. */
static int resolve(const struct step *s, const struct var *x, long *out, char *why, size_t whylen)
{
	if (x->how == V_SAVED) {
		if (!saved_set[x->which]) {
			snprintf(why, whylen, "no value saved as '%s' (a save whose step failed saves nothing)", SAVED[x->which]);
			return -1;
		}
		*out = saved[x->which];
		return 0;
	}
	const struct task_state *t = &tasks[x->which];
	if (!t->started) {
		snprintf(why, whylen, "no task %s", TASKS[x->which]);
		return -1;
	}
	int level = x->how == V_PID ? tasks[s->task].nlevels - 1 : 0;
	/* a task the caller's pid namespace cannot see has no pid there */
	*out = level < t->nlevels ? t->nspid[level] : INT_MAX;
	return 0;
}

/* Task t's pid as the sandbox's /proc names it. (Not inlined: gcc -O2 would otherwise warn about
 * tasks[] bounds on paths a scenario with one task never takes.) */
static __attribute__((noinline)) long proc_pid(int t)
{
	return tasks[t].nspid[0];
}

/* Which task has this pid in task t's pid namespace. */
static int task_of_pid(int t, long pid)
{
	int level = tasks[t].nlevels - 1;
	for (int i = 0; i < NTASKS; i++)
		if (tasks[i].started && level < tasks[i].nlevels && tasks[i].nspid[level] == pid)
			return i;
	return -1;
}

/* The nsfs handle of /proc/<pid>/ns/<type> of task t, looked up by the hub. */
static int task_ns(int t, const char *type, struct nsfs_handle *fh)
{
	char path[96];
	int mnt = -1;
	snprintf(path, sizeof path, "/proc/%ld/ns/%s", tasks[t].nspid[0], type);
	memset(fh, 0, sizeof *fh);
	fh->bytes = HANDLE_BYTES;
	return (int)syscall(SYS_name_to_handle_at, AT_FDCWD, path, fh, &mnt, AT_SYMLINK_FOLLOW);
}

static unsigned long long handle_id(const struct nsfs_handle *fh) { uint64_t id; memcpy(&id, fh->h, 8); return id; }
static unsigned handle_type(const struct nsfs_handle *fh) { uint32_t t; memcpy(&t, fh->h + 8, 4); return t; }

/* Is the namespace alive: open_by_handle_at succeeds while it is, ESTALE once it is freed. User and
 * pid namespaces are freed asynchronously, so for them (by the type the handle says) a live answer
 * is asked again for up to ASYNC_DEATH_MS. 1, 0, or -errno. */
static int ns_alive(struct ns_name *n)
{
	int async = n->type == CLONE_NEWUSER || n->type == CLONE_NEWPID;
	long deadline = now_ms() + ASYNC_DEATH_MS;
	for (;;) {
		int fd = (int)syscall(SYS_open_by_handle_at, FD_NSFS_ROOT, &n->fh, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errno == ESTALE ? 0 : -errno;
		close(fd);
		if (!async || now_ms() >= deadline)
			return 1;
		sleep_ms(5);
	}
}

static void name_ns(struct ns_name *n, const struct nsfs_handle *fh)
{
	n->set = 1;
	n->skip[0] = 0;
	n->fh = *fh;
	n->id = handle_id(fh);
	n->type = handle_type(fh);
}

/* Probe once, on task A's net namespace: does this kernel give nsfs handles, and open them by
 * FD_NSFS_ROOT? (The hub has no pid, hence no /proc/self, in the sandbox's proc.) */
static void probe_handles(void)
{
	struct nsfs_handle fh;
	if (task_ns(0, "net", &fh) < 0) {
		snprintf(no_handles, sizeof no_handles, "no nsfs file handles here (name_to_handle_at: %s)", errno_name(errno));
		snprintf(no_alive, sizeof no_alive, "%s", no_handles);
		return;
	}
	if (fh.type != FILEID_NSFS || fh.bytes < 16) {
		snprintf(no_handles, sizeof no_handles, "no nsfs file handles here (handle type 0x%x)", (unsigned)fh.type);
		snprintf(no_alive, sizeof no_alive, "%s", no_handles);
		return;
	}
	int fd = (int)syscall(SYS_open_by_handle_at, FD_NSFS_ROOT, &fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		snprintf(no_alive, sizeof no_alive, "nsfs handles cannot be opened here (open_by_handle_at: %s)", errno_name(errno));
	else
		close(fd);
}

/* The observation, as procns prints and compares it. */
struct seen {
	int err;                /* 0: it returned ret */
	long ret;
	char retname[32];       /* a task's name, for fork, clone, wait, getpid */
	int has_mode;
	char mode[16];
	int has_text;
	char text[MAX_TEXT + 32];
	int ndents;
	int alive, same;        /* -1: not observed */
};

static void add(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *why, size_t len, const char *fmt, ...)
{
	size_t n = strlen(why);
	if (n >= len - 1)
		return;
	if (n)
		n += (size_t)snprintf(why + n, len - n, "; ");
	va_list ap;
	va_start(ap, fmt);
	if (n < len)
		vsnprintf(why + n, len - n, fmt, ap);
	va_end(ap);
}

static const char *got(const struct seen *o, char *buf, size_t len)
{
	if (o->err)
		return errno_name(o->err);
	snprintf(buf, len, "ret %ld", o->ret);
	return buf;
}

/* ["a","b"], or [1,2] for numbers (unquoted), as the messages of procns run print a list. */
static void list_text(char *buf, size_t len, const char *const *v, int n, int quoted)
{
	size_t o = (size_t)snprintf(buf, len, "[");
	for (int i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, quoted ? "%s\"%s\"" : "%s%s", i ? "," : "", v[i]);
	if (o < len)
		snprintf(buf + o, len - o, "]");
}

static void compare_list(char *why, size_t len, const char *what, const char *const *want, int nwant, const char *const *have, int nhave, int quoted)
{
	int same = nwant == nhave;
	for (int i = 0; same && i < nwant; i++)
		same = !strcmp(want[i], have[i]);
	if (same)
		return;
	char a[1024], b[1024];
	list_text(a, sizeof a, want, nwant, quoted);
	list_text(b, sizeof b, have, nhave, quoted);
	add(why, len, "expected %s %s, got %s", what, a, b);
}

/* The differences between an expectation and an observation (scenarios/runner.ts, compare). */
static void compare(const struct expect *e, const struct seen *o, const struct result *r, char *why, size_t len)
{
	char g[32];
	if (e->err && (!o->err || strcmp(e->err, errno_name(o->err))))
		add(why, len, "expected %s, got %s", e->err, got(o, g, sizeof g));
	if (e->has_ret && (o->err || o->ret != e->ret))
		add(why, len, "expected ret %ld, got %s", e->ret, got(o, g, sizeof g));
	if (e->ret_name && (o->err || strcmp(e->ret_name, o->retname)))
		add(why, len, "expected ret %s, got %s", e->ret_name, o->err ? errno_name(o->err) : o->retname[0] ? o->retname : got(o, g, sizeof g));
	if (e->ok && o->err)
		add(why, len, "expected success, got %s", errno_name(o->err));
	if (e->mode && (!o->has_mode || strcmp(e->mode, o->mode)))
		add(why, len, "expected mode %s, got %s", e->mode, o->has_mode ? o->mode : "none");
	if (e->text && (!o->has_text || strcmp(e->text, o->text)))
		add(why, len, "expected text \"%s\", got \"%s\"", e->text, o->has_text ? o->text : "");
	if (e->text_match) {
		regex_t re;
		if (regcomp(&re, e->text_match, REG_EXTENDED | REG_NOSUB) != 0)
			add(why, len, "bad pattern /%s/", e->text_match);
		else {
			if (!o->has_text || regexec(&re, o->text, 0, NULL, 0) != 0)
				add(why, len, "expected text matching /%s/, got \"%s\"", e->text_match, o->has_text ? o->text : "");
			regfree(&re);
		}
	}
	const char *names[MAX_DENTS], *types[MAX_DENTS], *offs[MAX_DENTS], *reclens[MAX_DENTS];
	char numbers[2][MAX_DENTS][24];
	for (int i = 0; i < r->ndents; i++) {
		names[i] = r->dents[i].name;
		types[i] = dtype_name(r->dents[i].type);
		snprintf(numbers[0][i], sizeof numbers[0][i], "%lld", r->dents[i].off);
		snprintf(numbers[1][i], sizeof numbers[1][i], "%u", r->dents[i].reclen);
		offs[i] = numbers[0][i];
		reclens[i] = numbers[1][i];
	}
	if (e->names)
		compare_list(why, len, "names", e->names, e->nnames, names, o->ndents, 1);
	if (e->types)
		compare_list(why, len, "types", e->types, e->ntypes, types, o->ndents, 1);
	if (e->offs)
		compare_list(why, len, "offs", e->offs, e->noffs, offs, o->ndents, 0);
	if (e->reclens)
		compare_list(why, len, "reclens", e->reclens, e->nreclens, reclens, o->ndents, 0);
	if (e->alive != ANY && o->alive != (e->alive == YES))
		add(why, len, "expected alive=%s, got alive=%s", e->alive == YES ? "true" : "false", o->alive < 0 ? "none" : o->alive ? "true" : "false");
	if (e->same != ANY && o->same != (e->same == YES))
		add(why, len, "expected same=%s, got same=%s", e->same == YES ? "true" : "false", o->same < 0 ? "none" : o->same ? "true" : "false");
}

/* A syscall's result, named as a procns trace names it (scenarios/vocabulary.ts, observeResult). */
static void name_result(const struct step *s, const struct result *r, struct seen *o)
{
	o->err = r->ret < 0 ? (r->err ? r->err : EPROTO) : 0;
	o->ret = r->ret;
	if (o->err)
		return;
	if (s->ret == R_TASK && s->child)
		snprintf(o->retname, sizeof o->retname, "%s", TASKS[s->child]);
	if ((s->ret == R_REAPED || s->ret == R_PID) && r->ret > 0) {
		int t = s->ret == R_PID ? s->task : task_of_pid(s->task, r->ret);
		snprintf(o->retname, sizeof o->retname, "%s", t >= 0 ? TASKS[t] : "?");
	}
	if (r->has_stat) {
		o->has_mode = 1;
		snprintf(o->mode, sizeof o->mode, "0%o", r->mode);
		ino_symbol(INO_STAT, r->dev, r->ino);
	}
	if (r->has_text) {
		o->has_text = 1;
		/* "net:[4026531840]" as "net:[ino#1]", for a readlink (a count); gethostname as it is */
		char type[32];
		unsigned long long ino;
		char end;
		if (s->ret == R_COUNT && sscanf(r->text, "%31[a-z_]:[%llu%c", type, &ino, &end) == 3 && end == ']'
		    && !strchr(strchr(r->text, ']') + 1, ']') && strchr(r->text, ']')[1] == 0)
			snprintf(o->text, sizeof o->text, "%s:[ino#%d]", type, ino_symbol(INO_NS, 0, ino));
		else
			snprintf(o->text, sizeof o->text, "%s", r->text);
	}
	o->ndents = r->ndents;
	for (int i = 0; i < r->ndents; i++)
		ino_symbol(INO_DIRENT, 0, r->dents[i].ino);
}

static int failures;

static void tap(int n, const struct step *s, const struct seen *o, const char *why, const char *skip)
{
	if (why[0]) {
		failures++;
		printf("not ok %d - %s: %s\n", n, s->title, why);
	} else {
		char val[MAX_TEXT + 64] = "";
		if (skip && s->kind != K_CALL)
			;  /* nothing was observed (a skipped call, an @-check) */
		else if (o->alive >= 0)
			snprintf(val, sizeof val, " = %s", o->alive ? "alive" : "dead");
		else if (o->same >= 0)
			snprintf(val, sizeof val, " = %s", o->same ? "same" : "not same");
		else if (o->err)
			snprintf(val, sizeof val, " = %s", errno_name(o->err));
		else if (o->retname[0])
			snprintf(val, sizeof val, " = %s", o->retname);
		else if (o->has_text)
			snprintf(val, sizeof val, " = %ld \"%s\"", o->ret, o->text);
		else if (s->kind != K_SKIP)
			snprintf(val, sizeof val, " = %ld", o->ret);
		printf("ok %d - %s%s%s%s\n", n, s->title, val, skip ? " # SKIP " : "", skip ? skip : "");
	}
	fflush(stdout);
}

/* Send step n to its task and read the result; -1 with why when the task cannot answer. */
static int on_task(int n, const struct step *s, const long *v, struct result *r, char *why, size_t len)
{
	struct task_state *t = &tasks[s->task];
	if (!t->started || t->gone || t->stuck) {
		snprintf(why, len, "task %s is %s", TASKS[s->task], t->stuck ? "stuck in an earlier step" : t->started ? "gone" : "not running");
		return -1;
	}
	struct command c = { .step = n };
	memcpy(c.v, v, sizeof c.v);
	if (write_full(CMD_W(s->task), &c, sizeof c) < 0) {
		snprintf(why, len, "task %s: its channel broke", TASKS[s->task]);
		return -1;
	}
	return await_result(s->task, r, why, len);
}

/* A new task's hello: its pids. */
static int hello(int t, char *why, size_t len)
{
	struct result r;
	if (await_result(t, &r, why, len) < 0)
		return -1;
	tasks[t].started = 1;
	tasks[t].nlevels = r.nlevels;
	memcpy(tasks[t].nspid, r.nspid, sizeof r.nspid);
	return 0;
}

/* Why an @-check cannot be made on this kernel (no nsfs handles, or none that open), or NULL. A
 * check that would name a namespace leaves the reason on the name, for the checks that read it. */
static const char *check_skipped(const struct step *s, struct ns_name *nm)
{
	int names_it = s->kind == K_NS || s->kind == K_FDNS;
	if (no_handles[0]) {
		if (names_it)
			snprintf(nm->skip, sizeof nm->skip, "%s", no_handles);
		return no_handles;
	}
	if (!names_it && !nm->set && nm->skip[0])
		return nm->skip;
	return s->kind == K_ALIVE && no_alive[0] ? no_alive : NULL;
}

/* Does the namespace a check reads have a name (an earlier @ns or @fdns that worked)? */
static int check_named(const struct step *s, const struct ns_name *nm, char *why, size_t len)
{
	if (s->kind == K_NS || s->kind == K_FDNS || nm->set)
		return 1;
	snprintf(why, len, "no namespace named '%s'", NAMES[s->ns]);
	return 0;
}

static void run_hub_step(int n, const struct step *s)
{
	struct result r;
	struct seen o;
	char why[2048] = "";
	const char *skip = s->skip;
	long v[MAX_VARS] = { 0 };
	memset(&r, 0, sizeof r);
	memset(&o, 0, sizeof o);
	o.alive = o.same = -1;
	for (int i = 0; i < s->nvars; i++)
		if (resolve(s, &s->vars[i], &v[i], why, sizeof why) < 0) {
			tap(n, s, &o, why, NULL);
			return;
		}
	struct ns_name *nm = &names[s->ns];
	struct nsfs_handle fh;
	if (s->kind >= K_NS && ((skip = check_skipped(s, nm)) || !check_named(s, nm, why, sizeof why)))
		goto report;
	switch (s->kind) {
	case K_SKIP:
		tap(n, s, &o, why, skip);
		return;
	case K_CALL: case K_FORK: case K_WAIT:
		if (on_task(n, s, v, &r, why, sizeof why) < 0)
			break;
		name_result(s, &r, &o);
		if (s->kind == K_FORK && r.ret > 0 && hello(s->child, why, sizeof why) < 0)
			break;
		if (s->kind == K_WAIT && r.ret > 0) {
			int t = task_of_pid(s->task, r.ret);
			if (t >= 0)
				tasks[t].gone = 1;
		}
		if (s->save != NO_SAVE && r.ret >= 0) {
			/* a pipe's two ends; a new task's pid, as /proc names it; else the return value */
			saved[s->save] = s->ret == R_FDS ? r.fds[0] : s->ret == R_TASK ? proc_pid(s->child) : r.ret;
			saved_set[s->save] = 1;
			if (s->ret == R_FDS) {
				saved[s->save + 1] = r.fds[1];
				saved_set[s->save + 1] = 1;
			}
		}
		break;
	case K_EXIT: {
		struct task_state *t = &tasks[s->task];
		struct command c = { .step = n };
		memcpy(c.v, v, sizeof c.v);
		if (!t->started || t->gone || t->stuck) {
			snprintf(why, sizeof why, "task %s is %s", TASKS[s->task], t->stuck ? "stuck in an earlier step" : t->started ? "gone" : "not running");
			break;
		}
		if (write_full(CMD_W(s->task), &c, sizeof c) < 0) {
			snprintf(why, sizeof why, "task %s: its channel broke", TASKS[s->task]);
			break;
		}
		/* it has exited once the kernel has finished do_exit: a zombie, or gone */
		long deadline = now_ms() + REPLY_TIMEOUT_MS;
		while (!task_dead(s->task) && now_ms() < deadline)
			sleep_ms(1);
		if (!task_dead(s->task))
			snprintf(why, sizeof why, "task %s did not exit within %d ms", TASKS[s->task], REPLY_TIMEOUT_MS);
		t->gone = 1;
		o.ret = 0;
		break;
	}
	case K_NS: case K_SAME:
		if (!tasks[s->task].started) {
			o.err = ESRCH;
		} else if (task_ns(s->task, s->nstype, &fh) < 0) {
			o.err = errno;
		} else if (fh.type != FILEID_NSFS) {
			o.err = EINVAL;
		}
		if (s->kind == K_NS) {
			if (!o.err)
				name_ns(nm, &fh);
			break;
		}
		/* a task with no such namespace (exited, reaped) is in none */
		if (o.err == ENOENT || o.err == ESRCH)
			o.err = 0, o.same = 0;
		else if (!o.err)
			o.same = handle_id(&fh) == nm->id;
		break;
	case K_FDNS: case K_FDIS:
		if (tasks[s->task].gone) {
			o.err = EBADF;
			break;
		}
		if (on_task(n, s, v, &r, why, sizeof why) < 0)
			break;
		if (r.ret < 0)
			o.err = r.err;
		else if (r.htype != FILEID_NSFS || r.hbytes < 16)
			o.err = EINVAL;  /* not a namespace file */
		if (o.err)
			break;
		memset(&fh, 0, sizeof fh);
		fh.bytes = r.hbytes;
		fh.type = r.htype;
		memcpy(fh.h, r.handle, r.hbytes);
		if (s->kind == K_FDNS)
			name_ns(nm, &fh);
		else
			o.same = handle_id(&fh) == nm->id;
		break;
	case K_ALIVE: {
		int a = ns_alive(nm);
		if (a < 0)
			o.err = -a;
		else
			o.alive = a;
		break;
	}
	}
report:
	if (!why[0] && !skip)
		compare(&s->e, &o, &r, why, sizeof why);
	if (!why[0] && !skip && s->e.oops)
		skip = "the expected oops is not visible from user space";
	tap(n, s, &o, why, skip);
}

/* A fd moved to `to` (the top of the table), its first number closed. */
static int move_fd(int fd, int to)
{
	if (dup2(fd, to) < 0)
		return -1;
	close(fd);
	return 0;
}

int main(void)
{
	static char missing[256];
	int hub[2];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("1..0 # SKIP not root: the sandbox needs CAP_SYS_ADMIN\n");
		return KSFT_SKIP;
	}
	struct rlimit rl;
	chan_top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1024 ? (int)rl.rlim_cur : 1024;
	if (chan_top < 4 * NTASKS + 64) {
		printf("1..0 # SKIP RLIMIT_NOFILE too low for %d tasks\n", NTASKS);
		return KSFT_SKIP;
	}
	if (pipe(hub) < 0 || move_fd(hub[0], chan_top - 4 * NTASKS - 1) < 0 || move_fd(hub[1], chan_top - 4 * NTASKS - 2) < 0) {
		printf("1..0 # SKIP pipe: %s\n", strerror(errno));
		return KSFT_SKIP;
	}
	hub[0] = chan_top - 4 * NTASKS - 1;
	hub[1] = chan_top - 4 * NTASKS - 2;
	for (int i = 0; i < NTASKS; i++) {
		int c[2], r[2];
		if (pipe(c) < 0 || pipe(r) < 0 || move_fd(c[0], CMD_R(i)) < 0 || move_fd(c[1], CMD_W(i)) < 0
		    || move_fd(r[0], RES_R(i)) < 0 || move_fd(r[1], RES_W(i)) < 0) {
			printf("1..0 # SKIP pipe: %s\n", strerror(errno));
			return KSFT_SKIP;
		}
	}
	if (procns_sandbox_enter(missing, sizeof missing) < 0) {
		printf("1..0 # SKIP %s\n", procns_sandbox_error);
		return KSFT_SKIP;
	}
	fflush(stdout);
	pid_t a = fork();
	if (a < 0) {
		printf("1..0 # SKIP fork: %s\n", strerror(errno));
		return KSFT_SKIP;
	}
	if (a == 0) {
		/* task A: pid 1 of the sandbox; the hub's ends of the channels are not its */
		close(hub[1]);
		if (procns_sandbox_init(hub[0]) < 0) {
			fprintf(stderr, "%s\n", procns_sandbox_error);
			_exit(KSFT_SKIP);
		}
		close(hub[0]);
		for (int i = 0; i < NTASKS; i++) {
			close(CMD_W(i));
			close(RES_R(i));
		}
		/* a task's fds are its steps' only, as in the emulator, where init starts with none */
		close(0);
		close(1);
		close(2);
		task_main(TASK_A);
	}
	close(hub[0]);
	for (int i = 0; i < NTASKS; i++) {
		close(CMD_R(i));
		close(RES_W(i));
	}
	tasks[0].hub_pid = a;
	char why[256] = "";
	if (hello(0, why, sizeof why) < 0) {
		printf("1..0 # SKIP task A did not start: %s\n", why);
		kill(a, SIGKILL);
		waitpid(a, NULL, 0);
		return KSFT_SKIP;
	}
	probe_handles();
	printf("1..%d\n", NSTEPS);
	if (missing[0])
		printf("# the sandbox does without what this implementation lacks: %s\n", missing);
	for (int n = 1; n <= NSTEPS; n++)
		run_hub_step(n, &STEPS[n]);
	/* A is pid 1 of the sandbox: its death ends every task */
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	printf("# %d of %d not ok\n", failures, NSTEPS);
	return failures ? KSFT_FAIL : KSFT_PASS;
}
