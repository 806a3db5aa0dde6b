# SPDX-License-Identifier: GPL-2.0-or-later
#
# JSON in host tests (perl's JSON::PP; the guest has tests/vm/libcdm/jsonget).
#
#   json EXPR    the perl expression EXPR, with $j the JSON decoded from
#                $out: "<not JSON>" when $out is not JSON, "<undef>" when
#                EXPR has no value
#                e.g. json '$j->{nodes}[0]{node}', json 'scalar @{$j->{regions}}'

json() {
	perl -MJSON::PP -e 'my $j = eval { decode_json(join "", <STDIN>) };
		print defined $j ? eval($ARGV[0]) // "<undef>" : "<not JSON>"' "$1" <<<"$out"
}
