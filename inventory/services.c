/* Services: the TCP and UDP sockets listening (/proc/net/tcp, tcp6, udp,
 * udp6), named after the process that owns each (the socket's inode among
 * the links of /proc/PID/fd, the name in /proc/PID/stat). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "inventory/inventory.h"

static int
read_sockets (struct inv_src *s, const char *rel, enum core_proto proto,
              inv_socket_vector *out, bool *any)
{
  FILE *fp = inv_src_fopen (s, rel);
  char line[512];
  bool first = true;

  if (fp == NULL)
    return 0;                   /* no IPv6, or no UDP: nothing listens there */
  *any = true;
  /* Line by line: a busy server has many connections, and only the
   * listening sockets are wanted. */
  while (fgets (line, sizeof line, fp)) {
    size_t before = out->len;

    if (inv_parse_net_sockets (line, proto, out) == -1) {
      fclose (fp);
      return -1;
    }
    if (first || out->len > before) {
      line[strcspn (line, "\n")] = '\0';
      inv_src_record_line (s, rel, line);
    }
    first = false;
  }
  fclose (fp);
  return 0;
}

struct owner {
  uint64_t inode;
  char *name;
};
DEFINE_VECTOR_TYPE(owner_vector, struct owner)

static bool
is_pid (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (!isdigit ((unsigned char) *s))
      return false;
  return true;
}

/* Name the owners of the wanted inodes. */
static int
find_owners (struct inv_src *s, const inv_socket_vector *socks,
             owner_vector *owners)
{
  core_string_vector pids = { 0 };
  bool denied = false;
  int ret = -1;

  if (inv_src_list (s, "/proc", &pids) == -1) {
    inv_warn (s, "cannot list %s/proc: %s; services are listed without "
              "their process", s->root, strerror (errno));
    return 0;
  }
  for (size_t i = 0; i < pids.len; i++) {
    CLEANUP_FREE char *fddir = NULL;
    core_string_vector fds = { 0 };
    char *comm = NULL;

    if (!is_pid (pids.ptr[i]))
      continue;
    fddir = core_sprintf ("/proc/%s/fd", pids.ptr[i]);
    if (fddir == NULL)
      goto out;
    if (inv_src_list (s, fddir, &fds) == -1) {
      if (errno == EACCES || errno == EPERM)
        denied = true;
        /* ENOENT: the process ended meanwhile. */
      continue;
    }
    for (size_t j = 0; j < fds.len; j++) {
      CLEANUP_FREE char *rel = core_sprintf ("%s/%s", fddir, fds.ptr[j]);
      CLEANUP_FREE char *path = rel ? inv_src_path (s, rel) : NULL;
      char target[64];
      unsigned long long inode;
      ssize_t n;
      int used;

      if (path == NULL) {
        core_string_vector_free (&fds);
        free (comm);
        goto out;
      }
      n = readlink (path, target, sizeof target - 1);
      if (n == -1 && (errno == EACCES || errno == EPERM))
        denied = true;
      if (n <= 0)
        continue;
      target[n] = '\0';
      if (sscanf (target, "socket:[%llu]%n", &inode, &used) != 1
          || target[used] != '\0')
        continue;
      for (size_t k = 0; k < socks->len; k++) {
        if (socks->ptr[k].inode != inode)
          continue;
        inv_src_record_link (s, rel, target);
        if (comm == NULL) {
          CLEANUP_FREE char *statp = core_sprintf ("/proc/%s/stat", pids.ptr[i]);
          CLEANUP_FREE char *stat = statp ? inv_src_read (s, statp, 4096, NULL) : NULL;
          comm = stat ? inv_parse_stat_comm (stat) : NULL;
        }
        if (comm) {
          char *copy = core_strdup (comm);
          if (copy == NULL
              || owner_vector_append (owners, (struct owner) { inode, copy }) == -1) {
            free (copy);
            core_string_vector_free (&fds);
            free (comm);
            goto out;
          }
        }
        break;
      }
    }
    core_string_vector_free (&fds);
    free (comm);
  }
  if (denied)
    inv_warn (s, "cannot read the open files of some processes (not root, "
              "or a process of a more privileged container); their services "
              "are listed without a name");
  ret = 0;
 out:
  core_string_vector_free (&pids);
  return ret;
}

static int
compare_services (const void *pa, const void *pb)
{
  const struct core_service *a = pa, *b = pb;

  if (a->proto != b->proto)
    return a->proto < b->proto ? -1 : 1;
  if (a->port != b->port)
    return a->port < b->port ? -1 : 1;
  if (a->name == NULL || b->name == NULL)
    return (a->name != NULL) - (b->name != NULL);
  return strcmp (a->name, b->name);
}

int
inv_read_services (struct inv_src *s, core_service_vector *out)
{
  static const struct { const char *rel; enum core_proto proto; } files[] = {
    { "/proc/net/tcp", CORE_PROTO_TCP }, { "/proc/net/tcp6", CORE_PROTO_TCP },
    { "/proc/net/udp", CORE_PROTO_UDP }, { "/proc/net/udp6", CORE_PROTO_UDP },
  };
  inv_socket_vector socks = { 0 };
  owner_vector owners = { 0 };
  bool any = false;
  int ret = -1;

  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    if (read_sockets (s, files[i].rel, files[i].proto, &socks, &any) == -1)
      goto out;
  if (!any) {
    inv_warn (s, "cannot read %s/proc/net/tcp or udp; services are left out",
              s->root);
    ret = 0;
    goto out;
  }
  if (socks.len && find_owners (s, &socks, &owners) == -1)
    goto out;

  for (size_t i = 0; i < socks.len; i++) {
    struct core_service svc = { NULL, socks.ptr[i].proto, socks.ptr[i].port };
    bool dup = false;

    for (size_t k = 0; k < owners.len; k++)
      if (owners.ptr[k].inode == socks.ptr[i].inode) {
        svc.name = owners.ptr[k].name;
        break;
      }
    /* One service per name, protocol and port: IPv4 and IPv6 sockets,
     * and the workers of a pre-forking server, are one service. */
    for (size_t k = 0; k < out->len && !dup; k++)
      dup = compare_services (&out->ptr[k], &svc) == 0;
    if (dup)
      continue;
    if (svc.name && (svc.name = core_strdup (svc.name)) == NULL)
      goto out;
    if (core_service_vector_append (out, svc) == -1) {
      free (svc.name);
      goto out;
    }
  }
  if (out->len)
    qsort (out->ptr, out->len, sizeof out->ptr[0], compare_services);
  ret = 0;
 out:
  for (size_t k = 0; k < owners.len; k++)
    free (owners.ptr[k].name);
  owner_vector_reset (&owners);
  inv_socket_vector_reset (&socks);
  return ret;
}
