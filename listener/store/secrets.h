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
 * whose secret is missing rejects every request (see hook.c).  The store
 * (store.h) owns one, loaded when it opens; a replicated store's is in
 * memory only (secrets_load(NULL)), a cache of the session's secrets in
 * Redis.
 */
#ifndef SECRETS_H
#define SECRETS_H

struct secrets;

struct secrets	*secrets_load(const char *, char **);
const char	*secrets_get(struct secrets *, const char *, const char *);
int		 secrets_set(struct secrets *, const char *, const char *,
		    const char *, char **);
int		 secrets_remove(struct secrets *, const char *, char **);
int		 secrets_keep(struct secrets *, int (*)(const char *, void *),
		    void *, char **);
void		 secrets_free(struct secrets *);

#endif
