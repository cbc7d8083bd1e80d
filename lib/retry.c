/*
 * The retry policy (see retry.h).  Full jitter (a random delay between 0
 * and the ceiling) keeps many senders that failed together from retrying
 * together; the ceiling doubles so a server that stays down is asked less
 * and less often.
 */
#include "config.h"

#include <ctype.h>
#include <time.h>

#include <curl/curl.h>

#include "retry.h"

/* Tell whether an HTTP answer is worth trying again: 429 and 5xx. */
int
retry_http_status(long http_status)
{
	return (http_status == 429 ||
	    (http_status >= 500 && http_status <= 599));
}

/*
 * Return the delay a Retry-After value asks for, in ms, given the time now
 * (Unix seconds): delay-seconds, or an HTTP-date (a past one is 0).
 * Return -1 when the value is neither.
 */
int64_t
retry_after_parse(const char *value, int64_t now)
{
	const char	*p;
	time_t		 when;
	int64_t		 seconds = 0;

	while (*value == ' ' || *value == '\t')
		value++;
	for (p = value; isdigit((unsigned char)*p); p++) {
		/* Past a day or so the exact value no longer matters. */
		if (seconds < INT64_MAX / 10000)
			seconds = seconds * 10 + (*p - '0');
	}
	if (p != value) {
		while (*p == ' ' || *p == '\t')
			p++;
		return (*p == '\0' ? seconds * 1000 : -1);
	}
	if (*value == '\0' || (when = curl_getdate(value, NULL)) == -1)
		return (-1);
	return ((int64_t)when > now ? ((int64_t)when - now) * 1000 : 0);
}

/*
 * Return the delay before the attempt after attempt (1, 2, ...): what
 * Retry-After asked for (retry_after_ms >= 0), or -1 when that is more
 * than RETRY_AFTER_MAX_MS (the caller then stops); else a delay from 0 to
 * a ceiling of RETRY_BACKOFF_MS doubled attempt - 1 times, at most
 * RETRY_BACKOFF_MAX_MS, chosen by the random bits noise.
 */
int64_t
retry_backoff(unsigned int attempt, int64_t retry_after_ms, uint32_t noise)
{
	int64_t	ceiling = RETRY_BACKOFF_MS;

	if (retry_after_ms >= 0)
		return (retry_after_ms > RETRY_AFTER_MAX_MS ? -1 :
		    retry_after_ms);
	while (attempt-- > 1 && ceiling < RETRY_BACKOFF_MAX_MS)
		ceiling *= 2;
	if (ceiling > RETRY_BACKOFF_MAX_MS)
		ceiling = RETRY_BACKOFF_MAX_MS;
	return ((int64_t)(noise % (uint32_t)(ceiling + 1)));
}
