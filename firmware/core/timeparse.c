#include "firmware/core/timeparse.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SPAN_S (10LL * 366 * 86400)

static int unit_seconds(char c)
{
	switch (c) {
	case 's': return 1;
	case 'm': return 60;
	case 'h': return 3600;
	case 'd': return 86400;
	default: return 0;
	}
}

int wx_parse_span(const char *s, int64_t *seconds)
{
	int64_t n = 0;
	int unit;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		n = n * 10 + (*s - '0');
		if (n > MAX_SPAN_S)
			return -EINVAL;
	}
	unit = unit_seconds(*s);
	if (!unit || s[1] != '\0')
		return -EINVAL;
	n *= unit;
	if (n > MAX_SPAN_S)
		return -EINVAL;
	*seconds = n;
	return 0;
}

/* Read exactly `digits` digits into *out. */
static bool fixed(const char **p, int digits, int *out)
{
	int v = 0;

	for (int i = 0; i < digits; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += digits;
	*out = v;
	return true;
}

static int days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

static int parse_iso(const char *s, int64_t *ts)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, sign = 0, offset = 0;
	const char *p = s;
	bool utc = false;
	time_t t;

	if (!fixed(&p, 4, &y) || *p++ != '-' || !fixed(&p, 2, &mo) || *p++ != '-' ||
	    !fixed(&p, 2, &d))
		return -EINVAL;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -EINVAL;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!fixed(&p, 2, &h) || *p++ != ':' || !fixed(&p, 2, &mi))
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (!fixed(&p, 2, &sec))
				return -EINVAL;
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -EINVAL;
	}
	if (*p == 'Z') {
		utc = true;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (!fixed(&p, 2, &oh))
			return -EINVAL;
		if (*p == ':')
			p++;
		if (!fixed(&p, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
		utc = true;
		offset = sign * (oh * 3600 + om * 60);
	}
	if (*p != '\0')
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ts = (int64_t)t - offset;
	return 0;
}

int wx_parse_when(const char *s, int64_t now, int64_t *ts)
{
	int64_t span;
	const char *p;

	if (strcmp(s, "now") == 0) {
		*ts = now;
		return 0;
	}
	if (s[0] == '-') {
		if (wx_parse_span(s + 1, &span))
			return -EINVAL;
		*ts = now - span;
		return 0;
	}
	for (p = s; isdigit((unsigned char)*p); p++)
		;
	if (*p == '\0' && p != s) {
		if (p - s > 12)
			return -EINVAL;
		*ts = strtoll(s, NULL, 10);
		return 0;
	}
	return parse_iso(s, ts);
}
