// SPDX-License-Identifier: MIT
// Issue 20: can ONE fstat() tell a dma-buf fd and its size?
//
// Claim: every dma-buf file is an inode of the kernel's single internal "dmabuf" pseudo
// filesystem (drivers/dma-buf/dma-buf.c: dma_buf_getfile -> alloc_anon_inode(dma_buf_mnt->mnt_sb),
// inode->i_size = size), so
//   - st_dev is one value for every dma-buf, whatever the exporter, and no other fd has it;
//   - st_size == lseek(fd, 0, SEEK_END) == the buffer's (allocated) size;
//   - fstatfs f_type == DMA_BUF_MAGIC exactly for the fds with that st_dev;
//   - st_ino is distinct per dma-buf (and equal for two fds of the same dma-buf).
// Also shows the O_PATH alias hole: open("/proc/self/fd/N", O_PATH) of a dma-buf has the
// dma-buf st_dev and f_type but is not a dma-buf (lseek gives EBADF; F_GETFL has O_PATH).
//
// Standalone (no hbm, no libdrm linkage: raw DRM ioctls from the libdrm headers):
//   gcc -O2 -Wall -I/usr/include/libdrm -o /tmp/dma_buf_stat tests/lab/dma_buf_stat.c
//   flock /tmp/hbm-lab.lock tests/lab/run.sh -- /path/to/dma_buf_stat
// Exits 1 if any claim fails, 2 if (under HBM_LAB=1) an expected exporter is missing.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/magic.h>
#include <linux/udmabuf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>

#ifndef DMA_BUF_MAGIC
#define DMA_BUF_MAGIC 0x444d4142
#endif

struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};
#define SW_SYNC_IOC_CREATE_FENCE _IOWR('W', 0, struct sw_sync_create_fence_data)

enum kind { DMABUF, OTHER, OPATH_ALIAS };

struct entry {
	char name[72];
	enum kind kind;
	int fd;
	uint64_t requested;  // 0: n/a
	int64_t expect_size; // -1: n/a
	int same_as;         // index of an earlier entry naming the same dma-buf, or -1
	struct stat st;
	struct statfs sfs;
	int stat_errno, statfs_errno;
	off_t seek_end;
	int seek_errno;
	int fl;
};

#define MAX_ENTRIES 128
static struct entry entries[MAX_ENTRIES];
static int n_entries;
static int failures;
static const long page = 4096;

static int add(enum kind kind, int fd, uint64_t requested, int64_t expect, int same_as, const char *fmt, ...)
{
	if (n_entries == MAX_ENTRIES || fd < 0)
		return -1;
	struct entry *e = &entries[n_entries];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->name, sizeof e->name, fmt, ap);
	va_end(ap);
	e->kind = kind;
	e->fd = fd;
	e->requested = requested;
	e->expect_size = expect;
	e->same_as = same_as;
	return n_entries++;
}

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	failures++;
}

static int64_t page_align(uint64_t n)
{
	return (int64_t)((n + page - 1) & ~(uint64_t)(page - 1));
}

// ---- exporters -----------------------------------------------------------------------

static int heaps_found, heap_bufs;

/// The next node of directory @dir (opened as @d) that @want takes, opened with @flags
/// (close-on-exec): its fd, with its path in @path and its name in @name; -1 at the end.
static int next_node(DIR *d, const char *dir, int (*want)(const char *), int flags, char *path, size_t size,
		     const char **name)
{
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!want(de->d_name))
			continue;
		snprintf(path, size, "%s/%s", dir, de->d_name);
		int fd = open(path, flags | O_CLOEXEC);
		if (fd < 0) {
			printf("note: open %s: %s\n", path, strerror(errno));
			continue;
		}
		*name = de->d_name;
		return fd;
	}
	return -1;
}

static DIR *open_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		printf("note: no %s (%s)\n", dir, strerror(errno));
	return d;
}

static int any_node(const char *name)
{
	return name[0] != '.';
}

static int drm_node(const char *name)
{
	return strncmp(name, "card", 4) == 0 || strncmp(name, "renderD", 7) == 0;
}

static void heap_buffers(void)
{
	DIR *d = open_dir("/dev/dma_heap");
	if (!d)
		return;
	char path[300];
	const char *name;
	int hfd;
	while ((hfd = next_node(d, "/dev/dma_heap", any_node, O_RDONLY, path, sizeof path, &name)) >= 0) {
		heaps_found++;
		add(OTHER, hfd, 0, -1, -1, "heap device %s", name);
		static const uint64_t sizes[] = {4096, 4097, 65536, (1 << 20) + 4096, 4 << 20};
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			struct dma_heap_allocation_data a = {.len = sizes[i], .fd_flags = O_RDWR | O_CLOEXEC};
			if (ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, &a) < 0) {
				fail("heap %s alloc %" PRIu64 ": %s", name, sizes[i], strerror(errno));
				continue;
			}
			add(DMABUF, a.fd, sizes[i], page_align(sizes[i]), -1, "heap %s %" PRIu64, name, sizes[i]);
			heap_bufs++;
		}
		// A read-only dma-buf is a dma-buf too.
		struct dma_heap_allocation_data a = {.len = 8192, .fd_flags = O_RDONLY | O_CLOEXEC};
		if (ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, &a) == 0)
			add(DMABUF, a.fd, 8192, 8192, -1, "heap %s 8192 O_RDONLY", name);
	}
	closedir(d);
}

static int udmabuf_bufs;

static int sealed_memfd(size_t size, const char *name)
{
	int m = memfd_create(name, MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (m < 0)
		return -1;
	if (ftruncate(m, (off_t)size) < 0 || fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		close(m);
		return -1;
	}
	return m;
}

static void udmabuf_buffers(void)
{
	int u = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (u < 0) {
		printf("note: no /dev/udmabuf (%s)\n", strerror(errno));
		return;
	}
	add(OTHER, u, 0, -1, -1, "/dev/udmabuf device");
	static const size_t sizes[] = {4096, (1 << 20) + 4096, 3 << 20};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		int m = sealed_memfd(sizes[i], "udmabuf-backing");
		if (m < 0) {
			fail("memfd %zu: %s", sizes[i], strerror(errno));
			continue;
		}
		add(OTHER, m, sizes[i], -1, -1, "memfd (udmabuf backing) %zu", sizes[i]);
		struct udmabuf_create c = {.memfd = (__u32)m, .flags = UDMABUF_FLAGS_CLOEXEC, .offset = 0, .size = sizes[i]};
		int fd = ioctl(u, UDMABUF_CREATE, &c);
		if (fd < 0) {
			fail("UDMABUF_CREATE %zu: %s", sizes[i], strerror(errno));
			continue;
		}
		add(DMABUF, fd, sizes[i], (int64_t)sizes[i], -1, "udmabuf %zu", sizes[i]);
		udmabuf_bufs++;
	}
	// Two discontiguous ranges of one memfd: the dma-buf's size is their sum, not the memfd's.
	int m = sealed_memfd(5 * page, "udmabuf-list");
	if (m >= 0) {
		struct {
			struct udmabuf_create_list h;
			struct udmabuf_create_item it[2];
		} l = {.h = {.flags = UDMABUF_FLAGS_CLOEXEC, .count = 2},
		       .it = {{.memfd = (__u32)m, .offset = 0, .size = page}, {.memfd = (__u32)m, .offset = 3 * page, .size = 2 * page}}};
		int fd = ioctl(u, UDMABUF_CREATE_LIST, &l);
		if (fd < 0)
			fail("UDMABUF_CREATE_LIST: %s", strerror(errno));
		else {
			add(DMABUF, fd, 3 * page, 3 * page, -1, "udmabuf list 4K@0+8K@12K of 20K memfd");
			udmabuf_bufs++;
		}
		close(m);
	}
}

