/*
 * JSON pointers and the JSON texts they look into (fish field, --field,
 * --where, spawn --answer's echo): the input is a pointer, a NUL, then the
 * document.  The document goes through jsonptr_parse as the callers do,
 * the pointer through jsonptr_get (also on a "null" document, whose root
 * is NULL), and what it finds through jsonptr_text.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "jsonptr.h"

/* Parse the document, look the pointer up in it and print what is there. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_pieces	 in;
	struct json_object	*root, *value;
	const char		*ptr, *doc;
	size_t			 doc_len;
	char			*cause = NULL, *text;
	int			 ret;

	fuzz_split(&in, data, size);
	ptr = in.piece[0];
	doc = in.n > 1 ? in.piece[1] : "";
	doc_len = in.n > 1 ? size - in.len[0] - 1 : 0;

	root = jsonptr_parse(doc, doc_len, &cause);
	FUZZ_CHECK(root == NULL || cause == NULL);
	free(cause);
	cause = NULL;

	ret = jsonptr_get(root, ptr, &value, &cause);
	FUZZ_CHECK(ret >= -1 && ret <= 1);
	FUZZ_CHECK((ret == -1) == (cause != NULL));
	if (ret == 0) {
		text = jsonptr_text(value, NULL);
		FUZZ_CHECK(text != NULL);
		free(text);
	}
	free(cause);
	json_object_put(root);
	fuzz_free(&in);
	return (0);
}
