# SPDX-License-Identifier: GPL-2.0-or-later
#
# make install / make uninstall, laid out as a Debian package would:
#
#   make install PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu DESTDIR=/tmp/stage
#
# Every directory below can be set on the command line; DESTDIR is
# prepended to all of them. The configuration goes to SYSCONFDIR, which
# is /etc whatever PREFIX is.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

# libcdm.so.1.0.0, with libcdm.so.1 (its soname) and libcdm.so pointing to it
LIBCDM_MAJOR := $(firstword $(subst ., ,$(LIBCDM_VERSION)))
LIBCDM_REAL := libcdm.so.$(LIBCDM_VERSION)
CDM_CONF := $(SYSCONFDIR)/cdm/cdmd.conf
MAN1_PAGES := $(sort $(wildcard daemon/cdmctl/*.1))

# What install lays down but cdmd.conf itself (see install-config)
INSTALLED_FILES := $(addprefix $(LIBDIR)/,$(LIBCDM_REAL) libcdm.so.$(LIBCDM_MAJOR) libcdm.so \
	libcdm.a) $(INCLUDEDIR)/libcdm.h $(PKGCONFIGDIR)/libcdm.pc $(BINDIR)/cdmctl \
	$(SBINDIR)/cdmd $(addprefix $(MANDIR)/man1/,$(notdir $(MAN1_PAGES))) \
	$(MANDIR)/man5/cdmd.conf.5 $(MANDIR)/man8/cdmd.8 $(UNITDIR)/cdmd.service \
	$(UDEVRULESDIR)/90-cdm-cxl.rules $(CDM_CONF).example
INSTALLED_DIRS := $(sort $(dir $(INSTALLED_FILES)))

# The installed cdmctl and cdmd: linked by daemon/Makefile.inc's commands
# without the rpath of build/bin (Debian forbids rpaths; the installed
# libcdm is where ld.so looks), whenever the build/bin ones are.
$(BUILD)/install/cdmctl: $(BUILD)/bin/cdmctl
	$(call CDMCTL_LINK,)

$(BUILD)/install/cdmd: $(BUILD)/bin/cdmd
	$(call CDMD_LINK,)

# libdir and includedir relative to ${prefix} where they lie below it
pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

# The unit, the udev rule and libcdm.pc carry the directories: written at every install,
# as the directories may differ from the last one's.
install: $(LIBCDM_SO) $(BUILD)/lib/libcdm.a $(BUILD)/install/cdmctl $(BUILD)/install/cdmd \
		install-config
	install -D -m 0644 $(LIBCDM_SO) $(DESTDIR)$(LIBDIR)/$(LIBCDM_REAL)
	ln -sfn $(LIBCDM_REAL) $(DESTDIR)$(LIBDIR)/libcdm.so.$(LIBCDM_MAJOR)
	ln -sfn libcdm.so.$(LIBCDM_MAJOR) $(DESTDIR)$(LIBDIR)/libcdm.so
	install -D -m 0644 $(BUILD)/lib/libcdm.a $(DESTDIR)$(LIBDIR)/libcdm.a
	install -D -m 0644 lib/libcdm/libcdm.h $(DESTDIR)$(INCLUDEDIR)/libcdm.h
	@mkdir -p $(BUILD)/install
	sed -e 's|@prefix@|$(PREFIX)|' -e 's|@version@|$(LIBCDM_VERSION)|' \
		-e 's|^libdir=.*|libdir=$(call pc_dir,$(LIBDIR))|' \
		-e 's|^includedir=.*|includedir=$(call pc_dir,$(INCLUDEDIR))|' \
		lib/libcdm/libcdm.pc.in > $(BUILD)/install/libcdm.pc
	install -D -m 0644 $(BUILD)/install/libcdm.pc $(DESTDIR)$(PKGCONFIGDIR)/libcdm.pc
	install -D -m 0755 $(BUILD)/install/cdmctl $(DESTDIR)$(BINDIR)/cdmctl
	install -D -m 0755 $(BUILD)/install/cdmd $(DESTDIR)$(SBINDIR)/cdmd
	install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man1 $(MAN1_PAGES)
	install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man5 daemon/cdmd.conf.5
	install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man8 daemon/cdmd.8
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		configs/cdmd.service > $(BUILD)/install/cdmd.service
	install -D -m 0644 $(BUILD)/install/cdmd.service $(DESTDIR)$(UNITDIR)/cdmd.service
	sed -e 's|@BINDIR@|$(BINDIR)|g' configs/udev/90-cdm-cxl.rules > $(BUILD)/install/90-cdm-cxl.rules
	install -D -m 0644 $(BUILD)/install/90-cdm-cxl.rules \
		$(DESTDIR)$(UDEVRULESDIR)/90-cdm-cxl.rules
	@if [ -z "$(DESTDIR)" ]; then ldconfig || true; fi

# An administrator's configuration is never overwritten: where one that
# differs from the example is in place, the example goes next to it.
conf_changed = [ -e '$(DESTDIR)$(CDM_CONF)' ] && ! cmp -s configs/cdmd.conf '$(DESTDIR)$(CDM_CONF)'
install-config:
	@if $(conf_changed); then \
		echo "install: keeping $(DESTDIR)$(CDM_CONF), which differs from the example;" \
			"the example is $(DESTDIR)$(CDM_CONF).example"; \
		install -D -m 0644 configs/cdmd.conf '$(DESTDIR)$(CDM_CONF).example'; \
	else \
		echo "install -D -m 0644 configs/cdmd.conf $(DESTDIR)$(CDM_CONF)"; \
		install -D -m 0644 configs/cdmd.conf '$(DESTDIR)$(CDM_CONF)'; \
	fi

# Removes what install laid down, and the configuration unless it was
# changed. Then the directories of the layout where empty, and their
# parents: up to DESTDIR in a staging tree, where every directory is the
# package's; on the running system, never PREFIX, SYSCONFDIR or the
# standard directories, which the system shares and expects.
UNINSTALL_KEEP = / . $(if $(DESTDIR),,$(PREFIX) $(addprefix $(PREFIX)/,bin sbin lib include \
	share share/man) $(BINDIR) $(SBINDIR) $(LIBDIR) $(INCLUDEDIR) $(MANDIR) $(SYSCONFDIR))
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED_FILES))
	@if $(conf_changed); then \
		echo "uninstall: keeping $(DESTDIR)$(CDM_CONF): it differs from the example"; \
	else \
		echo "rm -f $(DESTDIR)$(CDM_CONF)"; \
		rm -f '$(DESTDIR)$(CDM_CONF)'; \
	fi
	@keep='$(UNINSTALL_KEEP)'; \
	for d in $(patsubst %/,%,$(INSTALLED_DIRS)); do \
		while :; do \
			case " $$keep " in *" $$d "*) break ;; esac; \
			echo "$$d"; \
			d=$$(dirname "$$d"); \
		done; \
	done | sort -u | awk '{ print length($$0), $$0 }' | sort -rn | cut -d' ' -f2- | \
	while read -r d; do \
		[ ! -d '$(DESTDIR)'"$$d" ] || rmdir --ignore-fail-on-non-empty '$(DESTDIR)'"$$d"; \
	done
	@if [ -z "$(DESTDIR)" ]; then ldconfig || true; fi

.PHONY: install-config
