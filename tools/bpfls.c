// SPDX-License-Identifier: GPL-2.0
/*
 * bpfls: list the loaded BPF programs, links and maps, one line each, for
 * tests that check "nothing of ours left attached" where bpftool is not
 * installed (the qemu guests under tests/vm/ carry only static binaries):
 *
 *   prog <id> <type> <name>
 *   link <id> prog <prog-id> <link-type>
 *   map <id> <type> <name>
 *
 *   bpfls [prog|link|map]     all three kinds by default
 *
 * Walks the kernel's id spaces with BPF_{PROG,LINK,MAP}_GET_NEXT_ID and asks
 * each object's info by fd.  Needs CAP_SYS_ADMIN (the kernel's rule for ids).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static const char *str_or_num(const char *s, unsigned int n)
{
	static char buf[16];

	if (s)
		return s;
	snprintf(buf, sizeof(buf), "%u", n);
	return buf;
}

/* One kind of object: walk its ids, ask each one's info by fd, print it.
 * An object that goes away between the two calls is skipped. */
struct kind {
	int (*next_id)(__u32 start, __u32 *next);
	int (*fd_by_id)(__u32 id);
	void (*print)(__u32 id, int fd);
};

static int list(const struct kind *k)
{
	__u32 id = 0;

	while (!k->next_id(id, &id)) {
		int fd = k->fd_by_id(id);

		if (fd < 0) {
			if (errno == ENOENT)
				continue;	/* gone meanwhile */
			return -errno;
		}
		k->print(id, fd);
		close(fd);
		if (errno && errno != ENOENT)
			return -errno;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* info of @fd into @info; on failure errno is set for list() */
static bool info_of(int fd, void *info, __u32 len)
{
	errno = 0;
	return !bpf_obj_get_info_by_fd(fd, info, &len);
}

static void print_prog(__u32 id, int fd)
{
	struct bpf_prog_info info = {};

	if (info_of(fd, &info, sizeof(info)))
		printf("prog %u %s %s\n", id,
		       str_or_num(libbpf_bpf_prog_type_str(info.type), info.type),
		       info.name[0] ? info.name : "-");
}

static void print_link(__u32 id, int fd)
{
	struct bpf_link_info info = {};

	if (info_of(fd, &info, sizeof(info)))
		printf("link %u prog %u %s\n", id, info.prog_id,
		       str_or_num(libbpf_bpf_link_type_str(info.type), info.type));
}

static void print_map(__u32 id, int fd)
{
	struct bpf_map_info info = {};

	if (info_of(fd, &info, sizeof(info)))
		printf("map %u %s %s\n", id,
		       str_or_num(libbpf_bpf_map_type_str(info.type), info.type),
		       info.name[0] ? info.name : "-");
}

static const struct kind progs_kind = { bpf_prog_get_next_id, bpf_prog_get_fd_by_id, print_prog };
static const struct kind links_kind = { bpf_link_get_next_id, bpf_link_get_fd_by_id, print_link };
static const struct kind maps_kind = { bpf_map_get_next_id, bpf_map_get_fd_by_id, print_map };

int main(int argc, char **argv)
{
	bool progs = true, links = true, maps = true;
	int err;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "prog") && strcmp(argv[1], "link") &&
			 strcmp(argv[1], "map"))) {
		fprintf(stderr, "usage: bpfls [prog|link|map]\n");
		return 2;
	}
	if (argc == 2) {
		progs = !strcmp(argv[1], "prog");
		links = !strcmp(argv[1], "link");
		maps = !strcmp(argv[1], "map");
	}
	err = progs ? list(&progs_kind) : 0;
	if (err) {
		fprintf(stderr, "bpfls: cannot list BPF programs: %s\n", strerror(-err));
		return 1;
	}
	err = links ? list(&links_kind) : 0;
	if (err) {
		fprintf(stderr, "bpfls: cannot list BPF links: %s\n", strerror(-err));
		return 1;
	}
	err = maps ? list(&maps_kind) : 0;
	if (err) {
		fprintf(stderr, "bpfls: cannot list BPF maps: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
