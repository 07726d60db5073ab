// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin for make profile-insns: counts the guest instructions
 * each translation block runs, between two entries into a guest function.
 *
 *   -plugin insns-plugin.so,trigger=ADDR,out=PREFIX
 *
 * ADDR is the virtual address (hex) of a kernel function the guest enters on
 * purpose (scripts/bench.sh takes drop_caches_sysctl_handler from
 * System.map: a write to /proc/sys/vm/drop_caches, of 4 to drop nothing).
 * Its odd entries zero the counts; its even entries write them to PREFIX.1,
 * PREFIX.2, ...: one line per block that ran, "ADDR INSTRUCTIONS
 * EXECUTIONS", in hex and decimal. scripts/insns.lua gives the blocks their
 * functions.
 *
 * The counts are added inline by the translated code, with no lock: the
 * guest must run under -icount, where QEMU runs the vCPUs one at a time on
 * one thread. A block that an exception leaves halfway is counted whole.
 *
 * Debian ships no qemu-plugin.h, so the few functions of QEMU's plugin
 * interface (version 1, QEMU 7.2's) used here are declared as that header
 * declares them.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_info_t;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   void (*cb)(qemu_plugin_id_t id,
						      struct qemu_plugin_tb *tb));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  void (*cb)(unsigned int vcpu_index, void *userdata),
					  enum qemu_plugin_cb_flags flags, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One translation block: where, how many instructions, how often it ran. */
struct block {
	uint64_t vaddr;
	uint64_t insns;
	uint64_t runs;
	struct block *next;
};

static struct block *blocks;
static uint64_t trigger;
static unsigned int entries;
static const char *prefix = "insns";

static void dump(unsigned int n)
{
	char path[4096];
	struct block *b;
	FILE *f;

	snprintf(path, sizeof(path), "%s.%u", prefix, n);
	f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "insns-plugin: cannot write %s\n", path);
		return;
	}
	for (b = blocks; b != NULL; b = b->next)
		if (b->runs != 0)
			fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", b->vaddr, b->insns,
				b->runs);
	fclose(f);
}

/* The guest entered the trigger: start counting, or write what was counted. */
static void entered(unsigned int vcpu_index, void *userdata)
{
	struct block *b;

	entries++;
	if (entries % 2 == 0) {
		dump(entries / 2);
		return;
	}
	for (b = blocks; b != NULL; b = b->next)
		b->runs = 0;
}

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	struct block *b;

	if (vaddr == trigger) {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, entered, QEMU_PLUGIN_CB_NO_REGS, NULL);
		return;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return;
	b->vaddr = vaddr;
	b->insns = qemu_plugin_tb_n_insns(tb);
	/* Under -icount one thread translates and runs: no lock. */
	b->next = blocks;
	blocks = b;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->runs, 1);
}

__attribute__((visibility("default"))) int
qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "trigger=", 8) == 0)
			trigger = strtoull(argv[i] + 8, NULL, 16);
		else if (strncmp(argv[i], "out=", 4) == 0)
			prefix = strdup(argv[i] + 4);
		else
			fprintf(stderr, "insns-plugin: unknown argument %s\n", argv[i]);
	}
	if (trigger == 0) {
		fprintf(stderr, "insns-plugin: no trigger=ADDR\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	return 0;
}
