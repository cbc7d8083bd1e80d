/*
 * Unit tests for base64: RFC 4648's test vectors both ways, padding left
 * out, and every input the strict decoder must refuse.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "tap.h"

/* Check that s decodes to want (NULL: that it is refused). */
static void
decodes(const char *s, const char *want, const char *name)
{
	unsigned char	*out = NULL;
	size_t		 len = 0;
	int		 r;

	r = base64_decode(s, strlen(s), &out, &len);
	if (want == NULL)
		ok(r == -1, "%s: '%s' is refused", name, s);
	else
		ok(r == 0 && len == strlen(want) &&
		    memcmp(out, want, len) == 0, "%s: '%s'", name, s);
	if (r == 0)
		free(out);
}

int
main(void)
{
	static const char	*plain[] = {
		"", "f", "fo", "foo", "foob", "fooba", "foobar",
	};
	static const char	*coded[] = {
		"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy",
	};
	unsigned char		 all[256];
	unsigned char		*out;
	char			*s;
	size_t			 i, len;

	for (i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		s = base64_encode(plain[i], strlen(plain[i]));
		ok(strcmp(s, coded[i]) == 0, "encode '%s': '%s'", plain[i],
		    s);
		free(s);
		decodes(coded[i], plain[i], "RFC 4648 vector");
	}
	for (i = 0; i < sizeof all; i++)
		all[i] = (unsigned char)i;
	s = base64_encode(all, sizeof all);
	ok(base64_decode(s, strlen(s), &out, &len) == 0 &&
	    len == sizeof all && memcmp(out, all, len) == 0,
	    "every byte value round-trips");
	free(out);
	free(s);

	decodes("Zg", "f", "padding left out");
	decodes("Zm8", "fo", "padding left out");
	decodes("Zm9vYg", "foob", "padding left out");

	decodes("Z", NULL, "a lone digit");
	decodes("Zm9vY", NULL, "a lone trailing digit");
	decodes("Zg=", NULL, "padding short of a quantum");
	decodes("Zg===", NULL, "three pads");
	decodes("====", NULL, "padding only");
	decodes("=", NULL, "one pad only");
	decodes("Zg==Zg==", NULL, "padding inside");
	decodes("Zh==", NULL, "bits left over in the last digit");
	decodes("Zm9=", NULL, "bits left over before one pad");
	decodes("Zm9v-_", NULL, "the URL-safe alphabet");
	decodes("Zm9v*A==", NULL, "a foreign character");
	decodes("Zm 9v", NULL, "a space");
	return (done_testing());
}
