/*
 * --where filters: the input is a message's journal record (the JSON with
 * method, path and headers the listener keeps), a NUL, its body, then
 * NUL-separated filter expressions.  Each expression goes through
 * filter_parse; those that parse are matched together against the message
 * with filter_match, which is what fish wait does for every message;
 * NAME!=VALUE must pass exactly when NAME=VALUE does not, and a comparison
 * and its opposite never both pass.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "filter.h"
#include "fuzz.h"
#include "jsonptr.h"
#include "xmalloc.h"

#define FUZZ_FILTERS_MAX	16

/* What the listener records for a message when the input's is unusable. */
static const char fuzz_filter_record[] =
    "{\"method\":\"POST\",\"path\":\"/x\",\"headers\":"
    "[[\"Content-Type\",\"application/json\"],[\"X-Event\",\"push\"]]}";

/* Parse the filters and match the message against them. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_pieces	 in;
	struct filter		 filters[FUZZ_FILTERS_MAX], flip;
	struct json_object	*record;
	const char		*body;
	size_t			 body_len, n = 0, i;
	char			*cause = NULL;

	fuzz_split(&in, data, size);
	record = jsonptr_parse(in.piece[0], in.len[0], &cause);
	free(cause);
	if (record == NULL || !json_object_is_type(record, json_type_object)) {
		json_object_put(record);
		record = jsonptr_parse(fuzz_filter_record,
		    sizeof fuzz_filter_record - 1, &cause);
		FUZZ_CHECK(record != NULL);
	}
	body = in.n > 1 ? in.piece[1] : "";
	body_len = in.n > 1 ? in.len[1] : 0;

	for (i = 2; i < in.n && n < FUZZ_FILTERS_MAX; i++) {
		cause = NULL;
		if (filter_parse(in.piece[i], &filters[n], &cause) == 0) {
			FUZZ_CHECK(cause == NULL && filters[n].name != NULL);
			n++;
		} else {
			FUZZ_CHECK(cause != NULL);
			free(cause);
		}
	}
	(void)filter_match(filters, n, record, body, body_len);
	/*
	 * NAME!=VALUE passes exactly when NAME=VALUE does not.  A comparison
	 * and its opposite (< and >=, > and <=) never both pass; neither does
	 * when the value there is not a number.
	 */
	for (i = 0; i < n; i++) {
		flip = filters[i];
		switch (filters[i].test) {
		case FILTER_EQUAL:
		case FILTER_NOT_EQUAL:
			flip.test = filters[i].test == FILTER_EQUAL ?
			    FILTER_NOT_EQUAL : FILTER_EQUAL;
			FUZZ_CHECK(filter_match(&filters[i], 1, record, body,
			    body_len) != filter_match(&flip, 1, record, body,
			    body_len));
			break;
		case FILTER_LESS:
		case FILTER_GREATER_EQUAL:
		case FILTER_GREATER:
		case FILTER_LESS_EQUAL:
			flip.test = filters[i].test == FILTER_LESS ?
			    FILTER_GREATER_EQUAL :
			    filters[i].test == FILTER_GREATER_EQUAL ?
			    FILTER_LESS : filters[i].test == FILTER_GREATER ?
			    FILTER_LESS_EQUAL : FILTER_GREATER;
			FUZZ_CHECK(!(filter_match(&filters[i], 1, record, body,
			    body_len) && filter_match(&flip, 1, record, body,
			    body_len)));
			break;
		default:
			break;
		}
	}
	for (i = 0; i < n; i++)
		filter_release(&filters[i]);
	json_object_put(record);
	fuzz_free(&in);
	return (0);
}
