/*
 * The journal record of a complete request to a hook, signature check
 * included.
 */
#ifndef RECORD_H
#define RECORD_H

struct json_object;
struct reject;
struct request;

/* What became of a complete request (record_request). */
enum record_outcome {
	RECORD_ACCEPTED,	/* journaled, to be queued */
	RECORD_REJECTED,	/* failed its check, head journaled */
	RECORD_COUNTED,		/* failed its check, over the rate cap */
	RECORD_TOO_LARGE,	/* its record is too large to journal */
};

struct MHD_Connection;

/*
 * Whose forwarding headers name a request's client, when its peer is
 * loopback (a tunnel's or proxy's): none, X-Forwarded-For or Forwarded,
 * or Cloudflare's CF-Connecting-IP first.
 */
enum record_forwarded {
	FORWARDED_NONE,
	FORWARDED_PROXY,
	FORWARDED_CLOUDFLARE,
};

enum record_outcome	record_request(struct request *, struct reject *,
			    const char *, const char *);
char			*record_client(struct request *, const char *);
char			*record_remote(struct MHD_Connection *);
void			 record_path_query(struct json_object *, const char *);

#endif