static char drm_drivers[256];

static void drm_buffers(int first_heap_buf)
{
	DIR *d = open_dir("/dev/dri");
	if (!d)
		return;
	char path[300];
	const char *name;
	int fd;
	while ((fd = next_node(d, "/dev/dri", drm_node, O_RDWR, path, sizeof path, &name)) >= 0) {
		char drv[64] = "";
		struct drm_version v = {.name = drv, .name_len = sizeof drv - 1};
		if (ioctl(fd, DRM_IOCTL_VERSION, &v) < 0)
			snprintf(drv, sizeof drv, "?");
		add(OTHER, fd, 0, -1, -1, "%s (%s) device node", path, drv);
		if (strncmp(name, "card", 4) != 0)
			continue;
		static const struct {
			unsigned w, h, bpp;
		} dims[] = {{64, 64, 32}, {33, 7, 32}, {640, 480, 32}};
		int exported = 0;
		for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
			struct drm_mode_create_dumb c = {.width = dims[i].w, .height = dims[i].h, .bpp = dims[i].bpp};
			if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c) < 0) {
				printf("note: %s (%s) CREATE_DUMB %ux%u: %s\n", path, drv, dims[i].w, dims[i].h, strerror(errno));
				break;
			}
			struct drm_prime_handle p = {.handle = c.handle, .flags = DRM_CLOEXEC | DRM_RDWR};
			if (ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p) < 0) {
				printf("note: %s (%s) PRIME_HANDLE_TO_FD: %s\n", path, drv, strerror(errno));
				break;
			}
			uint64_t req = (uint64_t)c.pitch * c.height;
			int idx = add(DMABUF, p.fd, req, (int64_t)c.size, -1, "%s dumb %ux%u pitch %u", drv, dims[i].w, dims[i].h, c.pitch);
			exported++;
			if (i == 0) {
				// Exporting the same GEM object again gives another fd of the same dma-buf.
				struct drm_prime_handle p2 = {.handle = c.handle, .flags = DRM_CLOEXEC | DRM_RDWR};
				if (ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p2) == 0)
					add(DMABUF, p2.fd, req, (int64_t)c.size, idx, "%s dumb 64x64 re-export", drv);
			}
		}
		if (exported) {
			size_t len = strlen(drm_drivers);
			snprintf(drm_drivers + len, sizeof drm_drivers - len, " %s ", drv);
		}
		// Import a heap dma-buf, export the handle again: the kernel hands back the original.
		if (exported && first_heap_buf >= 0) {
			struct drm_prime_handle in = {.fd = entries[first_heap_buf].fd};
			if (ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &in) == 0) {
				struct drm_prime_handle out = {.handle = in.handle, .flags = DRM_CLOEXEC | DRM_RDWR};
				if (ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &out) == 0)
					add(DMABUF, out.fd, entries[first_heap_buf].requested, entries[first_heap_buf].expect_size,
					    first_heap_buf, "heap buf imported to %s, re-exported", drv);
			} else
				printf("note: %s (%s) import of a heap buffer: %s\n", path, drv, strerror(errno));
		}
	}
	closedir(d);
}

// ---- non-dma-buf fds -----------------------------------------------------------------

