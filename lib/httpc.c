/*
 * HTTP out with curl's multi "socket" API: curl tells us which sockets to
 * watch (httpc_socket) and when to call it back (httpc_timer); we tell curl
 * what happened (curl_multi_socket_action) and collect finished transfers
 * (httpc_collect).  The result goes to the caller's callback; the caller
 * owns nothing of curl's.
 */
#include "config.h"

#include <sys/epoll.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "clock.h"
#include "compat.h"
#include "httpc.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "retry.h"
#include "xmalloc.h"

/*
 * Idle connections kept for reuse by later sends (curl's default grows
 * with the transfers under way, so it would keep few once they are done).
 */
#define HTTPC_MAX_CONNECTS	32
#define HTTPC_MAX_REDIRECTS	10

struct transfer;

struct httpc {
	CURLM			*multi;
	struct loop		*loop;
	struct loop_timer	*timer;
	size_t			 max_total;	/* connections, or 0: any */
	TAILQ_HEAD(, transfer)	 transfers;	/* under way */
};

struct transfer {
	struct httpc		*httpc;
	TAILQ_ENTRY(transfer)	 entry;
	CURL			*easy;
	struct curl_slist	*headers;
	struct curl_slist	*proxy_headers;	/* to the proxy alone */
	struct curl_slist	*connect_to;	/* req->connect_to, or NULL */
	char			*proxy;		/* HOST:PORT of the proxy, or
						   NULL: none */
	size_t			 max_response;	/* body bytes kept at most */
	int			 too_large;	/* the body passed it */
	char			 error[CURL_ERROR_SIZE];
	struct httpc_result	 result;
	int64_t			 started;
	httpc_done_cb		 cb;
	void			*arg;
};

static void	httpc_collect(struct httpc *);

/* A watched socket is ready: tell curl. */
static void
httpc_ready(int fd, uint32_t events, void *arg)
{
	struct httpc	*c = arg;
	int		 action = 0, running;

	if (events & EPOLLIN)
		action |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		action |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		action |= CURL_CSELECT_ERR;
	curl_multi_socket_action(c->multi, fd, action, &running);
	httpc_collect(c);
}

/* curl's socket callback: start, change or stop watching a socket. */
static int
httpc_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *socketp)
{
	struct httpc	*c = arg;
	uint32_t	 events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		loop_remove(c->loop, fd);
		curl_multi_assign(c->multi, fd, NULL);
		return (0);
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EPOLLOUT;
	if (socketp == NULL) {
		if (loop_add(c->loop, fd, events, httpc_ready, c) == -1)
			log_warn("http out: cannot watch socket %d", fd);
		curl_multi_assign(c->multi, fd, c);
	} else if (loop_modify(c->loop, fd, events) == -1)
		log_warn("http out: cannot change socket %d", fd);
	return (0);
}

/* Our timer for curl fired. */
static void
httpc_timeout(void *arg)
{
	struct httpc	*c = arg;
	int		 running;

	c->timer = NULL;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	httpc_collect(c);
}

/* curl's timer callback: call back after ms (-1: cancel). */
static int
httpc_timer(CURLM *multi, long ms, void *arg)
{
	struct httpc	*c = arg;

	(void)multi;
	loop_timer_cancel(c->loop, c->timer);
	c->timer = NULL;
	if (ms >= 0)
		c->timer = loop_timer_add(c->loop, loop_now() + ms,
		    httpc_timeout, c);
	return (0);
}

/* Make an empty HTTP-out context; libcurl is set up on the first send. */
struct httpc *
httpc_new(struct loop *loop)
{
	struct httpc	*c;

	c = xcalloc(1, sizeof *c);
	c->loop = loop;
	TAILQ_INIT(&c->transfers);
	return (c);
}

/*
 * Set up libcurl and the multi handle.  Done lazily: curl_global_init
 * initialises the TLS libraries, which costs an idle listener megabytes of
 * memory it may never need.
 */
