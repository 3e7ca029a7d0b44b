/*
 * procns sandbox: what every root program procns runs on a real kernel does first, so that a
 * scenario can never touch the host (its paths, mounts, hostname, network or processes) and an
 * interrupt at any moment leaves nothing behind.
 *
 * Self-contained (libc and kernel headers only): procns-helper.c includes it, and
 * `procns export --as c` copies its text into the C program it writes.
 *
 *   hub:  procns_sandbox_enter()   one CPU; new mount, uts, ipc, net, cgroup and pid namespaces; a fresh
 *                                  tmpfs as the root (pivot_root), with /proc /tmp /run /mnt /dev
 *                                  in it and the host's tree detached; dies with its parent.
 *         fork()                   the child is pid 1 of the new pid namespace: task A, the
 *                                  scenario's init, as in the emulator
 *   A:    procns_sandbox_init()    dies with the hub; mounts a proc that shows only the sandbox
 *
 * Why each part:
 *   - the pivot onto a tmpfs: mknod, mkdir, unlink, rmdir, open(O_CREAT) and bind mounts can
 *     only reach files of the sandbox, and a path with ".." stops at the sandbox's root;
 *   - the pid namespace with its own proc: /proc/<pid> names only sandbox tasks, so a scenario
 *     cannot setns into /proc/1/ns/mnt of the host; when its init (A) dies, the kernel kills
 *     every task in it (zap_pid_ns_processes), so no helper outlives the run;
 *   - PR_SET_PDEATHSIG at each level: the recorder (or the program's parent) dying, for any
 *     reason, SIGKILLs the hub, which SIGKILLs A, which ends the namespace;
 *   - the uts, ipc, net and cgroup namespaces: sethostname, SysV IPC and sockets act on the
 *     sandbox's own; they are the scenario's "initial" namespaces, and the hub's nsproxy holds
 *     them, so they never die while the run lasts, as the kernel's init_*_ns never do.
 * Nothing is created outside the new namespaces: no FIFO, no directory, no mount on the host.
 *
 * What an implementation lacks is left out and named in *missing, rather than failing: the
 * cgroup, net or ipc namespace; "propagation" (gVisor refuses MS_PRIVATE on / with EINVAL: it has
 * no shared mounts to propagate to); "pivot_root" (gVisor again: the tmpfs is moved over / and
 * chrooted into instead, so every path still resolves inside it; the host tree stays mounted
 * underneath, out of reach of any path a scenario can write).
 */
#ifndef PROCNS_SANDBOX_H
#define PROCNS_SANDBOX_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* Where the step that failed is written (one line, for the caller's error message). */
static char procns_sandbox_error[160];

static int procns_sandbox_fail(const char *what)
{
	int e = errno;
	snprintf(procns_sandbox_error, sizeof procns_sandbox_error, "sandbox: %s: %s", what, strerror(e));
	return -e;
}

/* Name one more thing this implementation lacks in the comma list *missing. */
static void procns_sandbox_missing(char *missing, size_t missing_len, const char *what)
{
	if (!missing || !missing_len) return;
	size_t n = strlen(missing);
	snprintf(missing + n, missing_len - n, "%s%s", n ? "," : "", what);
}

/*
 * The hub, before it forks task A. 0, or -errno with procns_sandbox_error set. The namespaces
 * an implementation lacks (gVisor has no cgroup namespace) are left out one at a time, and
 * named in *missing (a comma list, may be NULL); mount, uts and pid are required.
 */
