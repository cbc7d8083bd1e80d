/*
 * The session's secrets store: the secrets of hooks spawned with --verify,
 * kept out of the journal.  The journal says which scheme a hook verifies;
 * the secret itself lives only in the file secrets.json of the session
 * directory, mode 0600:
 *
 *	{"TOKEN": {"scheme": "github", "secret": "..."}, ...}
 *
 * Every change rewrites the file whole and atomically (a temporary file,
 * fsync, rename, fsync of the directory) before it returns, so a hook
 * whose spawn was answered still has its secret after a crash.  A hook
 * whose secret is missing rejects every request (see hook.c).
 */
#ifndef SECRETS_H
#define SECRETS_H

void	 secrets_load(const char *, char **);
const char *secrets_get(const char *, const char *);
int	 secrets_set(const char *, const char *, const char *, char **);
int	 secrets_remove(const char *, char **);
int	 secrets_keep(int (*)(const char *), char **);
void	 secrets_free(void);

#endif
