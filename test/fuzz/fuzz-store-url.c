/*
 * Store URLs (issue 17's --store, not yet reachable): the input is the
 * URL a user would give.  What parses must be within the bounds
 * store-url.h states, and its masked form must parse back to the same
 * URL (shown the same), with "***" then the password; what does not
 * parse must say why in one line.  Inputs naming @FILE read that file,
 * as the parser would.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mask.h"
#include "store-url.h"
#include "xmalloc.h"

/* Parse one URL; check its bounds and its masked form's round trip. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_pieces	 in;
	struct store_url	 url, again;
	char			*cause = NULL, *shown, *shown_again;

	fuzz_split(&in, data, size);
	if (store_url_parse(in.text, &url, &cause) == 0) {
		FUZZ_CHECK(url.kind != STORE_REDIS_TCP ||
		    (url.host != NULL && *url.host != '\0' &&
		    url.port >= 1 && url.port <= 65535));
		FUZZ_CHECK(url.kind != STORE_REDIS_UNIX ||
		    (url.path != NULL && url.path[0] == '/' &&
		    strlen(url.path) <= STORE_URL_PATH_MAX));
		FUZZ_CHECK(url.db >= 0);
		FUZZ_CHECK(url.password == NULL || url.password_len > 0);
		shown = store_url_masked(&url);
		FUZZ_CHECK(store_url_parse(shown, &again, &cause) == 0);
		shown_again = store_url_masked(&again);
		FUZZ_CHECK(strcmp(shown, shown_again) == 0);
		FUZZ_CHECK(url.password == NULL ||
		    strcmp(again.password, MASK_PASSWORD) == 0);
		free(shown_again);
		free(shown);
		store_url_free(&again);
		store_url_free(&url);
	} else
		FUZZ_CHECK(cause != NULL && strchr(cause, '\n') == NULL);
	free(cause);
	fuzz_free(&in);
	return (0);
}
