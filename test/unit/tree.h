/*
 * Removing the directory trees that unit tests make under /tmp.
 */
#ifndef TREE_H
#define TREE_H

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"

/*
 * Remove path and, if it is a directory, everything in it (symbolic links
 * are removed, not followed); a path that does not exist is no error.
 */
static inline int
tree_remove(const char *path)
{
	struct stat	 sb;
	struct dirent	*de;
	DIR		*d;
	char		*child;
	int		 error = 0;

	if (lstat(path, &sb) == -1)
		return (errno == ENOENT ? 0 : -1);
	if (!S_ISDIR(sb.st_mode))
		return (unlink(path));
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&child, "%s/%s", path, de->d_name);
		if (tree_remove(child) == -1)
			error = -1;
		free(child);
	}
	closedir(d);
	if (rmdir(path) == -1)
		error = -1;
	return (error);
}

#endif