static void other_fds(int a_dmabuf)
{
	int m = memfd_create("plain-memfd", MFD_CLOEXEC);
	if (m >= 0 && ftruncate(m, 1 << 20) == 0)
		add(OTHER, m, 1 << 20, -1, -1, "memfd 1 MiB");
	char tmpl[] = "/tmp/dma_buf_stat.XXXXXX";
	int t = mkstemp(tmpl);
	if (t >= 0) {
		unlink(tmpl);
		if (ftruncate(t, 8192) == 0)
			add(OTHER, t, 8192, -1, -1, "regular file on /tmp (tmpfs)");
	}
	char tmpl2[] = "dma_buf_stat.XXXXXX"; // the run directory (9p share in the lab)
	int r = mkstemp(tmpl2);
	if (r >= 0) {
		unlink(tmpl2);
		if (write(r, "x", 1) == 1)
			add(OTHER, r, 1, -1, -1, "regular file in cwd");
	}
	add(OTHER, open("/proc/self/exe", O_RDONLY | O_CLOEXEC), 0, -1, -1, "regular file /proc/self/exe");
	int p[2];
	if (pipe2(p, O_CLOEXEC) == 0) {
		add(OTHER, p[0], 0, -1, -1, "pipe read end");
		add(OTHER, p[1], 0, -1, -1, "pipe write end");
	}
	int s[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) == 0) {
		add(OTHER, s[0], 0, -1, -1, "unix socket");
		// An fd passed through SCM_RIGHTS is the same open file.
		if (a_dmabuf >= 0) {
			char byte = 0, ctl[CMSG_SPACE(sizeof(int))];
			struct iovec iov = {&byte, 1};
			struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
			struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &entries[a_dmabuf].fd, sizeof(int));
			if (sendmsg(s[1], &msg, 0) == 1 && recvmsg(s[0], &msg, MSG_CMSG_CLOEXEC) == 1) {
				int got;
				memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
				add(DMABUF, got, entries[a_dmabuf].requested, entries[a_dmabuf].expect_size, a_dmabuf,
				    "%s via SCM_RIGHTS", entries[a_dmabuf].name);
			}
		}
	}
	add(OTHER, eventfd(0, EFD_CLOEXEC), 0, -1, -1, "eventfd (anon_inode)");
	add(OTHER, (int)syscall(SYS_pidfd_open, getpid(), 0), 0, -1, -1, "pidfd");
	add(OTHER, open("/dev/null", O_RDWR | O_CLOEXEC), 0, -1, -1, "/dev/null");
	add(OTHER, open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0, -1, -1, "directory /");
	if (a_dmabuf >= 0) {
		struct dma_buf_export_sync_file x = {.flags = DMA_BUF_SYNC_READ, .fd = -1};
		if (ioctl(entries[a_dmabuf].fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &x) == 0)
			add(OTHER, x.fd, 0, -1, -1, "sync_file (DMA_BUF_IOCTL_EXPORT_SYNC_FILE)");
		else
			printf("note: DMA_BUF_IOCTL_EXPORT_SYNC_FILE: %s\n", strerror(errno));
	}
	int sw = open("/sys/kernel/debug/sync/sw_sync", O_RDWR | O_CLOEXEC);
	if (sw >= 0) {
		struct sw_sync_create_fence_data f = {.value = 1, .name = "stat"};
		if (ioctl(sw, SW_SYNC_IOC_CREATE_FENCE, &f) == 0)
			add(OTHER, f.fence, 0, -1, -1, "sync_file (sw_sync)");
		add(OTHER, sw, 0, -1, -1, "sw_sync timeline (debugfs)");
	}
	if (a_dmabuf >= 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", entries[a_dmabuf].fd);
		// Reopening a dma-buf by its magic link is refused (no i_fop: no_open -> ENXIO) ...
		int re = open(path, O_RDWR | O_CLOEXEC);
		printf("reopen %s O_RDWR: %s\n", path, re < 0 ? strerror(errno) : "SUCCEEDED (unexpected)");
		if (re >= 0) {
			fail("a dma-buf could be reopened through /proc/self/fd");
			close(re);
		}
		// ... but an O_PATH open of it works, and stats like the dma-buf.
		add(OPATH_ALIAS, open(path, O_PATH | O_CLOEXEC), entries[a_dmabuf].requested, entries[a_dmabuf].expect_size,
		    a_dmabuf, "O_PATH of /proc/self/fd/N (%s)", entries[a_dmabuf].name);
	}
}

// ---- main ----------------------------------------------------------------------------

