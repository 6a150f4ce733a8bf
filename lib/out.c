/* out.c: list output: TSV for pipes, an aligned table with a header on a
 * terminal, IDs only (-q), or JSON Lines (-j); -o picks the columns. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st.h"

struct st_out {
	int mode, tty;
	const struct st_col **cols;
	size_t ncols;
	char **cells;	/* table mode: rows * ncols */
	size_t nrows, cap;
};

int
st_out_json(json_t *obj)
{
	/* 0.001 cpu steps: 10 digits print 1.35, not 1.3500000000000001 */
	if (json_dumpf(obj, stdout, JSON_COMPACT | JSON_REAL_PRECISION(10)) < 0 || putchar('\n') == EOF)
		return st_flush();
	return ST_OK;
}

static int
pick(struct st_out *o, const struct st_col *all, size_t nall, const char *list)
{
	char *copy = st_strdup(list), *s, *save = NULL;
	size_t i;

	for (s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nall && strcmp(all[i].name, s) != 0; i++)
			;
		if (i == nall) {
			char cols[1024] = "";

			for (i = 0; i < nall; i++)
				snprintf(cols + strlen(cols), sizeof cols - strlen(cols), "%s%s", i ? "," : "", all[i].name);
			st_fail(ST_USAGE, "unknown column '%s' (columns: %s)", st_q(s), cols);
			free(copy);
			return -1;
		}
		o->cols = st_realloc(o->cols, (o->ncols + 1) * sizeof *o->cols);
		o->cols[o->ncols++] = &all[i];
	}
	free(copy);
	if (o->ncols == 0) {
		st_fail(ST_USAGE, "no columns in -o");
		return -1;
	}
	return 0;
}

struct st_out *
st_out_new(int mode, const struct st_col *all, size_t nall, const char *defcols, const char *cols)
{
	struct st_out *o = st_malloc(sizeof *o);

	memset(o, 0, sizeof *o);
	o->mode = mode;
	o->tty = isatty(1);
	if (pick(o, all, nall, cols ? cols : defcols) < 0) {
		free(o->cols);
		free(o);
		return NULL;
	}
	return o;
}

static char *
cell(const struct st_col *c, json_t *obj)
{
	json_t *v = json_object_get(obj, c->key);
	char buf[32], *s, *p;
	const char *k;
	json_t *x;
	size_t n = 0;

	if (v == NULL || json_is_null(v))
		return st_strdup("-");
	switch (c->kind) {
	case ST_COL_SIZE:
		st_fmt_size((int64_t)json_integer_value(v), buf);
		return st_strdup(buf);
	case ST_COL_CPU:
		st_fmt_cpu((int64_t)(json_number_value(v) * 1000 + 0.5), buf);
		return st_strdup(buf);
	case ST_COL_INT:
		return st_asprintf("%lld", (long long)json_integer_value(v));
	case ST_COL_KV:
		if (json_is_array(v)) {
			/* a list of strings, comma-joined */
			size_t i;
			s = st_strdup("");
			json_array_foreach(v, i, x) {
				p = st_asprintf("%s%s%s", s, i ? "," : "", json_is_string(x) ? json_string_value(x) : "?");
				free(s);
				s = p;
			}
			if (*s == '\0') {
				free(s);
				return st_strdup("-");
			}
			return s;
		}
		s = st_strdup("");
		json_object_foreach(v, k, x) {
			p = st_asprintf("%s%s%s=%s", s, n++ ? "," : "", k, json_string_value(x));
			free(s);
			s = p;
		}
		if (n == 0) {
			free(s);
			return st_strdup("-");
		}
		return s;
	}
	if (json_is_string(v))
		s = st_strdup(json_string_value(v));
	else
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	/* TSV: a value never holds the separators */
	for (p = s; *p; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
	return s;
}

int
st_out_row(struct st_out *o, json_t *obj)
{
	size_t i;
	char *c;

	if (o->mode == 'j')
		return st_out_json(obj);
	if (o->mode == 'q') {
		if (printf("%s\n", json_string_value(json_object_get(obj, "id"))) < 0)
			return st_flush();
		return ST_OK;
	}
	if (!o->tty) {
		for (i = 0; i < o->ncols; i++) {
			c = cell(o->cols[i], obj);
			printf("%s%s", i ? "\t" : "", c);
			free(c);
		}
		if (putchar('\n') == EOF)
			return st_flush();
		return ST_OK;
	}
	if (o->nrows * o->ncols + o->ncols > o->cap) {
		o->cap = (o->cap + o->ncols) * 2;
		o->cells = st_realloc(o->cells, o->cap * sizeof *o->cells);
	}
	for (i = 0; i < o->ncols; i++)
		o->cells[o->nrows * o->ncols + i] = cell(o->cols[i], obj);
	o->nrows++;
	return ST_OK;
}

int
st_out_end(struct st_out *o)
{
	size_t i, r, *w;
	int rc;

	if (o->mode == 't' && o->tty) {
		w = st_malloc(o->ncols * sizeof *w);
		for (i = 0; i < o->ncols; i++) {
			w[i] = strlen(o->cols[i]->name);
			for (r = 0; r < o->nrows; r++)
				if (strlen(o->cells[r * o->ncols + i]) > w[i])
					w[i] = strlen(o->cells[r * o->ncols + i]);
		}
		for (i = 0; i < o->ncols; i++) {
			char up[64];
			size_t j;

			for (j = 0; j < sizeof up - 1 && o->cols[i]->name[j]; j++)
				up[j] = (char)(o->cols[i]->name[j] >= 'a' && o->cols[i]->name[j] <= 'z' ? o->cols[i]->name[j] - 32 : o->cols[i]->name[j]);
			up[j] = '\0';
			printf("%-*s%s", i + 1 < o->ncols ? (int)w[i] : 0, up, i + 1 < o->ncols ? "  " : "\n");
		}
		for (r = 0; r < o->nrows; r++)
			for (i = 0; i < o->ncols; i++) {
				printf("%-*s%s", i + 1 < o->ncols ? (int)w[i] : 0, o->cells[r * o->ncols + i], i + 1 < o->ncols ? "  " : "\n");
				free(o->cells[r * o->ncols + i]);
			}
		free(w);
	}
	rc = st_flush();
	free(o->cells);
	free(o->cols);
	free(o);
	return rc;
}

static void
ls_usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: %s [-jq] [-o col,...] [--state FILE]\n", st_prog);
	exit(code);
}

static int
ls_row(json_t *obj, void *ctx)
{
	return st_out_row(ctx, obj);
}

int
st_ls_main(int argc, char **argv, const struct st_col *cols, size_t ncols, const char *defcols, st_each_fn *each)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' }, ST_COMMON_LONGOPTS, { 0 } };
	struct st_db db;
	struct st_out *o;
	const char *ocols = NULL;
	int c, rc, mode = 't';

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "hjo:q", lo, NULL)) != -1) {
		switch (c) {
		case 'j':
		case 'q':
			mode = c;
			break;
		case 'o':
			ocols = optarg;
			break;
		default:
			st_common_opt(c, optarg, ls_usage);
		}
	}
	if (optind != argc)
		ls_usage(ST_USAGE);
	if ((o = st_out_new(mode, cols, ncols, defcols, ocols)) == NULL)
		return ST_USAGE;
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	rc = each(&db, ls_row, o);
	rc = ST_MAX(rc, st_out_end(o));
	st_db_close(&db);
	return rc;
}
