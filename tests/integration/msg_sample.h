/*
 * msg_sample.h - a sample of every message type with every field set,
 * built from the protobuf descriptors so a new field is covered without
 * touching the tests.  Header-only: shared by unit and integration tests.
 */
#ifndef ORK_MSG_SAMPLE_H
#define ORK_MSG_SAMPLE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

/* Every MsgType the protocol defines (MSG_UNSPECIFIED excluded). */
static const Ork__MsgType sample_types[] = {
	ORK__MSG_TYPE__MSG_ERROR,
	ORK__MSG_TYPE__MSG_TRIGGER_RUN, ORK__MSG_TYPE__MSG_TRIGGER_RUN_REPLY,
	ORK__MSG_TYPE__MSG_CANCEL_RUN, ORK__MSG_TYPE__MSG_CANCEL_RUN_REPLY,
	ORK__MSG_TYPE__MSG_RETRY_RUN, ORK__MSG_TYPE__MSG_RETRY_RUN_REPLY,
	ORK__MSG_TYPE__MSG_BACKFILL_RUNS,
	ORK__MSG_TYPE__MSG_BACKFILL_RUNS_REPLY,
	ORK__MSG_TYPE__MSG_REGISTER_WORKER,
	ORK__MSG_TYPE__MSG_REGISTER_WORKER_REPLY,
	ORK__MSG_TYPE__MSG_LEASE_TASKS, ORK__MSG_TYPE__MSG_LEASE_TASKS_REPLY,
	ORK__MSG_TYPE__MSG_HEARTBEAT, ORK__MSG_TYPE__MSG_HEARTBEAT_REPLY,
	ORK__MSG_TYPE__MSG_REPORT_TASK, ORK__MSG_TYPE__MSG_REPORT_TASK_REPLY,
	ORK__MSG_TYPE__MSG_TASK_LOGS, ORK__MSG_TYPE__MSG_TASK_LOGS_REPLY,
	ORK__MSG_TYPE__MSG_PING, ORK__MSG_TYPE__MSG_PING_REPLY,
	ORK__MSG_TYPE__MSG_RUN_CHANGED, ORK__MSG_TYPE__MSG_TASK_CHANGED,
	ORK__MSG_TYPE__MSG_WORK_AVAILABLE, ORK__MSG_TYPE__MSG_CANCEL_TASK,
	ORK__MSG_TYPE__MSG_CHANGES,
};
#define SAMPLE_NTYPES (sizeof(sample_types) / sizeof(sample_types[0]))

/* How many elements a repeated field gets. */
#define SAMPLE_REPEAT 2

static void *sample_new(const ProtobufCMessageDescriptor *d);

/* sample_scalar sets one value of a field at p (element i). */
static void
sample_scalar(const ProtobufCFieldDescriptor *f, void *p, unsigned i)
{
	char text[128];

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		snprintf(text, sizeof(text), "%s-%u-\xc3\xa9", f->name, i);
		*(char **)p = strdup(text);
		break;
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p;

		b->len = 3 + i;
		b->data = malloc(b->len);
		memset(b->data, 0xa5, b->len);
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)p = 1;
		break;
	case PROTOBUF_C_TYPE_ENUM:
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_SINT32:
		*(int32_t *)p = 1 + (int32_t)i;	/* 1: a value every enum has */
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_SINT64:
		*(int64_t *)p = 1700000000123456LL + i;
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		*(void **)p = sample_new(f->descriptor);
		break;
	default:
		break;
	}
}

static size_t
sample_elem_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:	return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:	return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_BOOL:	return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_SINT64:	return 8;
	default:			return 4;
	}
}

/* sample_new allocates a message of descriptor d with every field set. */
static void *
sample_new(const ProtobufCMessageDescriptor *d)
{
	char *m = calloc(1, d->sizeof_message);

	protobuf_c_message_init(d, m);
	for (unsigned k = 0; k < d->n_fields; k++) {
		const ProtobufCFieldDescriptor *f = &d->fields[k];

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t	 es = sample_elem_size(f);
			char	*arr = calloc(SAMPLE_REPEAT, es);

			for (unsigned i = 0; i < SAMPLE_REPEAT; i++)
				sample_scalar(f, arr + i * es, i);
			*(size_t *)(void *)(m + f->quantifier_offset) =
			    SAMPLE_REPEAT;
			*(void **)(void *)(m + f->offset) = arr;
		} else {
			sample_scalar(f, m + f->offset, 0);
		}
	}
	return m;
}

/* sample_free releases what sample_new made. */
static void
sample_free(void *m)
{
	protobuf_c_message_free_unpacked(m, NULL);
}

/* sample_equal compares two messages by their packed bytes. */
static int
sample_equal(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t		 la = protobuf_c_message_get_packed_size(a);
	size_t		 lb = protobuf_c_message_get_packed_size(b);
	uint8_t		*pa, *pb;
	int		 eq;

	if (la != lb || a->descriptor != b->descriptor)
		return 0;
	pa = malloc(la + 1);
	pb = malloc(lb + 1);
	protobuf_c_message_pack(a, pa);
	protobuf_c_message_pack(b, pb);
	eq = memcmp(pa, pb, la) == 0;
	free(pa);
	free(pb);
	return eq;
}

#endif /* ORK_MSG_SAMPLE_H */