static int procns_sandbox_enter(char *missing, size_t missing_len)
{
	static const struct { int flag; const char *name; } optional[] = {
		{ CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWNET, "net" }, { CLONE_NEWIPC, "ipc" },
	};
	int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;
	const char *root = "/tmp";  /* a directory to mount the new root's tmpfs on (in our mount ns only) */

	if (missing && missing_len) missing[0] = 0;
	/*
	 * One CPU for the whole run (every task inherits it). Linux 6.18 hands out namespace ids in
	 * per-CPU batches, and mnt_ns_loop compares them to tell an older mount namespace from a
	 * newer one: across two CPUs a newer namespace can get the smaller id, and binding a child's
	 * /proc/<pid>/ns/mnt then fails with EINVAL about half the time (measured: 20 of 40 runs on two
	 * CPUs, 0 of 20 pinned). On one CPU ids follow creation order, as the seq they replaced did.
	 */
	cpu_set_t cpus;
	if (sched_getaffinity(0, sizeof cpus, &cpus) == 0) {
		for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
			if (!CPU_ISSET(cpu, &cpus)) continue;
			CPU_ZERO(&cpus);
			CPU_SET(cpu, &cpus);
			sched_setaffinity(0, sizeof cpus, &cpus);
			break;
		}
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) return procns_sandbox_fail("prctl(PR_SET_PDEATHSIG)");
	if (getppid() == 1) { errno = ESRCH; return procns_sandbox_fail("parent already gone"); }
	for (size_t i = 0;; i++) {
		if (unshare(flags) == 0) break;
		if (errno != EINVAL || i == sizeof optional / sizeof optional[0])
			return procns_sandbox_fail("unshare");
		flags &= ~optional[i].flag;
		procns_sandbox_missing(missing, missing_len, optional[i].name);
	}
	/* nothing we mount may propagate back to the host's mount namespace */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		if (errno != EINVAL) return procns_sandbox_fail("make / private");
		procns_sandbox_missing(missing, missing_len, "propagation");
	}
	if (mount("procns", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64m") < 0)
		return procns_sandbox_fail("tmpfs for the new root");
	static const char *dirs[] = { "proc", "tmp", "run", "mnt", "dev", "old" };
	char p[64];
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", root, dirs[i]);
		if (mkdir(p, 0755) < 0) return procns_sandbox_fail("mkdir in the new root");
	}
	if (chmod("/tmp/tmp", 01777) < 0) return procns_sandbox_fail("chmod /tmp");
	/* /dev/null, the one device a program's stdio may need */
	snprintf(p, sizeof p, "%s/dev/null", root);
	int fd = open(p, O_CREAT | O_WRONLY, 0666);
	if (fd < 0) return procns_sandbox_fail("create /dev/null");
	close(fd);
	if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0) return procns_sandbox_fail("bind /dev/null");
	if (chdir(root) < 0) return procns_sandbox_fail("chdir to the new root");
	if (syscall(SYS_pivot_root, ".", "old") == 0) {
		if (chdir("/") < 0) return procns_sandbox_fail("chdir /");
		/* the host's tree leaves this mount namespace */
		if (umount2("/old", MNT_DETACH) < 0) return procns_sandbox_fail("detach the old root");
		if (rmdir("/old") < 0) return procns_sandbox_fail("rmdir /old");
	} else {
		/* an implementation without pivot_root (gVisor): move the tmpfs over / and chroot into
		 * it; the host's tree stays mounted underneath, out of reach of every path */
		if (errno != EINVAL && errno != ENOSYS) return procns_sandbox_fail("pivot_root");
		procns_sandbox_missing(missing, missing_len, "pivot_root");
		if (rmdir("old") < 0) return procns_sandbox_fail("rmdir old");
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0 && errno != EINVAL) return procns_sandbox_fail("move the new root over /");
		if (chroot(".") < 0) return procns_sandbox_fail("chroot");
		if (chdir("/") < 0) return procns_sandbox_fail("chdir /");
	}
	if (sethostname("procns", 6) < 0) return procns_sandbox_fail("sethostname");
	return 0;
}

/*
 * Task A, first thing after the hub's fork (pid 1 of the sandbox's pid namespace, so getppid()
 * is 0 and cannot tell whether the hub still lives). hub_fd: the read end of a pipe whose write
 * end only the hub holds; a hangup on it means the hub died before PR_SET_PDEATHSIG was set.
 */
static int procns_sandbox_init(int hub_fd)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) return procns_sandbox_fail("prctl(PR_SET_PDEATHSIG)");
	struct pollfd pfd = { .fd = hub_fd, .events = POLLIN };
	if (poll(&pfd, 1, 0) != 0) { errno = ESRCH; return procns_sandbox_fail("hub already gone"); }
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return procns_sandbox_fail("mount /proc");
	return 0;
}

#endif
