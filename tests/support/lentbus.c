#include "tests/support/lentbus.h"

#include <stdlib.h>

static int lent_read(struct wx_regbus *b, uint8_t reg, uint8_t *buf, size_t len)
{
	struct wx_regbus *in = b->ctx;

	return in->read(in, reg, buf, len);
}

static int lent_write(struct wx_regbus *b, uint8_t reg, uint8_t val)
{
	struct wx_regbus *in = b->ctx;

	return in->write(in, reg, val);
}

static int lent_recv(struct wx_regbus *b, uint8_t *buf, size_t len)
{
	struct wx_regbus *in = b->ctx;

	return in->recv(in, buf, len);
}

static int lent_send(struct wx_regbus *b, const uint8_t *buf, size_t len)
{
	struct wx_regbus *in = b->ctx;

	return in->send(in, buf, len);
}

static void lent_delay(struct wx_regbus *b, unsigned us)
{
	struct wx_regbus *in = b->ctx;

	in->delay_us(in, us);
}

static void lent_close(struct wx_regbus *b)
{
	free(b);
}

struct wx_regbus *wx_test_lend(struct wx_regbus *inner)
{
	struct wx_regbus *b = calloc(1, sizeof(*b));

	if (!b)
		abort();
	*b = (struct wx_regbus){
		.where = inner->where,
		.read = inner->read ? lent_read : NULL,
		.write = inner->write ? lent_write : NULL,
		.recv = inner->recv ? lent_recv : NULL,
		.send = inner->send ? lent_send : NULL,
		.delay_us = inner->delay_us ? lent_delay : NULL,
		.close = lent_close,
		.ctx = inner,
	};
	return b;
}
