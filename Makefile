# Makefile: Stampede, a private cloud toolkit of small C commands.
# make [all] | check | install | uninstall | clean | lint | demo | asan

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/lib/stampede
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
SYSCONFDIR ?= /etc
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
ST_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Ilib \
	$(shell $(PKG_CONFIG) --cflags sqlite3 jansson)
# SQLite and jansson linked statically: a command's cost is mostly the
# dynamic loader, and st-ps must stay near /bin/true
# jansson's API is exported, so a driver module uses this one copy
ST_LIBS = -Wl,-Bstatic -lsqlite3 -ljansson -Wl,-Bdynamic -lm \
	-Wl,--export-dynamic-symbol=json_*

CMDS = $(patsubst %.c,%,$(wildcard bin/*.c))
MODS = $(patsubst %.c,%.so,$(wildcard mod/*.c))
# each module links its own client library: docker libcurl, libvirt libvirt
MOD_PKGS = $(if $(filter libvirt qcow2,$*),libvirt,libcurl) jansson
LIBSRC = $(wildcard lib/*.c)
LIBOBJ = $(patsubst %.c,%.o,$(filter-out lib/schema.c,$(LIBSRC))) lib/schema.o
UNIT = $(patsubst %.c,%,$(wildcard t/unit/*.c))
MAN1 = $(wildcard man/*.1)
MAN5 = $(wildcard man/*.5)
MAN7 = $(wildcard man/*.7)

all: $(CMDS) $(MODS)

# where installed commands find their driver modules; rewritten only when
# it changes, so `make install PREFIX=...` rebuilds what depends on it
lib/paths.h: FORCE
	@printf '#define ST_MODDIR "%s"\n' '$(LIBEXECDIR)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

lib/driver.o: lib/paths.h

mod/%.so: mod/%.c lib/driver.h
	$(CC) $(ST_CFLAGS) -fPIC $(shell $(PKG_CONFIG) --cflags $(MOD_PKGS)) $(CFLAGS) $(LDFLAGS) \
	    -shared -o $@.tmp $< $(shell $(PKG_CONFIG) --libs $(MOD_PKGS))
	mv -f $@.tmp $@
mod/qcow2.so: lib/voldrv.h

# schema.sql makes version 1; share/migrate-NN.sql takes N-1 to N
SCHEMA = share/schema.sql $(sort $(wildcard share/migrate-*.sql))
lib/schema.c: $(SCHEMA)
	{ echo '/* schema.c: generated from share/schema.sql and migrate-*.sql by make */'; \
	  echo 'const char *const st_migrations[] = {'; \
	  for f in $(SCHEMA); do \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $$f; echo ','; \
	  done; \
	  echo '};'; \
	  echo 'const int st_schema_version = $(words $(SCHEMA));'; } > $@

lib/%.o: lib/%.c lib/st.h
	$(CC) $(ST_CFLAGS) $(CFLAGS) -c -o $@ $<

lib/libst.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

# linked beside and renamed: a command running while make relinks it
# keeps its old file, never a half-written one
bin/%: bin/%.c lib/libst.a lib/st.h
	$(CC) $(ST_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@.tmp $< lib/libst.a $(ST_LIBS)
	mv -f $@.tmp $@

# the S3 commands (lib/s3.c, lib/backup.c) link libcurl and libcrypto;
# every other command stays free of them
S3_CMDS = bin/st-volume-backup bin/st-backup-ls bin/st-backup-verify \
	bin/st-backup-restore bin/st-backup-prune bin/st-backup-drill
$(S3_CMDS): ST_LIBS += $(shell $(PKG_CONFIG) --libs libcurl libcrypto) -pthread

t/unit/%: t/unit/%.c lib/libst.a lib/st.h
	$(CC) $(ST_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< lib/libst.a $(ST_LIBS)

deps:
	@sh share/install-deps --check-only >/dev/null 2>&1 || sh share/install-deps

check: all $(UNIT) deps
	@sh share/start-daemons
	prove $(PROVEFLAGS) t/*.t $(UNIT) </dev/null

# the unit tests again, under AddressSanitizer and UBSan
asan:
	$(MAKE) clean
	$(MAKE) CFLAGS='-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
	    LDFLAGS='-fsanitize=address,undefined' $(UNIT)
	prove $(UNIT) </dev/null

perf: all
	@for b in t/perf/*.sh; do sh $$b || exit 1; done

demo: all deps
	@sh share/start-daemons
	sh share/demo.sh

demo-clean: all
	sh share/demo.sh --clean

# cppcheck does not read system headers, so jansson.h is fed to it
# explicitly: without it json_object_foreach is an unknown macro and the
# files that use it go unchecked. out.c's header loop reads name[j] before
# testing j, harmlessly (names are short constants): suppressed by name.
# The driver modules in mod/ are checked with the rest.
lint:
	mandoc -Tlint -Wwarning $(MAN1) $(MAN5) $(MAN7)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr -D_GNU_SOURCE -Ilib \
	    --include=$(shell $(PKG_CONFIG) --variable=includedir jansson)/jansson.h \
	    --suppress=missingIncludeSystem --suppress=arrayIndexThenCheck:lib/out.c \
	    lib bin mod t/unit

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)/stampede/hooks
	install -m 755 $(CMDS) $(DESTDIR)$(BINDIR)
	install -d $(DESTDIR)$(LIBEXECDIR)
	$(if $(MODS),install -m 755 $(MODS) $(DESTDIR)$(LIBEXECDIR))
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1)
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5)
	$(if $(MAN7),install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7)
	install -m 644 $(SCHEMA) $(DESTDIR)$(DATADIR)/stampede
	install -m 755 share/install-deps share/start-daemons $(DESTDIR)$(DATADIR)/stampede
	for f in hooks/*.sample; do [ ! -e "$$f" ] || install -m 644 "$$f" $(DESTDIR)$(DATADIR)/stampede/hooks; done
	install -d $(DESTDIR)$(DATADIR)/stampede/contrib/hooks
	for f in contrib/hooks/*; do [ ! -f "$$f" ] || install -m 755 "$$f" $(DESTDIR)$(DATADIR)/stampede/contrib/hooks; done

uninstall:
	for c in $(notdir $(CMDS)); do rm -f $(DESTDIR)$(BINDIR)/$$c; done
	for m in $(notdir $(MAN1)); do rm -f $(DESTDIR)$(MANDIR)/man1/$$m; done
	for m in $(notdir $(MAN5)); do rm -f $(DESTDIR)$(MANDIR)/man5/$$m; done
	for m in $(notdir $(MAN7)); do rm -f $(DESTDIR)$(MANDIR)/man7/$$m; done
	rm -rf $(DESTDIR)$(DATADIR)/stampede $(DESTDIR)$(LIBEXECDIR)

clean:
	rm -f $(CMDS) $(MODS) $(UNIT) lib/*.o lib/libst.a lib/schema.c lib/paths.h bin/*.tmp mod/*.tmp

.PHONY: FORCE all check deps asan perf demo demo-clean lint install uninstall clean
.SECONDARY:
