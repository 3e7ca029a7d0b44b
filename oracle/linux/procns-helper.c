/*
 * procns-helper: one process = one emulated task, driven over a line protocol.
 *
 * Build: gcc -O2 -Wall -Wextra -o procns-helper procns-helper.c
 *
 * Reads one command per line from its input fd (initially stdin), writes
 * exactly one reply line per command (written with a single write(2), no
 * stdio buffering):   ok <value...>   |   err <ERRNAME>
 * Malformed commands reply "err EPROTO".  EOF on input -> _exit(0).
 * "exit <code>" is the only command without a reply.
 *
 * Input is read with raw read(2) into a private buffer (not stdio), so data
 * buffered by a parent is never duplicated into a forked child (the child
 * discards the buffer and starts reading from its own FIFO).
 *
 * FIFO open order for fork/clone (cannot deadlock):
 *   child:    open(in_fifo, O_RDONLY)   then  open(out_fifo, O_WRONLY)
 *   recorder: open(in_fifo, O_WRONLY)   then  open(out_fifo, O_RDONLY)
 * Both sides open in_fifo first, so each blocking open pairs with the other
 * side's open of the same FIFO.  The recorder should do this after it has
 * read the parent's "ok <childpid>" reply (any time later is also fine: the
 * child simply blocks in open until then).
 */
#define _GNU_SOURCE
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
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

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
	{ "CLONE_SYSVSEM", CLONE_SYSVSEM },
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

static int in_fd = 0, out_fd = 1;
static char inbuf[MAX_LINE * 2];
static size_t inlen;

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
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
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
static long read_line(char *line)
{
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
		ssize_t r = read(in_fd, inbuf + inlen, sizeof inbuf - inlen);
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

static void serve(void) __attribute__((noreturn));

/* Child side of fork/clone.  share_files: fd table shared with the parent,
 * so we must not touch fds 0/1 and instead serve on the FIFO fds. */
static void child_setup(const char *inp, const char *outp, int share_files)
{
	inlen = 0; /* parent's buffered input is not ours */
	if (!share_files) {
		/* drop the parent's protocol fds (900+) right away so the
		 * recorder sees EOF on them only when the parent goes away */
		close(in_fd);
		close(out_fd);
	}
	int i = open(inp, O_RDONLY);   /* 1st: blocks until recorder opens for write */
	if (i < 0) {
		dprintf(2, "procns-helper child: open %s: %s\n", inp, strerror(errno));
		_exit(127);
	}
	int o = open(outp, O_WRONLY);  /* 2nd: blocks until recorder opens for read */
	if (o < 0) {
		dprintf(2, "procns-helper child: open %s: %s\n", outp, strerror(errno));
		_exit(127);
	}
	if (share_files) {
		in_fd = i;
		out_fd = o;
	} else {
		in_fd = fcntl(i, F_DUPFD, 900); close(i);
		out_fd = fcntl(o, F_DUPFD, 900); close(o);
	}
	serve();
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
		if (fd2 == in_fd || fd2 == out_fd) { /* would break the protocol */
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
		int isclone = c[0] == 'c';
		fl = 0;
		if (isclone) {
			NEED(4);
			if (parse_flags(argv[1], clone_flags, &fl)) goto proto;
		} else
			NEED(3);
		const char *inp = argv[1 + isclone], *outp = argv[2 + isclone];
		/* raw clone with a NULL stack = fork semantics (no CLONE_VM) */
		rc = syscall(SYS_clone, fl | SIGCHLD, 0UL, 0UL, 0UL, 0UL);
		if (rc < 0) { reply_err(errno); return; }
		if (rc == 0)
			child_setup(inp, outp, (fl & CLONE_FILES) != 0);
		reply("ok %ld", rc);
	} else if (!strcmp(c, "wait") || !strcmp(c, "waitnohang")) {
		int pid, status = 0, nohang = c[4] != 0;
		NEED(2);
		if (parse_int(argv[1], &pid)) goto proto;
		rc = syscall(SYS_wait4, pid, &status, nohang ? WNOHANG : 0, NULL);
		if (rc < 0) reply_err(errno);
		else if (nohang) reply("ok %ld %d", rc, status);
		else reply("ok %d", status);
	} else if (!strcmp(c, "exit")) {
		int code;
		NEED(2);
		if (parse_int(argv[1], &code)) goto proto;
		syscall(SYS_exit_group, code);
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

static void serve(void)
{
	static char line[MAX_LINE];
	for (;;) {
		long n = read_line(line);
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

int main(void)
{
	signal(SIGPIPE, SIG_IGN);  /* writes to a dead reader -> EPIPE -> exit */
	in_fd = fcntl(0, F_DUPFD, 900); out_fd = fcntl(1, F_DUPFD, 900);
	{ int e = fcntl(2, F_DUPFD, 900); dup2(e, 2); }
	close(0); close(1);
	signal(SIGCHLD, SIG_DFL);  /* keep zombies around until "wait" */
	serve();
}