static const char *ftype_name(long t)
{
	switch ((unsigned long)t) {
	case DMA_BUF_MAGIC: return "DMA_BUF";
	case ANON_INODE_FS_MAGIC: return "ANON_INODE";
	case TMPFS_MAGIC: return "TMPFS";
	case PIPEFS_MAGIC: return "PIPEFS";
	case SOCKFS_MAGIC: return "SOCKFS";
	case 0x01021997: return "V9FS";
	case 0xef53: return "EXT4";
	case PROC_SUPER_MAGIC: return "PROC";
	case 0x50494446: return "PIDFS";
	default: return "";
	}
}

static const char *ifmt(mode_t m)
{
	switch (m & S_IFMT) {
	case 0: return "none";
	case S_IFREG: return "REG";
	case S_IFDIR: return "DIR";
	case S_IFCHR: return "CHR";
	case S_IFIFO: return "FIFO";
	case S_IFSOCK: return "SOCK";
	case S_IFLNK: return "LNK";
	case S_IFBLK: return "BLK";
	default: return "?";
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	FILE *v = fopen("/proc/version", "r");
	char ver[256] = "";
	if (v && fgets(ver, sizeof ver, v))
		printf("%s", ver);
	if (v)
		fclose(v);

	heap_buffers();
	int first_heap = -1, first_dmabuf;
	for (int i = 0; i < n_entries; i++)
		if (entries[i].kind == DMABUF) {
			first_heap = i;
			break;
		}
	udmabuf_buffers();
	drm_buffers(first_heap);
	first_dmabuf = -1;
	for (int i = 0; i < n_entries; i++)
		if (entries[i].kind == DMABUF) {
			first_dmabuf = i;
			break;
		}
	other_fds(first_dmabuf);

	for (int i = 0; i < n_entries; i++) {
		struct entry *e = &entries[i];
		e->stat_errno = fstat(e->fd, &e->st) < 0 ? errno : 0;
		e->statfs_errno = fstatfs(e->fd, &e->sfs) < 0 ? errno : 0;
		errno = 0;
		e->seek_end = lseek(e->fd, 0, SEEK_END);
		e->seek_errno = e->seek_end < 0 ? errno : 0;
		if (e->seek_end >= 0)
			lseek(e->fd, 0, SEEK_SET);
		e->fl = fcntl(e->fd, F_GETFL);
	}

	printf("\n%-46s %-5s %-7s %-8s %9s %-10s %-4s %6s %7s %-19s %10s %9s\n", "fd", "kind", "st_dev", "ino",
	       "st_size", "st_mode", "fmt", "blksz", "blocks", "f_type", "SEEK_END", "expect");
	for (int i = 0; i < n_entries; i++) {
		struct entry *e = &entries[i];
		char seek[24], ft[32], exp[24];
		if (e->seek_errno)
			snprintf(seek, sizeof seek, "%s", strerrorname_np(e->seek_errno));
		else
			snprintf(seek, sizeof seek, "%lld", (long long)e->seek_end);
		if (e->statfs_errno)
			snprintf(ft, sizeof ft, "%s", strerrorname_np(e->statfs_errno));
		else
			snprintf(ft, sizeof ft, "%08lx %s", (unsigned long)e->sfs.f_type, ftype_name(e->sfs.f_type));
		if (e->expect_size >= 0)
			snprintf(exp, sizeof exp, "%lld", (long long)e->expect_size);
		else
			snprintf(exp, sizeof exp, "-");
		if (e->stat_errno) {
			printf("%-46.46s fstat: %s\n", e->name, strerror(e->stat_errno));
			continue;
		}
		printf("%-46.46s %-5s %3u:%-3u %-8llu %9lld 0%-9o %-4s %6ld %7lld %-19s %10s %9s\n", e->name,
		       e->kind == DMABUF ? "dmab" : e->kind == OTHER ? "other" : "alias", major(e->st.st_dev),
		       minor(e->st.st_dev), (unsigned long long)e->st.st_ino, (long long)e->st.st_size,
		       (unsigned)e->st.st_mode, ifmt(e->st.st_mode), (long)e->st.st_blksize, (long long)e->st.st_blocks, ft,
		       seek, exp);
	}
	printf("\n");

	// ---- checks ----
	dev_t dmadev = 0;
	int have = 0, n_dmabuf = 0;
	for (int i = 0; i < n_entries; i++) {
		struct entry *e = &entries[i];
		if (e->stat_errno) {
			fail("%s: fstat: %s", e->name, strerror(e->stat_errno));
			continue;
		}
		if (e->kind != DMABUF)
			continue;
		n_dmabuf++;
		if (!have) {
			dmadev = e->st.st_dev;
			have = 1;
		} else if (e->st.st_dev != dmadev)
			fail("%s: st_dev %u:%u differs from the first dma-buf's %u:%u", e->name, major(e->st.st_dev),
			     minor(e->st.st_dev), major(dmadev), minor(dmadev));
		if (e->st.st_size != e->expect_size)
			fail("%s: st_size %lld != allocated size %lld", e->name, (long long)e->st.st_size,
			     (long long)e->expect_size);
		if (e->seek_errno || e->seek_end != e->st.st_size)
			fail("%s: lseek(SEEK_END) %lld (%s) != st_size %lld", e->name, (long long)e->seek_end,
			     e->seek_errno ? strerror(e->seek_errno) : "ok", (long long)e->st.st_size);
		if ((e->st.st_mode & S_IFMT) != 0)
			fail("%s: S_IFMT is %o, expected 0 (alloc_anon_inode)", e->name, (unsigned)(e->st.st_mode & S_IFMT));
		if (e->st.st_blksize != page)
			fail("%s: st_blksize %ld", e->name, (long)e->st.st_blksize);
		if (e->st.st_blocks * 512 != e->st.st_size)
			fail("%s: st_blocks*512 %lld != st_size", e->name, (long long)e->st.st_blocks * 512);
	}
	if (n_dmabuf == 0)
		fail("no dma-buf could be made");
	else {
		printf("dma-buf st_dev = %u:%u (major 0 = anonymous superblock), %d dma-buf fds\n", major(dmadev),
		       minor(dmadev), n_dmabuf);
		if (major(dmadev) != 0)
			fail("dma-buf st_dev major is %u, expected 0", major(dmadev));
	}
	for (int i = 0; i < n_entries; i++) {
		struct entry *e = &entries[i];
		if (e->stat_errno)
			continue;
		int on_dmadev = have && e->st.st_dev == dmadev;
		if (e->kind == OTHER && on_dmadev)
			fail("%s (not a dma-buf) has the dma-buf st_dev", e->name);
		if (!e->statfs_errno && ((unsigned long)e->sfs.f_type == DMA_BUF_MAGIC) != on_dmadev)
			fail("%s: f_type %lx but st_dev %s the dma-buf's", e->name, (unsigned long)e->sfs.f_type,
			     on_dmadev ? "is" : "is not");
		if (e->kind == DMABUF && e->statfs_errno)
			fail("%s: fstatfs: %s", e->name, strerror(e->statfs_errno));
		if (e->kind == OPATH_ALIAS) {
			// Documented hole, not a claim failure: check that it is what we think it is.
			if (!on_dmadev)
				fail("%s: expected the dma-buf st_dev", e->name);
			if (e->st.st_ino != entries[e->same_as].st.st_ino || e->st.st_size != entries[e->same_as].st.st_size)
				fail("%s: expected the same ino/size as its dma-buf", e->name);
			if (e->seek_errno != EBADF)
				fail("%s: lseek expected EBADF, got %s", e->name, strerror(e->seek_errno));
			if (e->fl < 0 || !(e->fl & O_PATH))
				fail("%s: F_GETFL has no O_PATH", e->name);
		}
		if (e->kind == OTHER && (e->st.st_mode & S_IFMT) == 0)
			printf("note: non-dma-buf with S_IFMT 0: %s (f_type %lx)\n", e->name, (unsigned long)e->sfs.f_type);
	}
	// st_ino: distinct across distinct dma-bufs, equal for fds of the same one.
	for (int i = 0; i < n_entries; i++) {
		struct entry *a = &entries[i];
		if (a->kind != DMABUF || a->stat_errno)
			continue;
		int ra = a->same_as >= 0 ? a->same_as : i;
		for (int j = i + 1; j < n_entries; j++) {
			struct entry *b = &entries[j];
			if (b->kind != DMABUF || b->stat_errno)
				continue;
			int rb = b->same_as >= 0 ? b->same_as : j;
			int same_ino = a->st.st_ino == b->st.st_ino;
			if (ra == rb && !same_ino)
				fail("%s and %s are one dma-buf but st_ino %llu != %llu", a->name, b->name,
				     (unsigned long long)a->st.st_ino, (unsigned long long)b->st.st_ino);
			if (ra != rb && same_ino)
				fail("%s and %s are different dma-bufs with the same st_ino %llu", a->name, b->name,
				     (unsigned long long)a->st.st_ino);
		}
	}

	if (first_dmabuf >= 0) {
		// The owner may chmod a dma-buf (simple_setattr), but only the permission bits:
		// S_IFMT stays 0. So do not rely on st_mode == 0600 exactly.
		int fd = entries[first_dmabuf].fd;
		struct stat st;
		int r = fchmod(fd, 0644);
		int r2 = fstat(fd, &st);
		printf("fchmod(dma-buf, 0644): %s; st_mode now 0%o (S_IFMT %s)\n", r ? strerror(errno) : "ok",
		       r2 ? 0 : (unsigned)st.st_mode, ifmt(st.st_mode));
		if (r2 == 0 && (st.st_mode & S_IFMT) != 0)
			fail("S_IFMT of a dma-buf changed after fchmod");
		if (r == 0)
			fchmod(fd, 0600);

		// Rough cost per call (TCG guest: relative numbers only).
		enum { N = 20000 };
		struct timespec t0, t1;
		struct statfs sf;
		double ns[4];
		for (int k = 0; k < 4; k++) {
			clock_gettime(CLOCK_MONOTONIC, &t0);
			for (int i = 0; i < N; i++) {
				if (k == 0 || k == 3)
					fstat(fd, &st);
				if (k == 1 || k == 3)
					fstatfs(fd, &sf);
				if (k == 2 || k == 3)
					lseek(fd, 0, SEEK_END);
			}
			clock_gettime(CLOCK_MONOTONIC, &t1);
			ns[k] = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / N;
		}
		printf("cost per call on a dma-buf: fstat %.0f ns, fstatfs %.0f ns, lseek %.0f ns, all three %.0f ns\n",
		       ns[0], ns[1], ns[2], ns[3]);
	}

	int missing = 0;
	const char *lab = getenv("HBM_LAB");
	if (lab && strcmp(lab, "1") == 0) {
		const char *machine = getenv("HBM_LAB_MACHINE");
		if (heaps_found < 2 || heap_bufs == 0)
			printf("MISSING: expected the system and CMA heaps (found %d)\n", heaps_found), missing = 1;
		if (udmabuf_bufs == 0)
			printf("MISSING: udmabuf\n"), missing = 1;
		if (!strstr(drm_drivers, " vkms "))
			printf("MISSING: vkms export\n"), missing = 1;
		if (!strstr(drm_drivers, " vgem "))
			printf("MISSING: vgem export\n"), missing = 1;
		if (machine && strcmp(machine, "iommu") == 0 && !strstr(drm_drivers, " virtio_gpu "))
			printf("MISSING: virtio_gpu export\n"), missing = 1;
	}
	printf("DRM exporters:%s\n", drm_drivers);
	printf("%s: %d failure(s)%s\n", failures ? "FAILED" : "PASSED", failures, missing ? ", exporters missing" : "");
	return failures ? 1 : missing ? 2 : 0;
}
