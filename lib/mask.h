/*
 * Masking the passwords of URLs (scheme://user:password@host/...) in text
 * that fish shows: error lines, the timeline, the listener's log.
 */
#ifndef MASK_H
#define MASK_H

struct json_object;

/* What a password is shown as. */
#define MASK_PASSWORD	"***"

int	 mask_needed(const char *);
char	*mask_credentials(const char *);
void	 mask_json_field(struct json_object *, const char *);

#endif
