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
 * each object's info by fd.  An object that goes away between the two
 * calls is skipped.  Needs CAP_SYS_ADMIN (the kernel's rule for ids).
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

static int list_progs(void)
{
	__u32 id = 0;
	int err;

	while (!(err = bpf_prog_get_next_id(id, &id))) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0) {
			if (errno == ENOENT)
				continue;	/* unloaded meanwhile */
			return -errno;
		}
		err = bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
		if (err)
			return -errno;
		printf("prog %u %s %s\n", id,
		       str_or_num(libbpf_bpf_prog_type_str(info.type), info.type),
		       info.name[0] ? info.name : "-");
	}
	return errno == ENOENT ? 0 : -errno;
}

static int list_links(void)
{
	__u32 id = 0;
	int err;

	while (!(err = bpf_link_get_next_id(id, &id))) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		err = bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
		if (err)
			return -errno;
		printf("link %u prog %u %s\n", id, info.prog_id,
		       str_or_num(libbpf_bpf_link_type_str(info.type), info.type));
	}
	return errno == ENOENT ? 0 : -errno;
}

static int list_maps(void)
{
	__u32 id = 0;
	int err;

	while (!(err = bpf_map_get_next_id(id, &id))) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_map_get_fd_by_id(id);

		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		err = bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
		if (err)
			return -errno;
		printf("map %u %s %s\n", id,
		       str_or_num(libbpf_bpf_map_type_str(info.type), info.type),
		       info.name[0] ? info.name : "-");
	}
	return errno == ENOENT ? 0 : -errno;
}

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
	err = progs ? list_progs() : 0;
	if (err) {
		fprintf(stderr, "bpfls: cannot list BPF programs: %s\n", strerror(-err));
		return 1;
	}
	err = links ? list_links() : 0;
	if (err) {
		fprintf(stderr, "bpfls: cannot list BPF links: %s\n", strerror(-err));
		return 1;
	}
	err = maps ? list_maps() : 0;
	if (err) {
		fprintf(stderr, "bpfls: cannot list BPF maps: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
