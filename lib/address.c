/*
 * The hooks' listening address: HOST:PORT (or [V6]:PORT) parsed, bound and
 * listened on by us rather than by libmicrohttpd, so that the errors are
 * ours to word and the port, when 0, is known before the server starts.
 * Port 0 means "a free port, chosen once and kept": address_matches is
 * that rule, for the listener (which keeps its saved port) and the client
 * (which compares the address asked with a running listener's).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "xmalloc.h"

/* Tell whether s is a port number, 0 to 65535. */
static int
address_port_valid(const char *s)
{
	size_t	len = strlen(s);

	return (len >= 1 && len <= 5 && strspn(s, "0123456789") == len &&
	    strtol(s, NULL, 10) <= 65535);
}

/*
 * Tell whether an address has the shape HOST:PORT or [ADDR]:PORT, as a
 * user may write it; whether HOST exists is for address_bind to find.
 */
int
address_valid(const char *address)
{
	const char	*end;
	size_t		 len;

	if (*address == '[') {
		end = strchr(address, ']');
		if (end == NULL || end == address + 1 || end[1] != ':')
			return (0);
		len = (size_t)(end - address - 1);
		if (strspn(address + 1, "0123456789abcdefABCDEF:.") != len)
			return (0);
		return (address_port_valid(end + 2));
	}
	if ((end = strchr(address, ':')) == NULL || end == address)
		return (0);
	len = (size_t)(end - address);
	if (strcspn(address, " \t/@[]") < len)
		return (0);
	return (address_port_valid(end + 1));
}

/*
 * Parse HOST:PORT (or [V6]:PORT) into an address.  Return 0, or -1 with
 * *cause.
 */
static int
address_parse(const char *address, struct sockaddr_storage *ss,
    socklen_t *sslen, char **cause)
{
	struct addrinfo	 hints, *res;
	char		*host, *port;
	int		 error;

	if (*address == '[') {
		host = xstrdup(address + 1);
		if ((port = strstr(host, "]:")) == NULL)
			goto invalid;
		*port = '\0';
		port += 2;
	} else {
		host = xstrdup(address);
		if ((port = strrchr(host, ':')) == NULL)
			goto invalid;
		*port++ = '\0';
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if ((error = getaddrinfo(host, port, &hints, &res)) != 0) {
		xasprintf(cause, "cannot use listen address '%s': %s", address,
		    gai_strerror(error));
		free(host);
		return (-1);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	free(host);
	return (0);
invalid:
	free(host);
	xasprintf(cause, "invalid listen address '%s' (use HOST:PORT)",
	    address);
	return (-1);
}

/*
 * Bind and listen on HOST:PORT ourselves (so errors are ours to word) and
 * return the socket; *bound is set to the address with the port resolved.
 */
int
address_bind(const char *address, char **bound, char **cause)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 host[NI_MAXHOST], port[NI_MAXSERV];
	int			 fd, one = 1;

	if (address_parse(address, &ss, &sslen, cause) == -1)
		return (-1);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(cause, "cannot make a socket: %s", strerror(errno));
		return (-1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1) {
		if (errno == EADDRINUSE)
			xasprintf(cause, "cannot listen on %s: the port is "
			    "already in use by another program", address);
		else
			xasprintf(cause, "cannot listen on %s: %s", address,
			    strerror(errno));
		goto fail;
	}
	if (listen(fd, SOMAXCONN) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof host, port,
	    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		xasprintf(cause, "cannot listen on %s: %s", address,
		    strerror(errno));
		goto fail;
	}
	if (ss.ss_family == AF_INET6)
		xasprintf(bound, "[%s]:%s", host, port);
	else
		xasprintf(bound, "%s:%s", host, port);
	return (fd);
fail:
	close(fd);
	return (-1);
}

/*
 * Tell whether a bound address (numeric HOST:PORT or [V6]:PORT, as
 * address_bind returns it) is reachable only from this machine: 127/8,
 * ::1, or 127/8 mapped into IPv6.
 */
int
address_is_loopback(const char *bound)
{
	struct in6_addr	 in6;
	struct in_addr	 in;
	char		*host, *end;
	int		 loopback = 0;

	if (*bound == '[') {
		host = xstrdup(bound + 1);
		if ((end = strchr(host, ']')) != NULL)
			*end = '\0';
		if (inet_pton(AF_INET6, host, &in6) == 1)
			loopback = IN6_IS_ADDR_LOOPBACK(&in6) ||
			    (IN6_IS_ADDR_V4MAPPED(&in6) && in6.s6_addr[12] == 127);
	} else {
		host = xstrdup(bound);
		if ((end = strrchr(host, ':')) != NULL)
			*end = '\0';
		if (inet_pton(AF_INET, host, &in) == 1)
			loopback = (ntohl(in.s_addr) >> 24) == 127;
	}
	free(host);
	return (loopback);
}

/*
 * Tell whether a listener bound to bound (HOST:PORT as address_bind returns
 * it, or NULL) is listening where asked says: on the same address, or,
 * when asked is HOST:0, on the same HOST with the port chosen for it then.
 * Asking for port 0 again must not move the hooks' URLs.
 */
int
address_matches(const char *asked, const char *bound)
{
	const char	*port;
	size_t		 len;

	if (bound == NULL)
		return (0);
	if (strcmp(asked, bound) == 0)
		return (1);
	len = strlen(asked);
	if (len < 3 || strcmp(asked + len - 2, ":0") != 0 ||
	    strncmp(asked, bound, len - 1) != 0)
		return (0);
	/* What follows HOST: in bound must be a port: digits, not 0. */
	port = bound + len - 1;
	return (*port >= '1' && *port <= '9' &&
	    port[strspn(port, "0123456789")] == '\0');
}

/*
 * Return the host of HOST:PORT or [V6]:PORT, without the brackets; caller
 * frees.
 */
char *
address_host(const char *address)
{
	const char	*end;

	if (*address == '[' && (end = strchr(address, ']')) != NULL)
		return (xstrndup(address + 1, (size_t)(end - address - 1)));
	if ((end = strrchr(address, ':')) == NULL)
		return (xstrdup(address));
	return (xstrndup(address, (size_t)(end - address)));
}

/*
 * Return where this machine reaches a listener bound at bound (numeric
 * HOST:PORT or [V6]:PORT, as address_bind returns it): bound itself, or
 * loopback on its port when bound is every address (0.0.0.0 or [::]), which
 * is no address to connect to.  Caller frees.
 */
char *
address_local(const char *bound)
{
	const char	*port;
	char		*s;

	if ((port = strrchr(bound, ':')) == NULL)
		return (xstrdup(bound));
	if (strncmp(bound, "0.0.0.0:", 8) == 0)
		xasprintf(&s, "127.0.0.1%s", port);
	else if (strncmp(bound, "[::]:", 5) == 0)
		xasprintf(&s, "[::1]%s", port);
	else
		s = xstrdup(bound);
	return (s);
}
