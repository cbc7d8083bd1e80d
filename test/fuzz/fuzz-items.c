/*
 * fish send's request items: the input is a URL, then NUL-separated
 * arguments as the shell would pass them: "key=value", "key:=json",
 * "key==value", "Name:value", or "-H" followed by "Name: value" for -H.
 * Whatever is accepted must leave headers that cannot smuggle another
 * header line (token names, no CR or LF in values) and a body that is a
 * JSON object.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "items.h"

/* Check the headers collected so far. */
static void
fuzz_items_check(const struct items *items)
{
	struct json_object	*pair;
	const char		*name, *value;
	size_t			 i, n;

	FUZZ_CHECK(items->url != NULL);
	FUZZ_CHECK(items->body == NULL ||
	    json_object_is_type(items->body, json_type_object));
	n = json_object_array_length(items->headers);
	for (i = 0; i < n; i++) {
		pair = json_object_array_get_idx(items->headers, i);
		FUZZ_CHECK(json_object_array_length(pair) == 2);
		name = json_object_get_string(json_object_array_get_idx(pair, 0));
		value = json_object_get_string(json_object_array_get_idx(pair,
		    1));
		FUZZ_CHECK(*name != '\0');
		FUZZ_CHECK(strspn(name, "!#$%&'*+-.^_`|~0123456789"
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") ==
		    strlen(name));
		FUZZ_CHECK(strpbrk(value, "\r\n") == NULL);
		FUZZ_CHECK(items_has_header(items, name));
	}
}

/* Add every item to a request for the URL, then check the result. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_pieces	 in;
	struct items		 items;
	char			*cause;
	size_t			 i;
	int			 ret;

	fuzz_split(&in, data, size);
	items_init(&items, in.piece[0]);
	for (i = 1; i < in.n; i++) {
		cause = NULL;
		if (strncmp(in.piece[i], "-H", 2) == 0)
			ret = items_add_header(&items, in.piece[i] + 2, &cause);
		else
			ret = items_add(&items, in.piece[i], &cause);
		FUZZ_CHECK((ret == -1) == (cause != NULL));
		free(cause);
	}
	fuzz_items_check(&items);
	if (items.body != NULL)
		(void)json_object_to_json_string(items.body);
	(void)json_object_to_json_string(items.headers);
	items_release(&items);
	fuzz_free(&in);
	return (0);
}