static int
httpc_init(struct httpc *c)
{
	if (c->multi != NULL)
		return (0);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return (-1);
	if ((c->multi = curl_multi_init()) == NULL) {
		curl_global_cleanup();
		return (-1);
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, httpc_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, httpc_timer);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
	    (long)(c->max_total != 0 && c->max_total < HTTPC_MAX_CONNECTS ?
	    c->max_total : HTTPC_MAX_CONNECTS));
	/*
	 * At the cap, curl closes an idle connection to open another, and
	 * a transfer finding none waits in curl's queue.
	 */
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)c->max_total);
	return (0);
}

/*
 * Keep at most max connections open, idle ones included (0: as many as
 * wanted), so that curl's sockets stay within their share of our open
 * files; called before the first send.
 */
void
httpc_limit(struct httpc *c, size_t max)
{
	c->max_total = max;
}

/* Free a finished transfer. */
static void
httpc_transfer_free(struct transfer *t)
{
	curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	curl_slist_free_all(t->proxy_headers);
	curl_slist_free_all(t->connect_to);
	free(t->proxy);
	free(t->result.error);
	json_object_put(t->result.headers);
	buffer_release(&t->result.head);
	buffer_release(&t->result.body);
	buffer_release(&t->result.trace);
	free(t->result.final_url);
	free(t);
}

/*
 * Stop everything (at exit), after httpc_cancel: a transfer still under
 * way would be abandoned without a word to its caller.
 */
void
httpc_free(struct httpc *c)
{
	if (c == NULL)
		return;
	loop_timer_cancel(c->loop, c->timer);
	if (c->multi != NULL) {
		curl_multi_cleanup(c->multi);
		curl_global_cleanup();
	}
	free(c);
}

/* Collect a response body piece. */
static size_t
httpc_write(char *data, size_t size, size_t n, void *arg)
{
	struct transfer	*t = arg;

	/* A short count makes curl stop with CURLE_WRITE_ERROR. */
	if (size * n > t->max_response - buffer_unread(&t->result.body)) {
		t->too_large = 1;
		return (0);
	}
	buffer_add(&t->result.body, data, size * n);
	return (size * n);
}

/*
 * Keep what curl -v shows (for verbose): the request's head as sent, each
 * line after "> ", the response's after "< ", curl's notes after "* ".
 * Line ends lose their carriage returns.
 */
static int
httpc_debug(CURL *easy, curl_infotype type, char *data, size_t len,
    void *arg)
{
	struct transfer	*t = arg;
	const char	*prefix;
	char		*end = data + len, *nl;

	(void)easy;
	switch (type) {
	case CURLINFO_TEXT:
		prefix = "* ";
		break;
	case CURLINFO_HEADER_OUT:
		prefix = "> ";
		break;
	case CURLINFO_HEADER_IN:
		prefix = "< ";
		break;
	default:
		return (0);
	}
	while (data < end) {
		if ((nl = memchr(data, '\n', (size_t)(end - data))) == NULL)
			nl = end;
		len = (size_t)(nl - data);
		if (len > 0 && data[len - 1] == '\r')
			len--;
		/* The blank line that ends a head is shown as curl shows it. */
		buffer_add_str(&t->result.trace, prefix);
		buffer_add(&t->result.trace, data, len);
		buffer_add(&t->result.trace, "\n", 1);
		data = nl < end ? nl + 1 : end;
	}
	return (0);
}

/*
 * Collect a response header line, raw and as a pair; a new status line
 * (an interim or redirect response came first) starts over.
 */
static size_t
httpc_header(char *data, size_t size, size_t n, void *arg)
{
	struct transfer		*t = arg;
	struct json_object	*pair;
	size_t			 len = size * n, name_len;
	const char		*value;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		json_object_put(t->result.headers);
		t->result.headers = json_object_new_array();
		buffer_clear(&t->result.head);
		buffer_add(&t->result.head, data, len);
		return (len);
	}
	buffer_add(&t->result.head, data, len);
	while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	if ((value = memchr(data, ':', len)) == NULL)
		return (size * n);
	name_len = (size_t)(value - data);
	value++;
	while (value < data + len && (*value == ' ' || *value == '\t'))
		value++;
	pair = json_object_new_array_ext(2);
	json_object_array_add(pair, json_object_new_string_len(data,
	    (int)name_len));
	json_object_array_add(pair, json_object_new_string_len(value,
	    (int)(data + len - value)));
	json_object_array_add(t->result.headers, pair);
	return (size * n);
}

