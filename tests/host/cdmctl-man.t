#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages say what the code does: for cdmctl and each of its
# commands, every option its --help lists is in the man page's OPTIONS
# (the same short and long name and argument) and every option there is
# in --help, and the command accepts each of them; the SYNOPSIS names the
# options the usage line names; cdmctl(1) lists the commands of
# "cdmctl --help" and the exit codes of cdmctl.h and of "cdmctl --help".
. "$(dirname "$0")/../lib/tap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cdmctl=$top/build/bin/cdmctl
man=$top/daemon/cdmctl
[ -x "$cdmctl" ] || bail_out "$cdmctl not built (make all)"
# no command may act on this machine while its options are tried
export CDM_SYSFS_ROOT=/nonexistent
export CDMCTL_SOCKET=/nonexistent/cdmd.sock

# roff SECTION FILE: the tags (the line after each .TP) of a section, as
# they render: "-p, --pid PID"; SYNOPSIS: its options, one a line
roff() {
	perl -e '
		my ($want, $file) = @ARGV;
		open my $f, "<", $file or die "$file: $!\n";
		my ($sec, $tag, @out);
		sub render {
			my $l = shift;
			if ($l =~ s/^\.(?:[BIR]{1,2})\s*//) {	# .B .BR .RB .IR ...: args joined
				my @a;
				push @a, defined $1 ? $1 : $2 while $l =~ /"([^"]*)"|(\S+)/g;
				$l = join "", @a;
			}
			$l =~ s/\\-/-/g;
			$l =~ s/\\f[BIRP]//g;
			$l =~ s/\s+/ /g;
			$l =~ s/^ | $//g;
			return $l;
		}
		while (my $l = <$f>) {
			chomp $l;
			if ($l =~ /^\.SH\s+"?([^"]*)"?/) { $sec = $1; next; }
			next unless defined $sec && $sec eq $want;
			if ($want eq "SYNOPSIS") {
				push @out, render($l) =~ /(--[a-z][a-z-]*)/g;
			} elsif ($l =~ /^\.TP/) {
				$tag = 1;
			} elsif ($tag) {
				push @out, render($l);
				$tag = 0;
			}
		}
		print "$_\n" for @out' "$@"
}
# help_options: the options of a --help text on stdin: "-p, --pid PID"
help_options() {
	sed -n 's/^  \+\(-[^ ].*[^ ]\) \{2,\}.*/\1/p; s/^  \+\(-[^ ]*\)$/\1/p'
}
# help_synopsis: the long options of the usage line(s)
help_synopsis() {
	sed -n '/^usage:/,/^$/p' | grep -o -- '--[a-z][a-z-]*' | sort -u
}
# same DESC GOT WANT: one item a line, order aside
same() {
	local missing extra

	missing=$(comm -13 <(sort -u <<<"$2") <(sort -u <<<"$3") | paste -sd' ')
	extra=$(comm -23 <(sort -u <<<"$2") <(sort -u <<<"$3") | paste -sd' ')
	if [ -z "$missing$extra" ]; then
		pass "$1"
	else
		fail "$1" "only in the code: ${extra:-none}" "only in the man page: ${missing:-none}"
	fi
}

usage=$("$cdmctl" --help)
commands=$(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' <<<"$usage")
[ -n "$commands" ] || bail_out "no commands in cdmctl --help"
same "cdmctl.1 COMMANDS lists the commands of cdmctl --help" "$commands" "$(roff COMMANDS "$man/cdmctl.1")"

# page CMD HELP-TEXT PAGE: options of --help against the page's
page() {
	local what=$1 text=$2 file=$3 opt name

	check "$what: --help lists options" test -n "$(help_options <<<"$text")"
	same "$what: the OPTIONS of $(basename "$file") are those of --help" \
		"$(help_options <<<"$text")" "$(roff OPTIONS "$file")"
	same "$what: the SYNOPSIS of $(basename "$file") names the options of the usage line" \
		"$(help_synopsis <<<"$text")" "$(roff SYNOPSIS "$file" | sort -u)"
	# every option of --help is one the command takes
	for opt in $(help_options <<<"$text" | sed 's/,/ /g' | awk '{
			for (i = 1; i <= NF; i++) if ($i ~ /^-/) print $i }'); do
		# shellcheck disable=SC2086
		name=$("$cdmctl" $4 "$opt" </dev/null 2>&1 >/dev/null)
		case "$name" in
		*"unknown option"*) fail "$what: takes $opt, as --help says" "$name" ;;
		*) pass "$what: takes $opt, as --help says" ;;
		esac
	done
}
page "cdmctl" "$usage" "$man/cdmctl.1" ""
for cmd in $commands; do
	[ "$cmd" != help ] || continue
	check "cdmctl $cmd has a man page" test -f "$man/cdmctl-$cmd.1"
	page "cdmctl $cmd" "$("$cdmctl" "$cmd" --help)" "$man/cdmctl-$cmd.1" "$cmd"
done

# exit codes: cdmctl.h, the --help summary and cdmctl.1 say the same
codes_h=$(sed -n 's/^#define EXIT_[A-Z_]*[[:space:]]\+\([0-9]\+\).*/\1/p' "$man/cdmctl.h")
codes_help=$(sed -n 's/^exit status: //p' <<<"$usage" | grep -o '\b[0-9]\+ [a-z]' | cut -d' ' -f1)
[ -n "$codes_h" ] || bail_out "no EXIT_ codes in cdmctl.h"
same "cdmctl --help lists the exit codes of cdmctl.h" "$codes_h" "$codes_help"
same "cdmctl.1 EXIT STATUS lists the exit codes of cdmctl.h" "$codes_h" "$(roff 'EXIT STATUS' "$man/cdmctl.1")"

done_testing
