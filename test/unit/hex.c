/*
 * Unit tests for hex: every byte's digit value (both cases, and -1 for
 * everything else), and the encoder both ways with it.
 */
#include "config.h"

#include <string.h>

#include "hex.h"
#include "tap.h"

int
main(void)
{
	unsigned char	all[256];
	char		text[2 * sizeof all + 1];
	int		c, wrong = 0, i, back = 1;

	for (c = 0; c < 256; c++) {
		int	want = -1;

		if (c >= '0' && c <= '9')
			want = c - '0';
		else if (c >= 'a' && c <= 'f')
			want = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			want = c - 'A' + 10;
		if (hex_digit_value((char)c) != want)
			wrong++;
	}
	ok(wrong == 0, "hex_digit_value: 0-9, a-f, A-F and -1 for the other 234 bytes");

	hex_encode_lower((const unsigned char *)"\x00\x9f\xff", 3, text);
	ok(strcmp(text, "009fff") == 0, "hex_encode_lower: lower case, two digits a byte");
	hex_encode_lower(all, 0, text);
	ok(text[0] == '\0', "hex_encode_lower: nothing is an empty string");

	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	hex_encode_lower(all, sizeof all, text);
	for (i = 0; i < 256; i++)
		if ((hex_digit_value(text[2 * i]) << 4 |
		    hex_digit_value(text[2 * i + 1])) != i)
			back = 0;
	ok(back && strlen(text) == 512, "every byte encodes and decodes back");
	return (done_testing());
}