/* Map a curl failure to an exit status: network trouble is EXIT_NETWORK. */
static int
httpc_failure_status(CURLcode code)
{
	switch (code) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return (EXIT_USAGE);
	case CURLE_WRITE_ERROR:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_TOO_MANY_REDIRECTS:
		return (EXIT_FAILED);
	default:
		return (EXIT_NETWORK);
	}
}

/*
 * Tell whether a failure may go away when tried again: the server or the
 * path to it was unreachable, slow or hung up.  Certificates, bad URLs and
 * redirect loops stay as they are.
 */
static int
httpc_transient(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return (1);
	default:
		return (0);
	}
}

/*
 * Say what failed: curl's words, except where they would not tell the
 * user which part is to blame (the proxy, a body too large, an unknown
 * certificate).
 */
static void
httpc_failure(struct transfer *t, CURLcode code)
{
	struct httpc_result	*r = &t->result;
	const char		*text;
	char			*at, *port;
	long			 connect_code = 0;
	int			 to_proxy = 0;

	text = t->error[0] != '\0' ? t->error : curl_easy_strerror(code);
	r->status = httpc_failure_status(code);
	r->transient = httpc_transient(code);
	if (t->proxy != NULL && code == CURLE_COULDNT_CONNECT) {
		/* curl names where it connected: "to HOST port PORT". */
		port = strrchr(t->proxy, ':');
		xasprintf(&at, " to %.*s port %s ", (int)(port - t->proxy),
		    t->proxy, port + 1);
		to_proxy = strstr(text, at) != NULL;
		free(at);
	}
	curl_easy_getinfo(t->easy, CURLINFO_HTTP_CONNECTCODE, &connect_code);
	if (t->too_large || code == CURLE_FILESIZE_EXCEEDED) {
		r->status = EXIT_FAILED;
		xasprintf(&r->error, "response larger than %zu bytes",
		    t->max_response);
	} else if (code == CURLE_COULDNT_RESOLVE_PROXY)
		xasprintf(&r->error, "proxy %s: cannot resolve its host name",
		    t->proxy != NULL ? t->proxy : "");
	else if (to_proxy)
		xasprintf(&r->error, "proxy %s refused the connection",
		    t->proxy);
	else if (t->proxy != NULL && connect_code >= 300)
		xasprintf(&r->error, "proxy %s refused the tunnel: it "
		    "answered %ld", t->proxy, connect_code);
	else if (t->proxy != NULL && code == CURLE_PROXY)
		xasprintf(&r->error, "proxy %s: %s", t->proxy, text);
	else {
		r->unverified = code == CURLE_PEER_FAILED_VERIFICATION;
		r->error = xstrdup(text);
	}
}

/* Return headers ([[name, value], ...], or NULL) as curl takes them. */
static struct curl_slist *
httpc_slist(struct json_object *headers)
{
	struct curl_slist	*list = NULL;
	struct json_object	*pair;
	char			*line;
	size_t			 i;

	for (i = 0; headers != NULL && i < json_object_array_length(headers);
	    i++) {
		pair = json_object_array_get_idx(headers, i);
		xasprintf(&line, "%s: %s",
		    json_object_get_string(json_object_array_get_idx(pair, 0)),
		    json_object_get_string(json_object_array_get_idx(pair, 1)));
		list = curl_slist_append(list, line);
		free(line);
	}
	return (list);
}

/*
 * Return "HOST:PORT" of a proxy URL as curl will use it (no scheme: http;
 * no port: 1080, as curl's default), without any credentials, or NULL
 * when curl will use none.
 */
static char *
httpc_proxy_name(const char *proxy)
{
	CURLU	*u;
	char	*host = NULL, *port = NULL, *scheme = NULL, *name = NULL;

	if (proxy == NULL || *proxy == '\0')
		return (NULL);
	if ((u = curl_url()) == NULL)
		fatalx("curl_url failed");
	if (curl_url_set(u, CURLUPART_URL, proxy, CURLU_GUESS_SCHEME |
	    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		name = xstrdup("(unparsable)");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK) {
		port = NULL;
		if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		    strcmp(scheme, "https") == 0)
			xasprintf(&name, "%s:443", host);
		else
			xasprintf(&name, "%s:1080", host);
	} else
		xasprintf(&name, "%s:%s", host, port);
done:
	curl_free(host);
	curl_free(port);
	curl_free(scheme);
	curl_url_cleanup(u);
	return (name);
}

