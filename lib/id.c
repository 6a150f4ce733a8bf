/* id.c: object types and their IDs, prefix + 12 lowercase hex digits
 * from getrandom(). */
#include <ctype.h>
#include <string.h>
#include <sys/random.h>

#include "st.h"

const struct st_typeinfo st_types[ST_NTYPES] = {
	[ST_HOST] = { 'h', "host", "hosts" },
	[ST_IMAGE] = { 'm', "image", "images" },
	[ST_INSTANCE] = { 'i', "instance", "instances" },
	[ST_VOLUME] = { 'v', "volume", "volumes" },
	[ST_SNAPSHOT] = { 's', "snapshot", "snapshots" },
	[ST_BACKUP] = { 'b', "backup", "backups" },
	[ST_NETWORK] = { 'n', "network", "networks" },
	[ST_SG] = { 'g', "security group", "sgs" },
	[ST_LB] = { 'l', "load balancer", "lbs" },
};

void
st_id_new(enum st_type t, char out[ST_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[6];
	size_t got = 0;
	ssize_t n;
	int i;

	while (got < sizeof r) {
		n = getrandom(r + got, sizeof r - got, 0);
		if (n < 0)
			st_die(ST_TEMP, "unable to read random bytes");
		got += (size_t)n;
	}
	out[0] = st_types[t].prefix;
	out[1] = '-';
	for (i = 0; i < 6; i++) {
		out[2 + 2 * i] = hex[r[i] >> 4];
		out[3 + 2 * i] = hex[r[i] & 15];
	}
	out[ST_ID_LEN] = '\0';
}

int
st_type_of_id(const char *id)
{
	int t;

	if (id[0] == '\0' || id[1] != '-')
		return -1;
	for (t = 0; t < ST_NTYPES; t++)
		if (st_types[t].prefix == id[0])
			return t;
	return -1;
}

/* "x-" followed by 1 to 12 lowercase hex digits, x a known prefix: such a
 * string could be taken for an ID, so no name may look like it */
int
st_id_shape(const char *s)
{
	size_t i, n = strlen(s);

	if (st_type_of_id(s) < 0 || n < 3 || n > ST_ID_LEN)
		return 0;
	for (i = 2; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}
