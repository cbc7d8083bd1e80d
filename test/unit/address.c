/*
 * Unit tests for the listening address: binding HOST:PORT with our own
 * errors, telling loopback addresses, and the rule that port 0 is chosen
 * once and kept (address_matches).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "tap.h"

/* Check that bound is (want) or is not (!want) where asked says. */
static void
matches(const char *asked, const char *bound, int want)
{
	is_int(address_matches(asked, bound), want, want ?
	    "asked address matches bound" : "asked address does not match");
	if (address_matches(asked, bound) != want)
		diag("asked '%s', bound '%s'", asked,
		    bound == NULL ? "NULL" : bound);
}

/* Run every case and print the plan. */
int
main(void)
{
	char	*bound = NULL, *again = NULL, *cause = NULL, *port;
	int	 fd, fd2;

	/* address_bind */
	fd = address_bind("127.0.0.1:0", &bound, &cause);
	ok(fd != -1 && bound != NULL && cause == NULL,
	    "address_bind listens on 127.0.0.1:0");
	port = bound == NULL ? NULL : strrchr(bound, ':');
	ok(port != NULL && strncmp(bound, "127.0.0.1:", 10) == 0 &&
	    strtol(port + 1, NULL, 10) > 0,
	    "the bound address has the port chosen");
	ok(address_matches("127.0.0.1:0", bound),
	    "asking port 0 again matches the port chosen");
	fd2 = address_bind(bound, &again, &cause);
	ok(fd2 == -1 && cause != NULL &&
	    strstr(cause, "already in use") != NULL,
	    "a port in use is refused saying so");
	free(cause);
	cause = NULL;
	if (fd != -1)
		close(fd);
	free(bound);
	ok(address_bind("nowhere", &bound, &cause) == -1 && cause != NULL &&
	    strstr(cause, "invalid listen address 'nowhere'") != NULL,
	    "an address without a port is refused naming it");
	free(cause);
	cause = NULL;
	ok(address_bind("[::1", &bound, &cause) == -1 && cause != NULL,
	    "an unclosed IPv6 bracket is refused");
	free(cause);

	/* address_is_loopback */
	ok(address_is_loopback("127.0.0.1:8080"), "127.0.0.1 is loopback");
	ok(address_is_loopback("127.1.2.3:1"), "all of 127/8 is loopback");
	ok(address_is_loopback("[::1]:8080"), "::1 is loopback");
	ok(address_is_loopback("[::ffff:127.0.0.1]:1"),
	    "127/8 mapped into IPv6 is loopback");
	ok(!address_is_loopback("0.0.0.0:8080"), "0.0.0.0 is not loopback");
	ok(!address_is_loopback("10.0.0.1:8080"), "10.0.0.1 is not loopback");
	ok(!address_is_loopback("[::]:8080"), ":: is not loopback");
	ok(!address_is_loopback("localhost:8080"),
	    "a name is not loopback (bound addresses are numeric)");

	/* address_matches: the same address, or port 0 and its choice. */
	matches("127.0.0.1:8080", "127.0.0.1:8080", 1);
	matches("127.0.0.1:0", "127.0.0.1:43210", 1);
	matches("127.0.0.1:0", "127.0.0.1:0", 1);
	matches("[::1]:0", "[::1]:43210", 1);
	matches("127.0.0.1:8080", "127.0.0.1:8081", 0);
	matches("127.0.0.1:8080", "127.0.0.1:0", 0);
	matches("127.0.0.1:0", "127.0.0.2:43210", 0);
	matches("127.0.0.1:0", "127.0.0.10:43210", 0);
	matches("0.0.0.0:0", "0.0.0.0:", 0);
	matches("0.0.0.0:0", "0.0.0.0:08", 0);
	matches("0.0.0.0:0", "0.0.0.0:80x", 0);
	matches("0.0.0.0:0", "0.0.0.0:80:1", 0);
	matches(":0", ":80", 0);
	matches("127.0.0.1:0", NULL, 0);
	matches("127.0.0.1:10", "127.0.0.1:1010", 0);

	/* address_valid: the shapes a user may write. */
	ok(address_valid("127.0.0.1:0") && address_valid("localhost:65535") &&
	    address_valid("[::1]:80") && address_valid("[fe80::1.2.3.4]:1"),
	    "HOST:PORT and [ADDR]:PORT are valid");
	ok(!address_valid("127.0.0.1") && !address_valid(":80") &&
	    !address_valid("a:65536") && !address_valid("a:") &&
	    !address_valid("a:-1") && !address_valid("a:123456"),
	    "a missing host or port, or a port out of range, is not");
	ok(!address_valid("[::1]80") && !address_valid("[]:80") &&
	    !address_valid("[::1:80") && !address_valid("[::g]:80"),
	    "a bad IPv6 bracket is not");
	ok(!address_valid("a b:80") && !address_valid("a/b:80") &&
	    !address_valid("u@h:80"), "blanks, slashes and @ are not");

	/* address_host and address_local */
	bound = address_host("[::1]:80");
	again = address_host("127.0.0.1:80");
	ok(strcmp(bound, "::1") == 0 && strcmp(again, "127.0.0.1") == 0,
	    "the host of an address is without port and brackets");
	free(bound);
	free(again);
	bound = address_local("0.0.0.0:4242");
	again = address_local("[::]:4242");
	ok(strcmp(bound, "127.0.0.1:4242") == 0 &&
	    strcmp(again, "[::1]:4242") == 0,
	    "a listener on every address is reached on loopback");
	free(bound);
	free(again);
	bound = address_local("10.1.2.3:4242");
	ok(strcmp(bound, "10.1.2.3:4242") == 0,
	    "a listener on one address is reached there");
	free(bound);

	return (done_testing());
}
