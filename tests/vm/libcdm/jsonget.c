// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jsonget PATH...: read JSON on stdin (json-c, as cdmctl writes it) and
 * print the value at each PATH on its own line, for guest shell tests
 * (the guest has no perl or jq). PATH is dot-separated keys and array
 * indexes: "1.cpus", "0.distance.1", "1.memdevs.0"; "#" as the last part
 * prints an array's length. A missing value prints "<absent>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

static void print_path(json_object *root, const char *path)
{
	char buf[256], *part, *save = NULL, *end;
	json_object *cur = root;
	long idx;

	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, ".", &save); part && cur; part = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(cur, json_type_array)) {
			if (!strcmp(part, "#")) {
				printf("%zu\n", json_object_array_length(cur));
				return;
			}
			idx = strtol(part, &end, 10);
			cur = *end || idx < 0 ? NULL : json_object_array_get_idx(cur, idx);
		} else if (!json_object_object_get_ex(cur, part, &cur)) {
			cur = NULL;
		}
	}
	if (!cur)
		puts("<absent>");
	else if (json_object_is_type(cur, json_type_string))
		puts(json_object_get_string(cur));
	else
		puts(json_object_to_json_string_ext(cur, JSON_C_TO_STRING_PLAIN));
}

int main(int argc, char **argv)
{
	json_object *root;
	char *text = NULL;
	size_t len = 0, got;
	char chunk[4096];
	int i;

	while ((got = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		text = realloc(text, len + got + 1);
		if (!text)
			return 1;
		memcpy(text + len, chunk, got);
		len += got;
	}
	if (!text) {
		fprintf(stderr, "jsonget: no input\n");
		return 1;
	}
	text[len] = '\0';
	root = json_tokener_parse(text);
	if (!root) {
		fprintf(stderr, "jsonget: invalid JSON\n");
		return 1;
	}
	for (i = 1; i < argc; i++)
		print_path(root, argv[i]);
	json_object_put(root);
	free(text);
	return 0;
}