/*
 * Set the request's own proxy, TLS and decoding options.  The proxy is
 * always set, to none when the request names none: curl would otherwise
 * take one from the listener's environment, which belongs to whichever
 * command happened to start it.
 */
static void
httpc_options(struct transfer *t, const struct httpc_request *req)
{
	curl_easy_setopt(t->easy, CURLOPT_PROXY,
	    req->proxy != NULL ? req->proxy : "");
	if (req->noproxy != NULL)
		curl_easy_setopt(t->easy, CURLOPT_NOPROXY, req->noproxy);
	t->proxy = httpc_proxy_name(req->proxy);
	if (req->proxy_user != NULL)
		curl_easy_setopt(t->easy, CURLOPT_PROXYUSERPWD,
		    req->proxy_user);
	/*
	 * As curl's --proxy-header: these go to the proxy alone (on a
	 * CONNECT, and with a request it forwards), the request's own
	 * headers never on a CONNECT.
	 */
	if (req->proxy_headers != NULL &&
	    json_object_array_length(req->proxy_headers) > 0) {
		t->proxy_headers = httpc_slist(req->proxy_headers);
		curl_easy_setopt(t->easy, CURLOPT_PROXYHEADER,
		    t->proxy_headers);
		curl_easy_setopt(t->easy, CURLOPT_HEADEROPT,
		    (long)CURLHEADER_SEPARATE);
	}
	if (req->insecure) {
		curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (req->compressed)
		curl_easy_setopt(t->easy, CURLOPT_ACCEPT_ENCODING, "");
	t->max_response = req->max_response > 0 &&
	    req->max_response < HTTPC_RESPONSE_MAX ? req->max_response :
	    HTTPC_RESPONSE_MAX;
	curl_easy_setopt(t->easy, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)t->max_response);
	if (req->verbose) {
		curl_easy_setopt(t->easy, CURLOPT_DEBUGFUNCTION, httpc_debug);
		curl_easy_setopt(t->easy, CURLOPT_DEBUGDATA, t);
		curl_easy_setopt(t->easy, CURLOPT_VERBOSE, 1L);
	}
}

/* Find the Retry-After header of a result and note its delay. */
static void
httpc_note_retry_after(struct httpc_result *r)
{
	struct json_object	*pair;
	size_t			 i, n;

	r->retry_after_ms = -1;
	n = json_object_array_length(r->headers);
	for (i = 0; i < n; i++) {
		pair = json_object_array_get_idx(r->headers, i);
		if (strcasecmp(json_object_get_string(
		    json_object_array_get_idx(pair, 0)), "Retry-After") != 0)
			continue;
		r->retry_after_ms = retry_after_parse(json_object_get_string(
		    json_object_array_get_idx(pair, 1)),
		    clock_wall_ms() / 1000);
	}
}

/*
 * A transfer is over, as its result says: hand the result to the caller
 * and free the transfer.
 */
static void
httpc_finish(struct transfer *t)
{
	struct httpc	*c = t->httpc;
	char		*url;
	long		 redirects;

	TAILQ_REMOVE(&c->transfers, t, entry);
	curl_multi_remove_handle(c->multi, t->easy);
	t->result.time_ms = loop_now() - t->started;
	redirects = 0;
	curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_COUNT, &redirects);
	t->result.redirects = redirects;
	if (redirects > 0 && curl_easy_getinfo(t->easy,
	    CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url != NULL)
		t->result.final_url = xstrdup(url);
	t->cb(&t->result, t->arg);
	httpc_transfer_free(t);
}

/* Hand finished transfers to their callbacks. */
static void
httpc_collect(struct httpc *c)
{
	struct transfer	*t;
	CURLMsg		*msg;
	int		 left;

	while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (msg->data.result == CURLE_OK) {
			t->result.status = EXIT_OK;
			curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE,
			    &t->result.http_status);
			httpc_note_retry_after(&t->result);
		} else
			httpc_failure(t, msg->data.result);
		httpc_finish(t);
	}
}

/*
 * End the transfers under way (the listener stops and can wait no more):
 * each caller gets a result with status EXIT_UNAVAILABLE and why.
 */
void
httpc_cancel(struct httpc *c, const char *why)
{
	struct transfer	*t;

	while ((t = TAILQ_FIRST(&c->transfers)) != NULL) {
		t->result.status = EXIT_UNAVAILABLE;
		t->result.http_status = 0;
		t->result.error = xstrdup(why);
		httpc_finish(t);
	}
}

/*
 * For a request to ourselves (req->trust): trust the certificates in that
 * file alone, for this request only, instead of the system's, and connect
 * where req->connect_to says while checking the certificate against the
 * URL's host name.  Certificates are still checked, names too.  curl
 * reuses a connection only for a request with the same TLS settings, so
 * no other request goes over one made so.
 */
static void
httpc_trust(struct transfer *t, const struct httpc_request *req)
{
	if (req->trust != NULL) {
		curl_easy_setopt(t->easy, CURLOPT_CAINFO, req->trust);
		curl_easy_setopt(t->easy, CURLOPT_CAPATH, NULL);
	}
	if (req->connect_to != NULL) {
		t->connect_to = curl_slist_append(NULL, req->connect_to);
		curl_easy_setopt(t->easy, CURLOPT_CONNECT_TO, t->connect_to);
	}
}

/* Start a request; cb gets the result (always, exactly once). */
void
httpc_send(struct httpc *c, const struct httpc_request *req, httpc_done_cb cb,
    void *arg)
{
	struct transfer	*t;
	int		 running;

	t = xcalloc(1, sizeof *t);
	t->httpc = c;
	t->cb = cb;
	t->arg = arg;
	t->started = loop_now();
	buffer_init(&t->result.head);
	buffer_init(&t->result.body);
	buffer_init(&t->result.trace);
	t->result.retry_after_ms = -1;
	t->result.headers = json_object_new_array();
	if (httpc_init(c) == -1) {
		t->result.status = EXIT_FAILED;
		t->result.error = xstrdup("cannot initialise libcurl");
		t->cb(&t->result, t->arg);
		httpc_transfer_free(t);
		return;
	}
	if ((t->easy = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	t->headers = httpc_slist(req->headers);
	/* Send bodies at once rather than after a 100-continue round trip. */
	t->headers = curl_slist_append(t->headers, "Expect:");
	curl_easy_setopt(t->easy, CURLOPT_URL, req->url);
	curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->error);
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, httpc_write);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, httpc_header);
	curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
	curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "fish/" PACKAGE_VERSION);
	if (req->follow) {
		curl_easy_setopt(t->easy, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(t->easy, CURLOPT_MAXREDIRS,
		    (long)HTTPC_MAX_REDIRECTS);
		curl_easy_setopt(t->easy, CURLOPT_REDIR_PROTOCOLS_STR,
		    "http,https");
	}
	httpc_trust(t, req);
	httpc_options(t, req);
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(t->easy, CURLOPT_NOBODY, 1L);
	else if (req->body_len > 0 || strcmp(req->method, "GET") != 0) {
		if (req->body_len > 0 || strcmp(req->method, "POST") == 0 ||
		    strcmp(req->method, "PUT") == 0 ||
		    strcmp(req->method, "PATCH") == 0) {
			curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)req->body_len);
			curl_easy_setopt(t->easy, CURLOPT_COPYPOSTFIELDS,
			    req->body_len > 0 ? req->body : "");
		}
		/*
		 * A POST is one already; naming it would keep it a POST
		 * after a 303 (or 301, 302) that asks for a GET.
		 */
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(t->easy, CURLOPT_CUSTOMREQUEST,
			    req->method);
	}
	TAILQ_INSERT_TAIL(&c->transfers, t, entry);
	curl_multi_add_handle(c->multi, t->easy);
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	httpc_collect(c);
}

/* Tell whether any request is under way. */
int
httpc_active(const struct httpc *c)
{
	return (!TAILQ_EMPTY(&c->transfers));
}
